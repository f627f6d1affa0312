import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExecError } from "../src/errors.js";
import { loadPrivateKey } from "../src/keys.js";

let dir: string;
const file = (n: string): string => join(dir, n);
/** The public key blob ssh-keygen wrote beside a private key. */
const pubBlob = (n: string): Buffer =>
  Buffer.from(readFileSync(`${file(n)}.pub`, "utf8").split(" ")[1] ?? "", "base64");

function keygen(name: string, args: string[]): void {
  execFileSync("ssh-keygen", ["-q", ...args, "-f", file(name)]);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "txbox-keys-"));
  keygen("ed_pw", ["-t", "ed25519", "-N", "secret-pw"]);
  keygen("ed", ["-t", "ed25519", "-N", ""]);
  keygen("rsa_pem", ["-t", "rsa", "-b", "2048", "-m", "PEM", "-N", ""]);
  keygen("rsa_p8", ["-t", "rsa", "-b", "2048", "-m", "PKCS8", "-N", ""]);
  keygen("ec_p8_pw", ["-t", "ecdsa", "-m", "PKCS8", "-N", "secret-pw"]);
  // ssh-keygen writes Ed25519 only in OpenSSH format: a PKCS#8 one as OpenSSL tools make it.
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  writeFileSync(file("ed_p8"), privateKey.export({ type: "pkcs8", format: "pem" }));
  const x = Buffer.from(publicKey.export({ format: "jwk" }).x ?? "", "base64url");
  const str = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  writeFileSync(
    `${file("ed_p8")}.pub`,
    `ssh-ed25519 ${Buffer.concat([str(Buffer.from("ssh-ed25519")), str(x)]).toString("base64")}\n`,
  );
  writeFileSync(file("junk"), "not a key\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("loadPrivateKey", () => {
  test.each([
    ["OpenSSH ed25519", "ed", undefined],
    ["OpenSSH ed25519 with a passphrase", "ed_pw", "secret-pw"],
    ["PEM RSA (PKCS#1)", "rsa_pem", undefined],
    ["PKCS#8 RSA", "rsa_p8", undefined],
    ["encrypted PKCS#8 ECDSA", "ec_p8_pw", "secret-pw"],
    ["PKCS#8 Ed25519", "ed_p8", undefined],
  ])("%s: loads, and its public half is the one ssh-keygen wrote", async (_what, name, pw) => {
    const asked: string[] = [];
    const key = await loadPrivateKey(file(name), async (f) => {
      asked.push(f);
      return pw;
    });
    expect(key.isPrivateKey()).toBe(true);
    expect(key.getPublicSSH()).toEqual(pubBlob(name));
    // The passphrase is asked for only when the key needs one.
    expect(asked).toEqual(pw === undefined ? [] : [file(name)]);
    // And the key signs what its public half verifies.
    const data = Buffer.from("txbox");
    expect(key.verify(data, key.sign(data))).toBe(true);
  });

  test.each([
    [
      "no passphrase available",
      "ed_pw",
      undefined,
      "passphrase-protected and no passphrase is available",
    ],
    ["a wrong passphrase", "ed_pw", "wrong", "the passphrase does not decrypt the key"],
    ["a wrong passphrase (PKCS#8)", "ec_p8_pw", "wrong", "the passphrase does not decrypt the key"],
    ["a missing file", "absent", undefined, "cannot read the key"],
    ["not a key", "junk", undefined, "not a private key txbox can use"],
    ["a public key", "ed.pub", undefined, "not a private key txbox can use"],
  ])("%s is E_SSH_KEY naming the file, never the passphrase", async (_what, name, pw, text) => {
    const err = await loadPrivateKey(file(name), async () => pw).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecError);
    expect((err as ExecError).code).toBe("E_SSH_KEY");
    expect((err as ExecError).message).toContain(file(name));
    expect((err as ExecError).message).toContain(text);
    expect(
      JSON.stringify({ m: (err as ExecError).message, h: (err as ExecError).hint }),
    ).not.toContain("secret-pw");
  });
});

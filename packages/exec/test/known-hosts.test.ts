import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostKeyFingerprint } from "../src/fingerprint.js";
import { refuseHostKey, preferredAlgorithms } from "../src/host-key.js";
import { checkKnownHost, knownKeyTypes, parseKnownHosts } from "../src/known-hosts.js";

/** Real keys from ssh-keygen, and known_hosts lines hashed by `ssh-keygen -H` itself. */
let dir: string;
let a: Buffer;
let b: Buffer;
let aLine: string;
let bLine: string;
const blobOf = (line: string): Buffer => Buffer.from(line.trim().split(/\s+/)[1] ?? "", "base64");

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "txbox-kh-"));
  for (const n of ["a", "b"])
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, n)]);
  aLine = readFileSync(join(dir, "a.pub"), "utf8");
  bLine = readFileSync(join(dir, "b.pub"), "utf8");
  a = blobOf(aLine);
  b = blobOf(bLine);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entry = (hosts: string, line: string): string => `${hosts} ${line.trim()}`;

/** `ssh-keygen -H` hashes the names of a file: the format real hashed files have. */
function hashed(text: string): string {
  const f = join(dir, "kh");
  writeFileSync(f, text);
  execFileSync("ssh-keygen", ["-H", "-f", f], { stdio: "ignore" });
  return readFileSync(f, "utf8");
}

describe("known_hosts matching", () => {
  test.each([
    ["plain name", () => entry("g1,10.0.0.5", aLine), "10.0.0.5", 22, "match"],
    ["[host]:port form", () => entry("[10.0.0.5]:2222", aLine), "10.0.0.5", 2222, "match"],
    [
      "[host]:port is not port 22",
      () => entry("[10.0.0.5]:2222", aLine),
      "10.0.0.5",
      22,
      "unknown",
    ],
    ["port 22 is the bare name", () => entry("10.0.0.5", aLine), "10.0.0.5", 2222, "unknown"],
    ["wildcard", () => entry("10.0.0.*", aLine), "10.0.0.9", 22, "match"],
    ["negation", () => entry("10.0.0.*,!10.0.0.9", aLine), "10.0.0.9", 22, "unknown"],
    ["hashed name", () => hashed(entry("10.0.0.5", aLine)), "10.0.0.5", 22, "match"],
    [
      "hashed [host]:port",
      () => hashed(entry("[10.0.0.5]:2222", aLine)),
      "10.0.0.5",
      2222,
      "match",
    ],
    ["hashed, other host", () => hashed(entry("10.0.0.5", aLine)), "10.0.0.6", 22, "unknown"],
    ["another key", () => entry("10.0.0.5", bLine), "10.0.0.5", 22, "mismatch"],
    [
      "revoked anywhere",
      () => `${entry("10.0.0.5", aLine)}\n@revoked * ${aLine.trim()}`,
      "10.0.0.5",
      22,
      "revoked",
    ],
    [
      "cert-authority lines are skipped",
      () => `@cert-authority * ${aLine.trim()}`,
      "10.0.0.5",
      22,
      "unknown",
    ],
    [
      "comments and junk are skipped",
      () => `# x\n\nnot a line\n${entry("10.0.0.5", aLine)}`,
      "10.0.0.5",
      22,
      "match",
    ],
  ])("%s", (_what, text, host, port, status) => {
    const v = checkKnownHost(parseKnownHosts(text(), "kh"), host, port, a);
    expect(v.status).toBe(status);
  });

  test("a mismatch names the expected fingerprints; key types are listed for the handshake", () => {
    const entries = parseKnownHosts(entry("h", bLine), "kh");
    expect(checkKnownHost(entries, "h", 22, a)).toMatchObject({
      status: "mismatch",
      expected: [hostKeyFingerprint(b)],
    });
    expect(knownKeyTypes(entries, "h", 22)).toEqual(["ssh-ed25519"]);
    expect(preferredAlgorithms(["ssh-rsa", "ssh-ed25519", "x"])).toEqual([
      "rsa-sha2-512",
      "rsa-sha2-256",
      "ssh-rsa",
      "ssh-ed25519",
    ]);
  });
});

describe("host key decision (pin, else known_hosts; never trust on first use)", () => {
  const policy = (known: string, pinned?: string) => ({
    where: "root@h:22",
    host: "h",
    port: 22,
    known: parseKnownHosts(known, "/kh"),
    knownFiles: ["/kh"],
    ...(pinned === undefined ? {} : { pinned }),
  });

  test("accepted: pinned match, or known_hosts match", () => {
    expect(refuseHostKey(policy("", hostKeyFingerprint(a)), a)).toBeUndefined();
    expect(refuseHostKey(policy(entry("h", aLine)), a)).toBeUndefined();
  });

  test.each([
    [
      "a wrong pin",
      () => policy(entry("h", aLine), hostKeyFingerprint(b)),
      "does not match the pinned",
    ],
    ["a known_hosts mismatch", () => policy(entry("h", bLine)), "known for h (/kh:1)"],
    ["an unknown host", () => policy(""), "is not pinned and h is not in /kh"],
    [
      "a revoked key, even pinned",
      () => policy(`@revoked h ${aLine.trim()}`, hostKeyFingerprint(a)),
      "@revoked in /kh:1",
    ],
  ])("refused as E_SSH_HOSTKEY: %s", (_what, p, text) => {
    const err = refuseHostKey(p(), a);
    expect(err?.code).toBe("E_SSH_HOSTKEY");
    expect(err?.message).toContain(text);
    expect(err?.message).toContain(hostKeyFingerprint(a));
  });

  test("the mismatch message names the host and both fingerprints", () => {
    const err = refuseHostKey(policy(entry("h", bLine)), a);
    expect(err?.message).toBe(
      `root@h:22: host key ${hostKeyFingerprint(a)} does not match ${hostKeyFingerprint(b)} known for h (/kh:1); refusing to connect`,
    );
  });
});

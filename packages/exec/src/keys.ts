/**
 * Loading a private key for SSH authentication: OpenSSH, PEM (PKCS#1, SEC1) and PKCS#8 (plain or
 * encrypted), with a passphrase asked for only when the key needs one. ssh2 reads OpenSSH and PEM
 * but not PKCS#8, so PKCS#8 goes through node:crypto and is handed on as PEM (RSA, ECDSA) or
 * rebuilt as an OpenSSH key (Ed25519). The passphrase never appears in a message.
 */
import { createPrivateKey, type KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import ssh2, { type ParsedKey } from "ssh2";
import { errorMessage } from "@txbox/core";
import { ExecError } from "./errors.js";

/** Gives the passphrase of a key file, or undefined when none is available (no TTY, no env, no file). */
export type PassphraseSource = (keyFile: string) => Promise<string | undefined>;

const ADD_TO_AGENT = (file: string): string =>
  `add it to ssh-agent (ssh-add ${file}), run txbox on a terminal to be asked, or give the passphrase in $TXBOX_SSH_PASSPHRASE or the file named by ssh.passphraseFile`;

function keyError(file: string, message: string, hint: string, cause?: unknown): ExecError {
  return new ExecError("E_SSH_KEY", `${file}: ${message}`, {
    details: { keyFile: file },
    hint,
    ...(cause === undefined ? {} : { cause }),
  });
}

function sshString(b: Buffer | string): Buffer {
  const body = typeof b === "string" ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/** An unencrypted `openssh-key-v1` file for an Ed25519 key (PROTOCOL.key), which ssh2 reads. */
function ed25519ToOpenSsh(key: KeyObject): string {
  const jwk = key.export({ format: "jwk" });
  const seed = Buffer.from(jwk.d ?? "", "base64url");
  const pub = Buffer.from(jwk.x ?? "", "base64url");
  const pubBlob = Buffer.concat([sshString("ssh-ed25519"), sshString(pub)]);
  const check = Buffer.alloc(8, 0x2a);
  let priv = Buffer.concat([
    check,
    sshString("ssh-ed25519"),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(""),
  ]);
  const pad = (8 - (priv.length % 8)) % 8;
  priv = Buffer.concat([priv, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
  const one = Buffer.alloc(4);
  one.writeUInt32BE(1);
  const body = Buffer.concat([
    Buffer.from("openssh-key-v1\0"),
    sshString("none"),
    sshString("none"),
    sshString(""),
    one,
    sshString(pubBlob),
    sshString(priv),
  ]);
  const b64 = body.toString("base64").replace(/(.{70})/g, "$1\n");
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

/** A PKCS#8 key as text ssh2 reads; `needsPassphrase` when it is encrypted and none was given. */
function fromPkcs8(
  data: string,
  passphrase: string | undefined,
): { text: string } | { needsPassphrase: true } {
  let key: KeyObject;
  try {
    key = createPrivateKey({
      key: data,
      format: "pem",
      ...(passphrase === undefined ? {} : { passphrase }),
    });
  } catch (err) {
    if (passphrase === undefined && /passphrase|decrypt/i.test(errorMessage(err)))
      return { needsPassphrase: true };
    throw err;
  }
  switch (key.asymmetricKeyType) {
    case "rsa":
      return { text: key.export({ type: "pkcs1", format: "pem" }).toString() };
    case "ec":
      return { text: key.export({ type: "sec1", format: "pem" }).toString() };
    case "ed25519":
      return { text: ed25519ToOpenSsh(key) };
    default:
      throw new Error(`unsupported key type ${String(key.asymmetricKeyType)}`);
  }
}

function parse(text: string | Buffer, passphrase?: string): ParsedKey | Error {
  // ssh2 is CommonJS and Node's ESM loader sees no named `utils` export: read it off the default.
  const k = ssh2.utils.parseKey(text, passphrase);
  return Array.isArray(k) ? (k[0] ?? new Error("no key in the file")) : k;
}

const isEncryptedError = (e: Error): boolean =>
  /encrypted|passphrase|no passphrase/i.test(e.message);

/**
 * Read and parse a private key. `E_SSH_KEY` when the file cannot be read, is not a private key,
 * is encrypted with no passphrase available, or the passphrase is wrong.
 */
export async function loadPrivateKey(
  file: string,
  passphraseFor?: PassphraseSource,
  text?: string | Buffer,
): Promise<ParsedKey> {
  let data: string;
  try {
    data = (text ?? (await readFile(file))).toString();
  } catch (err) {
    throw keyError(
      file,
      `cannot read the key: ${errorMessage(err)}`,
      "check the key's path (guests[].keyFile or IdentityFile) and that this user may read it",
      err,
    );
  }
  const pkcs8 = /-----BEGIN (ENCRYPTED )?PRIVATE KEY-----/.test(data);
  const attempt = (passphrase: string | undefined): ParsedKey | "needs-passphrase" => {
    try {
      const source = pkcs8 ? fromPkcs8(data, passphrase) : { text: data };
      if ("needsPassphrase" in source) return "needs-passphrase";
      const k = parse(source.text, passphrase);
      if (!(k instanceof Error)) {
        if (!k.isPrivateKey()) throw new Error("a public key, not a private key");
        return k;
      }
      if (passphrase === undefined && isEncryptedError(k)) return "needs-passphrase";
      throw k;
    } catch (err) {
      if (passphrase !== undefined && /decrypt|passphrase|integrity|bad/i.test(errorMessage(err)))
        throw keyError(file, "the passphrase does not decrypt the key", ADD_TO_AGENT(file), err);
      throw keyError(
        file,
        `not a private key txbox can use (OpenSSH, PEM or PKCS#8): ${errorMessage(err)}`,
        `check the file; convert it with \`ssh-keygen -p -f ${file}\` (rewrites it in OpenSSH format)`,
        err,
      );
    }
  };
  const first = attempt(undefined);
  if (first !== "needs-passphrase") return first;
  const passphrase = passphraseFor === undefined ? undefined : await passphraseFor(file);
  if (passphrase === undefined)
    throw keyError(
      file,
      "the key is passphrase-protected and no passphrase is available",
      ADD_TO_AGENT(file),
    );
  const second = attempt(passphrase);
  if (second === "needs-passphrase")
    throw keyError(file, "the passphrase does not decrypt the key", ADD_TO_AGENT(file));
  return second;
}

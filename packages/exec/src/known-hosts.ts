/**
 * A pure reader of OpenSSH known_hosts files (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"):
 * `[@revoked|@cert-authority] patterns keytype base64 [comment]`, patterns comma-separated with
 * `*`/`?` wildcards and `!negation`, `[host]:port` for a port other than 22, and hashed names
 * `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`. `@cert-authority` lines are skipped: txbox does
 * not verify host certificates.
 */
import { createHmac } from "node:crypto";
import { hostKeyFingerprint } from "./fingerprint.js";
import { matchPattern } from "./ssh-config.js";

export interface KnownHostEntry {
  marker?: "revoked";
  patterns: string;
  keyType: string;
  key: Buffer;
  file: string;
  line: number;
}

/** Parse one known_hosts file's text; unreadable lines are skipped, as ssh does. */
export function parseKnownHosts(text: string, file = "known_hosts"): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === undefined || fields[0] === "" || fields[0].startsWith("#")) return;
    let marker: "revoked" | undefined;
    if (fields[0].startsWith("@")) {
      if (fields[0] === "@cert-authority") return;
      if (fields[0] !== "@revoked") return;
      marker = "revoked";
      fields.shift();
    }
    const [patterns, keyType, b64] = fields;
    if (patterns === undefined || keyType === undefined || b64 === undefined) return;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return;
    out.push({
      ...(marker === undefined ? {} : { marker }),
      patterns,
      keyType,
      key: Buffer.from(b64, "base64"),
      file,
      line: i + 1,
    });
  });
  return out;
}

/** The name known_hosts stores for a host: `host`, or `[host]:port` when the port is not 22. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function hashedMatches(entry: string, name: string): boolean {
  const [, magic, salt, hash] = entry.split("|");
  if (magic !== "1" || salt === undefined || hash === undefined) return false;
  const mac = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64");
  return mac === hash;
}

/** Whether an entry's host patterns name `name` (hashed, or a pattern list with negation). */
export function entryMatches(patterns: string, name: string): boolean {
  if (patterns.startsWith("|")) return hashedMatches(patterns, name);
  let matched = false;
  for (const p of patterns.split(",")) {
    const negated = p.startsWith("!");
    if (matchPattern(name, negated ? p.slice(1) : p)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** The key type a key blob names (its first SSH string). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return "";
  const n = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + n).toString("latin1");
}

export type KnownHostsVerdict =
  | { status: "match"; entry: KnownHostEntry }
  | { status: "revoked"; entry: KnownHostEntry }
  /** The host is known, with other keys: their fingerprints. */
  | { status: "mismatch"; expected: string[]; entries: KnownHostEntry[] }
  | { status: "unknown" };

/**
 * What known_hosts says of `presented` for `host:port`: a revoked key is refused wherever it is
 * listed (for any host, as ssh does); otherwise the host's own entries decide.
 */
export function checkKnownHost(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
  presented: Buffer,
): KnownHostsVerdict {
  const revoked = entries.find((e) => e.marker === "revoked" && e.key.equals(presented));
  if (revoked) return { status: "revoked", entry: revoked };
  const name = knownHostsName(host, port);
  const mine = entries.filter((e) => e.marker === undefined && entryMatches(e.patterns, name));
  const hit = mine.find((e) => e.key.equals(presented));
  if (hit) return { status: "match", entry: hit };
  if (mine.length > 0)
    return {
      status: "mismatch",
      expected: mine.map((e) => hostKeyFingerprint(e.key)),
      entries: mine,
    };
  return { status: "unknown" };
}

/** The key types known_hosts holds for a host, so that the server is asked for one of them first. */
export function knownKeyTypes(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
): string[] {
  const name = knownHostsName(host, port);
  const types = entries
    .filter((e) => e.marker === undefined && entryMatches(e.patterns, name))
    .map((e) => e.keyType);
  return [...new Set(types)];
}

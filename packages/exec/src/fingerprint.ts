import { createHash } from "node:crypto";

/** OpenSSH's `SHA256:` fingerprint of a host key blob (base64, no padding). */
export function hostKeyFingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "")}`;
}

/** Normalise a pinned fingerprint: accepts `SHA256:xxx` with or without base64 padding. */
export function normaliseFingerprint(value: string): string {
  const m = /^SHA256:([A-Za-z0-9+/]+)=*$/.exec(value.trim());
  if (!m) throw new RangeError(`hostKey: expected "SHA256:<base64>", got ${JSON.stringify(value)}`);
  return `SHA256:${m[1]}`;
}

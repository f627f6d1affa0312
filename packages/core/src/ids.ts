import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/**
 * A sortable, lowercase id: 9 chars of base32 milliseconds + `random` chars of entropy.
 * Lowercase and `[a-z0-9]` only, so that it fits Proxmox snapshot names (`txbox-<id>`).
 */
export function newId(now: number = Date.now(), random = 8): string {
  let time = "";
  let t = Math.max(0, Math.floor(now));
  for (let i = 0; i < 9; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(random);
  let rand = "";
  for (const b of bytes) rand += ALPHABET[b % 32];
  return time + rand;
}

/** The time encoded in an id made by {@link newId}. */
export function idTime(id: string): number {
  let t = 0;
  for (const ch of id.slice(0, 9)) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) return Number.NaN;
    t = t * 32 + v;
  }
  return t;
}

/**
 * The held-out split, by program. A program is held out when FNV-1a-32 of its name modulo 100 is
 * below {@link HELDOUT_PERCENT}: deterministic, needs no list to keep in sync, and cannot be tuned
 * per program. `eval/label/label.py` implements the same function to write `eval/HELDOUT.md`; a
 * test keeps the two equal.
 */
export const HELDOUT_PERCENT = 30;

export type Split = "dev" | "heldout";

/** FNV-1a, 32 bits, over the UTF-8 bytes of `text`. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(text)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Which split a program's examples belong to. */
export function splitOf(program: string): Split {
  return fnv1a32(program) % 100 < HELDOUT_PERCENT ? "heldout" : "dev";
}

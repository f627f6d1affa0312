/**
 * SQLite's write-ahead log checked before the journal opens: SQLite ignores a log whose header is
 * not valid, which would lose committed state changes without a word.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { JournalError } from "./errors.js";

/** The first word of a SQLite WAL file (the last bit says which byte order its checksums use). */
const WAL_MAGIC = new Set([0x377f0682, 0x377f0683]);
const WAL_HEADER_BYTES = 32;

/** Whether a 32-byte WAL header carries SQLite's magic, format version and a valid checksum. */
export function validWalHeader(h: Buffer): boolean {
  if (h.length < WAL_HEADER_BYTES) return false;
  const magic = h.readUInt32BE(0);
  if (!WAL_MAGIC.has(magic) || h.readUInt32BE(4) !== 3007000) return false;
  const word = (i: number): number => (magic & 1 ? h.readUInt32BE(i) : h.readUInt32LE(i));
  let s0 = 0;
  let s1 = 0;
  for (let i = 0; i < 24; i += 8) {
    s0 = (s0 + word(i) + s1) >>> 0;
    s1 = (s1 + word(i + 4) + s0) >>> 0;
  }
  return s0 === h.readUInt32BE(24) && s1 === h.readUInt32BE(28);
}

/**
 * Refuse a write-ahead log SQLite would silently ignore: one whose header is not a valid WAL
 * header, or an empty one with no shared-memory file beside it (SQLite never leaves that; a live
 * connection has both). SQLite would open the journal without the log's frames, losing committed
 * state changes without a word. An empty log next to a `-shm` belongs to a connection being opened.
 */
export function refuseDamagedWal(file: string): void {
  const wal = `${file}-wal`;
  for (let look = 0; ; look++) {
    let size: number;
    try {
      size = statSync(wal).size;
    } catch {
      return; // no log: the journal was closed cleanly (or never written)
    }
    if (size === 0 && existsSync(`${file}-shm`)) return;
    if (size >= WAL_HEADER_BYTES) {
      const header = Buffer.alloc(WAL_HEADER_BYTES);
      const fd = openSync(wal, "r");
      try {
        readSync(fd, header, 0, WAL_HEADER_BYTES, 0);
      } finally {
        closeSync(fd);
      }
      if (validWalHeader(header)) return;
    }
    // Another process may be creating the log right now: look again before refusing.
    if (look < 3) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      continue;
    }
    throw new JournalError(
      `cannot open the journal ${file}: its write-ahead log ${wal} is damaged (${size === 0 ? "empty, with no shared-memory file" : `${size} bytes without a valid SQLite WAL header`})`,
      {
        details: { file, wal, size },
        hint: "Restore the journal and its -wal file from a backup, or move both aside to start a new journal",
      },
    );
  }
}

import { createHash, type Hash } from "node:crypto";

/**
 * Keeps the first `limit` bytes of a stream and remembers whether more arrived; counts and hashes
 * every byte, kept or not, so that the size and digest describe the whole stream exactly.
 */
export class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private readonly hash: Hash = createHash("sha256");
  /** Bytes the stream produced in all. */
  total = 0;
  truncated = false;

  constructor(private readonly limit: number) {}

  /** SHA-256 (hex) of every byte of the stream. Call once, at its end. */
  sha256(): string {
    return this.hash.digest("hex");
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    this.hash.update(chunk);
    const room = this.limit - this.size;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(kept);
    this.size += kept.length;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}

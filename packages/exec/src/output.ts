import { createHash, type Hash } from "node:crypto";
import { closeSync, openSync, writeSync } from "node:fs";
import type { ExecResult } from "./types.js";

/**
 * Keeps the first `limit` bytes of a stream and remembers whether more arrived; counts and hashes
 * every byte, kept or not, so that the size and digest describe the whole stream exactly. Given a
 * `spill` path, a stream that outgrows the cap is written there whole (created 0600 on the first
 * byte past the cap), so that nothing the command printed is lost.
 */
export class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private readonly hash: Hash = createHash("sha256");
  private fd: number | undefined;
  /** Bytes the stream produced in all. */
  total = 0;
  truncated = false;
  /** The file holding the whole stream, once it outgrew the cap (and the file could be written). */
  file: string | undefined;
  /** Why the whole stream could not be kept in `spill`, if it could not. */
  spillError: string | undefined;

  constructor(
    private readonly limit: number,
    private readonly spill?: string,
  ) {}

  /** SHA-256 (hex) of every byte of the stream. Call once, at its end. */
  sha256(): string {
    return this.hash.digest("hex");
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    this.hash.update(chunk);
    const room = this.limit - this.size;
    if (chunk.length > room && !this.truncated) {
      this.truncated = true;
      this.startSpill();
    }
    this.writeSpill(chunk);
    if (room <= 0) return;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(kept);
    this.size += kept.length;
  }

  /** The kept bytes, exactly as they arrived. */
  data(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** Close the spill file (if any). Call once, at the stream's end. */
  end(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // closing a written file descriptor does not fail in a way we could act on
    }
    this.fd = undefined;
  }

  private startSpill(): void {
    if (this.spill === undefined) return;
    try {
      this.fd = openSync(this.spill, "w", 0o600);
      this.file = this.spill;
      // What was kept so far is the start of the whole stream.
      for (const c of this.chunks) writeSync(this.fd, c);
    } catch (error) {
      this.failSpill(error);
    }
  }

  private writeSpill(chunk: Buffer): void {
    if (this.fd === undefined) return;
    try {
      for (let off = 0; off < chunk.length;) off += writeSync(this.fd, chunk, off);
    } catch (error) {
      this.failSpill(error);
    }
  }

  /** A spill that cannot be written (disk full) must not fail the command: say so instead. */
  private failSpill(error: unknown): void {
    this.spillError = `cannot keep the whole stream in ${this.spill}: ${error instanceof Error ? error.message : String(error)}`;
    this.end();
    this.file = undefined;
  }
}

/** The stream fields of an {@link ExecResult} from the two buffers, which are ended here. */
export function streamFields(
  stdout: CappedBuffer,
  stderr: CappedBuffer,
): Omit<ExecResult, "exitCode" | "signal" | "durationMs" | "timedOut"> {
  stdout.end();
  stderr.end();
  const out = stdout.data();
  const err = stderr.data();
  return {
    stdout: out.toString("utf8"),
    stderr: err.toString("utf8"),
    stdoutData: out,
    stderrData: err,
    stdoutTruncated: stdout.truncated,
    stderrTruncated: stderr.truncated,
    stdoutBytes: stdout.total,
    stderrBytes: stderr.total,
    stdoutSha256: stdout.sha256(),
    stderrSha256: stderr.sha256(),
    ...(stdout.file === undefined ? {} : { stdoutFile: stdout.file }),
    ...(stderr.file === undefined ? {} : { stderrFile: stderr.file }),
    ...(stdout.spillError === undefined && stderr.spillError === undefined
      ? {}
      : { spillError: [stdout.spillError, stderr.spillError].filter(Boolean).join("; ") }),
  };
}

/**
 * Where output past the kept cap goes: one file per stream of a command, named by its id, in an
 * `output/` directory beside the journal. Pruned like the snapshot window: files older than the
 * window's age go, then the oldest while the directory holds more than its byte budget.
 */
import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

/** How long and how much spilled output is kept. */
export interface OutputRetention {
  /** Files older than this go; 0: no age limit. */
  maxAgeMs: number;
  /** The newest files are kept up to this many bytes in all. */
  maxBytes: number;
}

/** The byte budget when none is given: 1 GiB of spilled output per journal. */
export const DEFAULT_OUTPUT_BYTES = 1024 ** 3;

export class OutputStore {
  constructor(
    readonly dir: string,
    private readonly retention: OutputRetention,
  ) {}

  /** The spill files of one command; the directory is made here, the files only when needed. */
  paths(label: string | undefined): { stdout: string; stderr: string } {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const safe = (label ?? "").replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 80);
    const id = safe === "" ? `run-${Date.now()}-${randomBytes(4).toString("hex")}` : safe;
    return { stdout: join(this.dir, `${id}.stdout`), stderr: join(this.dir, `${id}.stderr`) };
  }

  /** Apply the retention; returns the files removed. Never throws: pruning is housekeeping. */
  prune(now = Date.now()): string[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const files = names
      .map((name) => {
        const path = join(this.dir, name);
        try {
          const st = statSync(path);
          return st.isFile() ? { path, mtime: st.mtimeMs, size: st.size } : undefined;
        } catch {
          return undefined;
        }
      })
      .filter((f) => f !== undefined)
      .sort((a, b) => b.mtime - a.mtime);
    const removed: string[] = [];
    let kept = 0;
    for (const f of files) {
      const old = this.retention.maxAgeMs > 0 && now - f.mtime > this.retention.maxAgeMs;
      if (!old && kept + f.size <= this.retention.maxBytes) {
        kept += f.size;
        continue;
      }
      rmSync(f.path, { force: true });
      removed.push(f.path);
    }
    return removed;
  }
}

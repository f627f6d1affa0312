import {
  appendFileSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";

/**
 * The testbed's persistent state: one JSON file per object, like /etc/pve holds one file per
 * guest. Every write is atomic (temp file + rename) so a crash or a fault-injected restart never
 * leaves a torn file.
 */
export class Store {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  read<T>(rel: string): T | undefined {
    try {
      return JSON.parse(readFileSync(this.path(rel), "utf8")) as T;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  write(rel: string, value: unknown): void {
    writeAtomic(this.path(rel), `${JSON.stringify(value, null, 1)}\n`);
  }

  /** The text of a file, or undefined when it does not exist. */
  readText(rel: string): string | undefined {
    try {
      return readFileSync(this.path(rel), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  /** Append lines to a file (an archive that only grows until it is rewritten). */
  append(rel: string, text: string): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    appendFileSync(this.path(rel), text, { mode: 0o600 });
  }

  /** Replace a file's text atomically. */
  writeText(rel: string, text: string): void {
    writeAtomic(this.path(rel), text);
  }

  remove(rel: string): void {
    rmSync(this.path(rel), { force: true });
  }

  list(relDir: string): string[] {
    try {
      return readdirSync(this.path(relDir)).filter((f) => !f.startsWith("."));
    } catch {
      return [];
    }
  }
}

/** Write a file atomically: a temp file in the same directory, then rename over the target. */
export function writeAtomic(file: string, text: string, mode = 0o600): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, file);
}

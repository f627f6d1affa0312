/**
 * Volume snapshots without a process per snapshot: requests to the resident helper
 * `testbed/native/btrfs-snap` (see btrfs-snap.c), which makes the snapshot `btrfs subvolume
 * snapshot [-r]` makes, with the same ioctl. On the testbed's host an exec of `btrfs` cost 11 ms
 * quiet and 20–150 ms loaded, the snapshot ioctl 1–7 ms (measured), and a transaction waits for
 * its snapshot. Without the built helper (no C compiler) {@link snapHelper} is undefined and the
 * caller runs `btrfs`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import type { Socket } from "node:net";
import { fileURLToPath } from "node:url";

import { RealiseError } from "../types.js";

const BINARY = fileURLToPath(new URL("../../../native/btrfs-snap", import.meta.url));

/** One helper process: requests answered in order, one line each. */
class Worker {
  private readonly child: ChildProcess;
  private readonly waiting: ((line: string | Error) => void)[] = [];
  private buffered = "";
  dead = false;

  constructor() {
    this.child = spawn(BINARY, [], { stdio: ["pipe", "pipe", "inherit"] });
    this.child.stdout!.setEncoding("utf8");
    this.child.stdout!.on("data", (s: string) => {
      this.buffered += s;
      for (let nl = this.buffered.indexOf("\n"); nl >= 0; nl = this.buffered.indexOf("\n")) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        this.waiting.shift()?.(line);
      }
    });
    const gone = (why: string) => (): void => {
      this.dead = true;
      for (const w of this.waiting.splice(0)) w(new RealiseError(`btrfs-snap ${why}`));
    };
    this.child.on("exit", gone("exited before it answered"));
    this.child.on("error", (e) => gone(`could not run: ${e.message}`)());
    this.child.stdin!.on("error", () => undefined); // reported by "exit"
    // An idle helper does not keep this process alive; a request's timer does while it runs.
    this.child.unref();
    for (const s of [this.child.stdin, this.child.stdout]) (s as Socket | null)?.unref();
  }

  /** The helper's answer line, or a failure when it went away (or `timeoutMs` passed: killed). */
  request(fields: readonly string[], timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.dead = true;
        this.child.kill("SIGKILL");
      }, timeoutMs);
      this.waiting.push((r) => {
        clearTimeout(timer);
        if (r instanceof Error) reject(r);
        else resolve(r);
      });
      this.child.stdin!.write(fields.map((f) => `${f}\0`).join(""));
    });
  }
}

/** Idle helpers; a snapshot takes one (or starts one), so snapshots of guests run side by side. */
const idle: Worker[] = [];
const KEEP_IDLE = 4;

/** One request to an idle helper (or a new one), so requests for guests run side by side. */
async function ask(fields: readonly [string, string, string], timeoutMs: number): Promise<string> {
  let w = idle.pop();
  while (w?.dead === true) w = idle.pop();
  w ??= new Worker();
  try {
    return await w.request(fields, timeoutMs);
  } finally {
    if (!w.dead && idle.length < KEEP_IDLE) idle.push(w);
  }
}

/** Snapshots `source` to `dest` (read-only or not; syncfs of its file system first with `sync`). */
async function snapshot(
  source: string,
  dest: string,
  options: { readonly: boolean; sync: boolean; timeoutMs?: number },
): Promise<void> {
  const flags = `${options.readonly ? "r" : ""}${options.sync ? "s" : ""}`;
  const line = await ask([flags, source, dest], options.timeoutMs ?? 60_000);
  if (line !== "0") throw new RealiseError(`snapshot of ${source} to ${dest} failed: ${line}`);
}

/** The helper's snapshot, or undefined when it is not built. */
export function snapHelper(): typeof snapshot | undefined {
  return existsSync(BINARY) ? snapshot : undefined;
}

/** The calls behind the volumes' size caps (storage-caps.ts); undefined when it is not built. */
export interface QuotaHelper {
  /**
   * Asks for btrfs simple quotas on `path`'s file system. A refusal (an older kernel) is not an
   * error: the caller reads which quotas are on from sysfs.
   */
  enableSimpleQuotas(path: string): Promise<void>;
  /** The id of the subvolume `path` is in. */
  subvolumeId(path: string): Promise<number>;
}

const quotaHelper: QuotaHelper = {
  async enableSimpleQuotas(path) {
    await ask(["q", path, "-"], 120_000);
  },
  async subvolumeId(path) {
    const line = await ask(["i", path, "-"], 60_000);
    const id = /^0 (\d+)$/.exec(line)?.[1];
    if (id === undefined) throw new RealiseError(`subvolume id of ${path}: ${line}`);
    return Number(id);
  },
};

export function quotaHelperIfBuilt(): QuotaHelper | undefined {
  return existsSync(BINARY) ? quotaHelper : undefined;
}

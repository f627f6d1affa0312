import { fork, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { RealiseError } from "../types.js";

/** Result of a finished host command. */
export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface RunOptions {
  /** Bytes written to the command's standard input. */
  input?: string;
  /** Kill the command (SIGKILL) after this long; default 60 s. */
  timeoutMs?: number;
  /** Resolve with the result instead of throwing when the exit code is not 0. */
  allowFailure?: boolean;
}

/** How a host command ended, as {@link execute} reports it (never a rejection). */
export interface Outcome {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  /** The command could not be started (or its helper went away before it reported). */
  error?: string;
}

/** Runs `argv` (no shell) from this process and reports how it ended. */
export function execute(
  argv: readonly string[],
  input: string,
  timeoutMs: number,
): Promise<Outcome> {
  const [file, ...args] = argv as [string, ...string[]];
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.stdin.on("error", () => undefined); // a command that ignores its input closes the pipe early
    const outcome = (code: number | null, signal: string | null): Outcome => ({
      stdout: Buffer.concat(out).toString("utf8"),
      stderr: Buffer.concat(err).toString("utf8"),
      code,
      signal,
      timedOut,
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ ...outcome(null, null), error: e.message });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve(outcome(code, signal));
    });
    child.stdin.end(input);
  });
}

/**
 * The host commands' helper: a small Node process that spawns them for this one. Node forks the
 * whole process for every spawn, synchronously on its event loop — a testbed process of 150–350
 * MB stood still 5–25 ms per command (measured), and every API request with it (a snapshot task's
 * `btrfs` held up the task polls of the transaction waiting for it). The helper forks a process
 * of ~40 MB, on its own loop. Started on first use; it ends with this process (its IPC channel
 * closes). Absent when this module runs from TypeScript sources (tests): commands run here then.
 */
class Helper {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, (o: Outcome) => void>();
  private next = 0;

  constructor(path: string) {
    // No execArgv of this process (an inspector port, a CPU profile): a plain Node.
    this.child = fork(path, [], { execArgv: [], stdio: ["ignore", "ignore", "inherit", "ipc"] });
    this.child.on("message", (m: { id: number; outcome: Outcome }) => {
      const done = this.pending.get(m.id);
      this.pending.delete(m.id);
      this.idle();
      done?.(m.outcome);
    });
    const gone = (): void => {
      if (helper === this) helper = undefined;
      const lost = [...this.pending.values()];
      this.pending.clear();
      for (const done of lost)
        done({
          stdout: "",
          stderr: "",
          code: null,
          signal: null,
          timedOut: false,
          error: "the host command helper exited before it reported",
        });
    };
    this.child.on("exit", gone);
    this.child.on("error", gone);
    this.idle();
  }

  request(argv: readonly string[], input: string, timeoutMs: number): Promise<Outcome> {
    return new Promise((resolve) => {
      const id = this.next++;
      this.pending.set(id, resolve);
      this.child.ref();
      this.child.channel?.ref();
      this.child.send({ id, argv, input, timeoutMs });
    });
  }

  /** Nothing pending: the helper does not keep this process alive. */
  private idle(): void {
    if (this.pending.size > 0) return;
    this.child.unref();
    this.child.channel?.unref();
  }
}

const HELPER = fileURLToPath(new URL("./spawn-helper.js", import.meta.url));
let helper: Helper | undefined;

function spawner(): (
  argv: readonly string[],
  input: string,
  timeoutMs: number,
) => Promise<Outcome> {
  if (helper === undefined && existsSync(HELPER)) helper = new Helper(HELPER);
  const h = helper;
  return h === undefined ? execute : (a, i, t) => h.request(a, i, t);
}

/**
 * Runs one host command (no shell) and collects its output. The only place the realiser spawns
 * short-lived commands, so every one has a timeout and a failure message fit for a task log.
 */
export async function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const file = argv[0];
  if (file === undefined) throw new RealiseError("run: empty command");
  const timeoutMs = options.timeoutMs ?? 60_000;
  const o = await spawner()(argv, options.input ?? "", timeoutMs);
  if (o.error !== undefined) throw new RealiseError(`cannot run ${file}: ${o.error}`);
  const result = { stdout: o.stdout, stderr: o.stderr, code: o.code ?? 128 };
  if (o.timedOut) throw new RealiseError(`${argv.join(" ")}: timed out after ${timeoutMs} ms`);
  if (result.code !== 0 && !options.allowFailure) {
    const why = o.signal ? `killed by ${o.signal}` : `exit ${result.code}`;
    const detail = (result.stderr.trim() || result.stdout.trim()).split("\n").slice(-5).join("; ");
    throw new RealiseError(`${argv.join(" ")}: ${why}${detail ? `: ${detail}` : ""}`);
  }
  return result;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Polls `probe` until it returns true or `timeoutMs` passes; returns whether it succeeded. The
 * first polls come after 1, 2, 4… ms, up to `intervalMs` apart: what settles at once (a cgroup
 * freezing or thawing) is seen at once instead of after a fixed interval.
 */
export async function waitFor(
  probe: () => Promise<boolean> | boolean,
  timeoutMs: number,
  intervalMs = 20,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 1; ; wait = Math.min(wait * 2, intervalMs)) {
    if (await probe()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(wait, intervalMs));
  }
}

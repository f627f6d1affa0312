import { spawn } from "node:child_process";

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

/**
 * Runs one host command (no shell) and collects its output. The only place the realiser spawns
 * short-lived commands, so every one has a timeout and a failure message fit for a task log.
 */
export function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const [file, ...args] = argv;
  if (file === undefined) throw new RealiseError("run: empty command");
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
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
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new RealiseError(`cannot run ${file}: ${e.message}`, { cause: e }));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const result = {
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        code: code ?? 128,
      };
      if (timedOut) {
        reject(new RealiseError(`${argv.join(" ")}: timed out after ${timeoutMs} ms`));
      } else if (result.code !== 0 && !options.allowFailure) {
        const why = signal ? `killed by ${signal}` : `exit ${result.code}`;
        const detail = (result.stderr.trim() || result.stdout.trim())
          .split("\n")
          .slice(-5)
          .join("; ");
        reject(new RealiseError(`${argv.join(" ")}: ${why}${detail ? `: ${detail}` : ""}`));
      } else {
        resolve(result);
      }
    });
    child.stdin.end(options.input ?? "");
  });
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

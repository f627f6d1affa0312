import { execa } from "execa";
import { ExecError } from "./errors.js";
import { CappedBuffer, streamFields } from "./output.js";
import { preamble, shellQuote } from "./shell.js";
import {
  validateRunOptions,
  DEFAULT_MAX_OUTPUT_BYTES,
  type ExecResult,
  type Executor,
  type RunOptions,
} from "./types.js";

/** The local machine as a target: there is only one, so the value carries nothing. */
export type LocalTarget = "local" | undefined;

/**
 * Runs commands on this machine with execa, under `bash -c`, with the same result shape as
 * {@link SshExecutor}. Each command gets its own process group so that a timeout kills all of it.
 */
export class LocalExecutor implements Executor<LocalTarget> {
  async run(_target: LocalTarget, command: string, options: RunOptions): Promise<ExecResult> {
    validateRunOptions(options);
    const started = performance.now();
    const limit = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const stdout = new CappedBuffer(limit, options.spill?.stdout);
    const stderr = new CappedBuffer(limit, options.spill?.stderr);
    // cwd through the shell, as over SSH: a missing directory is a failed command, not a spawn error.
    const script =
      options.cwd === undefined
        ? command
        : `${preamble({ cwd: options.cwd })}exec bash --norc -c ${shellQuote(command)}`;
    const child = execa("bash", ["-c", script], {
      env: options.env,
      extendEnv: true,
      input: options.stdin,
      stdin: options.stdin === undefined ? "ignore" : "pipe",
      buffer: false,
      reject: false,
      detached: true,
      encoding: "buffer",
    });
    let timedOut = false;
    const kill = (): void => {
      if (timedOut) return;
      timedOut = true;
      // Negative pid: the whole process group made by detached: true.
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(kill, options.timeoutMs);
    const onAbort = (): void => kill();
    if (options.signal?.aborted) kill();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    child.stdout?.on("data", (c: Buffer) => {
      stdout.push(c);
      options.onStdout?.(c);
    });
    child.stderr?.on("data", (c: Buffer) => {
      stderr.push(c);
      options.onStderr?.(c);
    });
    try {
      const result = await child;
      if (result.failed && result.exitCode === undefined && result.signal === undefined) {
        throw new ExecError("E_EXEC", `cannot run bash: ${result.shortMessage}`, { cause: result });
      }
      return {
        exitCode: result.exitCode ?? null,
        signal: result.signal ?? null,
        ...streamFields(stdout, stderr),
        durationMs: Math.round(performance.now() - started),
        timedOut,
      };
    } finally {
      stdout.end();
      stderr.end();
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    }
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {}
}

import { isTxboxError, redact, TxboxError, UsageError } from "@txbox/core";
import type { Host } from "@txbox/runtime";

/** Exit statuses of every txbox command (README "Exit status"). */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  denied: 3,
  rolledBack: 4,
} as const;

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Sessions and compiled policy kept warm by `txbox serve`; absent: opened per command. */
  host?: Host;
  /** When the command's process started and reached txbox, for `--json` timings. */
  clock?: CommandClock;
}

/**
 * The client side of a command's timeline, as epoch milliseconds (high resolution): the process
 * started, `main` began, and — through the daemon — the request was sent after `daemonMs` spent
 * reaching it.
 */
export interface CommandClock {
  processStart: number;
  mainStart: number;
  daemonMs?: number;
  sentAt?: number;
}

/** Now, as a high-resolution epoch time comparable across processes of this machine. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

export function defaultIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
  };
}

export function printJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(redact(value))}\n`);
}

export function println(io: Io, text = ""): void {
  io.stdout.write(`${text}\n`);
}

/** Render any failure for a person (or as JSON) and give its exit status; never a stack trace. */
export function reportError(io: Io, error: unknown, json: boolean): number {
  const err: TxboxError = isTxboxError(error)
    ? error
    : new TxboxError("E_INTERNAL", error instanceof Error ? error.message : String(error), {
        hint: "this is a bug in txbox; rerun with TXBOX_DEBUG=1 for the stack trace and report it",
      });
  if (json) {
    io.stdout.write(`${JSON.stringify(redact(err.toJSON()))}\n`);
  } else {
    io.stderr.write(`txbox: error [${err.code}]: ${err.message}\n`);
    if (err.hint) io.stderr.write(`hint: ${err.hint}\n`);
  }
  if (io.env.TXBOX_DEBUG && error instanceof Error && error.stack)
    io.stderr.write(`${error.stack}\n`);
  return err instanceof UsageError ? EXIT.usage : EXIT.failure;
}

/** Join the words after `--` into one command text: one word is taken as is, several are joined by spaces. */
export function commandText(words: string[]): string {
  if (words.length === 0)
    throw new UsageError("no command given", {
      hint: "put the command after --, e.g. txbox policy check -- 'rm -rf /'",
    });
  return words.length === 1 ? words[0]! : words.join(" ");
}

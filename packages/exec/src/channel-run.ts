/**
 * One command on an open exec channel: output capped and demultiplexed from the remote process
 * group's announcement, a timeout (or abort) that kills the whole group from a second channel,
 * and an end that tells a finished command from a connection lost mid-command.
 */
import type { ClientChannel } from "ssh2";
import { describe } from "./connect.js";
import { ExecError } from "./errors.js";
import { CappedBuffer, streamFields } from "./output.js";
import { PGID_MARKER, killGroupScript } from "./shell.js";
import {
  DEFAULT_MAX_OUTPUT_BYTES,
  type ExecResult,
  type RunOptions,
  type SshTarget,
} from "./types.js";

/** An exec channel and the exit status it reported (null until it does). */
export interface OpenChannel {
  channel: ClientChannel;
  exit: { code: number | null; signal: string | null };
}

export interface ChannelRun {
  open: OpenChannel;
  /** Opens a second channel on the same connection (for the kill). */
  openExec: (script: string) => Promise<OpenChannel>;
  target: SshTarget;
  options: RunOptions;
  /** `performance.now()` when the run began (the result's duration counts from it). */
  started: number;
  /** How long a killed command's channel may stay open before it is closed. */
  killGraceMs: number;
  /** Written to the command's stdin before `options.stdin`: the go line of a gated script. */
  go?: string;
}

/**
 * The command's stdout with its first line — the remote script's pgid announcement — taken off.
 * Output of a script that never announced (its first line is not the marker) is kept whole.
 */
class AnnouncedOutput {
  pgid: number | undefined;
  private head: Buffer | undefined = Buffer.alloc(0);

  /** The output part of `chunk`, empty while the first line is incomplete. */
  push(chunk: Buffer): { output: Buffer; announced: boolean } {
    if (this.head === undefined) return { output: chunk, announced: false };
    this.head = Buffer.concat([this.head, chunk]);
    const nl = this.head.indexOf(10);
    if (nl < 0) return { output: Buffer.alloc(0), announced: false };
    const line = this.head.subarray(0, nl).toString("utf8");
    const rest = this.head.subarray(nl + 1);
    this.head = undefined;
    if (line.startsWith(PGID_MARKER)) this.pgid = Number(line.slice(PGID_MARKER.length));
    return { output: rest, announced: true };
  }

  /** What is left of an unfinished first line at the end, unless it was the announcement. */
  rest(): Buffer | undefined {
    const head = this.head;
    if (head === undefined || head.length === 0 || head.toString().startsWith(PGID_MARKER))
      return undefined;
    return head;
  }
}

/**
 * Kill the remote process group from a second channel (the first is busy running the command),
 * once: a no-op until the group's id was announced.
 */
function groupKiller(run: ChannelRun, announced: AnnouncedOutput): () => void {
  let sent = false;
  return () => {
    const pgid = announced.pgid;
    if (sent || pgid === undefined || !Number.isInteger(pgid) || pgid <= 1) return;
    sent = true;
    run
      .openExec(killGroupScript(pgid))
      .then(({ channel: k }) => {
        k.on("data", () => undefined);
        k.stderr.on("data", () => undefined);
        k.end();
      })
      .catch(() => undefined);
  };
}

/** Collect the channel's output (without the group's announcement); `onAnnounced` when it arrives. */
function collectOutput(
  run: ChannelRun,
  announced: AnnouncedOutput,
  onAnnounced: () => void,
): { stdout: CappedBuffer; stderr: CappedBuffer } {
  const { channel } = run.open;
  const { options } = run;
  const limit = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const stdout = new CappedBuffer(limit, options.spill?.stdout);
  const stderr = new CappedBuffer(limit, options.spill?.stderr);
  channel.on("data", (chunk: Buffer) => {
    const { output, announced: now } = announced.push(chunk);
    if (now) onAnnounced();
    if (output.length === 0) return;
    stdout.push(output);
    options.onStdout?.(output);
  });
  channel.stderr.on("data", (chunk: Buffer) => {
    stderr.push(chunk);
    options.onStderr?.(chunk);
  });
  return { stdout, stderr };
}

export async function runOnChannel(run: ChannelRun): Promise<ExecResult> {
  const { open, options, target } = run;
  const { channel, exit } = open;
  const announced = new AnnouncedOutput();
  let timedOut = false;
  const killGroup = groupKiller(run, announced);
  // A timeout that fired before the pgid arrived is carried out when it arrives.
  const { stdout, stderr } = collectOutput(run, announced, () => {
    if (timedOut) killGroup();
  });

  return await new Promise<ExecResult>((resolve, reject) => {
    let graceTimer: NodeJS.Timeout | undefined;
    let settled = false;
    const kill = (): void => {
      if (timedOut) return;
      timedOut = true;
      killGroup();
      channel.signal("KILL");
      // sshd keeps the channel open while its child lives: do not wait on it forever.
      graceTimer = setTimeout(() => {
        channel.close();
        finish();
      }, run.killGraceMs);
    };
    const timer = setTimeout(kill, options.timeoutMs);
    const onAbort = (): void => kill();
    if (options.signal?.aborted) queueMicrotask(kill);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const cleanup = (): void => {
      stdout.end();
      stderr.end();
      clearTimeout(timer);
      if (graceTimer) clearTimeout(graceTimer);
      options.signal?.removeEventListener("abort", onAbort);
    };

    channel.on("error", (err: Error) => {
      if (settled) return;
      settled = true;
      cleanup();
      reject(
        new ExecError("E_EXEC", `${describe(target)}: channel failed: ${err.message}`, {
          details: { target: describe(target) },
          cause: err,
        }),
      );
    });
    const finish = (): void => {
      if (settled) return;
      settled = true;
      const rest = announced.rest();
      if (rest !== undefined) stdout.push(rest);
      cleanup();
      const { code: exitCode, signal: exitSignal } = exit;
      if (exitCode === null && exitSignal === null && !timedOut) {
        reject(lostMidCommand(target));
        return;
      }
      resolve({
        exitCode,
        signal: exitSignal,
        ...streamFields(stdout, stderr),
        durationMs: Math.round(performance.now() - run.started),
        timedOut,
      });
    };
    channel.on("close", finish);

    if (run.go !== undefined) channel.write(run.go);
    if (options.stdin !== undefined) channel.end(options.stdin);
    else channel.end();
  });
}

/** The connection died mid-command: it may or may not have run to completion. */
function lostMidCommand(target: SshTarget): ExecError {
  return new ExecError(
    "E_UNREACHABLE",
    `${describe(target)}: connection lost while the command ran`,
    {
      details: { target: describe(target), outcomeUnknown: true },
      retryable: false,
      hint: "the command may have had effects; treat its outcome as unknown",
    },
  );
}

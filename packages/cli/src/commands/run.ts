import type { Command } from "commander";
import { streamBytes, UsageError } from "@txbox/core";
import type { ExecuteResult, SessionOptions, Timings } from "@txbox/runtime";
import type { RecoveryReport, RunResult } from "@txbox/tx";
import type { Register } from "../main.js";
import {
  commandText,
  epochNow,
  EXIT,
  printJson,
  reportError,
  type CommandClock,
  type Io,
} from "../output.js";
import { withSession } from "../session.js";
import {
  parseDuration,
  parseGuest,
  printRecovery,
  recoveryEmpty,
  withTxCommon,
  type TxCommonOptions,
} from "./common-tx.js";

interface RunOptions extends TxCommonOptions {
  guest?: string;
  verify?: string[];
  keepSnapshot?: boolean;
  cwd?: string;
  timeout?: string;
  policy?: string[];
  exitCode?: boolean;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** The exit status of `txbox run` for an outcome. */
export function exitFor(result: Pick<RunResult, "outcome">): number {
  switch (result.outcome) {
    case "executed":
    case "committed":
      return EXIT.ok;
    case "denied":
      return EXIT.denied;
    case "rolled-back":
      return EXIT.rolledBack;
    default:
      return EXIT.failure;
  }
}

/**
 * `txbox run --exit-code`: txbox exits with the command's own status, as `ssh` and `docker run`
 * do, and keeps a few statuses for what is not the command's (after `timeout` and `docker run`):
 * 124 the command was killed by its timeout, 125 txbox failed (or rolled back a command that
 * exited 0: a `--verify` check or the guest's health failed, so its success did not stand),
 * 126 the gate denied it (it never ran).
 */
export const PASS_THROUGH = { timedOut: 124, txboxFailed: 125, denied: 126 } as const;

export function passThroughExit(result: Pick<RunResult, "outcome" | "exitCode">): number {
  const code = result.exitCode;
  switch (result.outcome) {
    case "denied":
      return PASS_THROUGH.denied;
    case "timed-out":
      return PASS_THROUGH.timedOut;
    case "executed":
    case "committed":
    case "rolled-back":
      if (typeof code !== "number") return PASS_THROUGH.txboxFailed;
      // a rollback of a command that succeeded is not the command's success
      if (result.outcome === "rolled-back" && code === 0) return PASS_THROUGH.txboxFailed;
      return code & 0xff;
    default:
      return PASS_THROUGH.txboxFailed;
  }
}

/** The body of `txbox run --json`: the fields the README documents, plus the detail the engine gives. */
export function runJson(r: RunResult): Record<string, unknown> {
  return {
    txid: r.txid,
    guest: r.guest.vmid,
    decision: r.decision,
    outcome: r.outcome,
    exitCode: r.exitCode,
    stdout: r.stdout,
    stderr: r.stderr,
    ...(r.streams === undefined ? {} : { streams: r.streams }),
    rules: r.rules,
    reason: r.reason,
    timings: r.timings,
    ...(r.alternative === undefined ? {} : { alternative: r.alternative }),
    ...(r.state === undefined ? {} : { state: r.state }),
    ...(r.verify === undefined ? {} : { verify: r.verify }),
    ...(r.error === undefined ? {} : { error: r.error }),
  };
}

function ms(n: number | undefined): string {
  return n === undefined ? "-" : `${Math.round(n)} ms`;
}

/**
 * The command's own output, byte for byte: stdout exactly as the command wrote it (what a pipe
 * after `txbox run` reads); stderr too, then txbox's own lines start on a line of their own.
 * A stream cut at the cap is followed by a note naming its full size and the file holding it.
 */
export function writeStreams(io: Pick<Io, "stdout" | "stderr">, r: RunResult): void {
  const out = streamBytes(r, "stdout");
  const err = streamBytes(r, "stderr");
  if (out.length > 0) io.stdout.write(out);
  if (err.length > 0) io.stderr.write(err);
  if (err.length > 0 && err[err.length - 1] !== 0x0a) io.stderr.write("\n");
  for (const which of ["stdout", "stderr"] as const) {
    const s = r.streams?.[which];
    if (s === undefined || !s.truncated) continue;
    const where = s.file === undefined ? (s.fileError ?? "not kept") : `whole in ${s.file}`;
    io.stderr.write(`txbox: ${which} cut at the cap: ${s.bytes} bytes in all, ${where}\n`);
  }
}

function printHuman(io: Io, r: ExecuteResult): void {
  const e = (t: string): void => void io.stderr.write(`${t}\n`);
  e(`txbox: ${r.decision.toUpperCase()} → ${r.outcome}  (tx ${r.txid}, guest ${r.guest.vmid})`);
  if (r.outcome === "denied") {
    e(`  rule: ${r.rules.join(", ") || "-"}`);
    e(`  why: ${r.reason}`);
    if (r.alternative) e(`  instead: ${r.alternative}`);
    return;
  }
  writeStreams(io, r);
  if (r.outcome !== "executed" && r.outcome !== "committed") e(`  why: ${r.reason}`);
  if (r.error) e(`  error [${r.error.code}]: ${r.error.message}`);
  const phases = Object.entries(r.timings)
    .filter(([k, v]) => k !== "totalMs" && typeof v === "number" && v >= 0.5)
    .map(([k, v]) => `${k.replace(/Ms$/, "")} ${ms(v as number)}`);
  e(`  exit ${r.exitCode ?? "-"} · ${phases.join(" · ")} · total ${ms(r.timings.totalMs)}`);
}

/** Options of {@link runCommand}, as `txbox run` parses them. */
export interface RunCommandInput extends SessionOptions {
  guest: number;
  command: string;
  checks?: string[];
  onRecovery?: (report: RecoveryReport) => void;
}

/**
 * `txbox run` callable in-process: one {@link Session.execute} (recover if needed, gate, run,
 * verify, record) on a session from the host, with the session's opening and closing timed.
 */
export async function runCommand(io: Io, input: RunCommandInput): Promise<ExecuteResult> {
  const { guest, command, checks, onRecovery, ...options } = input;
  const actor = io.env.TXBOX_ACTOR ?? io.env.USER;
  let done = 0;
  const r = await withSession(io, options, async (s, opened) => {
    const result = await s.execute({
      guest: { vmid: guest },
      command,
      ...(checks === undefined ? {} : { checks }),
      ...(actor === undefined || actor === "" ? {} : { actor }),
    });
    if (result.recovery !== undefined && !recoveryEmpty(result.recovery))
      onRecovery?.(result.recovery);
    done = performance.now();
    return { ...result, timings: { ...result.timings, sessionMs: opened.sessionMs } };
  });
  return { ...r, timings: { ...r.timings, closeMs: performance.now() - done } };
}

/**
 * The whole timeline of a command on `clock`: the client's part (process start, reaching the
 * daemon, sending the request) and the command's parsing, put before the runtime's phases, and
 * `totalMs` the wall time from process start until now. Pure but for the clock.
 */
export function commandTimings(
  t: Timings,
  clock: CommandClock | undefined,
  actionStart: number,
): Timings {
  if (clock === undefined) return t;
  const client =
    clock.sentAt === undefined
      ? { parseMs: actionStart - clock.mainStart }
      : {
          daemonMs: clock.sentAt - clock.mainStart,
          transferMs: Math.max(0, actionStart - clock.sentAt),
        };
  return {
    ...t,
    startMs: clock.mainStart - clock.processStart,
    ...client,
    totalMs: epochNow() - clock.processStart,
  };
}

export const registerRun: Register = (program, io, outcome) => {
  withTxCommon(program.command("run") as Command)
    .description(
      "gate a command and run it on a guest: directly (allow), never (deny) or inside a snapshot transaction (transact)",
    )
    .requiredOption("--guest <vmid>", "the guest to run on")
    .option(
      "--verify <cmd>",
      "a check that must exit 0 after the command, else roll back (repeatable)",
      collect,
    )
    .option(
      "--keep-snapshot",
      "keep the snapshot after a commit (txbox tx rollback can return to it)",
    )
    .option("--cwd <dir>", "the directory in the guest to run in")
    .option("--timeout <duration>", "budget of the command (e.g. 90s, 5m); default tx.execTimeout")
    .option("--policy <file>", "an extra rule pack (repeatable)", collect)
    .option("--no-daemon", "run in this process instead of through `txbox serve`")
    .option(
      "--exit-code",
      "exit with the command's own status (124 timed out, 125 txbox failed, 126 denied)",
    )
    .argument("[command...]", "the command, after --")
    .addHelpText(
      "after",
      "\nExit status: 0 executed or committed, 3 denied, 4 rolled back, 1 txbox failed, 2 usage.\nWith --exit-code: the command's own status; 124 timed out, 125 txbox failed (or rolled back a\ncommand that exited 0), 126 denied.\nExample: txbox run --guest 101 -- 'pip install -r requirements.txt'",
    )
    .action(async (words: string[], opts: RunOptions) => {
      if (!opts.exitCode) {
        outcome.code = await runAction(io, words, opts);
        return;
      }
      try {
        outcome.code = await runAction(io, words, opts);
      } catch (err) {
        // txbox's own failure must not pass for one of the command's statuses
        reportError(io, err, opts.json === true);
        outcome.code = PASS_THROUGH.txboxFailed;
      }
    });
};

/** Gate and run one command; its exit status as txbox reports it (or passes it through). */
async function runAction(io: Io, words: string[], opts: RunOptions): Promise<number> {
  const actionStart = epochNow();
  const guest = parseGuest(opts.guest);
  if (guest === undefined) throw new UsageError("--guest is required");
  const command = commandText(words);
  const result = await runCommand(io, {
    guest: guest.vmid,
    command,
    ...(opts.config === undefined ? {} : { config: opts.config }),
    ...(opts.policy === undefined ? {} : { policy: opts.policy }),
    ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
    ...(opts.keepSnapshot ? { keepSnapshot: true } : {}),
    ...(opts.timeout === undefined
      ? {}
      : { execTimeoutMs: parseDuration(opts.timeout, "--timeout") }),
    ...(opts.verify === undefined ? {} : { checks: opts.verify }),
    onRecovery: (report) => {
      if (!recoveryEmpty(report))
        printRecovery(io, report, (t) => void io.stderr.write(`txbox: ${t}\n`));
    },
  });
  const timed = { ...result, timings: commandTimings(result.timings, io.clock, actionStart) };
  if (opts.json) printJson(io, runJson(timed));
  else printHuman(io, timed);
  return opts.exitCode ? passThroughExit(result) : exitFor(result);
}

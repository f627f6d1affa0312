import type { Command } from "commander";
import { UsageError } from "@txbox/core";
import type { RunResult } from "@txbox/tx";
import type { Register } from "../main.js";
import { commandText, EXIT, printJson, type Io } from "../output.js";
import { parseDuration, withSession, type SessionOptions } from "../wiring/session.js";
import {
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

function printHuman(io: Io, r: RunResult): void {
  const e = (t: string): void => void io.stderr.write(`${t}\n`);
  e(`txbox: ${r.decision.toUpperCase()} → ${r.outcome}  (tx ${r.txid}, guest ${r.guest.vmid})`);
  if (r.outcome === "denied") {
    e(`  rule: ${r.rules.join(", ") || "-"}`);
    e(`  why: ${r.reason}`);
    if (r.alternative) e(`  instead: ${r.alternative}`);
    return;
  }
  if (r.stdout) io.stdout.write(r.stdout.endsWith("\n") ? r.stdout : `${r.stdout}\n`);
  if (r.stderr) io.stderr.write(r.stderr.endsWith("\n") ? r.stderr : `${r.stderr}\n`);
  if (r.outcome !== "executed" && r.outcome !== "committed") e(`  why: ${r.reason}`);
  if (r.error) e(`  error [${r.error.code}]: ${r.error.message}`);
  const t = r.timings;
  e(
    `  exit ${r.exitCode ?? "-"} · policy ${ms(t.policyMs)} · snapshot ${ms(t.snapshotMs)} · exec ${ms(t.execMs)} · verify ${ms(t.verifyMs)}` +
      (t.commitMs === undefined ? "" : ` · commit ${ms(t.commitMs)}`) +
      (t.rollbackMs === undefined ? "" : ` · rollback ${ms(t.rollbackMs)}`) +
      ` · total ${ms(t.totalMs)}`,
  );
}

/** Options of {@link runCommand}, as `txbox run` parses them. */
export interface RunCommandInput extends SessionOptions {
  guest: number;
  command: string;
  checks?: string[];
  /** Run `recover({guest})` first (default true). */
  recover?: boolean;
  onRecovery?: (report: import("@txbox/tx").RecoveryReport) => void;
}

/** Recover the guest, then gate and run one command: the whole of `txbox run`, callable in-process. */
export async function runCommand(io: Io, input: RunCommandInput): Promise<RunResult> {
  return await withSession(io, input, async (s) => {
    const guest = { vmid: input.guest };
    if (input.recover !== false) {
      const report = await s.engine.recover({ guest });
      input.onRecovery?.(report);
    }
    return await s.engine.run({
      guest,
      command: input.command,
      ...(input.cwd === undefined ? {} : { cwd: input.cwd }),
      checks: [...s.checksFor(guest), ...(input.checks ?? [])],
    });
  });
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
    .argument("[command...]", "the command, after --")
    .addHelpText(
      "after",
      "\nExit status: 0 executed or committed, 3 denied, 4 rolled back, 1 txbox failed, 2 usage.\nExample: txbox run --guest 101 -- 'pip install -r requirements.txt'",
    )
    .action(async (words: string[], opts: RunOptions) => {
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
          : { execTimeoutMs: usage(() => parseDuration(opts.timeout as string, "--timeout")) }),
        ...(opts.verify === undefined ? {} : { checks: opts.verify }),
        onRecovery: (report) => {
          if (!recoveryEmpty(report))
            printRecovery(io, report, (t) => void io.stderr.write(`txbox: ${t}\n`));
        },
      });
      if (opts.json) printJson(io, runJson(result));
      else printHuman(io, result);
      outcome.code = exitFor(result);
    });
};

function usage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

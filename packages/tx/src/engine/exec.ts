/** Executing the command: directly for an allowed command, or as a transaction's `execute` effect. */
import { errorMessage } from "@txbox/core";
import type { TxRecord } from "../journal.js";
import type { TxOutcome } from "../machine.js";
import type { ExecOptions, ExecResult } from "../ports.js";
import { digestScript } from "../verify.js";
import { digestOf, outputOf } from "./output.js";
import {
  crashPoint,
  errorInfo,
  requireRun,
  stopwatch,
  type DriveContext,
  type Engine,
  type Gated,
  type Outcome,
} from "./context.js";
import type { RunInput, RunResult, RunTimings } from "./types.js";

/** The options of one command's execution. */
export function execOptions(e: Engine, input: RunInput, label?: string): ExecOptions {
  return {
    timeoutMs: input.timeoutMs ?? e.options.execTimeoutMs ?? 600_000,
    ...(label === undefined ? {} : { label }),
    ...(input.cwd === undefined ? {} : { cwd: input.cwd }),
    ...(input.env === undefined ? {} : { env: input.env }),
  };
}

/** Why a command that ran past its budget ended. */
export function timedOutReason(timeoutMs: number): string {
  return `timed out: the command ran past its ${timeoutMs} ms budget and was killed`;
}

/** Effect `execute`: run the command; a transport failure leaves its outcome unknown. */
export async function execute(e: Engine, tx: TxRecord, ctx: DriveContext): Promise<Outcome> {
  const elapsed = stopwatch(e);
  const run = requireRun(ctx);
  const prepared = run.execPrepared;
  delete run.execPrepared;
  const p =
    prepared?.start() ?? e.exec.run(tx.guest, tx.command, execOptions(e, run.input, tx.txid));
  p.catch(() => {});
  // The verify probe's session (without protected paths: its ping's) is set up while the
  // command runs, and waits for verify.
  const paths = run.verifyPolicy.protectedPaths;
  if (run.verifyPolicy.requireReachable) {
    run.probePrepared = e.exec.prepare?.(
      tx.guest,
      paths.length > 0 ? digestScript(paths) : "true",
      {
        timeoutMs: paths.length > 0 ? run.verifyPolicy.timeoutMs : run.verifyPolicy.pingTimeoutMs,
        inline: true,
      },
    );
  }
  await crashPoint(e, ctx, "during-exec");
  let result: ExecResult;
  try {
    result = await p;
  } catch (error) {
    ctx.error = error;
    const message = `outcome unknown, the command's transport failed: ${errorMessage(error)}`;
    return {
      event: { type: "EXEC_UNKNOWN", error: message },
      patch: { error: message, timings: { execMs: elapsed() } },
    };
  }
  run.result = result;
  return {
    event: { type: "EXEC_DONE", exitCode: result.exitCode },
    patch: {
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut: result.timedOut,
      stdoutSha256: digestOf(result, "stdout"),
      stderrSha256: digestOf(result, "stderr"),
      timings: { execMs: elapsed() },
    },
  };
}

/** Run an allowed command directly (no snapshot) and audit it. */
export async function runDirect(e: Engine, g: Gated): Promise<RunResult> {
  const { base, decision, input, actor, policyMs, total } = g;
  const elapsed = stopwatch(e);
  let result: ExecResult | undefined;
  let error: unknown;
  try {
    result = await e.exec.run(input.guest, input.command, execOptions(e, input, base.txid));
  } catch (err) {
    error = err;
  }
  const timings: RunTimings = {
    policyMs,
    snapshotMs: 0,
    execMs: elapsed(),
    verifyMs: 0,
    totalMs: total(),
  };
  const outcome: TxOutcome =
    result === undefined ? "failed" : result.timedOut ? "timed-out" : "executed";
  const reason =
    result === undefined
      ? `the command could not run: ${errorMessage(error)}`
      : result.timedOut
        ? timedOutReason(execOptions(e, input).timeoutMs)
        : decision.reasons.join("; ") || "allowed";
  e.journal.audit({
    txid: base.txid,
    actor,
    guest: input.guest,
    command: input.command,
    decision: "allow",
    ruleIds: decision.ruleIds,
    reason,
    outcome,
    exitCode: result?.exitCode ?? null,
    stdoutSha256: result === undefined ? null : digestOf(result, "stdout"),
    stderrSha256: result === undefined ? null : digestOf(result, "stderr"),
    timings: { ...timings },
  });
  return {
    ...base,
    outcome,
    exitCode: result?.exitCode ?? null,
    ...outputOf(result),
    reason,
    ...(error === undefined ? {} : { error: errorInfo(error) }),
    timings,
  };
}

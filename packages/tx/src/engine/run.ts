/**
 * One command, end to end: gate it, then refuse it (deny), run it directly (allow) or drive a
 * transaction (transact), and write one audit record of what happened.
 */
import { UsageError, errorMessage, newId } from "@txbox/core";
import { pruneWindow } from "./commit.js";
import { NestedSnapshot, RecoveryFailed } from "../errors.js";
import type { TxRecord } from "../journal.js";
import { outcomeOf } from "../machine.js";
import { snapshotName } from "../snapshots.js";
import { guestKey, type PolicyDecision } from "../ports.js";
import { openTransaction, startBaseline } from "./begin.js";
import {
  cancelPrepared,
  crashPoint,
  errorInfo,
  isCrashSignal,
  type Engine,
  type Gated,
  type RunContext,
} from "./context.js";
import { drive } from "./drive.js";
import { execOptions, runDirect, timedOutReason } from "./exec.js";
import { outputOf } from "./output.js";
import { acquire, withLock } from "./locks.js";
import { recoverBeforeRun } from "./recover.js";
import type { RunInput, RunResult, RunTimings } from "./types.js";

/** Gate, then run a command: directly (allow), never (deny) or inside a transaction (transact). */
export async function run(e: Engine, input: RunInput): Promise<RunResult> {
  if (input.command.trim() === "") throw new UsageError("the command is empty");
  const t0 = e.clock.now();
  const total = (): number => e.clock.now() - t0;
  let decision = input.decision;
  if (decision === undefined) {
    if (e.options.decide === undefined) {
      throw new UsageError("no policy decision given and no decide function configured");
    }
    decision = await e.options.decide(input.command, input.guest);
  }
  const policyMs = total();
  const txid = newId(e.clock.now());
  const actor = input.actor ?? e.options.actor ?? null;
  const base = { txid, guest: input.guest, decision: decision.decision, rules: decision.ruleIds };
  const gated: Gated = { base, decision, input, actor, policyMs, total };
  switch (decision.decision) {
    case "deny":
      return refuse(e, gated);
    case "allow":
      return runDirect(e, gated);
    case "transact":
      return runTransaction(e, gated);
    default:
      throw new UsageError(`unknown policy decision ${JSON.stringify(decision.decision)}`);
  }
}

function refuse(e: Engine, g: Gated): RunResult {
  const { base, decision, input, actor, policyMs, total } = g;
  const reason = `policy violation: ${decision.reasons.join("; ") || "denied"}`;
  const timings: RunTimings = { policyMs, snapshotMs: 0, execMs: 0, verifyMs: 0, totalMs: total() };
  e.journal.audit({
    txid: base.txid,
    actor,
    guest: input.guest,
    command: input.command,
    decision: "deny",
    ruleIds: decision.ruleIds,
    reason,
    outcome: "denied",
    exitCode: null,
    stdoutSha256: null,
    stderrSha256: null,
    timings: { ...timings },
  });
  return {
    ...base,
    outcome: "denied",
    exitCode: null,
    stdout: "",
    stderr: "",
    reason,
    ...(decision.alternative === undefined ? {} : { alternative: decision.alternative }),
    timings,
  };
}

async function runTransaction(e: Engine, g: Gated): Promise<RunResult> {
  const { base, decision, input } = g;
  const guest = input.guest;
  // The checks before a snapshot (HA) run while the lock is taken and the intent journaled.
  e.snapshots.willCreate?.(guest, snapshotName(base.txid));
  // A prune this process left running holds the guest's lock: wait for it, not by polling.
  await e.background.get(guestKey(guest));
  const owner = await acquire(e, guest, base.txid);
  let pruneLater: TxRecord | undefined;
  let crashed = false;
  let ctx: RunContext | undefined;
  try {
    await recoverBeforeRun(e, guest);
    // Synced with the SNAPSHOTTING write that comes before any effect.
    let tx = e.journal.lazily(() => {
      const opened = openTransaction(e, base.txid, input, decision, g.actor);
      e.journal.setLockTx(guest, owner, opened.txid);
      return opened;
    });
    ctx = {
      input,
      crash: true,
      baseline: {},
      verifyPolicy: {
        ...e.verifyPolicy,
        checks: [...e.verifyPolicy.checks, ...(input.checks ?? [])],
        ...(input.cwd === undefined ? {} : { cwd: input.cwd }),
      },
    };
    startBaseline(e, guest, ctx);
    try {
      await crashPoint(e, ctx, "after-intent");
      tx = await drive(e, tx, { type: "BEGIN" }, ctx);
    } catch (error) {
      if (isCrashSignal(error)) crashed = true;
      throw error;
    }
    if (tx.state === "COMMITTED" && tx.keepSnapshot) {
      if (e.options.pruneInBackground) pruneLater = tx;
      else await pruneAfterCommit(e, tx);
    }
    return finish(e, g, tx, ctx);
  } finally {
    if (ctx !== undefined) cancelPrepared(ctx);
    // A simulated crash leaves the lock behind, as a real one would.
    if (!crashed) e.journal.unlock(guest, owner);
    if (pruneLater !== undefined) pruneInBackground(e, pruneLater);
  }
}

/** Prune the guest's window under its lock after the result is returned (see `pruneInBackground`). */
function pruneInBackground(e: Engine, tx: TxRecord): void {
  const key = guestKey(tx.guest);
  const p = withLock(e, tx.guest, null, () => pruneAfterCommit(e, tx))
    .catch((error: unknown) => {
      e.log("warn", `pruning the snapshot window failed: ${errorMessage(error)}`, {
        txid: tx.txid,
      });
    })
    .finally(() => {
      if (e.background.get(key) === p) e.background.delete(key);
    });
  e.background.set(key, p);
}

/** Keep the guest's rolling window; a prune that fails is retried at the next commit. */
async function pruneAfterCommit(e: Engine, tx: TxRecord): Promise<void> {
  try {
    const pruned = await pruneWindow(e, tx.guest);
    if (pruned.length > 0) {
      e.log("info", `pruned ${pruned.length} committed snapshot(s) outside the window`, {
        txid: tx.txid,
        pruned: pruned.map((p) => p.snapshot),
      });
    }
  } catch (error) {
    e.log("warn", `pruning the snapshot window failed: ${errorMessage(error)}`, { txid: tx.txid });
  }
}

/** Audit a driven transaction and build its result. */
function finish(e: Engine, g: Gated, tx: TxRecord, ctx: RunContext): RunResult {
  const { base, decision, input, actor, policyMs, total } = g;
  const timings: RunTimings = {
    policyMs,
    snapshotMs: tx.timings.snapshotMs ?? 0,
    execMs: tx.timings.execMs ?? 0,
    verifyMs: tx.timings.verifyMs ?? 0,
    ...(tx.timings.commitMs === undefined ? {} : { commitMs: tx.timings.commitMs }),
    ...(tx.timings.rollbackMs === undefined ? {} : { rollbackMs: tx.timings.rollbackMs }),
    totalMs: total(),
  };
  // A command killed by its budget and rolled back is `timed-out`, not an ordinary rollback.
  const timedOut = ctx.result?.timedOut === true && tx.state === "ROLLED_BACK";
  const outcome = timedOut ? "timed-out" : outcomeOf(tx.state);
  const reason = timedOut
    ? `${timedOutReason(execOptions(e, input).timeoutMs)}; rolled back`
    : reasonOf(tx, ctx, decision);
  // Synced by the unlock that follows before the result is returned.
  e.journal.lazily(() =>
    e.journal.audit({
      txid: tx.txid,
      actor,
      guest: input.guest,
      command: input.command,
      decision: "transact",
      ruleIds: decision.ruleIds,
      reason,
      outcome,
      exitCode: ctx.result?.exitCode ?? null,
      stdoutSha256: tx.stdoutSha256,
      stderrSha256: tx.stderrSha256,
      timings: { ...timings },
    }),
  );
  if (ctx.error instanceof NestedSnapshot && tx.state === "ABORTED") throw ctx.error;
  const failure =
    outcome === "failed" ? (ctx.error ?? new RecoveryFailed(tx.error ?? reason)) : undefined;
  return {
    ...base,
    outcome,
    exitCode: ctx.result?.exitCode ?? null,
    ...outputOf(ctx.result),
    reason,
    state: tx.state,
    ...(ctx.report === undefined ? {} : { verify: ctx.report }),
    ...(failure === undefined ? {} : { error: errorInfo(failure) }),
    timings,
  };
}

function reasonOf(tx: TxRecord, ctx: RunContext, decision: PolicyDecision): string {
  switch (tx.state) {
    case "COMMITTED":
      return decision.reasons.join("; ") || "verified and committed";
    case "COMMITTING":
      return `committed; the snapshot could not be removed yet (${tx.error ?? "unknown"}), \`txbox tx recover\` finishes it`;
    case "ROLLED_BACK":
      return `rolled back: ${ctx.report?.reasons.join("; ") ?? tx.error ?? "outcome unknown"}`;
    case "ABORTED":
      return `not run: ${tx.error ?? "aborted before executing"}`;
    default:
      return `transaction ${tx.state}: ${tx.error ?? "unknown error"}`;
  }
}

/**
 * Beginning a transaction: journal its intent, take the snapshot, then prepare (refuse a snapshot
 * that could not be rolled back to, record the digests of protected paths).
 */
import { errorMessage } from "@txbox/core";
import type { TxRecord } from "../journal.js";
import type { GuestRef, PolicyDecision } from "../ports.js";
import { snapshotName } from "../snapshots.js";
import { captureDigests } from "../verify.js";
import {
  crashPoint,
  requireRun,
  stopwatch,
  type DriveContext,
  type Engine,
  type Outcome,
  type RunContext,
} from "./context.js";
import { execOptions } from "./exec.js";
import { snapshotText } from "./record.js";
import { assertNewest } from "./rollback.js";
import type { RunInput } from "./types.js";

/** Journal the intent of a transaction (state INTENT), before any effect. */
export function openTransaction(
  e: Engine,
  txid: string,
  input: RunInput,
  decision: PolicyDecision,
  actor: string | null,
): TxRecord {
  return e.journal.createTx({
    txid,
    guest: input.guest,
    ...(actor === null ? {} : { actor }),
    command: input.command,
    decision: decision.decision,
    ruleIds: decision.ruleIds,
    reasons: decision.reasons,
    snapshotName: snapshotName(txid),
    keepSnapshot: (e.options.retention ?? "keep") === "keep",
  });
}

/**
 * Start reading the baseline digests. They are read-only and nothing else runs on the guest (we
 * hold its lock, and recovery of what an earlier run left is done): read while the intent is
 * synced and the snapshot is made rather than after, off the critical path. (Started as soon as
 * the lock is held: after the intent's fsync it was the transaction's tail now and then, loaded.)
 */
export function startBaseline(e: Engine, guest: GuestRef, run: RunContext): void {
  run.baselineP = captureDigests(
    e.exec,
    guest,
    run.verifyPolicy.protectedPaths,
    run.verifyPolicy.timeoutMs,
  );
  run.baselineP.catch(() => {});
}

/** Effect `createSnapshot`: take the transaction's snapshot. */
export async function createSnapshot(e: Engine, tx: TxRecord, ctx: DriveContext): Promise<Outcome> {
  const elapsed = stopwatch(e);
  const p = e.snapshots.create(tx.guest, tx.snapshotName, snapshotText(e, tx, tx.state));
  p.catch(() => {});
  if ("input" in ctx) {
    const run = requireRun(ctx);
    // The command's guest session too (sshd's fork, the login shell): it waits for the execute
    // effect's go, after the snapshot and the journaled EXECUTING, before running anything.
    run.execPrepared = e.exec.prepare?.(tx.guest, tx.command, execOptions(e, run.input, tx.txid));
    if (run.baselineP === undefined) startBaseline(e, tx.guest, run);
  }
  await crashPoint(e, ctx, "during-snapshot");
  try {
    await p;
  } catch (error) {
    ctx.error = error;
    const message = `snapshot ${tx.snapshotName} failed: ${errorMessage(error)}`;
    return {
      event: { type: "SNAPSHOT_FAILED", error: message },
      patch: { error: message, timings: { snapshotMs: elapsed() } },
    };
  }
  return { event: { type: "SNAPSHOT_OK" }, patch: { timings: { snapshotMs: elapsed() } } };
}

/** Effect `prepare`: check the snapshot can be rolled back to and take the verify baseline. */
export async function prepare(e: Engine, tx: TxRecord, ctx: DriveContext): Promise<Outcome> {
  const elapsed = stopwatch(e);
  await crashPoint(e, ctx, "after-snapshot");
  const run = requireRun(ctx);
  try {
    await assertNewest(e, tx.guest, tx.snapshotName);
    run.baseline = await (run.baselineP ??
      captureDigests(
        e.exec,
        tx.guest,
        run.verifyPolicy.protectedPaths,
        run.verifyPolicy.timeoutMs,
      ));
  } catch (error) {
    ctx.error = error;
    const message = `preparation failed: ${errorMessage(error)}`;
    return { event: { type: "ABORT", error: message }, patch: { error: message } };
  }
  return {
    event: { type: "PREPARED" },
    patch: { baseline: run.baseline, timings: { prepareMs: elapsed() } },
  };
}

/**
 * Rolling back: restore the transaction's snapshot (the port stops, restores and starts the
 * guest), retried a few times, then wait until the guest answers over SSH.
 */
import { TimeoutError, TxboxError, errorMessage } from "@txbox/core";
import { NestedSnapshot, RollbackFailed } from "../errors.js";
import type { TxRecord } from "../journal.js";
import { next, type TxEvent, type TxState } from "../machine.js";
import { removeSnapshot } from "./commit.js";
import { guestKey, type GuestRef } from "../ports.js";
import { newerSnapshots } from "../snapshots.js";
import { crashPoint, stopwatch, type DriveContext, type Engine, type Outcome } from "./context.js";

/** Effect `rollback`: restore the snapshot; a failure ends FAILED with the snapshot kept. */
export async function rollback(e: Engine, tx: TxRecord, ctx: DriveContext): Promise<Outcome> {
  const elapsed = stopwatch(e);
  const guest = tx.guest;
  // Reverting a commit undoes every later one: journal that and drop their snapshots first (on
  // storage that rolls back only to the newest snapshot they would block the rollback).
  if (tx.state === "REVERTING") ctx.superseded = await supersedeLater(e, tx);
  const p = restoreWithRetries(e, guest, tx.snapshotName, tx.txid);
  p.catch(() => {});
  await crashPoint(e, ctx, "during-rollback");
  try {
    await p;
  } catch (error) {
    const message = `rollback to ${tx.snapshotName} failed: ${errorMessage(error)}`;
    // The failed rollback, not what caused it, is what the operator must act on.
    ctx.error =
      error instanceof TxboxError
        ? error
        : new RollbackFailed(message, {
            cause: error,
            details: { vmid: guest.vmid, node: guest.node, snapshot: tx.snapshotName },
            hint: `The snapshot ${tx.snapshotName} is kept: roll back to it by hand`,
          });
    return {
      event: { type: "ROLLBACK_FAILED", error: message },
      patch: { error: message, timings: { rollbackMs: elapsed() } },
    };
  }
  return { event: { type: "ROLLBACK_OK" }, patch: { timings: { rollbackMs: elapsed() } } };
}

/** Whether `t` began after `tx` (journal order: creation time, then the time-ordered txid). */
function isLater(t: TxRecord, tx: TxRecord): boolean {
  return t.createdAt > tx.createdAt || (t.createdAt === tx.createdAt && t.txid > tx.txid);
}

/** The guest's transactions that began after `tx` and are in one of `states`. */
export function laterTxs(e: Engine, tx: TxRecord, states: TxState[]): TxRecord[] {
  return e.journal.listTxs({ guest: tx.guest, states }).filter((t) => isLater(t, tx));
}

/**
 * Mark every later COMMITTED transaction of the guest as undone by the revert of `tx` (SUPERSEDED →
 * REVERTED, journaled first), then remove the snapshots such transactions still hold. Idempotent:
 * a repeat after a crash finds them REVERTED and finishes the removals.
 */
export async function supersedeLater(e: Engine, tx: TxRecord): Promise<string[]> {
  const superseded: string[] = [];
  for (const t of laterTxs(e, tx, ["COMMITTED"])) {
    const event: TxEvent = { type: "SUPERSEDED", by: tx.txid };
    const step = next(t.state, event);
    e.journal.transition(t.txid, t.state, step.state, event, {
      error: `undone by the rollback of transaction ${tx.txid}`,
    });
    superseded.push(t.txid);
  }
  for (const t of laterTxs(e, tx, ["REVERTED"]).filter((x) => !x.snapshotRemoved)) {
    const outcome = await removeSnapshot(e, t);
    if (outcome?.patch) e.journal.update(t.txid, outcome.patch);
  }
  return superseded;
}

/**
 * Snapshots newer than `tx`'s that a revert of `tx` may not discard: not txbox's, or held by a
 * transaction that is not a later commit (a FAILED one keeps its snapshot for the operator).
 */
export async function blockingNewer(e: Engine, tx: TxRecord): Promise<string[]> {
  const discardable = new Set(
    laterTxs(e, tx, ["COMMITTED", "REVERTED"]).map((t) => t.snapshotName),
  );
  return newerSnapshots(await e.snapshots.list(tx.guest), tx.snapshotName).filter(
    (name) => !discardable.has(name),
  );
}

/** On storage that rolls back only to the newest snapshot, refuse if a newer one exists. */
export async function assertNewest(e: Engine, guest: GuestRef, name: string): Promise<void> {
  if (
    e.snapshots.rollbackOnlyNewest === undefined ||
    !(await e.snapshots.rollbackOnlyNewest(guest))
  )
    return;
  const newer = newerSnapshots(await e.snapshots.list(guest), name);
  if (newer.length > 0) {
    throw new NestedSnapshot(
      `guest ${guestKey(guest)} rolls back only to its newest snapshot, and ${newer.join(", ")} is newer than ${name}`,
      {
        details: { vmid: guest.vmid, node: guest.node, snapshot: name, newer },
        hint: "Remove the newer snapshots (or commit the outer transaction) before using this snapshot",
      },
    );
  }
}

/** {@link restore}, tried up to `rollbackAttempts` times; a nested-snapshot refusal is final. */
async function restoreWithRetries(
  e: Engine,
  guest: GuestRef,
  name: string,
  txid: string,
): Promise<void> {
  const attempts = Math.max(1, e.options.rollbackAttempts ?? 3);
  for (let attempt = 1; ; attempt++) {
    try {
      return await restore(e, guest, name);
    } catch (error) {
      if (attempt >= attempts || error instanceof NestedSnapshot) throw error;
      e.log("warn", `rollback to ${name} failed (attempt ${attempt}/${attempts}), retrying`, {
        txid,
        error: errorMessage(error),
      });
      await e.clock.sleep(250 * attempt);
    }
  }
}

/** Roll back (the port stops, restores and starts the guest), then wait for SSH. */
async function restore(e: Engine, guest: GuestRef, name: string): Promise<void> {
  await assertNewest(e, guest, name);
  await e.snapshots.rollback(guest, name);
  if (e.snapshots.start !== undefined && !(await e.snapshots.state(guest)).running) {
    await e.snapshots.start(guest);
  }
  await waitForSsh(e, guest);
}

/**
 * Probe SSH from the moment the guest has started until it answers or the budget is spent. sshd
 * comes up within tens of milliseconds of a container's start, so the probes begin 10 ms apart and
 * back off to `pollMs`.
 */
export async function waitForSsh(e: Engine, guest: GuestRef): Promise<void> {
  const budget = e.options.sshWaitTimeoutMs ?? 120_000;
  const deadline = e.clock.now() + budget;
  const maxPause = e.options.pollMs ?? 100;
  for (let pause = Math.min(10, maxPause); ; pause = Math.min(maxPause, pause * 2)) {
    const remaining = deadline - e.clock.now();
    if (remaining <= 0) break;
    const timeoutMs = Math.min(e.verifyPolicy.pingTimeoutMs, remaining);
    // A guest that is still booting may refuse or reset connections: that is "not yet".
    const up = await e.exec.ping(guest, { timeoutMs }).catch(() => false);
    if (up) return;
    await e.clock.sleep(Math.min(pause, Math.max(0, deadline - e.clock.now())));
  }
  throw new TimeoutError(
    `guest ${guestKey(guest)} did not answer over SSH within ${budget} ms after the rollback`,
    { details: { vmid: guest.vmid, node: guest.node, timeoutMs: budget } },
  );
}

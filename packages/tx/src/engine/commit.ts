/**
 * Committing: keep or delete the transaction's snapshot, as retention says; removing snapshots
 * that are no longer needed (after a rollback, an abort, or when pruning kept ones).
 */
import { UsageError, errorMessage } from "@txbox/core";
import type { TxRecord } from "../journal.js";
import { guestKey, type GuestRef } from "../ports.js";
import { crashPoint, stopwatch, type DriveContext, type Engine, type Outcome } from "./context.js";
import { withLock } from "./locks.js";
import { recordCommitted } from "./record.js";
import { DEFAULT_WINDOW, type PrunedSnapshot, type RetentionWindow } from "./types.js";

/** Effect `commit`: delete the snapshot unless it is kept; a failed delete is left to recovery. */
export async function commit(
  e: Engine,
  tx: TxRecord,
  ctx: DriveContext,
  keepSnapshot: boolean,
): Promise<Outcome> {
  const elapsed = stopwatch(e);
  if (!keepSnapshot) {
    const p = e.snapshots.remove(tx.guest, tx.snapshotName);
    p.catch(() => {});
    await crashPoint(e, ctx, "during-commit");
    try {
      await p;
    } catch (error) {
      const message = `commit: removing snapshot ${tx.snapshotName} failed: ${errorMessage(error)}`;
      return { event: { type: "COMMIT_FAILED", error: message }, patch: { error: message } };
    }
  } else {
    await crashPoint(e, ctx, "during-commit");
    await recordCommitted(e, tx);
  }
  return {
    event: { type: "COMMIT_OK" },
    patch: { snapshotRemoved: !keepSnapshot, timings: { commitMs: elapsed() } },
  };
}

/** Effect `removeSnapshot`: best effort; a snapshot left behind is an orphan recovery removes. */
export async function removeSnapshot(e: Engine, tx: TxRecord): Promise<Outcome> {
  try {
    await e.snapshots.remove(tx.guest, tx.snapshotName);
  } catch (error) {
    e.log("warn", `could not remove snapshot ${tx.snapshotName}: ${errorMessage(error)}`, {
      txid: tx.txid,
    });
    return undefined;
  }
  return { patch: { snapshotRemoved: true } };
}

/** Committed transactions of a guest whose snapshot is kept, newest first. */
export function keptCommits(e: Engine, guest?: GuestRef): TxRecord[] {
  return e.journal
    .listTxs({ ...(guest ? { guest } : {}), states: ["COMMITTED"] })
    .filter((t) => t.keepSnapshot && !t.snapshotRemoved);
}

/**
 * The kept commits that fall out of `window`: beyond the newest `keepLast` of their guest, or
 * older than `keepForMs`. Pure given the list (newest first) and the time.
 */
export function outsideWindow(
  kept: readonly TxRecord[],
  window: RetentionWindow,
  now: number,
): TxRecord[] {
  const seen = new Map<string, number>();
  return kept.filter((t) => {
    const rank = seen.get(guestKey(t.guest)) ?? 0;
    seen.set(guestKey(t.guest), rank + 1);
    return (
      rank >= window.keepLast || (window.keepForMs > 0 && now - t.createdAt > window.keepForMs)
    );
  });
}

/**
 * Remove the snapshots of kept commits on one guest whose lock the caller holds. Each removal is
 * idempotent and journaled after it succeeds: a crash in between leaves a record that the next
 * prune (or `tx rollback`, which finds the snapshot gone) corrects.
 */
async function removeKept(e: Engine, drop: readonly TxRecord[]): Promise<PrunedSnapshot[]> {
  const pruned: PrunedSnapshot[] = [];
  for (const t of drop) {
    await e.snapshots.remove(t.guest, t.snapshotName);
    e.journal.update(t.txid, { snapshotRemoved: true }, "COMMITTED");
    pruned.push({ txid: t.txid, guest: t.guest, snapshot: t.snapshotName });
  }
  return pruned;
}

/** Prune the rolling window of a guest whose lock the caller holds (after a commit). */
export async function pruneWindow(e: Engine, guest: GuestRef): Promise<PrunedSnapshot[]> {
  const window = e.options.window ?? DEFAULT_WINDOW;
  return removeKept(e, outsideWindow(keptCommits(e, guest), window, e.clock.now()));
}

/** Delete kept snapshots of committed transactions beyond the newest `keepLast` per guest. */
export async function pruneSnapshots(
  e: Engine,
  options: { guest?: GuestRef; keepLast: number; keepForMs?: number },
): Promise<PrunedSnapshot[]> {
  if (!Number.isInteger(options.keepLast) || options.keepLast < 0) {
    throw new UsageError(`keepLast must be a non-negative integer, got ${options.keepLast}`);
  }
  const window = { keepLast: options.keepLast, keepForMs: options.keepForMs ?? 0 };
  const drop = outsideWindow(keptCommits(e, options.guest), window, e.clock.now());
  const byGuest = new Map<string, TxRecord[]>();
  for (const t of drop)
    byGuest.set(guestKey(t.guest), [...(byGuest.get(guestKey(t.guest)) ?? []), t]);
  const pruned: PrunedSnapshot[] = [];
  for (const txs of byGuest.values()) {
    const guest = (txs[0] as TxRecord).guest;
    pruned.push(...(await withLock(e, guest, null, () => removeKept(e, txs))));
  }
  return pruned;
}

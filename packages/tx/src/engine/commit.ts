/**
 * Committing: keep or delete the transaction's snapshot, as retention says; removing snapshots
 * that are no longer needed (after a rollback, an abort, or when pruning kept ones).
 */
import { UsageError, errorMessage } from "@txbox/core";
import type { TxRecord } from "../journal.js";
import { guestKey } from "../ports.js";
import { crashPoint, stopwatch, type DriveContext, type Engine, type Outcome } from "./context.js";
import { withLock } from "./locks.js";
import type { PrunedSnapshot } from "./types.js";

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

/** Delete kept snapshots of committed transactions beyond the newest `keepLast` per guest. */
export async function pruneSnapshots(
  e: Engine,
  options: { guest?: TxRecord["guest"]; keepLast: number },
): Promise<PrunedSnapshot[]> {
  if (!Number.isInteger(options.keepLast) || options.keepLast < 0) {
    throw new UsageError(`keepLast must be a non-negative integer, got ${options.keepLast}`);
  }
  const kept = e.journal
    .listTxs({ ...(options.guest ? { guest: options.guest } : {}), states: ["COMMITTED"] })
    .filter((t) => t.keepSnapshot && !t.snapshotRemoved);
  const byGuest = new Map<string, TxRecord[]>();
  for (const t of kept)
    byGuest.set(guestKey(t.guest), [...(byGuest.get(guestKey(t.guest)) ?? []), t]);
  const pruned: PrunedSnapshot[] = [];
  for (const txs of byGuest.values()) {
    const drop = txs.slice(options.keepLast);
    if (drop.length === 0) continue;
    const guest = (drop[0] as TxRecord).guest;
    await withLock(e, guest, null, async () => {
      for (const t of drop) {
        await e.snapshots.remove(guest, t.snapshotName);
        e.journal.update(t.txid, { snapshotRemoved: true });
        pruned.push({ txid: t.txid, guest, snapshot: t.snapshotName });
      }
    });
  }
  return pruned;
}

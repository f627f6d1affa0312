/** Reverting a committed transaction: roll its guest back to the snapshot the commit kept. */
import { NestedSnapshot, RecoveryFailed, TxStateError } from "../errors.js";
import type { TxRecord } from "../journal.js";
import type { DriveContext, Engine } from "./context.js";
import { drive } from "./drive.js";
import { withLock } from "./locks.js";
import { blockingNewer } from "./rollback.js";
import { guestKey } from "../ports.js";

/**
 * Return the guest to its state before a committed transaction whose snapshot was kept. Later
 * commits on the guest are undone with it: they end REVERTED (SUPERSEDED) and their snapshots are
 * removed. Refuses with `NestedSnapshot` on zfspool when a newer snapshot that is not a later
 * commit's exists, `TxStateError` when the transaction is not committed or its snapshot is gone.
 */
export async function revertCommitted(
  e: Engine,
  txid: string,
): Promise<TxRecord & { superseded: string[] }> {
  const tx0 = e.journal.getTx(txid);
  return withLock(e, tx0.guest, txid, async () => {
    const tx = e.journal.getTx(txid);
    if (tx.state !== "COMMITTED" || tx.snapshotRemoved) {
      throw new TxStateError(
        `transaction ${txid} is ${tx.state}${tx.snapshotRemoved ? " and its snapshot was removed" : ""}; only a committed transaction with a kept snapshot can be rolled back`,
        { details: { txid, state: tx.state }, hint: "Keep snapshots with tx.retention: keep" },
      );
    }
    const snapshots = await e.snapshots.list(tx.guest);
    if (!snapshots.some((s) => s.name === tx.snapshotName)) {
      e.journal.update(txid, { snapshotRemoved: true });
      throw new TxStateError(
        `snapshot ${tx.snapshotName} of transaction ${txid} no longer exists`,
        {
          details: { txid, snapshot: tx.snapshotName },
        },
      );
    }
    await refuseBlocked(e, tx);
    const ctx: DriveContext = { crash: false };
    const done = await drive(e, tx, { type: "REVERT_BEGIN" }, ctx);
    if (done.state !== "REVERTED") {
      throw new RecoveryFailed(
        `rollback of transaction ${txid} failed: ${done.error ?? done.state}`,
        {
          details: { txid, state: done.state },
          cause: ctx.error,
        },
      );
    }
    return { ...done, superseded: ctx.superseded ?? [] };
  });
}

/**
 * On storage that rolls back only to the newest snapshot, refuse when a newer snapshot exists that
 * the revert may not discard (later commits' snapshots it discards itself).
 */
async function refuseBlocked(e: Engine, tx: TxRecord): Promise<void> {
  if (
    e.snapshots.rollbackOnlyNewest === undefined ||
    !(await e.snapshots.rollbackOnlyNewest(tx.guest))
  )
    return;
  const blocking = await blockingNewer(e, tx);
  if (blocking.length === 0) return;
  throw new NestedSnapshot(
    `guest ${guestKey(tx.guest)} rolls back only to its newest snapshot, and ${blocking.join(", ")} is newer than ${tx.snapshotName} and not a later txbox commit`,
    {
      details: { txid: tx.txid, snapshot: tx.snapshotName, newer: blocking },
      hint: "Remove those snapshots (or resolve the failed transactions that hold them) first",
    },
  );
}

/** Reverting a committed transaction: roll its guest back to the snapshot the commit kept. */
import { RecoveryFailed, TxStateError } from "../errors.js";
import type { TxRecord } from "../journal.js";
import type { DriveContext, Engine } from "./context.js";
import { drive } from "./drive.js";
import { withLock } from "./locks.js";
import { assertNewest } from "./rollback.js";

/**
 * Return the guest to its state before a committed transaction whose snapshot was kept.
 * Refuses with `NestedSnapshot` on zfspool when newer snapshots exist, `TxStateError` when
 * the transaction is not committed or its snapshot is gone.
 */
export async function revertCommitted(e: Engine, txid: string): Promise<TxRecord> {
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
    await assertNewest(e, tx.guest, tx.snapshotName);
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
    return done;
  });
}

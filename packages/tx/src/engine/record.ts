/**
 * The record a transaction's snapshot carries (record.ts): written when the snapshot is taken and
 * again when a commit keeps it, so that any orchestrator reading the cluster sees its state.
 */
import { errorMessage } from "@txbox/core";
import type { TxRecord } from "../journal.js";
import type { TxState } from "../machine.js";
import { encodeRecord, newRecord, orchestratorId } from "../record.js";
import { snapshotDescription } from "../snapshots.js";
import type { Engine } from "./context.js";

/** The description of `tx`'s snapshot in `state`: its record, or the bare marker without one. */
export function snapshotText(e: Engine, tx: TxRecord, state: TxState): string {
  const r = e.options.record;
  if (r === undefined) return snapshotDescription(tx.txid);
  return encodeRecord(
    newRecord({
      txid: tx.txid,
      state,
      command: tx.command,
      orchestrator: r.orchestrator,
      startedAt: tx.createdAt,
      leaseUntil: r.leaseUntil?.(tx.guest) ?? 0,
      keep: tx.keepSnapshot,
    }),
  );
}

/**
 * Record on a kept snapshot that its transaction committed, before the journal says so: an
 * orchestrator recovering the guest from the cluster then keeps the commit instead of undoing it.
 * A failure is logged, not fatal: the commit stands, the record says less than the journal.
 */
export async function recordCommitted(e: Engine, tx: TxRecord): Promise<void> {
  if (e.options.record === undefined || e.snapshots.describe === undefined) return;
  try {
    await e.snapshots.describe(tx.guest, tx.snapshotName, snapshotText(e, tx, "COMMITTED"));
  } catch (error) {
    e.log(
      "warn",
      `could not record the commit on snapshot ${tx.snapshotName}: ${errorMessage(error)}`,
      {
        txid: tx.txid,
      },
    );
  }
}

/** Whether a snapshot's record names another orchestrator than this engine's. */
export function foreignRecord(e: Engine, owner: string | undefined): boolean {
  const me = e.options.record?.orchestrator;
  return me !== undefined && owner !== undefined && owner !== orchestratorId(me);
}

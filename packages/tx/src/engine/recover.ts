/**
 * Recovery: drive every open transaction to a terminal state, clear stale `snapshot-delete`
 * locks, remove orphan `txbox-*` snapshots and release stale guest locks. Idempotent.
 */
import { errorMessage } from "@txbox/core";
import { RecoveryFailed } from "../errors.js";
import type { LockOwner, TxPatch } from "../journal.js";
import { ownerAlive } from "../lock.js";
import { isTerminal, TX_STATES, type TxEvent, type TxState } from "../machine.js";
import { guestKey, type GuestRef } from "../ports.js";
import { txidOfSnapshot } from "../snapshots.js";
import type { DriveContext, Engine } from "./context.js";
import { drive } from "./drive.js";
import { acquireOnce } from "./locks.js";
import { foreignRecord } from "./record.js";
import { decodeRecord, orchestratorId } from "../record.js";
import { emptyReport, parseGuestKey, type RecoveryReport } from "./types.js";

/** States from which a transaction still has automatic steps to take. */
export const OPEN_STATES: TxState[] = TX_STATES.filter((s) => !isTerminal(s));

/** Recover one guest, or every guest the journal knows. Guests locked by a live process are skipped. */
export async function recover(
  e: Engine,
  options: { guest?: GuestRef } = {},
): Promise<RecoveryReport> {
  const report = emptyReport();
  const keys = new Set<string>();
  if (options.guest !== undefined) keys.add(guestKey(options.guest));
  else for (const key of e.journal.guestKeys()) keys.add(key);
  for (const key of [...keys].sort()) {
    const guest = options.guest !== undefined ? options.guest : parseGuestKey(key);
    // A guest destroyed since its transactions ran has nothing left to recover; say so, go on.
    if (e.snapshots.exists !== undefined && !(await e.snapshots.exists(guest).catch(() => true))) {
      report.skipped.push({ guest, reason: `guest ${key} no longer exists` });
      continue;
    }
    const stale = e.journal.locks().find((l) => l.guestKey === key && !ownerAlive(l.owner));
    let owner: LockOwner;
    try {
      owner = acquireOnce(e, guest);
    } catch (error) {
      report.skipped.push({ guest, reason: errorMessage(error) });
      continue;
    }
    if (stale !== undefined) {
      report.staleLocksReleased.push({ guestKey: key, pid: stale.owner.pid, txid: stale.txid });
    }
    try {
      await recoverHeldGuest(e, guest, report);
    } catch (error) {
      report.errors.push({ guest, message: errorMessage(error) });
    } finally {
      e.journal.unlock(guest, owner);
    }
  }
  return report;
}

/** Recover a guest whose lock the caller holds, or throw {@link RecoveryFailed} if it cannot. */
export async function recoverBeforeRun(e: Engine, guest: GuestRef): Promise<void> {
  // Any open transaction on a guest whose lock we hold was abandoned by a crashed process.
  if (e.journal.listTxs({ guest, states: OPEN_STATES, limit: 1 }).length === 0) return;
  const report = emptyReport();
  await recoverHeldGuest(e, guest, report);
  if (report.errors.length > 0) {
    throw new RecoveryFailed(
      `guest ${guestKey(guest)} has a transaction recovery could not finish`,
      {
        details: { vmid: guest.vmid, node: guest.node, errors: report.errors },
        hint: "Inspect it with `txbox tx list` and `txbox tx recover`",
      },
    );
  }
}

/** Recovery of one guest whose lock is held: every open transaction on it is abandoned. */
async function recoverHeldGuest(e: Engine, guest: GuestRef, report: RecoveryReport): Promise<void> {
  const open = e.journal.listTxs({ guest, states: OPEN_STATES }).reverse();
  const lock = await settledLock(e, guest);
  if (lock === "snapshot-delete") {
    await e.snapshots.unlock(guest);
    report.unlocked.push(guest);
  } else if (lock !== undefined) {
    throw new RecoveryFailed(`guest ${guestKey(guest)} stays locked (${lock})`, {
      details: { vmid: guest.vmid, node: guest.node, lock },
      hint: "A Proxmox task holds the guest; retry recovery when it has finished",
    });
  }
  const ctx: DriveContext = { crash: false };
  for (const tx of open) {
    const exists = (await e.snapshots.list(guest)).some((s) => s.name === tx.snapshotName);
    const event: TxEvent = {
      type: "RECOVER",
      snapshotExists: exists,
      keepSnapshot: tx.keepSnapshot,
    };
    const patch: TxPatch = exists
      ? {}
      : { error: tx.error ?? `snapshot ${tx.snapshotName} is gone` };
    try {
      const done = await drive(e, tx, event, ctx, patch);
      report.transactions.push({ txid: tx.txid, guest, from: tx.state, to: done.state });
      if (!isTerminal(done.state)) {
        report.errors.push({
          guest,
          txid: tx.txid,
          message: `still ${done.state}: ${done.error ?? ""}`,
        });
      }
    } catch (error) {
      report.errors.push({ guest, txid: tx.txid, message: errorMessage(error) });
    }
  }
  await removeOrphans(e, guest, report);
}

/**
 * The guest's Proxmox lock once it stops changing: a task still running server-side (say, the
 * snapshot delete of a crashed commit) holds it for a while; one that outlives the wait is stale.
 */
async function settledLock(e: Engine, guest: GuestRef): Promise<string | undefined> {
  const deadline = e.clock.now() + (e.options.lockSettleMs ?? 30_000);
  for (;;) {
    const { lock } = await e.snapshots.state(guest);
    if (lock === undefined || e.clock.now() >= deadline) return lock;
    await e.clock.sleep(e.options.pollMs ?? 100);
  }
}

/** Remove `txbox-*` snapshots that belong to no open, kept or failed transaction. */
async function removeOrphans(e: Engine, guest: GuestRef, report: RecoveryReport): Promise<void> {
  for (const snap of await e.snapshots.list(guest)) {
    const txid = txidOfSnapshot(snap.name);
    if (txid === undefined) continue;
    const tx = e.journal.findTx(txid);
    // Another orchestrator's transaction: it, or a recovery from the cluster, deals with it.
    if (tx === undefined && foreignRecord(e, ownerOf(snap.description))) continue;
    if (tx !== undefined) {
      if (!isTerminal(tx.state) || tx.state === "FAILED") continue;
      if (tx.state === "COMMITTED" && tx.keepSnapshot && !tx.snapshotRemoved) continue;
    }
    await e.snapshots.remove(guest, snap.name);
    if (tx !== undefined) e.journal.update(tx.txid, { snapshotRemoved: true });
    report.orphansRemoved.push({ guest, snapshot: snap.name });
  }
}

/** The orchestrator id a snapshot description's record names, if it has one. */
function ownerOf(description: string | undefined): string | undefined {
  const r = decodeRecord(description);
  return r === undefined || r.v === 0 ? undefined : orchestratorId(r.orchestrator);
}

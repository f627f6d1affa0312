/** Guest locks in the journal: one transaction per guest at a time, across processes. */
import { randomBytes } from "node:crypto";
import { GuestBusy } from "../errors.js";
import type { LockOwner, LockRow } from "../journal.js";
import { ownerAlive, processStartTime } from "../lock.js";
import { guestKey, type GuestRef } from "../ports.js";
import type { Engine } from "./context.js";

function newOwner(): LockOwner {
  return {
    pid: process.pid,
    start: processStartTime(process.pid),
    token: randomBytes(8).toString("hex"),
  };
}

/** Take the guest lock, waiting up to `lockTimeoutMs`; a lock of a dead process is taken over. */
export async function acquire(e: Engine, guest: GuestRef, txid: string | null): Promise<LockOwner> {
  const owner = newOwner();
  const timeout = e.options.lockTimeoutMs ?? 60_000;
  const deadline = e.clock.now() + timeout;
  for (;;) {
    // Not synced on its own (one fsync less before the snapshot): the row only keeps live
    // processes apart; after a host crash every holder is dead and a lost row is a stale lock.
    // The first synced write after it (SNAPSHOTTING, before any effect) syncs it too.
    const r = e.journal.lazily(() =>
      e.journal.tryLock(guest, owner, txid, (holder) => !ownerAlive(holder)),
    );
    if (r.acquired) {
      if (r.tookOverFrom !== undefined) {
        e.log("warn", `took over the stale lock of guest ${guestKey(guest)}`, {
          holder: r.tookOverFrom,
        });
      }
      return owner;
    }
    if (e.clock.now() >= deadline) throw busy(guest, r.holder, timeout);
    await e.clock.sleep(e.options.pollMs ?? 100);
  }
}

/** Take the guest lock now or throw {@link GuestBusy}. */
export function acquireOnce(e: Engine, guest: GuestRef): LockOwner {
  const owner = newOwner();
  const r = e.journal.tryLock(guest, owner, null, (holder) => !ownerAlive(holder));
  if (!r.acquired) throw busy(guest, r.holder, 0);
  return owner;
}

/** Run `body` holding the guest lock. */
export async function withLock<T>(
  e: Engine,
  guest: GuestRef,
  txid: string | null,
  body: () => Promise<T>,
): Promise<T> {
  const owner = await acquire(e, guest, txid);
  try {
    return await body();
  } finally {
    e.journal.unlock(guest, owner);
  }
}

function busy(guest: GuestRef, holder: LockRow, timeoutMs: number): GuestBusy {
  return new GuestBusy(
    `guest ${guestKey(guest)} is busy: process ${holder.owner.pid} holds its lock${holder.txid ? ` (transaction ${holder.txid})` : ""}${timeoutMs > 0 ? `; waited ${timeoutMs} ms` : ""}`,
    {
      details: {
        vmid: guest.vmid,
        node: guest.node,
        pid: holder.owner.pid,
        txid: holder.txid,
        timeoutMs,
      },
      hint: "Wait for the other transaction to finish, or raise the lock timeout",
    },
  );
}

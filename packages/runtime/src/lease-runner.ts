/**
 * Work on a guest under its cluster lease. A lease found abandoned (its holder gone or expired) is
 * taken over, and what the holder left open on the guest is recovered before the work runs.
 */
import { performance } from "node:perf_hooks";
import type { Journal, TxEngine } from "@txbox/tx";
import type { Holding } from "./cluster-lease.js";
import { adoptRecords, guestRecords, hasOpenRecords } from "./cluster.js";
import type { WithLease } from "./execute.js";
import type { LeaseKeeper } from "./lease-keeper.js";
import type { SessionOptions } from "./session-types.js";
import type { ProxmoxSnapshotPort } from "./snapshot-port.js";

export interface LeaseParts {
  keeper: LeaseKeeper;
  snapshots: ProxmoxSnapshotPort;
  journal: Journal;
  /** Read when a takeover needs recovery: the engine may be built after this function. */
  engine: () => TxEngine;
  options: SessionOptions;
}

export function makeWithLease(p: LeaseParts): WithLease {
  return async (guest, fn, opts = {}, spent) => {
    const ta = performance.now();
    // The previous holder stopped before releasing: what it left open is ours to recover first.
    // The lease's verdict was read with the lease; the records are on the guest's snapshots.
    const takeover = async (h: Holding): Promise<void> => {
      if (h.found.kind === "mine") return;
      const view = { records: await guestRecords(p.snapshots, guest) };
      if (hasOpenRecords(view, p.journal)) {
        adoptRecords(p.journal, guest, view);
        await p.engine().recover({ guest });
      }
    };
    const use = await p.keeper.take(
      guest,
      {
        timeoutMs: opts.timeoutMs ?? p.options.engine?.lockTimeoutMs ?? 60_000,
        ...(opts.force === undefined ? {} : { force: opts.force }),
      },
      opts.takeover === false ? undefined : takeover,
    );
    if (spent !== undefined) spent.ms += performance.now() - ta;
    try {
      return await fn();
    } finally {
      const tr = performance.now();
      await use.done();
      if (spent !== undefined) spent.ms += performance.now() - tr;
    }
  };
}

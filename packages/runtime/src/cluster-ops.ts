/**
 * The operator's cluster-wide commands: `tx list --cluster`, and `tx recover` / `tx rollback`
 * reaching transactions other orchestrators left, through their snapshots' records.
 */
import { errorMessage } from "@txbox/core";
import { ProxmoxClient } from "@txbox/proxmox";
import {
  emptyReport,
  GuestBusy,
  JournalNotFound,
  openJournal,
  TxNotFound,
  type GuestRef,
  type Journal,
  type RecoveryReport,
  type TxRecord,
} from "@txbox/tx";
import { durationMs } from "@txbox/core";
import { GuestLeases, localOrchestrator } from "./cluster-lease.js";
import {
  adoptRecords,
  hasOpenRecords,
  mergeClusterList,
  readCluster,
  type ClusterTx,
} from "./cluster.js";
import type { RuntimeEnv } from "./environment.js";
import { configFor } from "./policy.js";
import type { Session } from "./session.js";
import { ProxmoxSnapshotPort } from "./snapshot-port.js";
import { journalPath, resolveTarget } from "./target.js";

/** What `tx recover` did: the engine's report plus the transactions adopted from the cluster. */
export interface ClusterRecoveryReport extends RecoveryReport {
  adopted: { txid: string; guest: GuestRef }[];
}

/**
 * Recover the guests whose snapshots hold transactions another orchestrator left open (under
 * each guest's lease: skipped while a live holder has it, unless `force`) and clear leases whose
 * holder is gone or expired, then recover every guest of this journal as before.
 */
export async function recoverWithCluster(
  s: Session,
  options: { guest?: GuestRef; force?: boolean } = {},
): Promise<ClusterRecoveryReport> {
  const views = await readCluster(s.client, s.snapshots, s.leases, options.guest?.vmid);
  const report: ClusterRecoveryReport = { ...emptyReport(), adopted: [] };
  for (const view of views) {
    const abandoned = view.lease.kind === "gone" || view.lease.kind === "expired";
    if (!hasOpenRecords(view, s.journal) && !abandoned) continue;
    const guest = { vmid: view.guest.vmid };
    try {
      const r = await s.withLease(
        guest,
        async () => {
          for (const txid of adoptRecords(s.journal, guest, view))
            report.adopted.push({ txid, guest });
          return s.engine.recover({ guest });
        },
        { timeoutMs: 0, takeover: false, ...(options.force ? { force: true } : {}) },
      );
      merge(report, r);
    } catch (error) {
      if (!(error instanceof GuestBusy)) throw error;
      report.skipped.push({ guest, reason: errorMessage(error) });
    }
  }
  merge(
    report,
    await s.engine.recover(options.guest === undefined ? {} : { guest: options.guest }),
  );
  return report;
}

/**
 * Roll back a committed transaction, this journal's or — found by its snapshot's record — another
 * orchestrator's (adopted first, with the guest's other commits so later ones are undone with it).
 */
export async function rollbackWithCluster(
  s: Session,
  txid: string,
  options: { force?: boolean } = {},
): Promise<TxRecord & { superseded: string[] }> {
  const known = s.journal.findTx(txid);
  const lease = options.force ? { force: true } : {};
  if (known !== undefined)
    return s.withLease(known.guest, () => s.engine.rollbackTransaction(txid), lease);
  const views = await readCluster(s.client, s.snapshots, s.leases);
  const view = views.find((v) => v.records.some((r) => r.txid === txid && r.record !== undefined));
  if (view === undefined) {
    throw new TxNotFound(
      `no transaction ${txid} in the journal ${s.journalFile} nor on any guest's snapshots`,
      {
        details: { txid },
        hint: "List transactions with `txbox tx list --cluster`",
      },
    );
  }
  const guest = { vmid: view.guest.vmid };
  return s.withLease(
    guest,
    async () => {
      adoptRecords(s.journal, guest, view, { alsoCommitted: true });
      return s.engine.rollbackTransaction(txid);
    },
    lease,
  );
}

/** `tx list --cluster`: every guest's records, merged with this journal where there is one. */
export async function listCluster(
  io: Pick<RuntimeEnv, "cwd" | "env" | "stderr">,
  options: { config?: string; guest?: number; limit?: number } = {},
): Promise<{ journal: string | null; transactions: ClusterTx[] }> {
  const loaded = configFor(io, options.config);
  const target = resolveTarget(io, loaded);
  const file = journalPath(io, loaded);
  let journal: Journal | undefined;
  try {
    journal = openJournal(file, { create: false });
  } catch (error) {
    if (!(error instanceof JournalNotFound)) throw error;
  }
  const client = await ProxmoxClient.connect(target.connection, {
    onWarning: (m) => void io.stderr.write(`txbox: warning: ${m}\n`),
  });
  try {
    const snapshots = new ProxmoxSnapshotPort(client);
    const leases = new GuestLeases({
      me: localOrchestrator(io.env, file),
      ttlMs: durationMs(loaded.config.tx.leaseTtl),
      maxSkewMs: durationMs(loaded.config.tx.maxClockSkew),
      guest: (ref) => snapshots.guest(ref),
    });
    const views = await readCluster(client, snapshots, leases, options.guest);
    const local =
      journal?.listTxs(options.guest === undefined ? {} : { guest: { vmid: options.guest } }) ?? [];
    return {
      journal: journal === undefined ? null : file,
      transactions: mergeClusterList(views, local, options.limit),
    };
  } finally {
    journal?.close();
    await client.close();
  }
}

function merge(into: RecoveryReport, r: RecoveryReport): void {
  into.transactions.push(...r.transactions);
  into.orphansRemoved.push(...r.orphansRemoved);
  into.unlocked.push(...r.unlocked);
  into.staleLocksReleased.push(...r.staleLocksReleased);
  into.skipped.push(...r.skipped);
  into.errors.push(...r.errors);
}

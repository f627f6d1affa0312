/**
 * The cluster as the shared state of every orchestrator: transactions read from the records on
 * the guests' `txbox-*` snapshots (merged with the local journal where there is one), and the
 * records another orchestrator left adopted into this journal so that recovery and `tx rollback`
 * drive them like our own — under the guest's cluster lease. docs/adr/0014-cluster-lease.md.
 */
import type { ProxmoxClient } from "@txbox/proxmox";
import {
  decodeRecord,
  isTerminal,
  orchestratorId,
  txidOfSnapshot,
  type ClusterRecord,
  type GuestRef,
  type Journal,
  type LeaseVerdict,
  type TxRecord,
  type TxState,
} from "@txbox/tx";
import type { GuestLeases } from "./cluster-lease.js";
import type { ProxmoxSnapshotPort } from "./snapshot-port.js";

/** One transaction as `tx list --cluster` shows it. */
export interface ClusterTx {
  txid: string;
  guest: { vmid: number; node?: string };
  /** The journal's state where this orchestrator's journal knows it, else the record's. */
  state: TxState | "UNKNOWN";
  command: string;
  orchestrator: string | null;
  startedAt: number | null;
  snapshot: string | null;
  /** `cluster`: only a snapshot record; `journal`: only the local journal; `both`. */
  source: "cluster" | "journal" | "both";
  /** The guest's lease, when a transaction on it is still open. */
  lease?: { holder: string; until: number; txid?: string; verdict: LeaseVerdict["kind"] };
}

/** One guest's records and lease. */
export interface GuestView {
  guest: { vmid: number; node: string };
  records: { snapshot: string; txid: string; record?: ClusterRecord }[];
  lease: LeaseVerdict;
}

async function mapLimit<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (i < items.length) {
        const k = i++;
        out[k] = await fn(items[k]!);
      }
    }),
  );
  return out;
}

/** Every guest of the cluster (templates apart) with its txbox records and its lease. */
export async function readCluster(
  client: ProxmoxClient,
  snapshots: ProxmoxSnapshotPort,
  leases: GuestLeases,
  only?: number,
): Promise<GuestView[]> {
  const guests = (await client.resources("vm")).filter(
    (r) =>
      r.vmid !== undefined &&
      r.node !== undefined &&
      r.template !== 1 &&
      (only === undefined || r.vmid === only),
  );
  return mapLimit(guests, 8, async (r) => {
    const ref = { vmid: r.vmid!, node: r.node! };
    const [records, lease] = await Promise.all([guestRecords(snapshots, ref), leases.inspect(ref)]);
    return { guest: ref, records, lease: lease.verdict };
  });
}

/** The txbox records on one guest's snapshots (one API call). */
export async function guestRecords(
  snapshots: ProxmoxSnapshotPort,
  ref: GuestRef,
): Promise<GuestView["records"]> {
  return (await snapshots.list(ref)).flatMap((s) => {
    const txid = txidOfSnapshot(s.name);
    if (txid === undefined) return [];
    const rec = decodeRecord(s.description);
    return [{ snapshot: s.name, txid, ...(rec?.v === 1 ? { record: rec } : {}) }];
  });
}

/** The rows of `tx list --cluster`: records merged with the journal, newest first. Pure. */
export function mergeClusterList(
  views: GuestView[],
  local: TxRecord[],
  limit?: number,
): ClusterTx[] {
  const byTxid = new Map(local.map((t) => [t.txid, t]));
  const rows: ClusterTx[] = [];
  const seen = new Set<string>();
  for (const v of views) {
    const open = v.lease.kind === "free" ? undefined : v.lease.lease;
    for (const r of v.records) {
      const mine = byTxid.get(r.txid);
      seen.add(r.txid);
      const state = mine?.state ?? r.record?.state ?? "UNKNOWN";
      rows.push({
        txid: r.txid,
        guest: v.guest,
        state,
        command: mine?.command ?? r.record?.command ?? "",
        orchestrator: r.record === undefined ? null : orchestratorId(r.record.orchestrator),
        startedAt: mine?.createdAt ?? r.record?.startedAt ?? null,
        snapshot: r.snapshot,
        source: mine === undefined ? "cluster" : "both",
        ...(open === undefined || (state !== "UNKNOWN" && isTerminal(state))
          ? {}
          : {
              lease: {
                holder: orchestratorId(open.orchestrator),
                until: open.until,
                ...(open.txid === undefined ? {} : { txid: open.txid }),
                verdict: v.lease.kind,
              },
            }),
      });
    }
  }
  for (const t of local) {
    if (seen.has(t.txid)) continue;
    rows.push({
      txid: t.txid,
      guest: t.guest,
      state: t.state,
      command: t.command,
      orchestrator: null,
      startedAt: t.createdAt,
      snapshot: t.snapshotRemoved ? null : t.snapshotName,
      source: "journal",
    });
  }
  rows.sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0) || b.txid.localeCompare(a.txid));
  return limit === undefined ? rows : rows.slice(0, limit);
}

/**
 * Journal the records of a guest this journal does not know and that still need driving: an open
 * transaction is adopted as EXECUTING (the record is not rewritten at every step, so the command
 * may have run: recovery rolls it back, harmless when it had not), a COMMITTING one as such.
 * `alsoCommitted` adopts committed ones too (for `tx rollback` of another orchestrator's commit).
 */
export function adoptRecords(
  journal: Journal,
  guest: GuestRef,
  view: Pick<GuestView, "records">,
  options: { alsoCommitted?: boolean } = {},
): string[] {
  const adopted: string[] = [];
  for (const r of view.records) {
    const rec = r.record;
    if (rec === undefined || journal.findTx(r.txid) !== undefined) continue;
    let state: TxState;
    if (rec.state === "COMMITTED") {
      if (options.alsoCommitted !== true) continue;
      state = "COMMITTED";
    } else if (rec.state === "COMMITTING") state = "COMMITTING";
    else if (isTerminal(rec.state)) continue;
    else state = "EXECUTING";
    journal.adoptTx({
      txid: rec.txid,
      guest,
      actor: orchestratorId(rec.orchestrator),
      command: rec.command,
      decision: "transact",
      ruleIds: [],
      reasons: [`adopted from ${orchestratorId(rec.orchestrator)} (record state ${rec.state})`],
      snapshotName: r.snapshot,
      keepSnapshot: rec.keep,
      state,
      createdAt: rec.startedAt,
      from: orchestratorId(rec.orchestrator),
    });
    adopted.push(rec.txid);
  }
  return adopted;
}

/** Whether a guest has records another orchestrator left open (what a takeover must recover). */
export function hasOpenRecords(view: Pick<GuestView, "records">, journal: Journal): boolean {
  return view.records.some(
    (r) =>
      r.record !== undefined && !isTerminal(r.record.state) && journal.findTx(r.txid) === undefined,
  );
}

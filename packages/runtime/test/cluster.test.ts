import {
  encodeRecord,
  newRecord,
  openJournal,
  type LeaseVerdict,
  type Orchestrator,
} from "@txbox/tx";
import { decodeRecord } from "@txbox/tx";
import { adoptRecords, mergeClusterList, type GuestView } from "../src/cluster.js";

const A: Orchestrator = { host: "h1", user: "alice", journal: "/a/j.db", pid: 10 };

function rec(txid: string, state: Parameters<typeof newRecord>[0]["state"], startedAt: number) {
  const r = decodeRecord(
    encodeRecord(
      newRecord({
        txid,
        state,
        command: `cmd ${txid}`,
        orchestrator: A,
        startedAt,
        leaseUntil: 0,
        keep: true,
      }),
    ),
  );
  if (r === undefined || r.v !== 1) throw new Error("bad record");
  return { snapshot: `txbox-${txid}`, txid, record: r };
}

const held: LeaseVerdict = {
  kind: "gone",
  lease: { token: "t", orchestrator: A, txid: "t-open", acquiredAt: 0, until: 99, ttlMs: 60_000 },
};

const view: GuestView = {
  guest: { vmid: 101, node: "pve" },
  records: [
    rec("t-open", "SNAPSHOTTING", 300),
    rec("t-done", "COMMITTED", 200),
    rec("t-half", "COMMITTING", 250),
  ],
  lease: held,
};

describe("the cluster view", () => {
  test("records merge with the journal: its state wins; open ones show the lease; newest first", () => {
    const j = openJournal(":memory:");
    j.createTx({
      txid: "t-done",
      guest: { vmid: 101 },
      command: "cmd t-done",
      decision: "transact",
      ruleIds: [],
      reasons: [],
      snapshotName: "txbox-t-done",
      keepSnapshot: true,
    });
    j.createTx({
      txid: "t-local",
      guest: { vmid: 102 },
      command: "local only",
      decision: "transact",
      ruleIds: [],
      reasons: [],
      snapshotName: "txbox-t-local",
      keepSnapshot: false,
    });
    const rows = mergeClusterList([view], j.listTxs());
    const byId = Object.fromEntries(rows.map((r) => [r.txid, r]));
    expect(byId["t-open"]).toMatchObject({
      state: "SNAPSHOTTING",
      source: "cluster",
      orchestrator: "alice@h1:/a/j.db",
      lease: { verdict: "gone", holder: "alice@h1:/a/j.db", txid: "t-open" },
    });
    expect(byId["t-done"]).toMatchObject({ state: "INTENT", source: "both" });
    expect(byId["t-local"]).toMatchObject({ source: "journal", orchestrator: null });
    expect(byId["t-half"]?.lease).toBeDefined();
    // Newest first: the journal's own (just created) before the records' start times 300, 250.
    expect(rows.map((r) => r.txid).slice(2)).toEqual(["t-open", "t-half"]);
    expect(mergeClusterList([view], [], 2)).toHaveLength(2);
  });

  test("adoption: open records as EXECUTING, COMMITTING as such, commits only when asked; idempotent", () => {
    const j = openJournal(":memory:");
    expect(adoptRecords(j, { vmid: 101 }, view).sort()).toEqual(["t-half", "t-open"]);
    expect(j.getTx("t-open")).toMatchObject({
      state: "EXECUTING",
      actor: "alice@h1:/a/j.db",
      snapshotName: "txbox-t-open",
      keepSnapshot: true,
      createdAt: 300,
    });
    expect(j.getTx("t-half").state).toBe("COMMITTING");
    expect(j.events("t-open")[0]?.event).toEqual({ type: "ADOPTED", from: "alice@h1:/a/j.db" });
    expect(adoptRecords(j, { vmid: 101 }, view)).toEqual([]);
    expect(adoptRecords(j, { vmid: 101 }, view, { alsoCommitted: true })).toEqual(["t-done"]);
    expect(j.getTx("t-done").state).toBe("COMMITTED");
  });
});

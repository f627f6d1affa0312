/**
 * Fault matrix, part 1: the real `txbox run` process is SIGKILLed at every step of a transaction
 * (TXBOX_CRASH_AT); `txbox tx recover` must then leave the guest exactly as before or exactly as
 * committed, with no orphan txbox-* snapshot, no journal lock and no Proxmox lock left.
 */
import { CRASH_STEPS, type CrashStep } from "@txbox/tx";
import type { Session } from "@txbox/runtime";
import {
  describeAsRoot,
  sh,
  startE2E,
  treeDigest,
  txboxSnapshots,
  type E2E,
  orphanSnapshots,
} from "../support/e2e.js";

const P = "/root/project";
const VMID = 101;

/** What recovery must produce after a crash at each step. */
const EXPECTED: Record<CrashStep, "before" | "after"> = {
  "after-intent": "before",
  "during-snapshot": "before",
  "after-snapshot": "before",
  "during-exec": "before",
  "during-verify": "before",
  "during-commit": "after",
  "during-rollback": "before",
};

describeAsRoot("fault matrix: SIGKILL of txbox at every step, then txbox tx recover", () => {
  let e: E2E;
  let s: Session;

  beforeAll(async () => {
    e = await startE2E("crash");
    s = await e.session({ engine: { lockSettleMs: 20_000 } });
  }, 120_000);

  afterAll(async () => {
    await s?.close();
    await e?.stop();
  }, 120_000);

  test("the matrix covers every crash step of the engine", () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...CRASH_STEPS].sort());
  });

  test.each([...CRASH_STEPS])(
    "crash %s",
    async (step) => {
      await sh(
        s,
        VMID,
        `rm -rf ${P} && mkdir -p ${P}/sub && echo before > ${P}/state.txt && echo keep > ${P}/sub/keep.txt`,
      );
      const before = await treeDigest(s, VMID, P);
      // A failing command reaches the rollback step; every other step is reached by a good one.
      const command =
        step === "during-rollback"
          ? `echo after > ${P}/state.txt; rm -rf ${P}/sub; exit 1`
          : `echo after > ${P}/state.txt`;
      const crashed = await e.cli(["run", "--guest", String(VMID), "--", command], {
        env: { TXBOX_CRASH_AT: step },
      });
      expect({ code: crashed.code, signal: crashed.signal }).toEqual({
        code: null,
        signal: "SIGKILL",
      });

      const recovered = await e.cliJson<{ transactions: { to: string }[]; errors: unknown[] }>([
        "tx",
        "recover",
        "--guest",
        String(VMID),
      ]);
      expect({ code: recovered.code, errors: recovered.body.errors }).toEqual({
        code: 0,
        errors: [],
      });

      const state = await sh(s, VMID, `cat ${P}/state.txt`);
      expect(state).toBe(`${EXPECTED[step]}\n`);
      if (EXPECTED[step] === "before") expect(await treeDigest(s, VMID, P)).toBe(before);
      else expect(await sh(s, VMID, `cat ${P}/sub/keep.txt`)).toBe("keep\n");

      expect(await orphanSnapshots(s, VMID)).toEqual([]);
      expect(s.journal.locks()).toEqual([]);
      expect((await s.snapshots.state({ vmid: VMID })).lock).toBeUndefined();
      const [last] = s.journal.listTxs({ guest: { vmid: VMID }, limit: 1 });
      expect(last?.command).toBe(command);
      expect(["COMMITTED", "ROLLED_BACK", "ABORTED"]).toContain(last?.state);

      // Recovery is idempotent: a second run finds nothing to do.
      const again = await e.cliJson<Record<string, unknown[]>>(["tx", "recover"]);
      expect(again.body.transactions).toEqual([]);
      expect(again.body.orphansRemoved).toEqual([]);
    },
    180_000,
  );

  test("tx rollback returns to before a kept transaction; snapshot prune deletes kept snapshots", async () => {
    // Start from an empty window (the trials above kept their commits' snapshots).
    await e.cliJson(["snapshot", "prune", "--guest", String(VMID), "--keep-last", "0"]);
    expect(await txboxSnapshots(s, VMID)).toEqual([]);
    await sh(s, VMID, `rm -rf ${P} && mkdir -p ${P} && echo v0 > ${P}/state.txt`);
    const v0 = await treeDigest(s, VMID, P);
    // The lab guests live on btrfs, which rolls back to any snapshot (zfspool would not).
    expect(await s.snapshots.rollbackOnlyNewest({ vmid: VMID })).toBe(false);
    const first = await e.cliJson<{ txid: string; outcome: string }>([
      "run",
      "--guest",
      String(VMID),
      "--keep-snapshot",
      "--",
      `echo v1 > ${P}/state.txt`,
    ]);
    expect(first.body.outcome).toBe("committed");
    expect(await txboxSnapshots(s, VMID)).toEqual([`txbox-${first.body.txid}`]);
    const shown = await e.cliJson<{ state: string; keepSnapshot: boolean }>([
      "tx",
      "show",
      first.body.txid,
    ]);
    expect(shown.body).toMatchObject({ state: "COMMITTED", keepSnapshot: true });

    const back = await e.cliJson<{ state: string }>(["tx", "rollback", first.body.txid]);
    expect({ code: back.code, state: back.body.state }).toEqual({ code: 0, state: "REVERTED" });
    expect(await treeDigest(s, VMID, P)).toBe(v0);
    expect(await orphanSnapshots(s, VMID)).toEqual([]);

    // Two more kept transactions; prune keeps the newest one.
    const kept: string[] = [];
    for (const v of ["v2", "v3"]) {
      const r = await e.cliJson<{ txid: string; outcome: string }>([
        "run",
        "--guest",
        String(VMID),
        "--keep-snapshot",
        "--",
        `echo ${v} > ${P}/state.txt`,
      ]);
      expect(r.body.outcome).toBe("committed");
      kept.push(r.body.txid);
    }
    const pruned = await e.cliJson<{ pruned: { txid: string }[] }>([
      "snapshot",
      "prune",
      "--guest",
      String(VMID),
      "--keep-last",
      "1",
    ]);
    expect(pruned.body.pruned.map((p) => p.txid)).toEqual([kept[0]]);
    expect(await txboxSnapshots(s, VMID)).toEqual([`txbox-${kept[1]}`]);
    const none = await e.cliJson<{ pruned: unknown[] }>(["snapshot", "prune", "--keep-last", "0"]);
    expect(none.body.pruned).toHaveLength(1);
    expect(await orphanSnapshots(s, VMID)).toEqual([]);
    expect(await sh(s, VMID, `cat ${P}/state.txt`)).toBe("v3\n");
  }, 180_000);
});

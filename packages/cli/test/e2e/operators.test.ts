/**
 * Many operators, one cluster: two orchestrators with two journals in two directories (two
 * identities) against one testbed. A's transaction is SIGKILLed mid-command; B, which never saw
 * it, lists it from the guest's snapshot record and recovers it (the guest is rolled back). Then
 * A and B run transactions on one guest at once, many times: the guest's cluster lease lets one
 * at a time through (their command intervals, stamped inside the guest, are disjoint) and none is
 * lost (each commits, or is refused with E_GUEST_BUSY and retried).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Session } from "@txbox/runtime";
import { CLI, describeAsRoot, sh, startE2E, txboxSnapshots, type E2E } from "../support/e2e.js";

const P = "/root/operators";
const VMID = 101;
const ROUNDS = 5;

interface ClusterList {
  journal: string | null;
  transactions: {
    txid: string;
    guest: { vmid: number };
    state: string;
    source: string;
    orchestrator: string | null;
    command: string;
    lease?: { verdict: string; holder: string };
  }[];
}

describeAsRoot("many operators, one cluster: two journals against one testbed", () => {
  let e: E2E;
  let s: Session;
  let journalA: string;
  let journalB: string;
  const as = (journal: string) => ({ TXBOX_JOURNAL: journal });

  beforeAll(async () => {
    e = await startE2E("operators");
    journalA = join(e.dir, "..", "alice", "journal.db");
    journalB = join(e.dir, "..", "bob", "journal.db");
    mkdirSync(join(e.dir, "..", "alice"), { recursive: true });
    mkdirSync(join(e.dir, "..", "bob"), { recursive: true });
    // The test's own session (for inspection only) has a third journal.
    s = await e.session();
    await sh(s, VMID, `rm -rf ${P} && mkdir -p ${P} && echo before > ${P}/state`);
  }, 120_000);

  afterAll(async () => {
    await s?.close();
    await e?.stop();
  }, 120_000);

  /** A's command marks the guest, then sleeps: A is killed while it runs. */
  const killedMidCommand = async (): Promise<void> => {
    const a = spawn(
      process.execPath,
      [CLI, "run", "--guest", String(VMID), "--", `echo during > ${P}/state; sleep 60`],
      { cwd: e.dir, env: { ...e.env, ...as(journalA) }, stdio: "ignore" },
    );
    const closed = new Promise<string | null>((r) => a.on("close", (_c, sig) => r(sig)));
    for (let i = 0; (await sh(s, VMID, `cat ${P}/state`)) !== "during\n"; i++) {
      if (i > 300) throw new Error("A's command never started");
      await new Promise((r) => setTimeout(r, 100));
    }
    a.kill("SIGKILL");
    expect(await closed).toBe("SIGKILL");
  };

  test("A is killed mid-command; B lists its transaction from the cluster and rolls it back", async () => {
    await killedMidCommand();

    // B has no journal: a read command says so and creates none.
    const none = await e.cliJson<{ code: string }>(["tx", "list"], as(journalB));
    expect({ exit: none.code, code: none.body.code }).toEqual({ exit: 1, code: "E_NO_JOURNAL" });
    expect(existsSync(journalB)).toBe(false);

    // B sees A's transaction on the guest's snapshot, with A's identity and A's dead lease.
    const listed = await e.cliJson<ClusterList>(["tx", "list", "--cluster"], as(journalB));
    expect(listed.code).toBe(0);
    expect(listed.body.journal).toBeNull();
    const open = listed.body.transactions.filter((t) => t.guest.vmid === VMID);
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({
      state: "SNAPSHOTTING",
      source: "cluster",
      orchestrator: expect.stringContaining(`:${journalA}`),
      command: `echo during > ${P}/state; sleep 60`,
      lease: { verdict: "gone", holder: expect.stringContaining(`:${journalA}`) },
    });
    const txid = open[0]!.txid;

    // B recovers it: adopted into B's journal, the guest rolled back, the snapshot and lease gone.
    const rec = await e.cliJson<{
      adopted: { txid: string }[];
      transactions: { txid: string; to: string }[];
      errors: unknown[];
    }>(["tx", "recover"], as(journalB));
    expect({ code: rec.code, errors: rec.body.errors }).toEqual({ code: 0, errors: [] });
    expect(rec.body.adopted.map((x) => x.txid)).toEqual([txid]);
    expect(rec.body.transactions).toEqual([
      expect.objectContaining({ txid, from: "EXECUTING", to: "ROLLED_BACK" }),
    ]);
    expect(await sh(s, VMID, `cat ${P}/state`)).toBe("before\n");
    expect(await txboxSnapshots(s, VMID)).toEqual([]);
    const conf = await (await s.snapshots.guest({ vmid: VMID })).config();
    expect(String(conf.description ?? "")).not.toContain("txbox-lease/1");
    const shown = await e.cliJson<{ state: string; events: { event: { type: string } }[] }>(
      ["tx", "show", txid],
      as(journalB),
    );
    expect(shown.body.state).toBe("ROLLED_BACK");
    expect(shown.body.events[0]?.event.type).toBe("ADOPTED");
  }, 120_000);

  test("A is killed mid-command; B's next run takes A's lease over, rolls A's work back, then runs", async () => {
    const before = await e.cliJson<{ txid: string }[]>(["tx", "list"], as(journalB));
    const known = new Set((before.code === 0 ? before.body : []).map((t) => t.txid));
    await killedMidCommand();
    const r = await e.cliJson<{ outcome: string }>(
      ["run", "--guest", String(VMID), "--", `echo after >> ${P}/state`],
      as(journalB),
    );
    expect({ code: r.code, outcome: r.body.outcome }).toEqual({ code: 0, outcome: "committed" });
    // A's mark is gone (rolled back before B's command ran), B's is there.
    expect(await sh(s, VMID, `cat ${P}/state`)).toBe("before\nafter\n");
    const listed = await e.cliJson<{ txid: string; state: string; command: string }[]>(
      ["tx", "list"],
      as(journalB),
    );
    const fresh = listed.body.filter((t) => !known.has(t.txid)).map((t) => [t.command, t.state]);
    expect(fresh).toEqual([
      [`echo after >> ${P}/state`, "COMMITTED"],
      [`echo during > ${P}/state; sleep 60`, "ROLLED_BACK"],
    ]);
    await sh(s, VMID, `echo before > ${P}/state`);
  }, 120_000);

  test("A and B at once on one guest, many times: never overlapping, none lost", async () => {
    await sh(s, VMID, `rm -f ${P}/log`);
    const stamp = (who: string, n: number) =>
      `echo "start ${who}${n} $(date +%s%N)" >> ${P}/log; sleep 0.3; echo "end ${who}${n} $(date +%s%N)" >> ${P}/log`;
    const busy: string[] = [];
    const calls: { who: string; from: number; to: number }[] = [];
    const loop = async (who: string, journal: string) => {
      for (let n = 0; n < ROUNDS; n++) {
        for (let attempt = 0; ; attempt++) {
          const from = Date.now();
          const r = await e.cliJson<{ outcome?: string; code?: string }>(
            ["run", "--guest", String(VMID), "--", stamp(who, n)],
            as(journal),
          );
          calls.push({ who, from, to: Date.now() });
          if (r.body.outcome === "committed") break;
          // The only acceptable refusal: the guest is busy (typed, retryable).
          expect(r.body.code).toBe("E_GUEST_BUSY");
          busy.push(`${who}${n}`);
          expect(attempt).toBeLessThan(5);
        }
      }
    };
    await Promise.all([loop("a", journalA), loop("b", journalB)]);

    const lines = (await sh(s, VMID, `cat ${P}/log`)).trim().split("\n");
    const spans = new Map<string, { start?: bigint; end?: bigint }>();
    for (const line of lines) {
      const [kind, id, at] = line.split(" ");
      const span = spans.get(id!) ?? {};
      span[kind as "start" | "end"] = BigInt(at!);
      spans.set(id!, span);
    }
    // Every transaction of both ran exactly once and committed (its marks survived).
    expect(lines).toHaveLength(4 * ROUNDS);
    expect([...spans.keys()].sort()).toEqual(
      ["a", "b"].flatMap((w) => Array.from({ length: ROUNDS }, (_, n) => `${w}${n}`)).sort(),
    );
    const sorted = [...spans.values()].sort((x, y) => (x.start! < y.start! ? -1 : 1));
    for (let i = 1; i < sorted.length; i++)
      expect(sorted[i - 1]!.end! < sorted[i]!.start!).toBe(true);
    // They really contended: calls of A and B were in flight at the same time.
    const a = calls.filter((c) => c.who === "a");
    const b = calls.filter((c) => c.who === "b");
    expect(a.some((x) => b.some((y) => x.from < y.to && y.from < x.to))).toBe(true);

    const conf = await (await s.snapshots.guest({ vmid: VMID })).config();
    expect(String(conf.description ?? "")).not.toContain("txbox-lease/1");
    process.stderr.write(`operators e2e: ${busy.length} busy refusals retried\n`);
  }, 180_000);
});

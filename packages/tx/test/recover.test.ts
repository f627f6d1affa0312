// Recovery planning (src/engine/recover.ts), in this process: which guests and locks recover()
// takes, the wait for a Proxmox lock to settle, the order and outcome of each open transaction,
// what a run does first on a guest with an abandoned transaction, and which txbox-* snapshots
// are orphans. crash.test.ts checks the same against a real child process killed at each step;
// these are the fast tests Stryker runs against recover.ts (`pnpm mutate recovery`).
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { spawnSync } from "node:child_process";
import { SimulatedCrash } from "../src/index.js";
import type { CrashStep } from "../src/crash.js";
import type { Journal, NewTx } from "../src/journal.js";
import type { TxState } from "../src/machine.js";
import type { Clock, GuestRef, SnapshotPort } from "../src/ports.js";
import { encodeRecord, newRecord, type Orchestrator } from "../src/record.js";
import { TRANSACT, fixture, type Fixture } from "./support/setup.js";

const G = { vmid: 101 };
const H = { vmid: 102 };
let f: Fixture;

beforeEach(() => {
  f = fixture();
  f.guests.ensure(G, { "data.txt": "original\n" });
  f.guests.ensure(H, { "data.txt": "original\n" });
});
afterEach(() => f.cleanup());

const names = (g: GuestRef) => f.guests.meta(g).snapshots.map((s) => s.name);
const newTx = (txid: string, guest: GuestRef, keepSnapshot = false): NewTx => ({
  txid,
  guest,
  command: "true",
  decision: "transact",
  ruleIds: [],
  reasons: [],
  snapshotName: `txbox-${txid}`,
  keepSnapshot,
});
/** A transaction journaled in `state`, its snapshot taken (as the journal and guest would show). */
async function txIn(txid: string, guest: GuestRef, state: TxState, keep = false): Promise<void> {
  f.journal.adoptTx({ ...newTx(txid, guest, keep), state, createdAt: Date.now(), from: "test" });
  await f.guests.snapshotPort().create(guest, `txbox-${txid}`, `txbox:${txid}`);
}

/** A pid that is no longer running. */
const deadPid = (): number => spawnSync("true").pid as number;

/**
 * A transaction that crashed at `step` in a process that has died since: its lock is held by
 * that dead process, as a real crash leaves it.
 */
async function crashed(guest: GuestRef, step: CrashStep, command = "echo new > data.txt") {
  const e = f.engine({
    crash: (s) => {
      if (s === step) throw new SimulatedCrash(s);
    },
  });
  await expect(e.run({ guest, command, decision: TRANSACT })).rejects.toThrow(SimulatedCrash);
  const row = f.journal.locks().find((l) => l.guestKey === String(guest.vmid))!;
  f.journal.unlock(guest, row.owner);
  const dead = { pid: deadPid(), start: "1", token: "dead" };
  f.journal.tryLock(guest, dead, row.txid, () => false);
  return { txid: row.txid!, pid: dead.pid };
}

/** A clock that advances only when slept on (each sleep yields to the event loop once). */
function fakeClock(): Clock & { t: number } {
  const c = {
    t: 1_000_000,
    now: () => c.t,
    sleep: async (ms: number) => {
      c.t += ms;
      await new Promise((r) => setImmediate(r));
    },
  };
  return c;
}

/** The guest's snapshot port, reporting Proxmox lock `lock` on the first `times` state reads. */
function lockedFor(times: number, lock = "backup"): Required<SnapshotPort> & { reads: number } {
  const port = f.guests.snapshotPort();
  const p = {
    ...port,
    reads: 0,
    state: async (g: GuestRef) => {
      p.reads++;
      const s = await port.state(g);
      return p.reads <= times ? { ...s, lock } : s;
    },
  };
  return p;
}

describe("recover(): guests and their journal locks", () => {
  it("recovers every guest, and releases only the dead process's lock of the guest it was on", async () => {
    f.journal.createTx(newTx("0000000000open0001", G));
    const h = await crashed(H, "during-exec");
    const report = await f.engine().recover();
    // G is recovered first, while H's stale lock is still there: it is not G's.
    expect(report.staleLocksReleased).toEqual([{ guestKey: "102", pid: h.pid, txid: h.txid }]);
    expect(report.transactions).toEqual([
      { txid: "0000000000open0001", guest: G, from: "INTENT", to: "ABORTED" },
      { txid: h.txid, guest: H, from: "EXECUTING", to: "ROLLED_BACK" },
    ]);
    expect(report.errors).toEqual([]);
    expect(report.skipped).toEqual([]);
    expect(f.journal.locks()).toEqual([]);
    expect(f.read(H.vmid, "data.txt")).toBe("original\n");
  });

  it("skips and reports a guest that no longer exists, and recovers the others", async () => {
    const ghost = { vmid: 999 }; // never created: the port says it does not exist
    f.journal.createTx(newTx("0000000000ghost01", ghost));
    f.journal.createTx(newTx("0000000000open0001", G));
    const report = await f.engine().recover();
    expect(report.skipped).toEqual([{ guest: ghost, reason: "guest 999 no longer exists" }]);
    expect(report.transactions).toEqual([
      { txid: "0000000000open0001", guest: G, from: "INTENT", to: "ABORTED" },
    ]);
    expect(f.journal.getTx("0000000000ghost01").state).toBe("INTENT");
  });

  it("recovers a guest whose existence the port cannot tell, rather than skip it", async () => {
    f.journal.createTx(newTx("0000000000open0001", G));
    const port = f.guests.snapshotPort();
    const e = f.engine({
      snapshots: {
        ...port,
        exists: () => Promise.reject(new Error("API unreachable")),
      },
    });
    const report = await e.recover({ guest: G });
    expect(report.skipped).toEqual([]);
    expect(report.transactions).toEqual([
      { txid: "0000000000open0001", guest: G, from: "INTENT", to: "ABORTED" },
    ]);
  });

  it("reports a guest whose Proxmox lock stays, leaves it untouched and goes on", async () => {
    await txIn("0000000000open0001", G, "EXECUTING");
    f.journal.createTx(newTx("0000000000open0002", H));
    const port = f.guests.snapshotPort();
    const e = f.engine({
      snapshots: {
        ...port,
        state: async (g) => ({
          ...(await port.state(g)),
          ...(g.vmid === G.vmid ? { lock: "backup" } : {}),
        }),
      },
    });
    const report = await e.recover();
    expect(report.errors).toEqual([{ guest: G, message: "guest 101 stays locked (backup)" }]);
    expect(report.transactions).toEqual([
      { txid: "0000000000open0002", guest: H, from: "INTENT", to: "ABORTED" },
    ]);
    expect(f.journal.getTx("0000000000open0001").state).toBe("EXECUTING");
    expect(names(G)).toEqual(["txbox-0000000000open0001"]);
    expect(f.journal.locks()).toEqual([]);
  });
});

describe("waiting for the guest's Proxmox lock to settle", () => {
  it("waits while a task holds the guest, then recovers", async () => {
    await txIn("0000000000open0001", G, "EXECUTING");
    const clock = fakeClock();
    const start = clock.t;
    const port = lockedFor(3);
    const report = await f
      .engine({ clock, snapshots: port, lockSettleMs: 1_000, pollMs: 100 })
      .recover({ guest: G });
    expect(report.errors).toEqual([]);
    expect(report.transactions).toEqual([
      { txid: "0000000000open0001", guest: G, from: "EXECUTING", to: "ROLLED_BACK" },
    ]);
    // three polls saw the lock; the clock moved only by the polls before it cleared
    expect(clock.t - start).toBeGreaterThanOrEqual(300);
    expect(clock.t - start).toBeLessThan(1_000);
  });

  it("gives up at lockSettleMs, not before and not after", async () => {
    await txIn("0000000000open0001", G, "EXECUTING");
    const clock = fakeClock();
    const start = clock.t;
    const port = lockedFor(Infinity);
    const report = await f
      .engine({ clock, snapshots: port, lockSettleMs: 1_000, pollMs: 100 })
      .recover({ guest: G });
    expect(report.errors).toEqual([{ guest: G, message: "guest 101 stays locked (backup)" }]);
    expect(clock.t - start).toBe(1_000);
    expect(port.reads).toBe(11);
  });
});

describe("the open transactions of a guest", () => {
  it("clears a stale snapshot-delete lock and finishes the commit", async () => {
    f.guests.faults.removeLeavesLock = 1;
    const r = await f.engine({ retention: "delete" }).run({
      guest: G,
      command: "echo new > data.txt",
      decision: TRANSACT,
    });
    expect(f.guests.meta(G).lock).toBe("snapshot-delete");
    const report = await f.engine().recover({ guest: G });
    expect(report.unlocked).toEqual([G]);
    expect(report.transactions).toEqual([
      { txid: r.txid, guest: G, from: "COMMITTING", to: "COMMITTED" },
    ]);
    expect(report.errors).toEqual([]);
    expect(f.guests.meta(G).lock).toBeUndefined();
  });

  it("recovers a guest's open transactions oldest first", async () => {
    f.journal.createTx(newTx("0000000000open0001", G));
    f.journal.createTx(newTx("0000000000open0002", G));
    const report = await f.engine().recover({ guest: G });
    expect(report.transactions.map((t) => t.txid)).toEqual([
      "0000000000open0001",
      "0000000000open0002",
    ]);
  });

  it("is not a run: the crash hook of the engine is never called while recovering", async () => {
    const { txid } = await crashed(G, "during-verify");
    const seen: CrashStep[] = [];
    const e = f.engine({
      crash: (s) => {
        seen.push(s);
        throw new SimulatedCrash(s);
      },
    });
    const report = await e.recover();
    expect(seen).toEqual([]);
    expect(report.errors).toEqual([]);
    expect(report.transactions).toEqual([{ txid, guest: G, from: "VERIFYING", to: "ROLLED_BACK" }]);
  });

  it("rolls back to the transaction's snapshot when it exists beside other snapshots", async () => {
    await f.guests.snapshotPort().create(G, "before-upgrade", "an operator's snapshot");
    const { txid } = await crashed(G, "during-verify");
    expect(f.read(G.vmid, "data.txt")).toBe("new\n");
    const report = await f.engine().recover();
    expect(report.transactions).toEqual([{ txid, guest: G, from: "VERIFYING", to: "ROLLED_BACK" }]);
    expect(f.read(G.vmid, "data.txt")).toBe("original\n");
    expect(f.journal.getTx(txid).error).toBeNull();
    expect(names(G)).toEqual(["before-upgrade"]);
  });

  it("ends FAILED when the snapshot is gone, saying so, or keeping the error it had", async () => {
    // (another snapshot is there: only the transaction's own counts)
    await f.guests.snapshotPort().create(G, "before-upgrade", "an operator's snapshot");
    const a = await crashed(G, "during-verify");
    await f.guests.snapshotPort().remove(G, `txbox-${a.txid}`);
    const b = await crashed(H, "during-verify");
    await f.guests.snapshotPort().remove(H, `txbox-${b.txid}`);
    f.journal.update(b.txid, { error: "verify: sshd stopped answering" });
    const report = await f.engine().recover();
    expect(report.transactions.map((t) => t.to)).toEqual(["FAILED", "FAILED"]);
    expect(f.journal.getTx(a.txid).error).toBe(`snapshot txbox-${a.txid} is gone`);
    expect(f.journal.getTx(b.txid).error).toBe("verify: sshd stopped answering");
    expect(f.read(G.vmid, "data.txt")).toBe("new\n");
  });

  it("reports a transaction it could not bring to an end, and one whose journal write failed", async () => {
    // A commit whose snapshot delete leaves the guest locked again during recovery.
    f.guests.faults.removeLeavesLock = 2;
    const r = await f.engine({ retention: "delete" }).run({
      guest: G,
      command: "true",
      decision: TRANSACT,
    });
    const report = await f.engine().recover({ guest: G });
    expect(report.transactions).toEqual([
      { txid: r.txid, guest: G, from: "COMMITTING", to: "COMMITTING" },
    ]);
    const error = f.journal.getTx(r.txid).error;
    expect(error).toContain("snapshot delete failed");
    expect(report.errors).toEqual([
      { guest: G, txid: r.txid, message: `still COMMITTING: ${error}` },
    ]);

    // A journal that cannot write one transaction's step: that one is reported, the next recovered.
    f.journal.createTx(newTx("0000000000open0001", H));
    f.journal.createTx(newTx("0000000000open0002", H));
    const journal = failingTransition(f.journal, "0000000000open0001");
    const e = f.engine({ journal });
    const second = await e.recover({ guest: H });
    expect(second.errors).toEqual([
      { guest: H, txid: "0000000000open0001", message: "journal write failed: disk full" },
    ]);
    expect(second.transactions).toEqual([
      { txid: "0000000000open0002", guest: H, from: "INTENT", to: "ABORTED" },
    ]);
  });
});

/** The journal, except that a transition of `txid` fails (a full disk, say). */
function failingTransition(j: Journal, txid: string): Journal {
  return new Proxy(j, {
    get(target, key) {
      if (key === "transition")
        return (id: string, ...rest: unknown[]) => {
          if (id === txid) throw new Error("journal write failed: disk full");
          return (target.transition as (...a: unknown[]) => unknown)(id, ...rest);
        };
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

describe("a run on a guest with an abandoned transaction", () => {
  it("recovers the abandoned transaction first, then runs", async () => {
    f.journal.createTx(newTx("0000000000open0001", G));
    const r = await f
      .engine()
      .run({ guest: G, command: "echo new > data.txt", decision: TRANSACT });
    expect(r.outcome).toBe("committed");
    expect(f.journal.getTx("0000000000open0001").state).toBe("ABORTED");
  });

  it("leaves snapshots alone when nothing on the guest is open", async () => {
    await f.engine({ retention: "delete" }).run({ guest: G, command: "true", decision: TRANSACT });
    await f.guests.snapshotPort().create(G, "txbox-0000000000orphan", "txbox:0000000000orphan");
    const r = await f.engine({ retention: "delete" }).run({
      guest: G,
      command: "true",
      decision: TRANSACT,
    });
    expect(r.outcome).toBe("committed");
    expect(names(G)).toEqual(["txbox-0000000000orphan"]);
  });

  it("refuses to run while the guest stays locked, naming the lock", async () => {
    f.journal.createTx(newTx("0000000000open0001", G));
    const port = f.guests.snapshotPort();
    const e = f.engine({
      snapshots: { ...port, state: async (g) => ({ ...(await port.state(g)), lock: "backup" }) },
    });
    const run = e.run({ guest: G, command: "echo new > data.txt", decision: TRANSACT });
    await expect(run).rejects.toMatchObject({
      code: "E_RECOVERY",
      message: "guest 101 stays locked (backup)",
      details: { vmid: 101, lock: "backup" },
      hint: "A Proxmox task holds the guest; retry recovery when it has finished",
    });
    expect(f.read(G.vmid, "data.txt")).toBe("original\n");
  });

  it("refuses to run when a transaction on the guest cannot be brought to an end", async () => {
    f.guests.faults.removeLeavesLock = 2;
    const first = await f.engine({ retention: "delete" }).run({
      guest: G,
      command: "true",
      decision: TRANSACT,
    });
    const run = f.engine().run({ guest: G, command: "echo new > data.txt", decision: TRANSACT });
    await expect(run).rejects.toMatchObject({
      code: "E_RECOVERY",
      message: "guest 101 has a transaction recovery could not finish",
      details: { vmid: 101, errors: [{ guest: G, txid: first.txid }] },
      hint: "Inspect it with `txbox tx list` and `txbox tx recover`",
    });
    expect(f.read(G.vmid, "data.txt")).toBe("original\n");
  });
});

describe("orphan snapshots", () => {
  const ME: Orchestrator = { host: "a", user: "u", journal: "/j" };
  const OTHER: Orchestrator = { host: "b", user: "u", journal: "/j" };
  const described = (txid: string, orchestrator: Orchestrator) =>
    encodeRecord(
      newRecord({
        txid,
        state: "EXECUTING",
        command: "true",
        orchestrator,
        startedAt: 1,
        leaseUntil: 2,
        keep: false,
      }),
    );

  it("removes txbox-* snapshots no transaction holds, and no others", async () => {
    const port = f.guests.snapshotPort();
    await port.create(G, "before-upgrade", "an operator's snapshot");
    await port.create(G, "txbox-0000000000orphan", "txbox:0000000000orphan");
    const report = await f.engine().recover({ guest: G });
    expect(report.orphansRemoved).toEqual([{ guest: G, snapshot: "txbox-0000000000orphan" }]);
    expect(names(G)).toEqual(["before-upgrade"]);
  });

  it("leaves another orchestrator's transaction snapshot to it; removes its own and legacy ones", async () => {
    const port = f.guests.snapshotPort();
    await port.create(G, "txbox-0000000000theirs", described("0000000000theirs", OTHER));
    await port.create(G, "txbox-00000000000mine", described("00000000000mine", ME));
    await port.create(G, "txbox-0000000000legacy", "txbox:0000000000legacy");
    const report = await f.engine({ record: { orchestrator: ME } }).recover({ guest: G });
    expect(report.orphansRemoved.map((o) => o.snapshot)).toEqual([
      "txbox-00000000000mine",
      "txbox-0000000000legacy",
    ]);
    expect(names(G)).toEqual(["txbox-0000000000theirs"]);
    // Without an orchestrator id of its own, every unjournaled txbox-* snapshot is an orphan.
    const again = await f.engine().recover({ guest: G });
    expect(again.orphansRemoved.map((o) => o.snapshot)).toEqual(["txbox-0000000000theirs"]);
  });

  it("removes the leftover snapshot of a transaction adopted from another orchestrator", async () => {
    // Adopted (cluster recovery): journaled here, so ours to finish, though its record is theirs.
    f.journal.adoptTx({
      ...newTx("0000000000adopted", G),
      state: "ROLLED_BACK",
      createdAt: Date.now(),
      from: "u@b:/j",
    });
    const port = f.guests.snapshotPort();
    await port.create(G, "txbox-0000000000adopted", described("0000000000adopted", OTHER));
    const report = await f.engine({ record: { orchestrator: ME } }).recover({ guest: G });
    expect(report.orphansRemoved.map((o) => o.snapshot)).toEqual(["txbox-0000000000adopted"]);
    expect(f.journal.getTx("0000000000adopted").snapshotRemoved).toBe(true);
  });

  it("removes the leftover snapshot of an ended transaction; keeps a kept commit's and a failure's", async () => {
    await txIn("00000000000rolled", G, "ROLLED_BACK");
    await txIn("0000000keptrolled", G, "ROLLED_BACK", true); // retention keep: not a commit
    await txIn("000000000aborted", G, "ABORTED");
    await txIn("00000000000commit", G, "COMMITTED");
    await txIn("000000000000kept", G, "COMMITTED", true);
    await txIn("00000000000failed", G, "FAILED");
    const report = await f.engine().recover({ guest: G });
    expect(report.orphansRemoved.map((o) => o.snapshot).sort()).toEqual([
      "txbox-00000000000commit",
      "txbox-00000000000rolled",
      "txbox-000000000aborted",
      "txbox-0000000keptrolled",
    ]);
    expect(names(G).sort()).toEqual(["txbox-000000000000kept", "txbox-00000000000failed"]);
    for (const txid of [
      "00000000000rolled",
      "0000000keptrolled",
      "000000000aborted",
      "00000000000commit",
    ])
      expect(f.journal.getTx(txid).snapshotRemoved).toBe(true);
    expect(f.journal.getTx("000000000000kept").snapshotRemoved).toBe(false);
  });

  it("removes a kept commit's snapshot once it is marked removed (pruned, but still there)", async () => {
    await txIn("000000000000kept", G, "COMMITTED", true);
    f.journal.update("000000000000kept", { snapshotRemoved: true });
    const report = await f.engine().recover({ guest: G });
    expect(report.orphansRemoved.map((o) => o.snapshot)).toEqual(["txbox-000000000000kept"]);
  });
});

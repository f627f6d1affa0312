import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { SimulatedCrash, openJournal } from "../src/index.js";
import { GuestBusy, NestedSnapshot, TxNotFound, TxStateError } from "../src/errors.js";
import type { CrashStep } from "../src/crash.js";
import { ALLOW, DENY, TRANSACT, fixture, type Fixture } from "./support/setup.js";

const G = { vmid: 101 };
let f: Fixture;

beforeEach(() => {
  f = fixture();
  f.guests.ensure(G, { "data.txt": "original\n", "etc/passwd": "root:x:0:0\n" });
});
afterEach(() => f.cleanup());

const states = (txid: string): string[] => f.journal.events(txid).map((e) => e.to);

describe("TxEngine.run — transact", () => {
  it("commits a verified command and deletes its snapshot (retention delete)", async () => {
    const r = await f
      .engine({ retention: "delete" })
      .run({ guest: G, command: "echo hi; echo new > data.txt", decision: TRANSACT });
    expect(r).toMatchObject({
      guest: G,
      decision: "transact",
      outcome: "committed",
      exitCode: 0,
      stdout: "hi\n",
      stderr: "",
      rules: ["fs.write"],
      state: "COMMITTED",
    });
    expect(r.txid).toMatch(/^[a-z0-9]{17}$/);
    expect(f.read(101, "data.txt")).toBe("new\n");
    expect(f.guests.meta(G).snapshots).toEqual([]);
    expect(states(r.txid)).toEqual([
      "INTENT",
      "SNAPSHOTTING",
      "SNAPSHOTTED",
      "EXECUTING",
      "EXECUTED",
      "VERIFYING",
      "COMMITTING",
      "COMMITTED",
    ]);
    const tx = f.journal.getTx(r.txid);
    expect(tx).toMatchObject({
      snapshotName: `txbox-${r.txid}`,
      snapshotRemoved: true,
      exitCode: 0,
    });
    expect(tx.stdoutSha256).toBe(
      "98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4",
    );
    expect(Object.keys(r.timings).sort()).toEqual(
      ["commitMs", "execMs", "policyMs", "snapshotMs", "totalMs", "verifyMs"].sort(),
    );
    const audit = f.journal.auditLog();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      txid: r.txid,
      decision: "transact",
      outcome: "committed",
      exitCode: 0,
    });
  });

  it("snapshot name fits the PVE rule and carries the description txbox:<txid>", async () => {
    const r = await f
      .engine({ retention: "keep" })
      .run({ guest: G, command: "true", decision: TRANSACT });
    const [snap] = f.guests.meta(G).snapshots;
    expect(snap?.name).toMatch(/^[a-z][a-z0-9_-]+$/);
    expect(snap?.name.length).toBeLessThanOrEqual(40);
    expect(snap).toMatchObject({ name: `txbox-${r.txid}`, description: `txbox:${r.txid}` });
  });

  it("rolls back on a non-zero exit", async () => {
    const r = await f
      .engine()
      .run({ guest: G, command: "echo new > data.txt; exit 3", decision: TRANSACT });
    expect(r).toMatchObject({ outcome: "rolled-back", exitCode: 3, state: "ROLLED_BACK" });
    expect(r.reason).toContain("exit 3");
    expect(r.timings.rollbackMs).toBeDefined();
    expect(f.read(101, "data.txt")).toBe("original\n");
    expect(f.guests.meta(G).snapshots).toEqual([]);
  });

  it("starts a guest that the rollback left stopped, then waits for SSH", async () => {
    f.cleanup();
    f = fixture({ stopOnRollback: true });
    f.guests.ensure(G, { "data.txt": "original\n" });
    const r = await f
      .engine()
      .run({ guest: G, command: "echo new > data.txt; exit 1", decision: TRANSACT });
    expect(r.outcome).toBe("rolled-back");
    expect(
      f.guests.log.map((l) => l.kind).filter((k) => k === "rollback" || k === "start"),
    ).toEqual(["rollback", "start"]);
    expect(f.guests.meta(G).running).toBe(true);
  });

  it("fails the rollback (E_TIMEOUT) when the guest never answers over SSH again", async () => {
    f.cleanup();
    f = fixture({ stopOnRollback: true });
    f.guests.ensure(G, { "data.txt": "original\n" });
    const { start: _start, ...noStart } = f.guests.snapshotPort();
    const e = f.engine({ snapshots: noStart, sshWaitTimeoutMs: 200 });
    const r = await e.run({ guest: G, command: "exit 1", decision: TRANSACT });
    expect(r).toMatchObject({ outcome: "failed", state: "FAILED", error: { code: "E_TIMEOUT" } });
    expect(f.journal.getTx(r.txid).error).toContain("did not answer over SSH");
  });

  it("accepts configured exit codes", async () => {
    const e = f.engine({ verify: { acceptExitCodes: [0, 1] } });
    const r = await e.run({ guest: G, command: "echo new > data.txt; exit 1", decision: TRANSACT });
    expect(r.outcome).toBe("committed");
    expect(f.read(101, "data.txt")).toBe("new\n");
  });

  it("rolls back when a user check fails", async () => {
    const r = await f.engine().run({
      guest: G,
      command: "echo broken > data.txt",
      decision: TRANSACT,
      checks: ["grep -q original data.txt"],
    });
    expect(r.outcome).toBe("rolled-back");
    expect(r.verify?.reasons).toEqual(["user-check: `grep -q original data.txt` exit 1"]);
    expect(f.read(101, "data.txt")).toBe("original\n");
  });

  it("commits when the user checks pass", async () => {
    const r = await f.engine({ verify: { checks: ["test -s data.txt"] } }).run({
      guest: G,
      command: "echo better > data.txt",
      decision: TRANSACT,
    });
    expect(r.outcome).toBe("committed");
    expect(r.verify?.checks.map((c) => c.check)).toEqual(["exit-code", "reachable", "user-check"]);
  });

  it("rolls back when a protected path changes, or a missing one appears", async () => {
    const e = f.engine({ verify: { protectedPaths: ["etc/passwd", "etc/shadow"] } });
    const r1 = await e.run({
      guest: G,
      command: "echo evil:x:0:0 >> etc/passwd",
      decision: TRANSACT,
    });
    expect(r1.outcome).toBe("rolled-back");
    expect(r1.reason).toContain("changed: etc/passwd");
    expect(f.read(101, "etc/passwd")).toBe("root:x:0:0\n");

    const r2 = await e.run({ guest: G, command: "echo x > etc/shadow", decision: TRANSACT });
    expect(r2.outcome).toBe("rolled-back");
    expect(r2.reason).toContain("changed: etc/shadow");
    expect(existsSync(join(f.guests.root(G), "etc/shadow"))).toBe(false);

    const r3 = await e.run({ guest: G, command: "echo fine > data.txt", decision: TRANSACT });
    expect(r3.outcome).toBe("committed");
  });

  it("rolls back when the guest no longer answers over SSH after the command", async () => {
    const r = await f
      .engine()
      .run({ guest: G, command: "echo new > data.txt; touch .sshd-down", decision: TRANSACT });
    expect(r.outcome).toBe("rolled-back");
    expect(r.reason).toContain("reachable");
    expect(existsSync(join(f.guests.root(G), ".sshd-down"))).toBe(false);
    expect(f.read(101, "data.txt")).toBe("original\n");
  });

  it("rolls back a command that times out", async () => {
    const r = await f.engine().run({
      guest: G,
      command: "echo new > data.txt; sleep 30",
      decision: TRANSACT,
      timeoutMs: 300,
    });
    expect(r).toMatchObject({ outcome: "timed-out", state: "ROLLED_BACK", exitCode: null });
    expect(r.reason).toContain("timed out");
    expect(f.read(101, "data.txt")).toBe("original\n");
    expect(f.journal.getTx(r.txid).timedOut).toBe(true);
  });

  it("rolls back when the transport fails (outcome unknown)", async () => {
    f.guests.faults.execTransportFails = 1;
    const r = await f
      .engine()
      .run({ guest: G, command: "echo new > data.txt", decision: TRANSACT });
    expect(r.outcome).toBe("rolled-back");
    expect(r.reason).toContain("transport failed");
    expect(states(r.txid)).toEqual([
      "INTENT",
      "SNAPSHOTTING",
      "SNAPSHOTTED",
      "EXECUTING",
      "ROLLING_BACK",
      "ROLLED_BACK",
    ]);
  });

  it("does not run the command when the snapshot fails", async () => {
    f.guests.faults.createFails = 1;
    const r = await f
      .engine()
      .run({ guest: G, command: "echo new > data.txt", decision: TRANSACT });
    expect(r).toMatchObject({ outcome: "failed", state: "ABORTED", exitCode: null });
    expect(r.error?.message).toContain("out of space");
    expect(f.read(101, "data.txt")).toBe("original\n");
    expect(f.guests.log.some((l) => l.kind === "exec-start" && l.detail.includes("data.txt"))).toBe(
      false,
    );
  });

  it("retries a rollback that fails once, and the guest is restored", async () => {
    f.guests.faults.rollbackFails = 1;
    const r = await f
      .engine()
      .run({ guest: G, command: "echo new > data.txt; exit 1", decision: TRANSACT });
    expect(r).toMatchObject({ outcome: "rolled-back", state: "ROLLED_BACK" });
    expect(f.read(101, "data.txt")).toBe("original\n");
    expect(f.guests.meta(G).snapshots).toEqual([]);
  });

  it("reports FAILED with the snapshot kept when every rollback attempt fails", async () => {
    f.guests.faults.rollbackFails = 3;
    const r = await f.engine().run({ guest: G, command: "exit 1", decision: TRANSACT });
    expect(r).toMatchObject({
      outcome: "failed",
      state: "FAILED",
      error: { code: "E_ROLLBACK_FAILED" },
    });
    expect(f.guests.meta(G).snapshots.map((s) => s.name)).toEqual([`txbox-${r.txid}`]);
    // Recovery keeps a FAILED transaction's snapshot for the operator.
    const rep = await f.engine().recover({ guest: G });
    expect(rep.orphansRemoved).toEqual([]);
  });

  it("calls the crash hook at each step, in order", async () => {
    const seen: CrashStep[] = [];
    const e = f.engine({ crash: (s) => void seen.push(s) });
    await e.run({ guest: G, command: "true", decision: TRANSACT });
    expect(seen).toEqual([
      "after-intent",
      "during-snapshot",
      "after-snapshot",
      "during-exec",
      "during-verify",
      "during-commit",
    ]);
    seen.length = 0;
    await e.run({ guest: G, command: "false", decision: TRANSACT });
    expect(seen).toEqual([
      "after-intent",
      "during-snapshot",
      "after-snapshot",
      "during-exec",
      "during-verify",
      "during-rollback",
    ]);
  });

  it("a simulated crash leaves the transaction open and its lock held, as a real one would", async () => {
    const e = f.engine({
      crash: (s) => {
        if (s === "during-exec") throw new SimulatedCrash(s);
      },
    });
    await expect(
      e.run({ guest: G, command: "echo new > data.txt", decision: TRANSACT }),
    ).rejects.toThrow(SimulatedCrash);
    const [tx] = f.journal.listTxs();
    expect(tx?.state).toBe("EXECUTING");
    expect(f.journal.locks()).toHaveLength(1);
    // The lock's owner (this process) is alive: recovery must not touch the guest.
    const rep = await f.engine().recover();
    expect(rep.skipped).toHaveLength(1);
    expect(rep.skipped[0]?.reason).toContain("busy");
    expect(f.journal.getTx(tx!.txid).state).toBe("EXECUTING");
  });
});

describe("TxEngine.run — allow and deny", () => {
  it("an allowed command that hits its timeout is timed-out, not executed", async () => {
    const r = await f
      .engine()
      .run({ guest: G, command: "sleep 5; echo late", decision: ALLOW, timeoutMs: 300 });
    expect(r).toMatchObject({ decision: "allow", outcome: "timed-out", exitCode: null });
    expect(r.stdout).toBe("");
    expect(r.reason).toContain("300 ms");
    expect(f.journal.auditLog()[0]).toMatchObject({ outcome: "timed-out", exitCode: null });
  });

  it("audits the executor's digest of the exact output bytes when it gives one", async () => {
    const port = f.guests.execPort();
    const exact = "e".repeat(64);
    const e = f.engine({
      exec: {
        ...port,
        run: async (guest, command, options) => ({
          ...(await port.run(guest, command, options)),
          stdoutSha256: exact,
        }),
      },
    });
    const allowed = await e.run({ guest: G, command: "cat data.txt", decision: ALLOW });
    const tx = await e.run({ guest: G, command: "echo x > y", decision: TRANSACT });
    expect(f.journal.auditLog().map((a) => [a.txid, a.stdoutSha256])).toEqual(
      expect.arrayContaining([
        [allowed.txid, exact],
        [tx.txid, exact],
      ]),
    );
    expect(f.journal.getTx(tx.txid).stdoutSha256).toBe(exact);
  });

  it("never runs a denied command and audits the refusal", async () => {
    const r = await f
      .engine()
      .run({ guest: G, command: "touch ran", decision: DENY, actor: "agent-7" });
    expect(r).toMatchObject({
      outcome: "denied",
      exitCode: null,
      rules: ["fs.rm-root"],
      alternative: "rm -rf ./build",
    });
    expect(r.reason).toContain("policy violation");
    expect(existsSync(join(f.guests.root(G), "ran"))).toBe(false);
    expect(f.guests.log).toEqual([]);
    expect(f.journal.listTxs()).toEqual([]);
    expect(f.journal.auditLog()).toMatchObject([
      {
        txid: r.txid,
        actor: "agent-7",
        decision: "deny",
        outcome: "denied",
        command: "touch ran",
        ruleIds: ["fs.rm-root"],
      },
    ]);
  });

  it("runs an allowed command directly, without a snapshot", async () => {
    const r = await f.engine().run({ guest: G, command: "cat data.txt", decision: ALLOW });
    expect(r).toMatchObject({ outcome: "executed", exitCode: 0, stdout: "original\n" });
    expect(f.guests.log.map((l) => l.kind)).toEqual(["exec-start", "exec-end"]);
    expect(f.journal.listTxs()).toEqual([]);
    expect(f.journal.auditLog()).toMatchObject([
      { decision: "allow", outcome: "executed", exitCode: 0 },
    ]);
  });

  it("uses an injected decide function and times it", async () => {
    const asked: string[] = [];
    const e = f.engine({
      decide: (cmd) => {
        asked.push(cmd);
        return cmd.startsWith("rm") ? DENY : TRANSACT;
      },
    });
    expect((await e.run({ guest: G, command: "rm -rf /" })).outcome).toBe("denied");
    expect((await e.run({ guest: G, command: "echo a > b" })).outcome).toBe("committed");
    expect(asked).toEqual(["rm -rf /", "echo a > b"]);
  });
});

describe("operations", () => {
  it("lists and gets transactions; unknown ids are TxNotFound", async () => {
    const e = f.engine();
    const a = await e.run({ guest: G, command: "true", decision: TRANSACT });
    const b = await e.run({ guest: { vmid: 102 }, command: "true", decision: DENY });
    f.guests.ensure({ vmid: 102 });
    const c = await e.run({ guest: { vmid: 102 }, command: "true", decision: TRANSACT });
    expect(e.listTransactions().map((t) => t.txid)).toEqual([c.txid, a.txid]);
    expect(e.listTransactions({ guest: G }).map((t) => t.txid)).toEqual([a.txid]);
    expect(e.listTransactions({ limit: 1 }).map((t) => t.txid)).toEqual([c.txid]);
    expect(
      e
        .getTransaction(a.txid)
        .events.map((ev) => ev.to)
        .at(-1),
    ).toBe("COMMITTED");
    expect(() => e.getTransaction(b.txid)).toThrow(TxNotFound);
    expect(() => e.getTransaction("nope")).toThrow(TxNotFound);
    expect(() => e.getTransaction("nope")).toThrow(
      expect.objectContaining({ code: "E_TX_NOT_FOUND" }),
    );
  });

  it("rolls a committed transaction back to its kept snapshot", async () => {
    const e = f.engine({ retention: "keep" });
    const r = await e.run({ guest: G, command: "echo new > data.txt", decision: TRANSACT });
    expect(f.read(101, "data.txt")).toBe("new\n");
    const tx = await e.rollbackTransaction(r.txid);
    expect(tx.state).toBe("REVERTED");
    expect(f.read(101, "data.txt")).toBe("original\n");
    expect(f.guests.meta(G).snapshots).toEqual([]);
    await expect(e.rollbackTransaction(r.txid)).rejects.toThrow(TxStateError);
  });

  it("refuses to roll back a transaction whose snapshot was deleted", async () => {
    const e = f.engine({ retention: "delete" });
    const r = await e.run({ guest: G, command: "true", decision: TRANSACT });
    await expect(e.rollbackTransaction(r.txid)).rejects.toMatchObject({ code: "E_TX_STATE" });
  });

  it("keeps committed snapshots by default, in a window pruned at each commit", async () => {
    const e = f.engine({ window: { keepLast: 2, keepForMs: 0 } });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++)
      ids.push((await e.run({ guest: G, command: `echo ${i} > n`, decision: TRANSACT })).txid);
    expect(f.guests.meta(G).snapshots.map((s) => s.name)).toEqual(
      [ids[2], ids[3]].map((id) => `txbox-${id}`),
    );
    expect(ids.map((id) => f.journal.getTx(id!).snapshotRemoved)).toEqual([
      true,
      true,
      false,
      false,
    ]);
    // Kept snapshots are not orphans.
    expect((await e.recover()).orphansRemoved).toEqual([]);
    expect(f.guests.meta(G).snapshots).toHaveLength(2);
  });

  it("every state an outside effect follows is synced before it; the result only after a synced write", async () => {
    const log: string[] = [];
    const j = f.journal;
    const wrap = <
      K extends "transition" | "createTx" | "setLockTx" | "audit" | "unlock" | "tryLock",
    >(
      k: K,
      name: (...a: Parameters<(typeof j)[K]>) => string,
    ): void => {
      const orig = (j[k] as (...a: unknown[]) => unknown).bind(j);
      (j as unknown as Record<string, unknown>)[k] = (...a: Parameters<(typeof j)[K]>) => {
        log.push(`${name(...a)}${j.durable ? " synced" : ""}`);
        return orig(...a);
      };
    };
    wrap("transition", (_id, _from, to) => to);
    wrap("createTx", () => "INTENT");
    wrap("setLockTx", () => "lock-tx");
    wrap("audit", () => "audit");
    wrap("unlock", () => "unlock");
    wrap("tryLock", () => "lock");
    const port = f.guests.snapshotPort();
    const exec = f.guests.execPort();
    const e = f.engine({
      snapshots: {
        ...port,
        create: async (...a) => (log.push("EFFECT snapshot"), port.create(...a)),
      },
      exec: { ...exec, run: async (...a) => (log.push("EFFECT exec"), exec.run(...a)) },
    });
    await e.run({ guest: G, command: "echo 1 > n", decision: TRANSACT });
    log.push("returned");
    expect(log).toEqual([
      "lock", // synced with SNAPSHOTTING: only live processes need it (locks.ts)
      "INTENT",
      "lock-tx",
      "SNAPSHOTTING synced",
      "EFFECT snapshot",
      "SNAPSHOTTED",
      "EXECUTING synced",
      "EFFECT exec",
      "EXECUTED",
      "VERIFYING",
      "COMMITTING",
      "COMMITTED",
      "audit",
      "unlock synced",
      "returned",
    ]);
    expect(j.durable).toBe(true);
  });

  it("with pruneInBackground, a commit returns first and the window is pruned after it", async () => {
    const e = f.engine({ window: { keepLast: 1, keepForMs: 0 }, pruneInBackground: true });
    const first = await e.run({ guest: G, command: "echo 1 > n", decision: TRANSACT });
    // Hold the snapshot delete until released: the next commit's result must not wait for it.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const port = f.guests.snapshotPort();
    const slow = f.engine({
      window: { keepLast: 1, keepForMs: 0 },
      pruneInBackground: true,
      snapshots: {
        ...port,
        remove: async (g, name) => {
          await gate;
          return port.remove(g, name);
        },
      },
    });
    const second = await slow.run({ guest: G, command: "echo 2 > n", decision: TRANSACT });
    expect(second.outcome).toBe("committed");
    expect(f.guests.meta(G).snapshots).toHaveLength(2);
    expect(f.journal.getTx(first.txid).snapshotRemoved).toBe(false);
    // The next transaction on the guest waits for the prune; settled() waits for all of them.
    const third = slow.run({ guest: G, command: "echo 3 > n", decision: TRANSACT });
    release();
    expect((await third).outcome).toBe("committed");
    await slow.settled();
    expect(f.journal.getTx(first.txid).snapshotRemoved).toBe(true);
    expect(f.guests.meta(G).snapshots.map((s) => s.name)).toEqual([`txbox-${(await third).txid}`]);
    expect(f.journal.locks()).toEqual([]);
  });

  it("prunes committed snapshots older than the window's age at the next commit", async () => {
    let now = 1_000_000;
    const clock = { now: () => now, sleep: async () => {} };
    const journal = openJournal(join(f.dir, "aged.db"), { now: clock.now });
    const e = f.engine({ journal, clock, window: { keepLast: 10, keepForMs: 60_000 } });
    const old = await e.run({ guest: G, command: "echo a > n", decision: TRANSACT });
    now += 61_000;
    const fresh = await e.run({ guest: G, command: "echo b > n", decision: TRANSACT });
    expect(journal.getTx(old.txid).snapshotRemoved).toBe(true);
    expect(journal.getTx(fresh.txid).snapshotRemoved).toBe(false);
    journal.close();
  });

  it("reverting a commit undoes the later ones too: they end REVERTED, snapshots removed", async () => {
    const e = f.engine();
    const r1 = await e.run({ guest: G, command: "echo one > data.txt", decision: TRANSACT });
    const r2 = await e.run({ guest: G, command: "echo two > data.txt", decision: TRANSACT });
    const done = await e.rollbackTransaction(r1.txid);
    expect(done).toMatchObject({ state: "REVERTED", superseded: [r2.txid] });
    expect(f.read(101, "data.txt")).toBe("original\n");
    expect(f.journal.getTx(r2.txid)).toMatchObject({ state: "REVERTED", snapshotRemoved: true });
    expect(f.journal.events(r2.txid).at(-1)?.event).toEqual({ type: "SUPERSEDED", by: r1.txid });
    expect(f.guests.meta(G).snapshots).toEqual([]);
  });

  it("recover skips and reports a guest that no longer exists, and recovers the others", async () => {
    const ghost = { vmid: 999 };
    f.journal.createTx({
      txid: "0000000000ghost01",
      guest: ghost,
      command: "true",
      decision: "transact",
      ruleIds: [],
      reasons: [],
      snapshotName: "txbox-0000000000ghost01",
      keepSnapshot: false,
    });
    f.journal.createTx({
      txid: "0000000000alive01",
      guest: G,
      command: "true",
      decision: "transact",
      ruleIds: [],
      reasons: [],
      snapshotName: "txbox-0000000000alive01",
      keepSnapshot: false,
    });
    const report = await f.engine().recover();
    expect(report.skipped).toEqual([{ guest: ghost, reason: "guest 999 no longer exists" }]);
    expect(report.errors).toEqual([]);
    expect(report.transactions).toEqual([
      { txid: "0000000000alive01", guest: G, from: "INTENT", to: "ABORTED" },
    ]);
  });

  it("prunes kept snapshots beyond keepLast, newest kept", async () => {
    const e = f.engine({ retention: "keep" });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await e.run({ guest: G, command: `echo ${i} > n`, decision: TRANSACT })).txid);
    const pruned = await e.pruneSnapshots({ keepLast: 1 });
    expect(pruned.map((p) => p.txid).sort()).toEqual([ids[0], ids[1]].sort());
    expect(f.guests.meta(G).snapshots.map((s) => s.name)).toEqual([`txbox-${ids[2]}`]);
    expect(await e.pruneSnapshots({ keepLast: 1 })).toEqual([]);
  });
});

describe("zfspool: only the newest snapshot can be rolled back to", () => {
  beforeEach(() => {
    f.cleanup();
    f = fixture({ zfs: true });
    f.guests.ensure(G, { "data.txt": "original\n" });
  });

  it("reverts an older commit by first discarding the later commits' snapshots", async () => {
    const e = f.engine({ retention: "keep" });
    const r1 = await e.run({ guest: G, command: "echo one > data.txt", decision: TRANSACT });
    const r2 = await e.run({ guest: G, command: "echo two > data.txt", decision: TRANSACT });
    expect(await e.rollbackTransaction(r1.txid)).toMatchObject({
      state: "REVERTED",
      superseded: [r2.txid],
    });
    expect(f.read(101, "data.txt")).toBe("original\n");
    expect(f.guests.meta(G).snapshots).toEqual([]);
  });

  it("refuses to revert while a newer snapshot that is not a later commit's exists (E_NESTED)", async () => {
    const e = f.engine({ retention: "keep" });
    const r1 = await e.run({ guest: G, command: "echo one > data.txt", decision: TRANSACT });
    await f.guests.snapshotPort().create(G, "operator-snap", "someone else's snapshot");
    const r2 = await e.run({ guest: G, command: "echo two > data.txt", decision: TRANSACT });
    await expect(e.rollbackTransaction(r1.txid)).rejects.toThrow(NestedSnapshot);
    await expect(e.rollbackTransaction(r1.txid)).rejects.toMatchObject({
      code: "E_NESTED",
      details: { newer: ["operator-snap"] },
    });
    expect(f.read(101, "data.txt")).toBe("two\n");
    expect(f.journal.getTx(r2.txid).state).toBe("COMMITTED");
    expect((await e.rollbackTransaction(r2.txid)).state).toBe("REVERTED");
    expect(f.read(101, "data.txt")).toBe("one\n");
  });

  it("refuses before executing when a newer snapshot appears next to ours", async () => {
    const port = f.guests.snapshotPort();
    const e = f.engine({
      snapshots: {
        ...port,
        create: async (guest, name, description) => {
          await port.create(guest, name, description);
          await port.create(guest, "outer-tool", "someone else's snapshot");
        },
      },
    });
    const run = e.run({ guest: G, command: "echo new > data.txt", decision: TRANSACT });
    await expect(run).rejects.toThrow(NestedSnapshot);
    expect(f.read(101, "data.txt")).toBe("original\n");
    const [tx] = f.journal.listTxs();
    expect(tx?.state).toBe("ABORTED");
    expect(f.journal.auditLog()[0]?.outcome).toBe("failed");
  });
});

describe("guest locks", () => {
  it("waits for a live holder, then fails with GuestBusy", async () => {
    // The parent of this test process is alive for the whole test.
    f.journal.tryLock(G, { pid: process.ppid, start: "", token: "other" }, "othertx", () => false);
    const e = f.engine({ lockTimeoutMs: 200 });
    const run = e.run({ guest: G, command: "echo new > data.txt", decision: TRANSACT });
    await expect(run).rejects.toThrow(GuestBusy);
    await expect(e.run({ guest: G, command: "true", decision: TRANSACT })).rejects.toMatchObject({
      code: "E_GUEST_BUSY",
      details: { pid: process.ppid, txid: "othertx" },
    });
    expect(f.read(101, "data.txt")).toBe("original\n");
  });

  it("takes over the lock of a dead process", async () => {
    const dead = spawnSync("true").pid as number;
    f.journal.tryLock(G, { pid: dead, start: "1", token: "dead" }, null, () => false);
    const r = await f
      .engine({ lockTimeoutMs: 200 })
      .run({ guest: G, command: "true", decision: TRANSACT });
    expect(r.outcome).toBe("committed");
    expect(f.journal.locks()).toEqual([]);
  });

  it("serialises transactions on one guest and overlaps different guests (8 on 4)", async () => {
    const guests = [101, 102, 103, 104].map((vmid) => ({ vmid }));
    for (const g of guests) f.guests.ensure(g, { "count.txt": "0\n" });
    const barrier = join(f.dir, "barrier");
    // Each guest's first command waits until all four guests are executing at once: if guests
    // were serialised, it would give up and the transaction would roll back.
    const meet = `mkdir -p ${barrier}; touch ${barrier}/$$; for i in $(seq 500); do [ $(ls ${barrier} | wc -l) -ge 4 ] && break; sleep 0.02; done; [ $(ls ${barrier} | wc -l) -ge 4 ]`;
    const bump = "n=$(cat count.txt); sleep 0.05; echo $((n+1)) > count.txt";
    const e = f.engine();
    const runs = guests.flatMap((g) => [
      e.run({ guest: g, command: `${bump}; ${meet}`, decision: TRANSACT }),
      e.run({ guest: g, command: bump, decision: TRANSACT }),
    ]);
    const results = await Promise.all(runs);
    expect(results.map((r) => r.outcome)).toEqual(Array(8).fill("committed"));
    for (const g of guests) {
      expect(f.read(g.vmid, "count.txt")).toBe("2\n");
      const lifecycle = f.guests.log.filter(
        (l) => l.vmid === g.vmid && l.detail.includes("count.txt"),
      );
      expect(lifecycle.map((l) => l.kind)).toEqual([
        "exec-start",
        "exec-end",
        "exec-start",
        "exec-end",
      ]);
    }
    expect(f.journal.locks()).toEqual([]);
  });
});

import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import Database from "better-sqlite3";
import { spawnSync } from "node:child_process";
import {
  closeSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { openJournal, validWalHeader, type Journal } from "../src/journal.js";

const here = dirname(fileURLToPath(import.meta.url));
import { InvalidTransition, JournalError, TxNotFound } from "../src/errors.js";
import { ownerAlive, processStartTime } from "../src/lock.js";

let dir: string;
let j: Journal;
const tx = {
  txid: "abc",
  guest: { vmid: 100, node: "pve1" },
  command: "make",
  decision: "transact",
  ruleIds: ["r1"],
  reasons: ["why"],
  snapshotName: "txbox-abc",
  keepSnapshot: false,
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "txbox-journal-"));
  j = openJournal(join(dir, "j.db"));
});
afterEach(() => {
  j.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("journal", () => {
  it("uses WAL with synchronous=FULL", () => {
    const db = new Database(join(dir, "j.db"));
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    db.close();
  });

  it("lazily: writes inside are not synced on their own; synced writes resume after, also on a throw", () => {
    expect(j.durable).toBe(true);
    j.lazily(() => {
      expect(j.durable).toBe(false);
      j.createTx(tx);
      j.lazily(() => expect(j.durable).toBe(false));
      expect(j.durable).toBe(false);
    });
    expect(j.durable).toBe(true);
    expect(() =>
      j.lazily(() => {
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(j.durable).toBe(true);
    // What was written lazily is there (and on disk with the next synced write).
    expect(j.getTx("abc").state).toBe("INTENT");
  });

  it("journals transitions with compare-and-set and an append-only history", () => {
    j.createTx(tx);
    j.transition("abc", "INTENT", "SNAPSHOTTING", { type: "BEGIN" });
    j.transition(
      "abc",
      "SNAPSHOTTING",
      "SNAPSHOTTED",
      { type: "SNAPSHOT_OK" },
      { timings: { snapshotMs: 5 } },
    );
    const t = j.transition(
      "abc",
      "SNAPSHOTTED",
      "EXECUTING",
      { type: "PREPARED" },
      { timings: { prepareMs: 2 } },
    );
    expect(t).toMatchObject({
      state: "EXECUTING",
      guest: { vmid: 100, node: "pve1" },
      timings: { snapshotMs: 5, prepareMs: 2 },
    });
    expect(() => j.transition("abc", "SNAPSHOTTED", "EXECUTING", { type: "PREPARED" })).toThrow(
      InvalidTransition,
    );
    expect(() => j.transition("zzz", "INTENT", "SNAPSHOTTING", { type: "BEGIN" })).toThrow(
      TxNotFound,
    );
    expect(j.events("abc").map((e) => [e.from, e.to])).toEqual([
      [null, "INTENT"],
      ["INTENT", "SNAPSHOTTING"],
      ["SNAPSHOTTING", "SNAPSHOTTED"],
      ["SNAPSHOTTED", "EXECUTING"],
    ]);
    const db = new Database(join(dir, "j.db"));
    expect(() => db.prepare("DELETE FROM events").run()).toThrow("append-only");
    expect(() => db.prepare("UPDATE events SET to_state = 'X'").run()).toThrow("append-only");
    db.close();
  });

  it("reads the audit log of a guest by outcome, the newest `limit` records, oldest first", () => {
    const row = (txid: string, vmid: number, outcome: string): void =>
      j.audit({
        txid,
        actor: null,
        guest: { vmid },
        command: `echo ${txid}`,
        decision: outcome === "denied" ? "deny" : "transact",
        ruleIds: [],
        reason: null,
        outcome,
        exitCode: 0,
        stdoutSha256: null,
        stderrSha256: null,
        timings: {},
      });
    row("a", 1, "committed");
    row("b", 1, "denied");
    row("c", 2, "committed");
    row("d", 1, "committed");
    row("e", 1, "committed");
    const ids = (f: Parameters<typeof j.auditLog>[0]): string[] => j.auditLog(f).map((r) => r.txid);
    expect(ids({ guest: { vmid: 1 }, outcome: "committed" })).toEqual(["a", "d", "e"]);
    expect(ids({ guest: { vmid: 1 }, outcome: "committed", limit: 2 })).toEqual(["d", "e"]);
    expect(ids({ guest: { vmid: 1 }, limit: 3 })).toEqual(["b", "d", "e"]);
    expect(ids({ outcome: "denied" })).toEqual(["b"]);
    expect(ids({ limit: 0 })).toEqual([]);
    expect(ids({})).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("keeps the audit log append-only", () => {
    j.audit({
      txid: "t1",
      actor: "agent",
      guest: { vmid: 1 },
      command: "ls",
      decision: "allow",
      ruleIds: [],
      reason: null,
      outcome: "executed",
      exitCode: 0,
      stdoutSha256: null,
      stderrSha256: null,
      timings: { totalMs: 1 },
    });
    expect(j.auditLog()).toMatchObject([{ txid: "t1", actor: "agent", outcome: "executed" }]);
    const db = new Database(join(dir, "j.db"));
    expect(() => db.prepare("UPDATE audit SET outcome = 'x'").run()).toThrow("append-only");
    db.close();
  });

  it("survives reopening: what was journaled is there", () => {
    j.createTx(tx);
    j.close();
    j = openJournal(join(dir, "j.db"));
    expect(j.getTx("abc").state).toBe("INTENT");
  });

  it("fails with JournalError on a file that is not a database", () => {
    const bad = join(dir, "bad.db");
    writeFileSync(
      bad,
      "this is not sqlite, not at all, and long enough to have a header".repeat(20),
    );
    expect(() => openJournal(bad)).toThrow(JournalError);
  });

  it("a guest lock is exclusive; a stale one is taken over and reported", () => {
    const a = { pid: process.pid, start: processStartTime(process.pid), token: "a" };
    const b = { pid: process.pid, start: processStartTime(process.pid), token: "b" };
    expect(j.tryLock({ vmid: 1 }, a, null, () => false)).toEqual({ acquired: true });
    expect(j.tryLock({ vmid: 1 }, b, null, () => false)).toMatchObject({
      acquired: false,
      holder: { owner: a },
    });
    expect(j.tryLock({ vmid: 2 }, b, null, () => false)).toEqual({ acquired: true });
    expect(j.tryLock({ vmid: 1 }, b, null, () => true)).toMatchObject({
      acquired: true,
      tookOverFrom: { owner: a },
    });
    j.unlock({ vmid: 1 }, a); // not the holder any more: no effect
    expect(j.locks().map((l) => [l.guestKey, l.owner.token])).toEqual([
      ["1", "b"],
      ["2", "b"],
    ]);
  });

  it("tells live lock owners from dead ones and from reused pids", () => {
    const me = { pid: process.pid, start: processStartTime(process.pid), token: "x" };
    expect(me.start).toMatch(/^\d+$/);
    expect(ownerAlive(me)).toBe(true);
    expect(ownerAlive({ ...me, start: String(Number(me.start) + 1) })).toBe(false);
    expect(ownerAlive({ pid: 2 ** 22 + 12345, start: "", token: "y" })).toBe(false);
  });
});

describe("the write-ahead log beside the journal", () => {
  const file = (): string => join(dir, "w.db");
  /** A journal whose writer was SIGKILLed: its WAL holds the only copy of a committed row. */
  function crashedWriter(): void {
    const script = `const D = require("better-sqlite3"); const db = new D(${JSON.stringify(file())});
      db.pragma("journal_mode = WAL"); db.exec("CREATE TABLE t (x)"); db.prepare("INSERT INTO t VALUES (1)").run();
      process.kill(process.pid, "SIGKILL");`;
    const r = spawnSync(process.execPath, ["-e", script], { cwd: join(here, "..") });
    expect(r.signal).toBe("SIGKILL");
  }

  it("a WAL left by a crashed writer is accepted and its frames are read", () => {
    crashedWriter();
    expect(statSync(`${file()}-wal`).size).toBeGreaterThan(32);
    rmSync(`${file()}-shm`, { force: true });
    const header = Buffer.alloc(32);
    const fd = openSync(`${file()}-wal`, "r");
    readSync(fd, header, 0, 32, 0);
    closeSync(fd);
    expect(validWalHeader(header)).toBe(true);
    const again = openJournal(file());
    again.close();
    const db = new Database(file(), { readonly: true });
    expect(db.prepare("SELECT x FROM t").all()).toEqual([{ x: 1 }]);
    db.close();
  });

  it("refuses a garbage WAL like a damaged journal", () => {
    crashedWriter();
    writeFileSync(`${file()}-wal`, Buffer.alloc(4096, 0x41));
    expect(() => openJournal(file())).toThrow(JournalError);
    expect(() => openJournal(file())).toThrow(/write-ahead log .* is damaged \(4096 bytes/);
  });

  it("refuses an empty WAL that has no shared-memory file", () => {
    openJournal(file()).close();
    writeFileSync(`${file()}-wal`, "");
    rmSync(`${file()}-shm`, { force: true });
    expect(() => openJournal(file())).toThrow(JournalError);
    expect(() => openJournal(file())).toThrow(/empty, with no shared-memory file/);
  });

  it("refuses a WAL shorter than its header", () => {
    openJournal(file()).close();
    writeFileSync(`${file()}-wal`, "x");
    expect(() => openJournal(file())).toThrow(/1 bytes without a valid SQLite WAL header/);
  });
});

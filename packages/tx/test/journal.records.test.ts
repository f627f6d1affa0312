// The journal field by field: what a transaction, an event, an audit record and a lock read back
// as after each write, how lists filter and order, and how failures are reported. The engine and
// `txbox tx` rely on each of these (recovery reads `snapshotRemoved`, `keepSnapshot`, `timings`;
// `tx list` filters by guest, state and limit).
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import Database from "better-sqlite3";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openJournal, validWalHeader, type Journal, type NewTx } from "../src/journal.js";
import { InvalidTransition, JournalError, TxNotFound } from "../src/errors.js";
import { blank, caught } from "./support/journal-fields.js";

let dir: string;
let file: string;
let clock: number;
let j: Journal;

const base: NewTx = {
  txid: "t1",
  guest: { vmid: 7 },
  command: "make install",
  decision: "transact",
  ruleIds: ["pkg.install", "fs.write"],
  reasons: ["installs packages"],
  snapshotName: "txbox-t1",
  keepSnapshot: true,
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "txbox-journal-rec-"));
  file = join(dir, "j.db");
  clock = 1000;
  j = openJournal(file, { now: () => clock });
});
afterEach(() => {
  j.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a transaction as the journal stores it", () => {
  it("reads back every field of a new transaction, with null for what is not known yet", () => {
    expect(j.createTx(base)).toStrictEqual({
      ...blank,
      txid: "t1",
      guest: { vmid: 7 },
      command: "make install",
      decision: "transact",
      ruleIds: ["pkg.install", "fs.write"],
      reasons: ["installs packages"],
      snapshotName: "txbox-t1",
      keepSnapshot: true,
      createdAt: 1000,
      updatedAt: 1000,
    });
    const other = j.createTx({
      ...base,
      txid: "t2",
      guest: { vmid: 8, node: "pve2" },
      actor: "agent-1",
      keepSnapshot: false,
    });
    expect(other).toMatchObject({ guest: { vmid: 8, node: "pve2" }, actor: "agent-1" });
    expect(other.keepSnapshot).toBe(false);
    expect(j.events("t1")).toStrictEqual([
      { seq: 1, txid: "t1", at: 1000, from: null, to: "INTENT", event: { type: "INTENT" } },
    ]);
  });

  it("a transition writes its patch, merges timings, stamps the time and appends the event", () => {
    j.createTx(base);
    clock = 2000;
    j.transition("t1", "INTENT", "SNAPSHOTTING", { type: "BEGIN" }, { timings: { a: 1 } });
    clock = 3000;
    const t = j.transition(
      "t1",
      "SNAPSHOTTING",
      "SNAPSHOTTED",
      { type: "SNAPSHOT_OK" },
      {
        exitCode: 3,
        signal: "SIGTERM",
        timedOut: true,
        stdoutSha256: "out-digest",
        stderrSha256: "err-digest",
        baseline: { "/etc/passwd": "d1" },
        verify: { ok: false, failed: ["/etc/passwd"] },
        error: "boom",
        snapshotRemoved: true,
        timings: { b: 2 },
      },
    );
    expect(t).toStrictEqual({
      ...base,
      ...blank,
      guest: { vmid: 7 },
      state: "SNAPSHOTTED",
      exitCode: 3,
      signal: "SIGTERM",
      timedOut: true,
      stdoutSha256: "out-digest",
      stderrSha256: "err-digest",
      baseline: { "/etc/passwd": "d1" },
      verify: { ok: false, failed: ["/etc/passwd"] },
      error: "boom",
      snapshotRemoved: true,
      timings: { a: 1, b: 2 },
      createdAt: 1000,
      updatedAt: 3000,
    });
    // A field the patch does not name keeps its value.
    clock = 3500;
    expect(j.update("t1", { timings: { c: 3 } })).toStrictEqual({
      ...t,
      timings: { a: 1, b: 2, c: 3 },
      updatedAt: 3500,
    });
    // false and null are values too: they overwrite, and a later timing replaces an earlier one.
    clock = 4000;
    const u = j.transition(
      "t1",
      "SNAPSHOTTED",
      "EXECUTING",
      { type: "PREPARED" },
      {
        exitCode: null,
        signal: null,
        timedOut: false,
        error: null,
        snapshotRemoved: false,
        timings: { a: 5 },
      },
    );
    expect(u).toMatchObject({
      exitCode: null,
      signal: null,
      error: null,
      timings: { a: 5, b: 2 },
      stdoutSha256: "out-digest",
      updatedAt: 4000,
    });
    expect(u.timedOut).toBe(false);
    expect(u.snapshotRemoved).toBe(false);
    expect(j.events("t1").map((e) => [e.seq, e.at, e.from, e.to, e.event])).toStrictEqual([
      [1, 1000, null, "INTENT", { type: "INTENT" }],
      [2, 2000, "INTENT", "SNAPSHOTTING", { type: "BEGIN" }],
      [3, 3000, "SNAPSHOTTING", "SNAPSHOTTED", { type: "SNAPSHOT_OK" }],
      [4, 4000, "SNAPSHOTTED", "EXECUTING", { type: "PREPARED" }],
    ]);
  });

  it("a refused transition names both states and changes nothing", () => {
    j.createTx(base);
    let err: unknown;
    try {
      j.transition("t1", "EXECUTING", "VERIFYING", { type: "VERIFY_BEGIN" }, { error: "x" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidTransition);
    expect((err as InvalidTransition).message).toBe(
      "transaction t1 is INTENT, expected EXECUTING (another process drives it?)",
    );
    expect((err as InvalidTransition).details).toEqual({
      txid: "t1",
      state: "INTENT",
      expected: "EXECUTING",
      to: "VERIFYING",
    });
    expect(j.getTx("t1")).toMatchObject({ state: "INTENT", error: null });
    expect(j.events("t1")).toHaveLength(1);
  });

  it("update changes fields, keeps the state, appends no event, and checks `expect`", () => {
    j.createTx(base);
    clock = 5000;
    const u = j.update("t1", { snapshotRemoved: true, timings: { cleanupMs: 9 } });
    expect(u).toMatchObject({ state: "INTENT", snapshotRemoved: true, updatedAt: 5000 });
    expect(u.timings).toStrictEqual({ cleanupMs: 9 });
    expect(j.update("t1", { error: "e" }, "INTENT").error).toBe("e");
    expect(caught(() => j.update("t1", { error: "f" }, "COMMITTED"))).toMatchObject({
      constructor: InvalidTransition,
      message: "transaction t1 is INTENT, expected COMMITTED",
      details: { txid: "t1", state: "INTENT", expected: "COMMITTED" },
    });
    expect(j.getTx("t1").error).toBe("e");
    expect(j.events("t1")).toHaveLength(1);
    expect(caught(() => j.update("nope", { error: "x" }))).toMatchObject({
      constructor: TxNotFound,
      message: "no transaction nope in the journal",
      details: { txid: "nope" },
    });
  });

  it("an unknown transaction is TxNotFound (not a journal failure), naming the journal", () => {
    expect(j.findTx("nope")).toBeUndefined();
    let err: unknown;
    try {
      j.getTx("nope");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TxNotFound);
    expect((err as TxNotFound).message).toBe(`no transaction nope in the journal ${file}`);
    expect((err as TxNotFound).hint).toBe("List transactions with `txbox tx list`");
    expect((err as TxNotFound).details).toEqual({ txid: "nope" });
    expect(
      caught(() => j.transition("nope", "INTENT", "SNAPSHOTTING", { type: "BEGIN" })),
    ).toMatchObject({
      constructor: TxNotFound,
      message: "no transaction nope in the journal",
      details: { txid: "nope" },
    });
  });
});

describe("listing", () => {
  beforeEach(() => {
    clock = 10;
    j.createTx({ ...base, txid: "a", guest: { vmid: 1 } });
    clock = 20;
    j.createTx({ ...base, txid: "b", guest: { vmid: 2 } });
    j.createTx({ ...base, txid: "c", guest: { vmid: 1 } });
    clock = 30;
    j.createTx({ ...base, txid: "d", guest: { vmid: 1, node: "n" } });
    j.transition("b", "INTENT", "SNAPSHOTTING", { type: "BEGIN" });
  });
  const ids = (list: { txid: string }[]) => list.map((t) => t.txid);

  it("lists newest first, then by txid, descending", () => {
    expect(ids(j.listTxs())).toEqual(["d", "c", "b", "a"]);
  });

  it("filters by guest (a node is part of the key), by state, or both", () => {
    expect(ids(j.listTxs({ guest: { vmid: 1 } }))).toEqual(["c", "a"]);
    expect(ids(j.listTxs({ guest: { vmid: 1, node: "n" } }))).toEqual(["d"]);
    expect(ids(j.listTxs({ states: ["SNAPSHOTTING"] }))).toEqual(["b"]);
    expect(ids(j.listTxs({ states: ["SNAPSHOTTING", "INTENT"] }))).toEqual(["d", "c", "b", "a"]);
    expect(ids(j.listTxs({ states: [] }))).toEqual([]);
    expect(ids(j.listTxs({ guest: { vmid: 2 }, states: ["INTENT"] }))).toEqual([]);
    expect(ids(j.listTxs({ guest: { vmid: 2 }, states: ["SNAPSHOTTING"] }))).toEqual(["b"]);
  });

  it("limits to whole, non-negative counts", () => {
    expect(ids(j.listTxs({ limit: 2 }))).toEqual(["d", "c"]);
    expect(ids(j.listTxs({ limit: 1.9 }))).toEqual(["d"]);
    expect(ids(j.listTxs({ limit: 0 }))).toEqual([]);
    expect(ids(j.listTxs({ limit: -3 }))).toEqual([]);
  });

  it("guest keys: every guest with a transaction or a lock, once, sorted", () => {
    j.tryLock({ vmid: 5 }, { pid: 1, start: "1", token: "x" }, null, () => false);
    j.tryLock({ vmid: 1 }, { pid: 1, start: "1", token: "x" }, null, () => false);
    expect(j.guestKeys()).toEqual(["1", "2", "5", "n/1"]);
  });
});

describe("the audit log", () => {
  const record = {
    txid: "t1",
    actor: null,
    guest: { vmid: 3 },
    command: "rm -rf /",
    decision: "deny",
    ruleIds: ["fs.wipe"],
    reason: "destroys the guest",
    outcome: "denied",
    exitCode: null,
    stdoutSha256: null,
    stderrSha256: null,
    timings: { gateMs: 1 },
  };

  it("stores every field; `at` defaults to the clock", () => {
    clock = 77;
    j.audit(record);
    j.audit({
      ...record,
      at: 99,
      txid: "t2",
      actor: "agent",
      guest: { vmid: 4, node: "pve1" },
      outcome: "executed",
      exitCode: 2, // not 0: a falsy code would hide a lost value
      stdoutSha256: "o",
      stderrSha256: "e",
    });
    expect(j.auditLog()).toStrictEqual([
      { ...record, seq: 1, at: 77 },
      {
        ...record,
        seq: 2,
        at: 99,
        txid: "t2",
        actor: "agent",
        guest: { vmid: 4, node: "pve1" },
        outcome: "executed",
        exitCode: 2,
        stdoutSha256: "o",
        stderrSha256: "e",
      },
    ]);
  });

  it("filters by guest and keeps the newest `limit` records, oldest first", () => {
    for (const [txid, vmid] of [
      ["a", 3],
      ["b", 4],
      ["c", 3],
      ["d", 3],
    ] as const)
      j.audit({ ...record, txid, guest: { vmid } });
    expect(j.auditLog({ guest: { vmid: 3 } }).map((r) => r.txid)).toEqual(["a", "c", "d"]);
    expect(j.auditLog({ limit: 2 }).map((r) => r.txid)).toEqual(["c", "d"]);
    expect(j.auditLog({ guest: { vmid: 3 }, limit: 1 }).map((r) => r.txid)).toEqual(["d"]);
  });
});

describe("guest locks", () => {
  const a = { pid: 11, start: "111", token: "a" };
  const b = { pid: 22, start: "222", token: "b" };

  it("records owner, transaction and time; the holder may take it again", () => {
    clock = 500;
    expect(j.tryLock({ vmid: 1 }, a, "t1", () => false)).toStrictEqual({ acquired: true });
    expect(j.locks()).toStrictEqual([{ guestKey: "1", owner: a, txid: "t1", acquiredAt: 500 }]);
    clock = 600;
    expect(j.tryLock({ vmid: 1 }, a, null, () => true)).toStrictEqual({ acquired: true });
    expect(j.locks()).toStrictEqual([{ guestKey: "1", owner: a, txid: null, acquiredAt: 600 }]);
  });

  it("asks about the holder, and reports it when it is not stale", () => {
    j.tryLock({ vmid: 1, node: "pve1" }, a, "t1", () => false);
    const asked: unknown[] = [];
    const r = j.tryLock({ vmid: 1, node: "pve1" }, b, "t2", (h) => {
      asked.push(h);
      return false;
    });
    expect(asked).toStrictEqual([a]);
    expect(r).toStrictEqual({
      acquired: false,
      holder: { guestKey: "pve1/1", owner: a, txid: "t1", acquiredAt: 1000 },
    });
    expect(j.locks().map((l) => l.owner.token)).toEqual(["a"]);
  });

  it("only the holder sets the lock's transaction or releases it", () => {
    j.tryLock({ vmid: 1 }, a, null, () => false);
    j.setLockTx({ vmid: 1 }, b, "t-b");
    expect(j.locks()[0]!.txid).toBeNull();
    j.setLockTx({ vmid: 1 }, a, "t-a");
    expect(j.locks()[0]!.txid).toBe("t-a");
    j.unlock({ vmid: 1 }, b);
    expect(j.locks()).toHaveLength(1);
    j.unlock({ vmid: 1 }, a);
    expect(j.locks()).toEqual([]);
  });
});

describe("failures", () => {
  it("a write that finds the journal locked is a retryable JournalError after the busy timeout", () => {
    const other = new Database(file);
    other.exec("BEGIN IMMEDIATE");
    const quick = openJournal(file, { busyTimeoutMs: 50 });
    const started = Date.now();
    let err: unknown;
    try {
      quick.createTx(base);
    } catch (e) {
      err = e;
    }
    // Well below the default 5 s: the option is honoured.
    expect(Date.now() - started).toBeLessThan(2500);
    other.exec("ROLLBACK");
    other.close();
    quick.close();
    expect(err).toBeInstanceOf(JournalError);
    // SQLite's "database is locked"; under jest, from a second test file on, better-sqlite3's
    // error belongs to another realm and reads as {"code":"SQLITE_BUSY"}: either says busy.
    expect((err as JournalError).message).toMatch(
      /^journal write failed \(create\): .*(locked|BUSY)/,
    );
    expect((err as JournalError).retryable).toBe(true);
    expect((err as JournalError).details).toEqual({ file });
  });

  it("reads and writes on a closed journal are JournalErrors naming the operation", () => {
    j.close();
    j.close(); // closing twice is harmless
    const cases: [string, () => unknown][] = [
      ["write failed (create)", () => j.createTx(base)],
      [
        "write failed (transition)",
        () => j.transition("t1", "INTENT", "ABORTED", { type: "BEGIN" }),
      ],
      ["write failed (update)", () => j.update("t1", {})],
      [
        "write failed (audit)",
        () =>
          j.audit({
            ...base,
            actor: null,
            reason: null,
            outcome: "x",
            exitCode: null,
            stdoutSha256: null,
            stderrSha256: null,
            timings: {},
          }),
      ],
      [
        "write failed (lock)",
        () => j.tryLock({ vmid: 1 }, { pid: 1, start: "1", token: "t" }, null, () => false),
      ],
      [
        "write failed (lock)",
        () => j.setLockTx({ vmid: 1 }, { pid: 1, start: "1", token: "t" }, null),
      ],
      ["write failed (unlock)", () => j.unlock({ vmid: 1 }, { pid: 1, start: "1", token: "t" })],
      ["read failed (get)", () => j.findTx("t1")],
      ["read failed (list)", () => j.listTxs()],
      ["read failed (guests)", () => j.guestKeys()],
      ["read failed (events)", () => j.events("t1")],
      ["read failed (audit)", () => j.auditLog()],
      ["read failed (locks)", () => j.locks()],
    ];
    for (const [what, call] of cases) {
      let err: unknown;
      try {
        call();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(JournalError);
      expect((err as JournalError).message).toMatch(
        new RegExp(`^journal ${what.replace(/[()]/g, "\\$&")}: `),
      );
      expect((err as JournalError).retryable).toBe(false);
      expect((err as JournalError).details).toEqual({ file });
    }
  });

  it("a file that cannot be opened names it, with a hint", () => {
    writeFileSync(join(dir, "bad.db"), "not sqlite ".repeat(200));
    let err: unknown;
    try {
      openJournal(join(dir, "bad.db"));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(JournalError);
    expect((err as JournalError).message).toMatch(/^cannot open the journal .*bad\.db: /);
    expect((err as JournalError).details).toEqual({ file: join(dir, "bad.db") });
    expect((err as JournalError).hint).toMatch(/writable/);
  });
});

describe("opening", () => {
  it("creates missing directories; an in-memory journal works", () => {
    const nested = openJournal(join(dir, "a", "b", "j.db"));
    nested.createTx(base);
    expect(nested.getTx("t1").state).toBe("INTENT");
    nested.close();
    const mem = openJournal(":memory:");
    expect(mem.createTx(base).txid).toBe("t1");
    mem.close();
  });

  it("its own connection is in WAL mode with synchronous=FULL (a journaled state survives a host crash)", () => {
    const db = (j as unknown as { db: Database.Database }).db;
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("synchronous", { simple: true })).toBe(2);
  });
});

/** A WAL header built as SQLite's file format describes it (checksum in the magic's byte order). */
function walHeader(magic: number, fields = [4096, 0, 0x1234, 0xabcd]): Buffer {
  const h = Buffer.alloc(32);
  h.writeUInt32BE(magic, 0);
  h.writeUInt32BE(3007000, 4);
  // page size, checkpoint sequence, salt-1, salt-2
  fields.forEach((v, i) => h.writeUInt32BE(v, 8 + 4 * i));
  const big = magic === 0x377f0683;
  const words = [0, 4, 8, 12, 16, 20].map((i) => (big ? h.readUInt32BE(i) : h.readUInt32LE(i)));
  let s0 = 0;
  let s1 = 0;
  for (let i = 0; i < words.length; i += 2) {
    s0 = (s0 + words[i]! + s1) >>> 0;
    s1 = (s1 + words[i + 1]! + s0) >>> 0;
  }
  h.writeUInt32BE(s0, 24);
  h.writeUInt32BE(s1, 28);
  return h;
}

describe("WAL headers", () => {
  it("the reference header above matches what SQLite writes", () => {
    const db = new Database(join(dir, "w.db"));
    db.pragma("journal_mode = WAL");
    db.exec("CREATE TABLE t (x)");
    const real = readFileSync(join(dir, "w.db-wal")).subarray(0, 32);
    db.close();
    expect(validWalHeader(real)).toBe(true);
    const fields = [8, 12, 16, 20].map((i) => real.readUInt32BE(i));
    // The same fields give the same bytes, checksum included.
    expect(walHeader(real.readUInt32BE(0), fields).equals(real)).toBe(true);
  });

  it("accepts both byte orders and refuses any damaged word", () => {
    for (const magic of [0x377f0682, 0x377f0683]) {
      const good = walHeader(magic);
      expect(validWalHeader(good)).toBe(true);
      for (let byte = 0; byte < 32; byte++) {
        const bad = Buffer.from(good);
        bad[byte] = bad[byte]! ^ 0x10;
        expect([byte, validWalHeader(bad)]).toEqual([byte, false]);
      }
      expect(validWalHeader(good.subarray(0, 31))).toBe(false);
    }
    // A header whose magic is unknown is refused even with a checksum that adds up.
    expect(validWalHeader(walHeader(0x377f0684))).toBe(false);
    expect(validWalHeader(walHeader(0x377f0681))).toBe(false);
  });

  it("a refused log names the files and its size, and says how to recover", () => {
    openJournal(join(dir, "r.db")).close();
    writeFileSync(join(dir, "r.db-wal"), Buffer.alloc(100, 7));
    expect(caught(() => openJournal(join(dir, "r.db")))).toMatchObject({
      constructor: JournalError,
      details: { file: join(dir, "r.db"), wal: join(dir, "r.db-wal"), size: 100 },
      hint: "Restore the journal and its -wal file from a backup, or move both aside to start a new journal",
    });
  });

  it("a log that is only its (valid) header is accepted; an empty one beside a -shm too", () => {
    openJournal(join(dir, "h.db")).close();
    writeFileSync(join(dir, "h.db-wal"), walHeader(0x377f0682));
    rmSync(join(dir, "h.db-shm"), { force: true });
    const h = openJournal(join(dir, "h.db"));
    h.createTx(base);
    h.close();
    openJournal(join(dir, "e.db")).close();
    writeFileSync(join(dir, "e.db-wal"), "");
    writeFileSync(join(dir, "e.db-shm"), "");
    const e = openJournal(join(dir, "e.db"));
    expect(e.listTxs()).toEqual([]);
    e.close();
  });
});

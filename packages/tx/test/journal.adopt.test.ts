// A journal that must already exist (`create: false`: `txbox tx` and cluster recovery read one,
// they never make an empty one); SQLite's own sync mode in and after `lazily` (what `durable`
// reports must be what the connection does); and a transaction adopted from another
// orchestrator's snapshot record: stored field by field in the record's state, with its own
// history, once.
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import Database from "better-sqlite3";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JournalError, JournalNotFound } from "../src/errors.js";
import { openJournal, type Journal, type NewTx } from "../src/journal.js";
import { blank, caught } from "./support/journal-fields.js";

let dir: string;
let clock: number;
let j: Journal | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "txbox-journal-adopt-"));
  clock = 1000;
});
afterEach(() => {
  j?.close();
  j = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe("create: false", () => {
  it("refuses a journal that does not exist, and makes neither it nor its directory", () => {
    const file = join(dir, "sub", "j.db");
    const e = caught(() => openJournal(file, { create: false }));
    expect(e).toBeInstanceOf(JournalNotFound);
    expect(e).toMatchObject({
      code: "E_NO_JOURNAL",
      message: `no journal at ${file}: nothing has run with this configuration yet`,
      details: { file },
      hint: "Transactions of other orchestrators are listed from the cluster with `txbox tx list --cluster`",
    });
    expect(existsSync(join(dir, "sub"))).toBe(false);
  });

  it("opens one that exists, with what it holds", () => {
    const file = join(dir, "j.db");
    openJournal(file).close();
    j = openJournal(file, { create: false });
    expect(j.listTxs()).toEqual([]);
  });

  it("an in-memory journal has no file to look for", () => {
    j = openJournal(":memory:", { create: false });
    expect(j.listTxs()).toEqual([]);
  });

  it("without it (or with create: true) a missing journal is made", () => {
    for (const [name, options] of [
      ["a.db", {}],
      ["b.db", { create: true }],
    ] as const) {
      const file = join(dir, name);
      openJournal(file, options).close();
      expect([name, existsSync(file)]).toEqual([name, true]);
    }
  });
});

describe("lazily", () => {
  // SQLite's synchronous levels: 1 NORMAL (no fsync per commit in WAL mode), 2 FULL.
  const syncMode = (journal: Journal) =>
    (journal as unknown as { db: Database.Database }).db.pragma("synchronous", { simple: true });

  it("turns the connection's fsync per commit off inside, and on again after the outermost", () => {
    j = openJournal(join(dir, "j.db"));
    expect(syncMode(j)).toBe(2);
    j.lazily(() => {
      expect(syncMode(j!)).toBe(1);
      j!.lazily(() => expect(syncMode(j!)).toBe(1));
      expect(syncMode(j!)).toBe(1);
    });
    expect(syncMode(j)).toBe(2);
    expect(() =>
      j!.lazily(() => {
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(syncMode(j)).toBe(2);
  });
});

describe("adoptTx", () => {
  const tx: NewTx = {
    txid: "other-1",
    guest: { vmid: 7, node: "pve2" },
    actor: "ci",
    command: "make install",
    decision: "transact",
    ruleIds: ["pkg.install"],
    reasons: ["installs packages"],
    snapshotName: "txbox-other-1",
    keepSnapshot: true,
  };

  it("stores the transaction in the record's state, created when the record says", () => {
    j = openJournal(join(dir, "j.db"), { now: () => clock });
    const adopted = j.adoptTx({ ...tx, state: "EXECUTING", createdAt: 500, from: "host-b" });
    const expected = {
      ...tx,
      ...blank,
      actor: "ci",
      state: "EXECUTING",
      createdAt: 500,
      updatedAt: 1000,
    };
    expect(adopted).toStrictEqual(expected);
    expect(j.getTx("other-1")).toStrictEqual(expected);
    expect(j.events("other-1")).toStrictEqual([
      {
        seq: 1,
        txid: "other-1",
        at: 1000,
        from: null,
        to: "EXECUTING",
        event: { type: "ADOPTED", from: "host-b" },
      },
    ]);
  });

  it("a guest without a node, no actor, a snapshot not kept", () => {
    j = openJournal(join(dir, "j.db"), { now: () => clock });
    const { actor: _, ...anonymous } = tx;
    const adopted = j.adoptTx({
      ...anonymous,
      guest: { vmid: 8 },
      keepSnapshot: false,
      state: "COMMITTING",
      createdAt: 1,
      from: "host-c",
    });
    expect(adopted).toMatchObject({
      guest: { vmid: 8 },
      actor: null,
      keepSnapshot: false,
      state: "COMMITTING",
    });
    expect(adopted.guest).toStrictEqual({ vmid: 8 });
  });

  it("is idempotent: a known txid comes back as it is, with no second event", () => {
    j = openJournal(join(dir, "j.db"), { now: () => clock });
    const first = j.adoptTx({ ...tx, state: "EXECUTING", createdAt: 500, from: "host-b" });
    clock = 2000;
    const again = j.adoptTx({ ...tx, state: "ROLLING_BACK", createdAt: 900, from: "host-c" });
    expect(again).toStrictEqual(first);
    expect(j.getTx("other-1")).toStrictEqual(first);
    expect(j.events("other-1")).toHaveLength(1);
  });

  it("a transaction of our own keeps its own state and history", () => {
    j = openJournal(join(dir, "j.db"), { now: () => clock });
    const ours = j.createTx(tx);
    expect(ours).toMatchObject({ state: "INTENT", createdAt: 1000, updatedAt: 1000 });
    clock = 3000;
    expect(j.adoptTx({ ...tx, state: "EXECUTING", createdAt: 1, from: "host-b" })).toStrictEqual(
      ours,
    );
    expect(j.events("other-1").map((e) => [e.at, e.from, e.to, e.event])).toStrictEqual([
      [1000, null, "INTENT", { type: "INTENT" }],
    ]);
  });

  it("a failed write names the adoption", () => {
    const file = join(dir, "j.db");
    j = openJournal(file, { busyTimeoutMs: 50 });
    const other = new Database(file);
    other.exec("BEGIN IMMEDIATE"); // another process's write lock
    const e = caught(() => j!.adoptTx({ ...tx, state: "EXECUTING", createdAt: 1, from: "host-b" }));
    other.exec("ROLLBACK");
    other.close();
    expect(e).toBeInstanceOf(JournalError);
    // "database is locked", or {"code":"SQLITE_BUSY"} from another realm under jest.
    expect((e as JournalError).message).toMatch(/^journal write failed \(adopt\): .*(locked|BUSY)/);
    expect(j.findTx("other-1")).toBeUndefined();
  });
});

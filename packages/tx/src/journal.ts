/**
 * The durable journal: SQLite (better-sqlite3) in WAL mode with `synchronous=FULL`, so that a
 * state journaled before an effect survives a crash of the process or the host. Writes that no
 * effect follows may be made {@link Journal.lazily} (no fsync of their own): they are synced by
 * the next ordinary write, which the engine makes before any effect and before it returns. Tables:
 * `transactions` (one row per transaction, its current state), `events` (append-only history of
 * every state change), `audit` (append-only, one record per command, whatever the decision) and
 * `guest_locks` (one transaction at a time per guest, across processes).
 */
import Database from "better-sqlite3";
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { errorMessage } from "@txbox/core";
import { JournalError, JournalNotFound, TxNotFound, InvalidTransition } from "./errors.js";
import {
  parseJson,
  toAudit,
  toLockRow,
  toRecord,
  type AuditRecord,
  type LockOwner,
  type LockRow,
  type NewTx,
  type Row,
  type TxEventRecord,
  type TxPatch,
  type TxRecord,
} from "./journal-records.js";
import { SCHEMA } from "./journal-schema.js";
import { refuseDamagedWal } from "./journal-wal.js";
import type { TxEvent, TxState } from "./machine.js";
import type { GuestRef } from "./ports.js";
import { guestKey } from "./ports.js";

export type {
  AuditRecord,
  LockOwner,
  LockRow,
  NewTx,
  TxEventRecord,
  TxPatch,
  TxRecord,
} from "./journal-records.js";
export { validWalHeader } from "./journal-wal.js";

export interface JournalOptions {
  /** Milliseconds for the timestamps; injected for deterministic tests. */
  now?: () => number;
  /** How long SQLite waits for another process's write lock (default 5000 ms). */
  busyTimeoutMs?: number;
  /** false: refuse ({@link JournalNotFound}) instead of creating a journal that does not exist. */
  create?: boolean;
}

/** The transaction journal. Open with {@link openJournal}; one instance per process is enough. */
export class Journal {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly now: () => number;
  private lazyDepth = 0;

  constructor(file: string, options: JournalOptions = {}) {
    this.file = file;
    this.now = options.now ?? Date.now;
    if (file !== ":memory:" && options.create === false && !existsSync(file)) {
      throw new JournalNotFound(
        `no journal at ${file}: nothing has run with this configuration yet`,
        {
          details: { file },
          hint: "Transactions of other orchestrators are listed from the cluster with `txbox tx list --cluster`",
        },
      );
    }
    if (file !== ":memory:") refuseDamagedWal(file);
    try {
      if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
      this.db = new Database(file, { timeout: options.busyTimeoutMs ?? 5000 });
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = FULL");
      this.db.pragma("foreign_keys = ON");
      this.db.exec(SCHEMA);
    } catch (cause) {
      throw new JournalError(`cannot open the journal ${file}: ${errorMessage(cause)}`, {
        cause,
        details: { file },
        hint: "Check that the directory is writable and that the file is a txbox journal",
      });
    }
  }

  /**
   * Run `fn`, whose writes do not wait for the disk (`synchronous=NORMAL`): for states no effect
   * follows. The next ordinary write syncs them with it (the write-ahead log is synced in order);
   * a crash of the process loses none of them, a crash of the host at most these, which nothing
   * outside the journal has acted on yet.
   */
  lazily<T>(fn: () => T): T {
    if (this.lazyDepth++ === 0) this.db.pragma("synchronous = NORMAL");
    try {
      return fn();
    } finally {
      if (--this.lazyDepth === 0) this.db.pragma("synchronous = FULL");
    }
  }

  /** Whether writes made now wait for the disk (false inside {@link lazily}). */
  get durable(): boolean {
    return this.lazyDepth === 0;
  }

  /** Run `fn` in an IMMEDIATE transaction (write lock taken up front), mapping SQLite errors. */
  private write<T>(what: string, fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (cause) {
      if (cause instanceof TxNotFound || cause instanceof InvalidTransition) throw cause;
      throw new JournalError(`journal write failed (${what}): ${errorMessage(cause)}`, {
        cause,
        details: { file: this.file },
        retryable: /busy|locked/i.test(errorMessage(cause)),
      });
    }
  }

  private read<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (cause) {
      throw new JournalError(`journal read failed (${what}): ${errorMessage(cause)}`, {
        cause,
        details: { file: this.file },
      });
    }
  }

  /** Journal a new transaction in state INTENT. */
  createTx(tx: NewTx): TxRecord {
    const at = this.now();
    this.write("create", () => {
      this.insertTx(tx, "INTENT", at, at);
      this.insertEvent(tx.txid, at, null, "INTENT", { type: "INTENT" });
    });
    return this.getTx(tx.txid);
  }

  /**
   * Journal a transaction another orchestrator began, in the state its snapshot's record gives
   * (recovery then drives it like one of ours). Idempotent: a known txid is returned as it is.
   */
  adoptTx(tx: NewTx & { state: TxState; createdAt: number; from: string }): TxRecord {
    const known = this.findTx(tx.txid);
    if (known !== undefined) return known;
    const at = this.now();
    this.write("adopt", () => {
      this.insertTx(tx, tx.state, tx.createdAt, at);
      this.insertEvent(tx.txid, at, null, tx.state, { type: "ADOPTED", from: tx.from });
    });
    return this.getTx(tx.txid);
  }

  /** The transaction's row, in `state` (inside a write). */
  private insertTx(tx: NewTx, state: TxState, createdAt: number, updatedAt: number): void {
    this.db
      .prepare(
        `INSERT INTO transactions (txid, guest_key, vmid, node, actor, command, decision, rule_ids,
           reasons, state, snapshot_name, keep_snapshot, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        tx.txid,
        guestKey(tx.guest),
        tx.guest.vmid,
        tx.guest.node ?? null,
        tx.actor ?? null,
        tx.command,
        tx.decision,
        JSON.stringify(tx.ruleIds),
        JSON.stringify(tx.reasons),
        state,
        tx.snapshotName,
        tx.keepSnapshot ? 1 : 0,
        createdAt,
        updatedAt,
      );
  }

  private insertEvent(
    txid: string,
    at: number,
    from: TxState | null,
    to: TxState,
    event: unknown,
  ): void {
    this.db
      .prepare(`INSERT INTO events (txid, at, from_state, to_state, event) VALUES (?, ?, ?, ?, ?)`)
      .run(txid, at, from, to, JSON.stringify(event));
  }

  /**
   * Journal a state change: checks that the stored state is still `from` (compare-and-set, so two
   * processes cannot both drive one transaction), writes the new state and patch, appends the event.
   */
  transition(
    txid: string,
    from: TxState,
    to: TxState,
    event: TxEvent,
    patch: TxPatch = {},
  ): TxRecord {
    const at = this.now();
    this.write("transition", () => {
      const row = this.db
        .prepare(`SELECT state, timings FROM transactions WHERE txid = ?`)
        .get(txid) as Row | undefined;
      if (row === undefined)
        throw new TxNotFound(`no transaction ${txid} in the journal`, { details: { txid } });
      if (row.state !== from) {
        throw new InvalidTransition(
          `transaction ${txid} is ${String(row.state)}, expected ${from} (another process drives it?)`,
          { details: { txid, state: row.state, expected: from, to } },
        );
      }
      this.applyPatch(txid, patch, row, at, to);
      this.insertEvent(txid, at, from, to, event);
    });
    return this.getTx(txid);
  }

  /**
   * Change fields without a state change (e.g. `snapshotRemoved` after a cleanup). With `expect`,
   * refuses ({@link InvalidTransition}) unless the stored state is that one.
   */
  update(txid: string, patch: TxPatch, expect?: TxState): TxRecord {
    const at = this.now();
    this.write("update", () => {
      const row = this.db
        .prepare(`SELECT state, timings FROM transactions WHERE txid = ?`)
        .get(txid) as Row | undefined;
      if (row === undefined)
        throw new TxNotFound(`no transaction ${txid} in the journal`, { details: { txid } });
      if (expect !== undefined && row.state !== expect) {
        throw new InvalidTransition(
          `transaction ${txid} is ${String(row.state)}, expected ${expect}`,
          { details: { txid, state: row.state, expected: expect } },
        );
      }
      this.applyPatch(txid, patch, row, at, row.state as TxState);
    });
    return this.getTx(txid);
  }

  private applyPatch(txid: string, patch: TxPatch, row: Row, at: number, state: TxState): void {
    const sets: string[] = ["state = ?", "updated_at = ?"];
    const values: unknown[] = [state, at];
    const set = (column: string, value: unknown): void => {
      sets.push(`${column} = ?`);
      values.push(value);
    };
    if (patch.exitCode !== undefined) set("exit_code", patch.exitCode);
    if (patch.signal !== undefined) set("signal", patch.signal);
    if (patch.timedOut !== undefined) set("timed_out", patch.timedOut ? 1 : 0);
    if (patch.stdoutSha256 !== undefined) set("stdout_sha256", patch.stdoutSha256);
    if (patch.stderrSha256 !== undefined) set("stderr_sha256", patch.stderrSha256);
    if (patch.baseline !== undefined) set("baseline", JSON.stringify(patch.baseline));
    if (patch.verify !== undefined) set("verify", JSON.stringify(patch.verify));
    if (patch.error !== undefined) set("error", patch.error);
    if (patch.snapshotRemoved !== undefined) set("snapshot_removed", patch.snapshotRemoved ? 1 : 0);
    if (patch.timings !== undefined) {
      set(
        "timings",
        JSON.stringify({ ...parseJson<Record<string, number>>(row.timings, {}), ...patch.timings }),
      );
    }
    values.push(txid);
    this.db.prepare(`UPDATE transactions SET ${sets.join(", ")} WHERE txid = ?`).run(...values);
  }

  /** The transaction, or {@link TxNotFound}. */
  getTx(txid: string): TxRecord {
    const tx = this.findTx(txid);
    if (tx === undefined) {
      throw new TxNotFound(`no transaction ${txid} in the journal ${this.file}`, {
        details: { txid },
        hint: "List transactions with `txbox tx list`",
      });
    }
    return tx;
  }

  findTx(txid: string): TxRecord | undefined {
    return this.read("get", () => {
      const row = this.db.prepare(`SELECT * FROM transactions WHERE txid = ?`).get(txid) as
        Row | undefined;
      return row === undefined ? undefined : toRecord(row);
    });
  }

  /** Transactions, newest first; `states` filters by state. */
  listTxs(
    filter: { guest?: GuestRef; limit?: number; states?: readonly TxState[] } = {},
  ): TxRecord[] {
    return this.read("list", () => {
      const where: string[] = [];
      const values: unknown[] = [];
      if (filter.guest !== undefined) {
        where.push("guest_key = ?");
        values.push(guestKey(filter.guest));
      }
      if (filter.states !== undefined) {
        where.push(`state IN (${filter.states.map(() => "?").join(", ") || "NULL"})`);
        values.push(...filter.states);
      }
      const sql =
        `SELECT * FROM transactions ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}` +
        ` ORDER BY created_at DESC, txid DESC` +
        (filter.limit === undefined ? "" : ` LIMIT ${Math.max(0, Math.floor(filter.limit))}`);
      return (this.db.prepare(sql).all(...values) as Row[]).map(toRecord);
    });
  }

  /** Keys of every guest that has a transaction or a lock in the journal. */
  guestKeys(): string[] {
    return this.read("guests", () =>
      (
        this.db
          .prepare(
            `SELECT guest_key FROM transactions UNION SELECT guest_key FROM guest_locks ORDER BY guest_key`,
          )
          .all() as Row[]
      ).map((r) => r.guest_key as string),
    );
  }

  /** The state history of a transaction, oldest first. */
  events(txid: string): TxEventRecord[] {
    return this.read("events", () =>
      (this.db.prepare(`SELECT * FROM events WHERE txid = ? ORDER BY seq`).all(txid) as Row[]).map(
        (r) => ({
          seq: r.seq as number,
          txid: r.txid as string,
          at: r.at as number,
          from: (r.from_state as TxState | null) ?? null,
          to: r.to_state as TxState,
          event: JSON.parse(r.event as string) as TxEvent,
        }),
      ),
    );
  }

  /** Append an audit record. */
  audit(record: Omit<AuditRecord, "seq" | "at"> & { at?: number }): void {
    this.write("audit", () => {
      this.db
        .prepare(
          `INSERT INTO audit (at, txid, actor, guest_key, vmid, node, command, decision, rule_ids, reason,
             outcome, exit_code, stdout_sha256, stderr_sha256, timings)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          record.at ?? this.now(),
          record.txid,
          record.actor,
          guestKey(record.guest),
          record.guest.vmid,
          record.guest.node ?? null,
          record.command,
          record.decision,
          JSON.stringify(record.ruleIds),
          record.reason,
          record.outcome,
          record.exitCode,
          record.stdoutSha256,
          record.stderrSha256,
          JSON.stringify(record.timings),
        );
    });
  }

  /**
   * Audit records, oldest first: of one guest, of one outcome, the newest `limit` of them. The
   * filters run in SQL, so a command that asks for the last few pays for those, not the history.
   */
  auditLog(filter: { guest?: GuestRef; outcome?: string; limit?: number } = {}): AuditRecord[] {
    return this.read("audit", () => {
      const where: string[] = [];
      const args: (string | number)[] = [];
      if (filter.guest !== undefined) {
        where.push("guest_key = ?");
        args.push(guestKey(filter.guest));
      }
      if (filter.outcome !== undefined) {
        where.push("outcome = ?");
        args.push(filter.outcome);
      }
      const cond = where.length === 0 ? "" : `WHERE ${where.join(" AND ")}`;
      const sql =
        filter.limit === undefined
          ? `SELECT * FROM audit ${cond} ORDER BY seq`
          : `SELECT * FROM (SELECT * FROM audit ${cond} ORDER BY seq DESC LIMIT ?) ORDER BY seq`;
      if (filter.limit !== undefined) args.push(Math.max(0, Math.floor(filter.limit)));
      return (this.db.prepare(sql).all(...args) as Row[]).map(toAudit);
    });
  }

  /**
   * Take the lock of a guest in one IMMEDIATE transaction. A lock held by an owner for which
   * `isStale` returns true is taken over; the previous holder is returned so that the caller
   * recovers what it left behind.
   */
  tryLock(
    guest: GuestRef,
    owner: LockOwner,
    txid: string | null,
    isStale: (holder: LockOwner) => boolean,
  ): { acquired: true; tookOverFrom?: LockRow } | { acquired: false; holder: LockRow } {
    const key = guestKey(guest);
    const at = this.now();
    return this.write("lock", () => {
      const row = this.db.prepare(`SELECT * FROM guest_locks WHERE guest_key = ?`).get(key) as
        Row | undefined;
      const insert = (): void => {
        this.db
          .prepare(
            `INSERT OR REPLACE INTO guest_locks (guest_key, owner_pid, owner_start, owner_token, txid, acquired_at)
             VALUES (?, ?, ?, ?, ?, ?)`,
          )
          .run(key, owner.pid, owner.start, owner.token, txid, at);
      };
      if (row === undefined) {
        insert();
        return { acquired: true as const };
      }
      const holder = toLockRow(row);
      if (holder.owner.token === owner.token) {
        insert();
        return { acquired: true as const };
      }
      if (isStale(holder.owner)) {
        insert();
        return { acquired: true as const, tookOverFrom: holder };
      }
      return { acquired: false as const, holder };
    });
  }

  /** Record which transaction the lock holder is running (for `txbox tx list` and recovery). */
  setLockTx(guest: GuestRef, owner: LockOwner, txid: string | null): void {
    this.write("lock", () => {
      this.db
        .prepare(`UPDATE guest_locks SET txid = ? WHERE guest_key = ? AND owner_token = ?`)
        .run(txid, guestKey(guest), owner.token);
    });
  }

  /** Release a lock if `owner` holds it. */
  unlock(guest: GuestRef, owner: LockOwner): void {
    this.write("unlock", () => {
      this.db
        .prepare(`DELETE FROM guest_locks WHERE guest_key = ? AND owner_token = ?`)
        .run(guestKey(guest), owner.token);
    });
  }

  locks(): LockRow[] {
    return this.read("locks", () =>
      (this.db.prepare(`SELECT * FROM guest_locks ORDER BY guest_key`).all() as Row[]).map(
        toLockRow,
      ),
    );
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** Open (creating if needed) the journal at `file`. */
export function openJournal(file: string, options: JournalOptions = {}): Journal {
  return new Journal(file, options);
}

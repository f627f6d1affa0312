/**
 * The transaction engine's facade. The state machine (machine.ts) decides; the driver
 * (engine/drive.ts) journals every state change BEFORE performing the effect it announces, so
 * that recovery can always finish what a crashed process started; one module per job performs
 * the effects: engine/begin, exec, verify, commit, rollback, recover (and run, revert for the
 * two entry points that are not effects). Proxmox, SSH, the clock and the gate come in as ports.
 */
import { crashHookFromEnv } from "./crash.js";
import type { Journal, TxRecord } from "./journal.js";
import { systemClock, type GuestRef } from "./ports.js";
import { DEFAULT_VERIFY_POLICY } from "./verify.js";
import type { Engine } from "./engine/context.js";
import { pruneSnapshots } from "./engine/commit.js";
import { recover } from "./engine/recover.js";
import { revertCommitted } from "./engine/revert.js";
import { run } from "./engine/run.js";
import type {
  EngineOptions,
  PrunedSnapshot,
  RecoveryReport,
  RunInput,
  RunResult,
} from "./engine/types.js";

/** The transaction engine. One instance per journal; safe to call concurrently for many guests. */
export class TxEngine {
  private readonly e: Engine;

  constructor(options: EngineOptions) {
    this.e = {
      journal: options.journal,
      snapshots: options.snapshots,
      exec: options.exec,
      clock: options.clock ?? systemClock,
      options,
      crashHook: options.crash ?? crashHookFromEnv(),
      verifyPolicy: { ...DEFAULT_VERIFY_POLICY, ...options.verify },
      background: new Map(),
      log: (level, message, meta) => options.log?.(level, message, meta),
    };
  }

  /** Resolves when work left running after results were returned (background prunes) is done. */
  async settled(): Promise<void> {
    while (this.e.background.size > 0) await Promise.all(this.e.background.values());
  }

  /** Gate, then run a command: directly (allow), never (deny) or inside a transaction (transact). */
  run(input: RunInput): Promise<RunResult> {
    return run(this.e, input);
  }

  /**
   * Drive every open transaction to a terminal state, clear stale `snapshot-delete` locks, remove
   * orphan `txbox-*` snapshots and release stale guest locks — for one guest, or for every guest
   * the journal knows. Idempotent. Guests locked by a live process are skipped.
   */
  recover(options: { guest?: GuestRef } = {}): Promise<RecoveryReport> {
    return recover(this.e, options);
  }

  /** Transactions, newest first. */
  listTransactions(filter: { guest?: GuestRef; limit?: number } = {}): TxRecord[] {
    return this.e.journal.listTxs(filter);
  }

  /** One transaction with its state history, or `TxNotFound`. */
  getTransaction(txid: string): TxRecord & { events: ReturnType<Journal["events"]> } {
    const tx = this.e.journal.getTx(txid);
    return { ...tx, events: this.e.journal.events(txid) };
  }

  /**
   * Return the guest to its state before a committed transaction whose snapshot was kept; later
   * commits on the guest are undone with it (listed in `superseded`, now REVERTED). Refuses with
   * `NestedSnapshot` on zfspool when a newer snapshot that is not a later commit's exists,
   * `TxStateError` when the transaction is not committed or its snapshot is gone.
   */
  rollbackTransaction(txid: string): Promise<TxRecord & { superseded: string[] }> {
    return revertCommitted(this.e, txid);
  }

  /**
   * Delete kept snapshots of committed transactions beyond the newest `keepLast` per guest, or
   * older than `keepForMs` (0 or absent: no age limit). Commits prune their guest's window
   * themselves; this is the operator's command.
   */
  pruneSnapshots(options: {
    guest?: GuestRef;
    keepLast: number;
    keepForMs?: number;
  }): Promise<PrunedSnapshot[]> {
    return pruneSnapshots(this.e, options);
  }
}

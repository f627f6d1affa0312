/** The engine's public types: its options, one run's input and result, recovery's report. */
import { durationMs, type CommandRecord, type PhaseTimings } from "@txbox/core";
import type { TxState } from "../machine.js";
import type {
  Clock,
  DecideFn,
  ExecPort,
  GuestRef,
  PolicyDecision,
  SnapshotPort,
} from "../ports.js";
import type { Journal } from "../journal.js";
import type { CrashHook } from "../crash.js";
import type { Orchestrator } from "../record.js";
import type { VerifyPolicy, VerifyReport } from "../verify.js";

/** What to do with a committed transaction's snapshot. */
export type Retention = "delete" | "keep";

/** Options of a {@link TxEngine}; only the journal and the two ports are required. */
export interface EngineOptions {
  journal: Journal;
  snapshots: SnapshotPort;
  exec: ExecPort;
  clock?: Clock;
  /** The policy gate, used when {@link RunInput.decision} is not given. */
  decide?: DecideFn;
  /**
   * `keep` (default): a commit keeps its snapshot in the guest's rolling {@link window}, so that
   * `rollbackTransaction` can undo it; `delete`: a commit removes it (no undo).
   */
  retention?: Retention;
  /** The rolling window of kept snapshots, pruned at each commit (default 5 per guest, 7 days). */
  window?: RetentionWindow;
  /**
   * Prune the window after a commit's result is returned instead of before (default false): the
   * deletes of snapshots that fell out of it cost the command nothing. The next transaction on
   * the guest waits for them; {@link TxEngine.settled} waits for all (call it before closing).
   */
  pruneInBackground?: boolean;
  /** Budget of the command itself (default 10 min). */
  execTimeoutMs?: number;
  /** Verification policy; unset fields take {@link DEFAULT_VERIFY_POLICY}. */
  verify?: Partial<VerifyPolicy>;
  /** How long to wait for another transaction on the same guest (default 60 s). */
  lockTimeoutMs?: number;
  /** Poll interval while waiting for a guest lock or for SSH (default 100 ms). */
  pollMs?: number;
  /** How long recovery waits for a Proxmox guest lock to clear before it counts as stale (default 30 s). */
  lockSettleMs?: number;
  /** How long a guest may take to answer over SSH after a rollback (default 120 s). */
  sshWaitTimeoutMs?: number;
  /**
   * Attempts at a rollback before the transaction ends FAILED (default 3). Rolling back to the
   * same snapshot again is idempotent, and a storage or task hiccup should not leave a damaged
   * guest for an operator when a second try restores it.
   */
  rollbackAttempts?: number;
  /** Crash-test hook; default: from `TXBOX_CRASH_AT`. Not called during recovery. */
  crash?: CrashHook;
  /**
   * Who this engine is, for the record each snapshot carries in its description (txid, command,
   * state, orchestrator, lease): with it, snapshots say whose they are, and recovery leaves other
   * orchestrators' snapshots alone. `leaseUntil` is the expiry of the guest lease held meanwhile.
   */
  record?: { orchestrator: Orchestrator; leaseUntil?: (guest: GuestRef) => number | undefined };
  /** Default actor (user or agent id) for audit records. */
  actor?: string;
  /** Progress and diagnostics (a winston logger fits). */
  log?: (level: "info" | "warn" | "debug", message: string, meta?: Record<string, unknown>) => void;
}

/** Which committed snapshots a guest keeps: the newest `keepLast`, none older than `keepForMs`. */
export interface RetentionWindow {
  keepLast: number;
  /** 0: no age limit. */
  keepForMs: number;
}

/** The window when none is configured (the defaults of txbox.yaml's `tx` section). */
export const DEFAULT_WINDOW: RetentionWindow = { keepLast: 5, keepForMs: 7 * 86_400_000 };

/** One command to run on one guest. */
export interface RunInput {
  guest: GuestRef;
  command: string;
  /** The gate's decision; when absent the engine calls {@link EngineOptions.decide}. */
  decision?: PolicyDecision;
  /** Who asked (user or agent id), for the audit record. */
  actor?: string;
  cwd?: string;
  env?: Record<string, string>;
  /** Extra user checks for this run (e.g. the guest's `verify` list from txbox.yaml). */
  checks?: string[];
  /** Overrides {@link EngineOptions.execTimeoutMs}. */
  timeoutMs?: number;
}

/** Milliseconds per phase, as `txbox run --json` prints them. */
export type RunTimings = PhaseTimings;

/** The result of {@link TxEngine.run}, the body of `txbox run --json`: the shared record plus the transaction's own fields. */
export interface RunResult extends CommandRecord {
  txid: string;
  guest: GuestRef;
  /** The final journal state (transactions only). */
  state?: TxState;
  /** The verification report (transactions that got that far). */
  verify?: VerifyReport;
  /** Why the outcome is "failed" (or "timed-out"), with a stable code. */
  error?: { code: string; message: string };
}

/** What {@link TxEngine.recover} did; empty arrays mean there was nothing to do. */
export interface RecoveryReport {
  transactions: { txid: string; guest: GuestRef; from: TxState; to: TxState }[];
  orphansRemoved: { guest: GuestRef; snapshot: string }[];
  unlocked: GuestRef[];
  staleLocksReleased: { guestKey: string; pid: number; txid: string | null }[];
  skipped: { guest: GuestRef; reason: string }[];
  errors: { guest: GuestRef; txid?: string; message: string }[];
}

/** A snapshot deleted by {@link TxEngine.pruneSnapshots} or the window at a commit. */
export interface PrunedSnapshot {
  txid: string;
  guest: GuestRef;
  snapshot: string;
}

/** Parse a guest key made by {@link guestKey}. */
export function parseGuestKey(key: string): GuestRef {
  const slash = key.lastIndexOf("/");
  return slash < 0
    ? { vmid: Number(key) }
    : { node: key.slice(0, slash), vmid: Number(key.slice(slash + 1)) };
}

/** Engine options from the `tx` section of txbox.yaml (`@txbox/core` TxConfig). */
export function engineOptionsFromConfig(tx: {
  retention: Retention;
  keepLast?: number;
  keepFor?: number | string;
  execTimeout: number | string;
  verifyTimeout: number | string;
  protectedPaths: string[];
}): Pick<EngineOptions, "retention" | "window" | "execTimeoutMs" | "verify"> {
  return {
    retention: tx.retention,
    window: {
      keepLast: tx.keepLast ?? DEFAULT_WINDOW.keepLast,
      keepForMs: tx.keepFor === undefined ? DEFAULT_WINDOW.keepForMs : durationMs(tx.keepFor),
    },
    execTimeoutMs: durationMs(tx.execTimeout),
    verify: { timeoutMs: durationMs(tx.verifyTimeout), protectedPaths: [...tx.protectedPaths] },
  };
}

/** An empty {@link RecoveryReport}. */
export function emptyReport(): RecoveryReport {
  return {
    transactions: [],
    orphansRemoved: [],
    unlocked: [],
    staleLocksReleased: [],
    skipped: [],
    errors: [],
  };
}

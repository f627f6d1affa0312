/** The journal's records as the rest of txbox sees them, and their mapping from SQLite rows. */
import type { TxEvent, TxState } from "./machine.js";
import type { GuestRef } from "./ports.js";

export interface TxRecord {
  txid: string;
  guest: GuestRef;
  actor: string | null;
  command: string;
  decision: string;
  ruleIds: string[];
  reasons: string[];
  state: TxState;
  snapshotName: string;
  /** Retention decided at intent: keep the snapshot after a commit. */
  keepSnapshot: boolean;
  /** The snapshot was deleted (after commit with retention delete, rollback or abort). */
  snapshotRemoved: boolean;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean | null;
  stdoutSha256: string | null;
  stderrSha256: string | null;
  /** Digests of protected paths before the command, path → digest. */
  baseline: Record<string, string> | null;
  /** The verification report (see `verify.ts`). */
  verify: unknown;
  /** Milliseconds per phase: snapshotMs, execMs, verifyMs, commitMs, rollbackMs, … */
  timings: Record<string, number>;
  error: string | null;
  createdAt: number;
  updatedAt: number;
}

/** Fields a transition may change besides the state. */
export interface TxPatch {
  exitCode?: number | null;
  signal?: string | null;
  timedOut?: boolean;
  stdoutSha256?: string;
  stderrSha256?: string;
  baseline?: Record<string, string>;
  verify?: unknown;
  /** Merged into the stored timings. */
  timings?: Record<string, number>;
  error?: string | null;
  snapshotRemoved?: boolean;
}

/** The first row of a transaction, journaled as INTENT. */
export interface NewTx {
  txid: string;
  guest: GuestRef;
  actor?: string;
  command: string;
  decision: string;
  ruleIds: string[];
  reasons: string[];
  snapshotName: string;
  keepSnapshot: boolean;
}

/** One audit record: every command, whatever the gate decided. */
export interface AuditRecord {
  seq?: number;
  at: number;
  txid: string;
  actor: string | null;
  guest: GuestRef;
  command: string;
  decision: string;
  ruleIds: string[];
  reason: string | null;
  outcome: string;
  exitCode: number | null;
  stdoutSha256: string | null;
  stderrSha256: string | null;
  timings: Record<string, number>;
}

/** One journaled state change. */
export interface TxEventRecord {
  seq: number;
  txid: string;
  at: number;
  from: TxState | null;
  to: TxState;
  event: TxEvent | { type: "INTENT" } | { type: "ADOPTED"; from: string };
}

/** Who holds a guest lock: a process (pid + start time) and an engine instance within it. */
export interface LockOwner {
  pid: number;
  /** The process start time (`/proc/<pid>/stat` field 22), to tell a reused pid apart. */
  start: string;
  token: string;
}

export interface LockRow {
  guestKey: string;
  owner: LockOwner;
  txid: string | null;
  acquiredAt: number;
}

export type Row = Record<string, unknown>;

export function parseJson<T>(text: unknown, fallback: T): T {
  if (typeof text !== "string") return fallback;
  return JSON.parse(text) as T;
}

export function toRecord(r: Row): TxRecord {
  return {
    txid: r.txid as string,
    guest:
      r.node === null
        ? { vmid: r.vmid as number }
        : { vmid: r.vmid as number, node: r.node as string },
    actor: (r.actor as string | null) ?? null,
    command: r.command as string,
    decision: r.decision as string,
    ruleIds: parseJson<string[]>(r.rule_ids, []),
    reasons: parseJson<string[]>(r.reasons, []),
    state: r.state as TxState,
    snapshotName: r.snapshot_name as string,
    keepSnapshot: r.keep_snapshot === 1,
    snapshotRemoved: r.snapshot_removed === 1,
    exitCode: (r.exit_code as number | null) ?? null,
    signal: (r.signal as string | null) ?? null,
    timedOut: r.timed_out === null || r.timed_out === undefined ? null : r.timed_out === 1,
    stdoutSha256: (r.stdout_sha256 as string | null) ?? null,
    stderrSha256: (r.stderr_sha256 as string | null) ?? null,
    baseline: parseJson<Record<string, string> | null>(r.baseline, null),
    verify: parseJson<unknown>(r.verify, null),
    timings: parseJson<Record<string, number>>(r.timings, {}),
    error: (r.error as string | null) ?? null,
    createdAt: r.created_at as number,
    updatedAt: r.updated_at as number,
  };
}

export function toAudit(r: Row): AuditRecord {
  return {
    seq: r.seq as number,
    at: r.at as number,
    txid: r.txid as string,
    actor: (r.actor as string | null) ?? null,
    guest:
      r.node === null
        ? { vmid: r.vmid as number }
        : { vmid: r.vmid as number, node: r.node as string },
    command: r.command as string,
    decision: r.decision as string,
    ruleIds: parseJson<string[]>(r.rule_ids, []),
    reason: (r.reason as string | null) ?? null,
    outcome: r.outcome as string,
    exitCode: (r.exit_code as number | null) ?? null,
    stdoutSha256: (r.stdout_sha256 as string | null) ?? null,
    stderrSha256: (r.stderr_sha256 as string | null) ?? null,
    timings: parseJson<Record<string, number>>(r.timings, {}),
  };
}

export function toLockRow(r: Row): LockRow {
  return {
    guestKey: r.guest_key as string,
    owner: {
      pid: r.owner_pid as number,
      start: r.owner_start as string,
      token: r.owner_token as string,
    },
    txid: (r.txid as string | null) ?? null,
    acquiredAt: r.acquired_at as number,
  };
}

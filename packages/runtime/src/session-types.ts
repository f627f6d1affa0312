/** The runtime's session API: its options, the one call's input and result, and its timings. */
import type { LoadedConfig } from "@txbox/core";
import type { SshExecutor } from "@txbox/exec";
import type { Decision, Policy } from "@txbox/policy";
import type { ProxmoxClient } from "@txbox/proxmox";
import type {
  EngineOptions,
  GuestRef,
  Journal,
  Orchestrator,
  RecoveryReport,
  RunResult,
  RunTimings,
  TxEngine,
} from "@txbox/tx";
import type { GuestLeases } from "./cluster-lease.js";
import type { ProxmoxSnapshotPort } from "./snapshot-port.js";
import type { SshExecPort } from "./ssh-port.js";
import type { Target } from "./target.js";

/** Options of {@link openSession}; each maps to a CLI flag. */
export interface SessionOptions {
  /** txbox.yaml to use (`--config`). */
  config?: string;
  /** Extra rule packs (`--policy`). */
  policy?: string[];
  /** Keep committed snapshots whatever `tx.retention` says (`--keep-snapshot`). */
  keepSnapshot?: boolean;
  /** Budget of the command (`--timeout`), overriding `tx.execTimeout`. */
  execTimeoutMs?: number;
  /** The guest directory commands run in: also the policy's `cwd`. */
  cwd?: string;
  /** How long a guest's cluster lease is kept after its last transaction (default `tx.leaseIdle`). */
  leaseIdleMs?: number;
  /** Engine options beyond the config (tests: shorter waits). */
  engine?: Partial<Omit<EngineOptions, "journal" | "snapshots" | "exec">>;
}

/**
 * Milliseconds per phase of one command, laid end to end: their sum is the wall time of the call
 * that measured them (within the rounding of the clock). The engine's phases plus the runtime's
 * own; `startMs`, `sessionMs`, `daemonMs`, `closeMs` are filled in by the caller that knows them.
 */
export interface Timings extends RunTimings {
  /** Process start until the command was parsed (Node start and module loading). */
  startMs?: number;
  /** Parsing the command line (without the daemon). */
  parseMs?: number;
  /** Reaching the daemon: socket connect (and starting it when it was not running). */
  daemonMs?: number;
  /** Opening config, policy, journal and the API session (0 when the session was warm). */
  sessionMs?: number;
  /** Checking the journal for abandoned work on the guest, and recovering it when there is some. */
  recoverMs: number;
  /** Waiting for the guest's SSH connection (0 when it was pooled). */
  connectMs: number;
  /** Engine time outside its named phases: journal writes, guest lock, audit. */
  bookkeepingMs: number;
  /**
   * Taking and releasing the guest's cluster lease (a transaction only): a config read and a
   * digest-checked write each way, around the engine's run; ≈ 0 while the session keeps the
   * lease from an earlier transaction (`tx.leaseIdle`). Taking includes looking at what an
   * abandoned previous holder left on the guest.
   */
  leaseMs?: number;
  /** Closing what the command opened (0 in the daemon). */
  closeMs?: number;
  /** The request's way to the daemon, and its parsing there. */
  transferMs?: number;
}

/** The result of {@link Session.execute}: the engine's result with the whole timeline. */
export interface ExecuteResult extends RunResult {
  timings: Timings;
  /** What recovery did first, when the journal showed abandoned work on the guest. */
  recovery?: RecoveryReport;
}

/** One command for {@link Session.execute}. */
export interface ExecuteInput {
  guest: GuestRef;
  command: string;
  /** Guest directory to run in (default: the session's `cwd`). */
  cwd?: string;
  /** Checks beyond the guest's `verify` list in txbox.yaml. */
  checks?: string[];
  /** Budget of the command (default: the session's). */
  timeoutMs?: number;
  /** Who asked, for the audit record. */
  actor?: string;
}

/** How {@link Session.withLease} takes a lease. */
export interface LeaseUse {
  /** Take it even while it looks held. */
  force?: boolean;
  /** How long to wait for it (default: the engine's lock timeout, 60 s). */
  timeoutMs?: number;
  /** Recover what an abandoned holder left open first (default true). */
  takeover?: boolean;
}

/** Everything a command needs, opened once: per CLI process, or held warm by `txbox serve`. */
export interface Session {
  loaded: LoadedConfig;
  target: Target;
  journal: Journal;
  /** The journal file (the daemon serves one journal). */
  journalFile: string;
  client: ProxmoxClient;
  executor: SshExecutor;
  snapshots: ProxmoxSnapshotPort;
  exec: SshExecPort;
  engine: TxEngine;
  /** The compiled policy that gates a guest's commands. */
  policyOf(vmid: number | undefined): Policy;
  /** The `verify` checks of a guest from txbox.yaml. */
  checksFor(guest: GuestRef): string[];
  /** The gate: the one place a command of this session is decided. */
  gate(command: string, guest: GuestRef | undefined, cwd?: string): Decision;
  /** Recover the guest when the journal shows abandoned work on it (open transaction, dead lock). */
  recoverIfNeeded(guest: GuestRef): Promise<RecoveryReport | undefined>;
  /** Recover if needed, gate, run, verify, record: the one call behind CLI, agent, MCP and bench. */
  execute(input: ExecuteInput): Promise<ExecuteResult>;
  /** This session as an orchestrator: host, user, journal (the records and leases name it). */
  orchestrator: Orchestrator;
  /** The guests' cluster leases. */
  leases: GuestLeases;
  /**
   * Run `fn` holding the guest's cluster lease; a lease found abandoned (holder gone or expired)
   * is taken over and what its holder left open on the guest is recovered first. `force` takes
   * a lease that still looks held (the operator confirmed its holder is gone).
   */
  withLease<T>(guest: GuestRef, fn: () => Promise<T>, options?: LeaseUse): Promise<T>;
  /** Release the cluster leases this session keeps between transactions (`tx.leaseIdle`). */
  releaseLeases(): Promise<void>;
  close(): Promise<void>;
}

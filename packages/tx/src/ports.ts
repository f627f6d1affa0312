/**
 * The ports through which the transaction engine talks to the world. The engine never imports
 * the Proxmox or SSH packages: the CLI wires small adapters from them to these interfaces, and
 * tests pass test doubles. Every method of {@link SnapshotPort} must be idempotent, because
 * recovery repeats effects whose outcome a crash left unknown.
 */

/** A guest (VM or container) on a Proxmox node. */
export interface GuestRef {
  vmid: number;
  node?: string;
}

/** One entry of a guest's snapshot list (`GET …/snapshot`, without the `current` pseudo-entry). */
export interface SnapshotInfo {
  name: string;
  parent?: string;
  description?: string;
  /** Seconds since the epoch, as Proxmox reports it. */
  snaptime?: number;
}

/** Snapshots and power state of guests. Every method is idempotent. */
export interface SnapshotPort {
  /**
   * A transaction is about to take snapshot `name` of the guest: start what must be checked
   * before it is created (and that reads nothing the transaction changes), so that it overlaps the
   * journal's writes; `create` of that name waits for it.
   */
  willCreate?(guest: GuestRef, name: string): void;
  /** Take a snapshot; one that already exists with our description counts as success. */
  create(guest: GuestRef, name: string, description: string): Promise<void>;
  /** Replace a snapshot's description (`PUT …/snapshot/{name}/config`), to record a state change. */
  describe?(guest: GuestRef, name: string, description: string): Promise<void>;
  /** Roll back to a snapshot: stops the guest, restores, starts it again. */
  rollback(guest: GuestRef, name: string): Promise<void>;
  /** Delete a snapshot; a missing one counts as success. */
  remove(guest: GuestRef, name: string): Promise<void>;
  list(guest: GuestRef): Promise<SnapshotInfo[]>;
  state(guest: GuestRef): Promise<{ running: boolean; lock?: string }>;
  /** Clear a stale lock (for example `snapshot-delete` left by a failed delete). */
  unlock(guest: GuestRef): Promise<void>;
  /** Start a stopped guest; called after a rollback that left it stopped. */
  start?(guest: GuestRef): Promise<void>;
  /**
   * Whether the guest still exists (false only when the API says it does not; other failures
   * throw). Recovery skips, and reports, guests that were destroyed since their transactions ran.
   */
  exists?(guest: GuestRef): Promise<boolean>;
  /** True when the guest's storage rolls back only to the newest snapshot (zfspool). */
  rollbackOnlyNewest?(guest: GuestRef): Promise<boolean>;
}

/** What running one command produced. `exitCode` is null when it was killed or timed out. */
export interface ExecResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
  /**
   * SHA-256 (hex) of every byte each stream produced, when the executor computed it: the audit
   * then records the exact output (binary, or beyond the kept cap), not a hash of decoded text.
   */
  stdoutSha256?: string;
  stderrSha256?: string;
  /** Bytes each stream produced in all, and whether only the first of them were kept. */
  stdoutBytes?: number;
  stderrBytes?: number;
  stdoutTruncated?: boolean;
  stderrTruncated?: boolean;
  /** The kept bytes exactly (binary safe); when absent, the UTF-8 of `stdout`/`stderr`. */
  stdoutData?: Buffer;
  stderrData?: Buffer;
  /** Files holding a whole stream that outgrew the kept cap. */
  stdoutFile?: string;
  stderrFile?: string;
  /** Why a stream past the cap could not be kept whole. */
  spillError?: string;
}

export interface ExecOptions {
  timeoutMs: number;
  /** The command's id (its transaction's): names the files that keep output past the cap. */
  label?: string;
  cwd?: string;
  env?: Record<string, string>;
  /** A POSIX sh script of txbox's own: run by the guest session's shell itself (no second shell). */
  inline?: boolean;
}

/**
 * A command whose guest session is set up ahead and waits to be started (`ExecPort.prepare`).
 * Nothing of the command runs before `start()`.
 */
export interface PreparedExec {
  /** Run the command now (as `run` would), on the session set up ahead when it is still there. */
  start(): Promise<ExecResult>;
  /** Never run it. Idempotent; a no-op after `start()`. */
  cancel(): void;
}

/** Runs shell commands inside guests (over SSH in production). Throws on transport errors. */
export interface ExecPort {
  run(guest: GuestRef, command: string, options: ExecOptions): Promise<ExecResult>;
  /**
   * Optional: set up the session of a command now and run it at `start()` — its session set-up
   * (over SSH: the guest's sshd session and login shell, ~15 ms) then overlaps the work before.
   */
  prepare?(guest: GuestRef, command: string, options: ExecOptions): PreparedExec;
  /** Whether the guest answers over SSH within the budget. */
  ping(guest: GuestRef, options: { timeoutMs: number }): Promise<boolean>;
}

/** Time, injected so that tests and the pure parts never read the wall clock themselves. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The wall clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** The gate's verdict on one command, as `@txbox/policy` returns it (structurally). */
export interface PolicyDecision {
  decision: "allow" | "transact" | "deny";
  ruleIds: string[];
  reasons: string[];
  alternative?: string;
}

/** A policy gate: the CLI injects `(cmd) => decide(policy, cmd, ctx)` of `@txbox/policy`. */
export type DecideFn = (
  command: string,
  guest: GuestRef,
) => PolicyDecision | Promise<PolicyDecision>;

/** A stable key of a guest for locks and journal rows: `node/vmid`, or `vmid` without node. */
export function guestKey(guest: GuestRef): string {
  return guest.node === undefined ? String(guest.vmid) : `${guest.node}/${guest.vmid}`;
}

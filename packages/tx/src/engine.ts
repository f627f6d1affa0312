/**
 * The effectful driver of the transaction state machine. It journals every state change BEFORE
 * performing the effect that the change announces, so that {@link TxEngine.recover} can always
 * finish what a crashed process started. Proxmox, SSH, the clock and the policy gate come in
 * through ports.
 */
import { durationMs, TimeoutError, TxboxError, UsageError, errorMessage, newId } from "@txbox/core";
import { crashHookFromEnv, type CrashHook, type CrashStep } from "./crash.js";
import {
  GuestBusy,
  NestedSnapshot,
  RecoveryFailed,
  RollbackFailed,
  TxStateError,
} from "./errors.js";
import type { Journal, LockOwner, LockRow, TxPatch, TxRecord } from "./journal.js";
import { ownerAlive, processStartTime } from "./lock.js";
import {
  followUp,
  isTerminal,
  next,
  outcomeOf,
  TX_STATES,
  type TxEffect,
  type TxEvent,
  type TxOutcome,
  type TxState,
} from "./machine.js";
import {
  guestKey,
  systemClock,
  type Clock,
  type DecideFn,
  type ExecPort,
  type ExecResult,
  type GuestRef,
  type PolicyDecision,
  type SnapshotPort,
} from "./ports.js";
import { newerSnapshots, snapshotDescription, snapshotName, txidOfSnapshot } from "./snapshots.js";
import {
  captureDigests,
  DEFAULT_VERIFY_POLICY,
  sha256,
  verifyOutcome,
  type VerifyPolicy,
  type VerifyReport,
} from "./verify.js";
import { randomBytes } from "node:crypto";

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
  /** Default `delete`. */
  retention?: Retention;
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
  /** Default actor (user or agent id) for audit records. */
  actor?: string;
  /** Progress and diagnostics (a winston logger fits). */
  log?: (level: "info" | "warn" | "debug", message: string, meta?: Record<string, unknown>) => void;
}

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
export interface RunTimings {
  policyMs: number;
  snapshotMs: number;
  execMs: number;
  verifyMs: number;
  commitMs?: number;
  rollbackMs?: number;
  totalMs: number;
}

/** The result of {@link TxEngine.run}, the body of `txbox run --json`. */
export interface RunResult {
  txid: string;
  guest: GuestRef;
  decision: PolicyDecision["decision"];
  outcome: TxOutcome;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  rules: string[];
  reason: string;
  /** A safer command the gate suggested (denied commands). */
  alternative?: string;
  /** The final journal state (transactions only). */
  state?: TxState;
  /** The verification report (transactions that got that far). */
  verify?: VerifyReport;
  /** Why the outcome is "failed", with a stable code. */
  error?: { code: string; message: string };
  timings: RunTimings;
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

/** A snapshot deleted by {@link TxEngine.pruneSnapshots}. */
export interface PrunedSnapshot {
  txid: string;
  guest: GuestRef;
  snapshot: string;
}

/** Per-run state of the driver (results of effects that the next effects need). */
interface RunContext {
  input: RunInput;
  crash: boolean;
  result?: ExecResult;
  baseline: Record<string, string>;
  report?: VerifyReport;
  error?: unknown;
  verifyPolicy: VerifyPolicy;
}

type Outcome =
  { event: TxEvent; patch?: TxPatch } | { event?: undefined; patch: TxPatch } | undefined;

/** Parse a guest key made by {@link guestKey}. */
export function parseGuestKey(key: string): GuestRef {
  const slash = key.lastIndexOf("/");
  return slash < 0
    ? { vmid: Number(key) }
    : { node: key.slice(0, slash), vmid: Number(key.slice(slash + 1)) };
}

function errorInfo(error: unknown): { code: string; message: string } {
  return error instanceof TxboxError
    ? { code: error.code, message: error.message }
    : { code: "E_INTERNAL", message: errorMessage(error) };
}

const OPEN_STATES: TxState[] = TX_STATES.filter((s) => !isTerminal(s));

/** The transaction engine. One instance per journal; safe to call concurrently for many guests. */
export class TxEngine {
  private readonly journal: Journal;
  private readonly snapshots: SnapshotPort;
  private readonly exec: ExecPort;
  private readonly clock: Clock;
  private readonly options: EngineOptions;
  private readonly crashHook: CrashHook | undefined;
  private readonly verifyPolicy: VerifyPolicy;

  constructor(options: EngineOptions) {
    this.options = options;
    this.journal = options.journal;
    this.snapshots = options.snapshots;
    this.exec = options.exec;
    this.clock = options.clock ?? systemClock;
    this.crashHook = options.crash ?? crashHookFromEnv();
    this.verifyPolicy = { ...DEFAULT_VERIFY_POLICY, ...options.verify };
  }

  private log(
    level: "info" | "warn" | "debug",
    message: string,
    meta?: Record<string, unknown>,
  ): void {
    this.options.log?.(level, message, meta);
  }

  /** Yield once so that an effect already started gets going, then call the crash hook. */
  private async crashPoint(ctx: { crash: boolean }, step: CrashStep): Promise<void> {
    if (!ctx.crash || this.crashHook === undefined) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    await this.crashHook(step);
  }

  // ---------------------------------------------------------------------------------- run

  /** Gate, then run a command: directly (allow), never (deny) or inside a transaction (transact). */
  async run(input: RunInput): Promise<RunResult> {
    if (input.command.trim() === "") throw new UsageError("the command is empty");
    const t0 = this.clock.now();
    let decision = input.decision;
    if (decision === undefined) {
      if (this.options.decide === undefined) {
        throw new UsageError("no policy decision given and no decide function configured");
      }
      decision = await this.options.decide(input.command, input.guest);
    }
    const policyMs = this.clock.now() - t0;
    const txid = newId(this.clock.now());
    const actor = input.actor ?? this.options.actor ?? null;
    const base = { txid, guest: input.guest, decision: decision.decision, rules: decision.ruleIds };
    switch (decision.decision) {
      case "deny":
        return this.refuse(base, decision, input, actor, policyMs, t0);
      case "allow":
        return this.runDirect(base, decision, input, actor, policyMs, t0);
      case "transact":
        return this.runTransaction(base, decision, input, actor, policyMs, t0);
      default:
        throw new UsageError(`unknown policy decision ${JSON.stringify(decision.decision)}`);
    }
  }

  private refuse(
    base: Pick<RunResult, "txid" | "guest" | "decision" | "rules">,
    decision: PolicyDecision,
    input: RunInput,
    actor: string | null,
    policyMs: number,
    t0: number,
  ): RunResult {
    const reason = `policy violation: ${decision.reasons.join("; ") || "denied"}`;
    const timings: RunTimings = {
      policyMs,
      snapshotMs: 0,
      execMs: 0,
      verifyMs: 0,
      totalMs: this.clock.now() - t0,
    };
    this.journal.audit({
      txid: base.txid,
      actor,
      guest: input.guest,
      command: input.command,
      decision: "deny",
      ruleIds: decision.ruleIds,
      reason,
      outcome: "denied",
      exitCode: null,
      stdoutSha256: null,
      stderrSha256: null,
      timings: { ...timings },
    });
    return {
      ...base,
      outcome: "denied",
      exitCode: null,
      stdout: "",
      stderr: "",
      reason,
      ...(decision.alternative === undefined ? {} : { alternative: decision.alternative }),
      timings,
    };
  }

  private async runDirect(
    base: Pick<RunResult, "txid" | "guest" | "decision" | "rules">,
    decision: PolicyDecision,
    input: RunInput,
    actor: string | null,
    policyMs: number,
    t0: number,
  ): Promise<RunResult> {
    const te = this.clock.now();
    let result: ExecResult | undefined;
    let error: unknown;
    try {
      result = await this.exec.run(input.guest, input.command, this.execOptions(input));
    } catch (e) {
      error = e;
    }
    const timings: RunTimings = {
      policyMs,
      snapshotMs: 0,
      execMs: this.clock.now() - te,
      verifyMs: 0,
      totalMs: this.clock.now() - t0,
    };
    const outcome: TxOutcome = result === undefined ? "failed" : "executed";
    const reason =
      result === undefined
        ? `the command could not run: ${errorMessage(error)}`
        : decision.reasons.join("; ") || "allowed";
    this.journal.audit({
      txid: base.txid,
      actor,
      guest: input.guest,
      command: input.command,
      decision: "allow",
      ruleIds: decision.ruleIds,
      reason,
      outcome,
      exitCode: result?.exitCode ?? null,
      stdoutSha256: result === undefined ? null : sha256(result.stdout),
      stderrSha256: result === undefined ? null : sha256(result.stderr),
      timings: { ...timings },
    });
    return {
      ...base,
      outcome,
      exitCode: result?.exitCode ?? null,
      stdout: result?.stdout ?? "",
      stderr: result?.stderr ?? "",
      reason,
      ...(error === undefined ? {} : { error: errorInfo(error) }),
      timings,
    };
  }

  private execOptions(input: RunInput): {
    timeoutMs: number;
    cwd?: string;
    env?: Record<string, string>;
  } {
    return {
      timeoutMs: input.timeoutMs ?? this.options.execTimeoutMs ?? 600_000,
      ...(input.cwd === undefined ? {} : { cwd: input.cwd }),
      ...(input.env === undefined ? {} : { env: input.env }),
    };
  }

  private async runTransaction(
    base: Pick<RunResult, "txid" | "guest" | "decision" | "rules">,
    decision: PolicyDecision,
    input: RunInput,
    actor: string | null,
    policyMs: number,
    t0: number,
  ): Promise<RunResult> {
    const guest = input.guest;
    const owner = await this.acquire(guest, base.txid);
    let crashed = false;
    try {
      // Any open transaction on a guest whose lock we hold was abandoned by a crashed process.
      if (this.journal.listTxs({ guest, states: OPEN_STATES, limit: 1 }).length > 0) {
        const report = emptyReport();
        await this.recoverHeldGuest(guest, report);
        if (report.errors.length > 0) {
          throw new RecoveryFailed(
            `guest ${guestKey(guest)} has a transaction recovery could not finish`,
            {
              details: { vmid: guest.vmid, node: guest.node, errors: report.errors },
              hint: "Inspect it with `txbox tx list` and `txbox tx recover`",
            },
          );
        }
      }
      let tx = this.journal.createTx({
        txid: base.txid,
        guest,
        ...(actor === null ? {} : { actor }),
        command: input.command,
        decision: decision.decision,
        ruleIds: decision.ruleIds,
        reasons: decision.reasons,
        snapshotName: snapshotName(base.txid),
        keepSnapshot: (this.options.retention ?? "delete") === "keep",
      });
      this.journal.setLockTx(guest, owner, tx.txid);
      const ctx: RunContext = {
        input,
        crash: true,
        baseline: {},
        verifyPolicy: {
          ...this.verifyPolicy,
          checks: [...this.verifyPolicy.checks, ...(input.checks ?? [])],
          ...(input.cwd === undefined ? {} : { cwd: input.cwd }),
        },
      };
      try {
        await this.crashPoint(ctx, "after-intent");
        tx = await this.drive(tx, { type: "BEGIN" }, ctx);
      } catch (error) {
        if (isCrashSignal(error)) crashed = true;
        throw error;
      }

      const timings: RunTimings = {
        policyMs,
        snapshotMs: tx.timings.snapshotMs ?? 0,
        execMs: tx.timings.execMs ?? 0,
        verifyMs: tx.timings.verifyMs ?? 0,
        ...(tx.timings.commitMs === undefined ? {} : { commitMs: tx.timings.commitMs }),
        ...(tx.timings.rollbackMs === undefined ? {} : { rollbackMs: tx.timings.rollbackMs }),
        totalMs: this.clock.now() - t0,
      };
      const outcome = outcomeOf(tx.state);
      const reason = this.reasonOf(tx, ctx, decision);
      this.journal.audit({
        txid: tx.txid,
        actor,
        guest,
        command: input.command,
        decision: "transact",
        ruleIds: decision.ruleIds,
        reason,
        outcome,
        exitCode: ctx.result?.exitCode ?? null,
        stdoutSha256: tx.stdoutSha256,
        stderrSha256: tx.stderrSha256,
        timings: { ...timings },
      });
      if (ctx.error instanceof NestedSnapshot && tx.state === "ABORTED") throw ctx.error;
      const failure =
        outcome === "failed" ? (ctx.error ?? new RecoveryFailed(tx.error ?? reason)) : undefined;
      return {
        ...base,
        outcome,
        exitCode: ctx.result?.exitCode ?? null,
        stdout: ctx.result?.stdout ?? "",
        stderr: ctx.result?.stderr ?? "",
        reason,
        state: tx.state,
        ...(ctx.report === undefined ? {} : { verify: ctx.report }),
        ...(failure === undefined ? {} : { error: errorInfo(failure) }),
        timings,
      };
    } finally {
      // A simulated crash leaves the lock behind, as a real one would.
      if (!crashed) this.journal.unlock(guest, owner);
    }
  }

  private reasonOf(tx: TxRecord, ctx: RunContext, decision: PolicyDecision): string {
    switch (tx.state) {
      case "COMMITTED":
        return decision.reasons.join("; ") || "verified and committed";
      case "COMMITTING":
        return `committed; the snapshot could not be removed yet (${tx.error ?? "unknown"}), \`txbox tx recover\` finishes it`;
      case "ROLLED_BACK":
        return `rolled back: ${ctx.report?.reasons.join("; ") ?? tx.error ?? "outcome unknown"}`;
      case "ABORTED":
        return `not run: ${tx.error ?? "aborted before executing"}`;
      default:
        return `transaction ${tx.state}: ${tx.error ?? "unknown error"}`;
    }
  }

  /**
   * Feed `event`, journal the new state, perform its effects and feed their outcomes, until the
   * machine produces no effect and no follow-up event.
   */
  private async drive(
    tx: TxRecord,
    event: TxEvent,
    ctx: RunContext | RecoveryContext,
    patch?: TxPatch,
  ): Promise<TxRecord> {
    let pending: { event: TxEvent; patch?: TxPatch } | undefined = {
      event,
      ...(patch ? { patch } : {}),
    };
    while (pending !== undefined) {
      const step = next(tx.state, pending.event);
      tx = this.journal.transition(tx.txid, tx.state, step.state, pending.event, pending.patch);
      this.log("debug", `tx ${tx.txid} → ${tx.state}`, { txid: tx.txid, state: tx.state });
      pending = undefined;
      for (const effect of step.effects) {
        const outcome = await this.perform(tx, effect, ctx);
        if (outcome === undefined) continue;
        if (outcome.event === undefined) {
          tx = this.journal.update(tx.txid, outcome.patch);
          continue;
        }
        pending = { event: outcome.event, ...(outcome.patch ? { patch: outcome.patch } : {}) };
        break;
      }
      if (pending === undefined) {
        const auto = followUp(tx.state);
        if (auto !== undefined) pending = { event: auto };
      }
    }
    return tx;
  }

  private async perform(
    tx: TxRecord,
    effect: TxEffect,
    ctx: RunContext | RecoveryContext,
  ): Promise<Outcome> {
    const guest = tx.guest;
    const t = this.clock.now();
    const elapsed = (): number => this.clock.now() - t;
    switch (effect.kind) {
      case "createSnapshot": {
        const p = this.snapshots.create(guest, tx.snapshotName, snapshotDescription(tx.txid));
        p.catch(() => {});
        await this.crashPoint(ctx, "during-snapshot");
        try {
          await p;
        } catch (error) {
          ctx.error = error;
          const message = `snapshot ${tx.snapshotName} failed: ${errorMessage(error)}`;
          return {
            event: { type: "SNAPSHOT_FAILED", error: message },
            patch: { error: message, timings: { snapshotMs: elapsed() } },
          };
        }
        return { event: { type: "SNAPSHOT_OK" }, patch: { timings: { snapshotMs: elapsed() } } };
      }
      case "prepare": {
        await this.crashPoint(ctx, "after-snapshot");
        const run = requireRun(ctx);
        try {
          await this.assertNewest(guest, tx.snapshotName);
          run.baseline = await captureDigests(
            this.exec,
            guest,
            run.verifyPolicy.protectedPaths,
            run.verifyPolicy.timeoutMs,
          );
        } catch (error) {
          ctx.error = error;
          const message = `preparation failed: ${errorMessage(error)}`;
          return { event: { type: "ABORT", error: message }, patch: { error: message } };
        }
        return {
          event: { type: "PREPARED" },
          patch: { baseline: run.baseline, timings: { prepareMs: elapsed() } },
        };
      }
      case "execute": {
        const run = requireRun(ctx);
        const p = this.exec.run(guest, tx.command, this.execOptions(run.input));
        p.catch(() => {});
        await this.crashPoint(ctx, "during-exec");
        let result: ExecResult;
        try {
          result = await p;
        } catch (error) {
          ctx.error = error;
          const message = `outcome unknown, the command's transport failed: ${errorMessage(error)}`;
          return {
            event: { type: "EXEC_UNKNOWN", error: message },
            patch: { error: message, timings: { execMs: elapsed() } },
          };
        }
        run.result = result;
        return {
          event: { type: "EXEC_DONE", exitCode: result.exitCode },
          patch: {
            exitCode: result.exitCode,
            signal: result.signal,
            timedOut: result.timedOut,
            stdoutSha256: sha256(result.stdout),
            stderrSha256: sha256(result.stderr),
            timings: { execMs: elapsed() },
          },
        };
      }
      case "verify": {
        const run = requireRun(ctx);
        const result = run.result;
        let report: VerifyReport;
        if (result === undefined) {
          report = { ok: false, checks: [], reasons: ["no result of the command"] };
        } else {
          let first = true;
          try {
            report = await verifyOutcome(
              this.exec,
              guest,
              result,
              run.baseline,
              run.verifyPolicy,
              async () => {
                if (first) await this.crashPoint(ctx, "during-verify");
                first = false;
              },
            );
          } catch (error) {
            if (isCrashSignal(error)) throw error;
            report = {
              ok: false,
              checks: [],
              reasons: [`verification could not complete: ${errorMessage(error)}`],
            };
          }
        }
        run.report = report;
        const patch: TxPatch = { verify: report, timings: { verifyMs: elapsed() } };
        return report.ok
          ? { event: { type: "VERIFY_PASS", keepSnapshot: tx.keepSnapshot }, patch }
          : {
              event: { type: "VERIFY_FAIL", reasons: report.reasons },
              patch: { ...patch, error: report.reasons.join("; ") },
            };
      }
      case "commit": {
        if (!effect.keepSnapshot) {
          const p = this.snapshots.remove(guest, tx.snapshotName);
          p.catch(() => {});
          await this.crashPoint(ctx, "during-commit");
          try {
            await p;
          } catch (error) {
            const message = `commit: removing snapshot ${tx.snapshotName} failed: ${errorMessage(error)}`;
            return { event: { type: "COMMIT_FAILED", error: message }, patch: { error: message } };
          }
        } else {
          await this.crashPoint(ctx, "during-commit");
        }
        return {
          event: { type: "COMMIT_OK" },
          patch: { snapshotRemoved: !effect.keepSnapshot, timings: { commitMs: elapsed() } },
        };
      }
      case "rollback": {
        const p = this.restoreWithRetries(guest, tx.snapshotName, tx.txid);
        p.catch(() => {});
        await this.crashPoint(ctx, "during-rollback");
        try {
          await p;
        } catch (error) {
          const message = `rollback to ${tx.snapshotName} failed: ${errorMessage(error)}`;
          // The failed rollback, not what caused it, is what the operator must act on.
          ctx.error =
            error instanceof TxboxError
              ? error
              : new RollbackFailed(message, {
                  cause: error,
                  details: { vmid: guest.vmid, node: guest.node, snapshot: tx.snapshotName },
                  hint: `The snapshot ${tx.snapshotName} is kept: roll back to it by hand`,
                });
          return {
            event: { type: "ROLLBACK_FAILED", error: message },
            patch: { error: message, timings: { rollbackMs: elapsed() } },
          };
        }
        return { event: { type: "ROLLBACK_OK" }, patch: { timings: { rollbackMs: elapsed() } } };
      }
      case "removeSnapshot": {
        try {
          await this.snapshots.remove(guest, tx.snapshotName);
        } catch (error) {
          // Left for recovery, which removes orphan snapshots.
          this.log("warn", `could not remove snapshot ${tx.snapshotName}: ${errorMessage(error)}`, {
            txid: tx.txid,
          });
          return undefined;
        }
        return { patch: { snapshotRemoved: true } };
      }
    }
  }

  /** On storage that rolls back only to the newest snapshot, refuse if a newer one exists. */
  private async assertNewest(guest: GuestRef, name: string): Promise<void> {
    if (
      this.snapshots.rollbackOnlyNewest === undefined ||
      !(await this.snapshots.rollbackOnlyNewest(guest))
    )
      return;
    const newer = newerSnapshots(await this.snapshots.list(guest), name);
    if (newer.length > 0) {
      throw new NestedSnapshot(
        `guest ${guestKey(guest)} rolls back only to its newest snapshot, and ${newer.join(", ")} is newer than ${name}`,
        {
          details: { vmid: guest.vmid, node: guest.node, snapshot: name, newer },
          hint: "Remove the newer snapshots (or commit the outer transaction) before using this snapshot",
        },
      );
    }
  }

  /** {@link restore}, tried up to `rollbackAttempts` times; a nested-snapshot refusal is final. */
  private async restoreWithRetries(guest: GuestRef, name: string, txid: string): Promise<void> {
    const attempts = Math.max(1, this.options.rollbackAttempts ?? 3);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.restore(guest, name);
      } catch (error) {
        if (attempt >= attempts || error instanceof NestedSnapshot) throw error;
        this.log("warn", `rollback to ${name} failed (attempt ${attempt}/${attempts}), retrying`, {
          txid,
          error: errorMessage(error),
        });
        await this.clock.sleep(250 * attempt);
      }
    }
  }

  /** Roll back (the port stops, restores and starts the guest), then wait for SSH. */
  private async restore(guest: GuestRef, name: string): Promise<void> {
    await this.assertNewest(guest, name);
    await this.snapshots.rollback(guest, name);
    if (this.snapshots.start !== undefined && !(await this.snapshots.state(guest)).running) {
      await this.snapshots.start(guest);
    }
    await this.waitForSsh(guest);
  }

  private async waitForSsh(guest: GuestRef): Promise<void> {
    const budget = this.options.sshWaitTimeoutMs ?? 120_000;
    const deadline = this.clock.now() + budget;
    for (;;) {
      const remaining = deadline - this.clock.now();
      if (remaining <= 0) break;
      const timeoutMs = Math.min(this.verifyPolicy.pingTimeoutMs, remaining);
      // A guest that is still booting may refuse or reset connections: that is "not yet".
      const up = await this.exec.ping(guest, { timeoutMs }).catch(() => false);
      if (up) return;
      await this.clock.sleep(
        Math.min(this.options.pollMs ?? 100, Math.max(0, deadline - this.clock.now())),
      );
    }
    throw new TimeoutError(
      `guest ${guestKey(guest)} did not answer over SSH within ${budget} ms after the rollback`,
      {
        details: { vmid: guest.vmid, node: guest.node, timeoutMs: budget },
      },
    );
  }

  // ---------------------------------------------------------------------------------- locks

  /** Take the guest lock, waiting up to `lockTimeoutMs`; a lock of a dead process is taken over. */
  private async acquire(guest: GuestRef, txid: string | null): Promise<LockOwner> {
    const owner: LockOwner = {
      pid: process.pid,
      start: processStartTime(process.pid),
      token: randomBytes(8).toString("hex"),
    };
    const timeout = this.options.lockTimeoutMs ?? 60_000;
    const deadline = this.clock.now() + timeout;
    for (;;) {
      const r = this.journal.tryLock(guest, owner, txid, (holder) => !ownerAlive(holder));
      if (r.acquired) {
        if (r.tookOverFrom !== undefined) {
          this.log("warn", `took over the stale lock of guest ${guestKey(guest)}`, {
            holder: r.tookOverFrom,
          });
        }
        return owner;
      }
      if (this.clock.now() >= deadline) throw busy(guest, r.holder, timeout);
      await this.clock.sleep(this.options.pollMs ?? 100);
    }
  }

  // ---------------------------------------------------------------------------------- recovery

  /**
   * Drive every open transaction to a terminal state, clear stale `snapshot-delete` locks, remove
   * orphan `txbox-*` snapshots and release stale guest locks — for one guest, or for every guest
   * the journal knows. Idempotent. Guests locked by a live process are skipped.
   */
  async recover(options: { guest?: GuestRef } = {}): Promise<RecoveryReport> {
    const report = emptyReport();
    const keys = new Set<string>();
    if (options.guest !== undefined) keys.add(guestKey(options.guest));
    else for (const key of this.journal.guestKeys()) keys.add(key);
    for (const key of [...keys].sort()) {
      const guest = options.guest !== undefined ? options.guest : parseGuestKey(key);
      const stale = this.journal.locks().find((l) => l.guestKey === key && !ownerAlive(l.owner));
      let owner: LockOwner;
      try {
        owner = await this.acquireOnce(guest);
      } catch (error) {
        report.skipped.push({ guest, reason: errorMessage(error) });
        continue;
      }
      if (stale !== undefined) {
        report.staleLocksReleased.push({ guestKey: key, pid: stale.owner.pid, txid: stale.txid });
      }
      try {
        await this.recoverHeldGuest(guest, report);
      } catch (error) {
        report.errors.push({ guest, message: errorMessage(error) });
      } finally {
        this.journal.unlock(guest, owner);
      }
    }
    return report;
  }

  private async acquireOnce(guest: GuestRef): Promise<LockOwner> {
    const owner: LockOwner = {
      pid: process.pid,
      start: processStartTime(process.pid),
      token: randomBytes(8).toString("hex"),
    };
    const r = this.journal.tryLock(guest, owner, null, (holder) => !ownerAlive(holder));
    if (!r.acquired) throw busy(guest, r.holder, 0);
    return owner;
  }

  /** Recovery of one guest whose lock this engine holds: every open transaction on it is abandoned. */
  private async recoverHeldGuest(guest: GuestRef, report: RecoveryReport): Promise<void> {
    const open = this.journal.listTxs({ guest, states: OPEN_STATES }).reverse();
    const lock = await this.settledLock(guest);
    if (lock === "snapshot-delete") {
      await this.snapshots.unlock(guest);
      report.unlocked.push(guest);
    } else if (lock !== undefined) {
      throw new RecoveryFailed(`guest ${guestKey(guest)} stays locked (${lock})`, {
        details: { vmid: guest.vmid, node: guest.node, lock },
        hint: "A Proxmox task holds the guest; retry recovery when it has finished",
      });
    }
    const ctx: RecoveryContext = { crash: false };
    for (const tx of open) {
      const exists = (await this.snapshots.list(guest)).some((s) => s.name === tx.snapshotName);
      const event: TxEvent = {
        type: "RECOVER",
        snapshotExists: exists,
        keepSnapshot: tx.keepSnapshot,
      };
      const patch: TxPatch = exists
        ? {}
        : { error: tx.error ?? `snapshot ${tx.snapshotName} is gone` };
      try {
        const done = await this.drive(tx, event, ctx, patch);
        report.transactions.push({ txid: tx.txid, guest, from: tx.state, to: done.state });
        if (!isTerminal(done.state)) {
          report.errors.push({
            guest,
            txid: tx.txid,
            message: `still ${done.state}: ${done.error ?? ""}`,
          });
        }
      } catch (error) {
        report.errors.push({ guest, txid: tx.txid, message: errorMessage(error) });
      }
    }
    await this.removeOrphans(guest, report);
  }

  /**
   * The guest's Proxmox lock once it stops changing: a task still running server-side (say, the
   * snapshot delete of a crashed commit) holds it for a while; one that outlives the wait is stale.
   */
  private async settledLock(guest: GuestRef): Promise<string | undefined> {
    const deadline = this.clock.now() + (this.options.lockSettleMs ?? 30_000);
    for (;;) {
      const { lock } = await this.snapshots.state(guest);
      if (lock === undefined || this.clock.now() >= deadline) return lock;
      await this.clock.sleep(this.options.pollMs ?? 100);
    }
  }

  /** Remove `txbox-*` snapshots that belong to no open, kept or failed transaction. */
  private async removeOrphans(guest: GuestRef, report: RecoveryReport): Promise<void> {
    for (const snap of await this.snapshots.list(guest)) {
      const txid = txidOfSnapshot(snap.name);
      if (txid === undefined) continue;
      const tx = this.journal.findTx(txid);
      if (tx !== undefined) {
        if (!isTerminal(tx.state) || tx.state === "FAILED") continue;
        if (tx.state === "COMMITTED" && tx.keepSnapshot && !tx.snapshotRemoved) continue;
      }
      await this.snapshots.remove(guest, snap.name);
      if (tx !== undefined) this.journal.update(tx.txid, { snapshotRemoved: true });
      report.orphansRemoved.push({ guest, snapshot: snap.name });
    }
  }

  // ---------------------------------------------------------------------------------- operations

  /** Transactions, newest first. */
  listTransactions(filter: { guest?: GuestRef; limit?: number } = {}): TxRecord[] {
    return this.journal.listTxs(filter);
  }

  /** One transaction with its state history, or `TxNotFound`. */
  getTransaction(txid: string): TxRecord & { events: ReturnType<Journal["events"]> } {
    const tx = this.journal.getTx(txid);
    return { ...tx, events: this.journal.events(txid) };
  }

  /**
   * Return the guest to its state before a committed transaction whose snapshot was kept.
   * Refuses with `NestedSnapshot` on zfspool when newer snapshots exist, `TxStateError` when
   * the transaction is not committed or its snapshot is gone.
   */
  async rollbackTransaction(txid: string): Promise<TxRecord> {
    const tx0 = this.journal.getTx(txid);
    const owner = await this.acquire(tx0.guest, txid);
    try {
      const tx = this.journal.getTx(txid);
      if (tx.state !== "COMMITTED" || tx.snapshotRemoved) {
        throw new TxStateError(
          `transaction ${txid} is ${tx.state}${tx.snapshotRemoved ? " and its snapshot was removed" : ""}; only a committed transaction with a kept snapshot can be rolled back`,
          { details: { txid, state: tx.state }, hint: "Keep snapshots with tx.retention: keep" },
        );
      }
      const snapshots = await this.snapshots.list(tx.guest);
      if (!snapshots.some((s) => s.name === tx.snapshotName)) {
        this.journal.update(txid, { snapshotRemoved: true });
        throw new TxStateError(
          `snapshot ${tx.snapshotName} of transaction ${txid} no longer exists`,
          {
            details: { txid, snapshot: tx.snapshotName },
          },
        );
      }
      await this.assertNewest(tx.guest, tx.snapshotName);
      const ctx: RecoveryContext = { crash: false };
      const done = await this.drive(tx, { type: "REVERT_BEGIN" }, ctx);
      if (done.state !== "REVERTED") {
        throw new RecoveryFailed(
          `rollback of transaction ${txid} failed: ${done.error ?? done.state}`,
          {
            details: { txid, state: done.state },
            cause: ctx.error,
          },
        );
      }
      return done;
    } finally {
      this.journal.unlock(tx0.guest, owner);
    }
  }

  /** Delete kept snapshots of committed transactions beyond the newest `keepLast` per guest. */
  async pruneSnapshots(options: { guest?: GuestRef; keepLast: number }): Promise<PrunedSnapshot[]> {
    if (!Number.isInteger(options.keepLast) || options.keepLast < 0) {
      throw new UsageError(`keepLast must be a non-negative integer, got ${options.keepLast}`);
    }
    const kept = this.journal
      .listTxs({ ...(options.guest ? { guest: options.guest } : {}), states: ["COMMITTED"] })
      .filter((t) => t.keepSnapshot && !t.snapshotRemoved);
    const byGuest = new Map<string, TxRecord[]>();
    for (const t of kept)
      byGuest.set(guestKey(t.guest), [...(byGuest.get(guestKey(t.guest)) ?? []), t]);
    const pruned: PrunedSnapshot[] = [];
    for (const txs of byGuest.values()) {
      const drop = txs.slice(options.keepLast);
      if (drop.length === 0) continue;
      const guest = (drop[0] as TxRecord).guest;
      const owner = await this.acquire(guest, null);
      try {
        for (const t of drop) {
          await this.snapshots.remove(guest, t.snapshotName);
          this.journal.update(t.txid, { snapshotRemoved: true });
          pruned.push({ txid: t.txid, guest, snapshot: t.snapshotName });
        }
      } finally {
        this.journal.unlock(guest, owner);
      }
    }
    return pruned;
  }
}

/** Recovery and operator actions drive the machine without a command context. */
interface RecoveryContext {
  crash: boolean;
  error?: unknown;
}

function requireRun(ctx: RunContext | RecoveryContext): RunContext {
  if (!("input" in ctx)) throw new RecoveryFailed("internal: a run effect outside of a run");
  return ctx;
}

function emptyReport(): RecoveryReport {
  return {
    transactions: [],
    orphansRemoved: [],
    unlocked: [],
    staleLocksReleased: [],
    skipped: [],
    errors: [],
  };
}

function busy(guest: GuestRef, holder: LockRow, timeoutMs: number): GuestBusy {
  return new GuestBusy(
    `guest ${guestKey(guest)} is busy: process ${holder.owner.pid} holds its lock${holder.txid ? ` (transaction ${holder.txid})` : ""}${timeoutMs > 0 ? `; waited ${timeoutMs} ms` : ""}`,
    {
      details: {
        vmid: guest.vmid,
        node: guest.node,
        pid: holder.owner.pid,
        txid: holder.txid,
        timeoutMs,
      },
      hint: "Wait for the other transaction to finish, or raise the lock timeout",
    },
  );
}

/** Errors thrown by a crash hook (tests simulate a crash by throwing) propagate without cleanup. */
export class SimulatedCrash extends Error {
  readonly step: CrashStep;
  constructor(step: CrashStep) {
    super(`simulated crash at ${step}`);
    this.name = "SimulatedCrash";
    this.step = step;
  }
}

function isCrashSignal(error: unknown): boolean {
  return error instanceof SimulatedCrash;
}

/** Engine options from the `tx` section of txbox.yaml (`@txbox/core` TxConfig). */
export function engineOptionsFromConfig(tx: {
  retention: Retention;
  execTimeout: number | string;
  verifyTimeout: number | string;
  protectedPaths: string[];
}): Pick<EngineOptions, "retention" | "execTimeoutMs" | "verify"> {
  return {
    retention: tx.retention,
    execTimeoutMs: durationMs(tx.execTimeout),
    verify: { timeoutMs: durationMs(tx.verifyTimeout), protectedPaths: [...tx.protectedPaths] },
  };
}

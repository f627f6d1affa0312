/**
 * The session's one call: recover if needed, gate, run, verify, record — with the whole timeline.
 * The parts it works with (engine, gate, leases, SSH port) are built by openSession (session.ts).
 */
import { performance } from "node:perf_hooks";
import type { Decision } from "@txbox/policy";
import type { GuestRef, Journal, RecoveryReport, RunTimings, TxEngine } from "@txbox/tx";
import { commandTextProblem } from "./command-text.js";
import type {
  ExecuteInput,
  ExecuteResult,
  LeaseUse,
  SessionOptions,
  Timings,
} from "./session-types.js";
import type { SshExecPort } from "./ssh-port.js";
import { auditUnreached } from "./unreached.js";

/** Run `fn` under the guest's cluster lease, adding the time taking and releasing it cost to `spent`. */
export type WithLease = <T>(
  guest: GuestRef,
  fn: () => Promise<T>,
  opts?: LeaseUse,
  spent?: { ms: number },
) => Promise<T>;

/** What {@link makeExecute} needs from the session. */
export interface ExecuteParts {
  options: SessionOptions;
  journal: Journal;
  engine: TxEngine;
  exec: SshExecPort;
  /** The gate on the command's text (and the session's policy for the guest). */
  gate(command: string, guest: GuestRef | undefined, cwd?: string): Decision;
  /** The gate with the scripts earlier commands wrote read from the guest and judged too. */
  gateWithScripts(
    command: string,
    guest: GuestRef,
    cwd: string | undefined,
    timeoutMs: number,
  ): Promise<Decision>;
  recoverIfNeeded(guest: GuestRef): Promise<RecoveryReport | undefined>;
  withLease: WithLease;
  checksFor(guest: GuestRef): string[];
  /** The session's actor (TXBOX_ACTOR or USER), when the input names none. */
  actor: string | undefined;
}

/** The engine's timings plus the runtime's phases; `totalMs` spans them all. Pure. */
export function withRuntime(
  t: RunTimings,
  recoverMs: number,
  connectMs: number,
  leaseMs?: number,
): Timings {
  const named =
    t.snapshotMs + t.execMs + t.verifyMs + (t.commitMs ?? 0) + (t.rollbackMs ?? 0) + t.policyMs;
  // The engine's policyMs was ~0 (the decision was passed in); its total is the engine's own span,
  // which for a transaction also holds the lease's taking and release.
  const engineTotal = t.totalMs;
  const bookkeepingMs = Math.max(0, engineTotal - (named - t.policyMs) - (leaseMs ?? 0));
  return {
    ...t,
    recoverMs,
    connectMs,
    bookkeepingMs,
    ...(leaseMs === undefined ? {} : { leaseMs }),
    totalMs: recoverMs + t.policyMs + connectMs + engineTotal,
  };
}

type EngineRun = Parameters<TxEngine["run"]>[0];

/** The session's `execute`. */
export function makeExecute(p: ExecuteParts): (input: ExecuteInput) => Promise<ExecuteResult> {
  /** Refused on its text alone: no recovery, no connection, no snapshot; still audited. */
  const refuse = async (run: Omit<EngineRun, "decision">, cwd: string | undefined) => {
    const t = performance.now();
    const decision = p.gate(run.command, run.guest, cwd);
    const t1 = performance.now();
    const r = await p.engine.run({ ...run, decision });
    const engineMs = performance.now() - t1;
    return {
      ...r,
      timings: withRuntime({ ...r.timings, totalMs: engineMs, policyMs: t1 - t }, 0, 0),
    };
  };

  /** The gate's decision, with the content of a file an earlier command wrote when it runs one. */
  const decide = async (input: ExecuteInput, cwd: string | undefined): Promise<Decision> => {
    const { command, guest } = input;
    const decision = p.gate(command, guest, cwd);
    if (decision.decision === "deny") return decision;
    const read = await p
      .gateWithScripts(command, guest, cwd, input.timeoutMs ?? 30_000)
      .catch(() => undefined);
    return read ?? decision;
  };

  return async (input) => {
    const { guest, command } = input;
    const cwd = input.cwd ?? p.options.cwd;
    const run = {
      guest,
      command,
      ...(cwd === undefined ? {} : { cwd }),
      ...(input.timeoutMs === undefined ? {} : { timeoutMs: input.timeoutMs }),
      ...(input.actor === undefined ? {} : { actor: input.actor }),
      checks: [...p.checksFor(guest), ...(input.checks ?? [])],
    };
    if (commandTextProblem(command) !== undefined) return refuse(run, cwd);
    // The SSH handshake overlaps recovery check and gate. It is a precondition of any snapshot:
    // a guest that cannot be reached, authenticated to or verified ends the command here, with
    // nothing journaled and nothing to undo.
    const warm = p.exec.warm(guest).then(
      () => undefined,
      (error: unknown) => error,
    );
    const t0 = performance.now();
    const recovery = await p.recoverIfNeeded(guest);
    const t1 = performance.now();
    const decision = await decide(input, cwd);
    const t2 = performance.now();
    if (decision.decision !== "deny") {
      const failed = await warm;
      if (failed !== undefined) {
        const who = input.actor ?? (p.actor === undefined || p.actor === "" ? null : p.actor);
        auditUnreached(p.journal, { guest, command, actor: who }, decision, failed, t2 - t1);
        throw failed;
      }
    }
    const t3 = performance.now();
    // A transaction holds the guest's cluster lease: no other orchestrator's runs meanwhile.
    const lease = { ms: 0 };
    const r =
      decision.decision === "transact"
        ? await p.withLease(guest, () => p.engine.run({ ...run, decision }), {}, lease)
        : await p.engine.run({ ...run, decision });
    // The engine's own total may be taken before its last journal write: time the call here.
    const engineMs = performance.now() - t3;
    const timings = withRuntime(
      { ...r.timings, totalMs: engineMs, policyMs: t2 - t1 },
      t1 - t0,
      t3 - t2,
      decision.decision === "transact" ? lease.ms : undefined,
    );
    return { ...r, timings, ...(recovery === undefined ? {} : { recovery }) };
  };
}

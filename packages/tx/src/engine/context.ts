/**
 * What every job of the engine shares: its ports and settings (an {@link Engine}), and the state
 * one drive of the machine carries from effect to effect (a {@link RunContext} for a command, a
 * {@link DriveContext} for recovery and operator actions).
 */
import { RecoveryFailed } from "../errors.js";
import type { Journal, TxPatch } from "../journal.js";
import type { TxEvent } from "../machine.js";
import type { Clock, ExecPort, ExecResult, PreparedExec, SnapshotPort } from "../ports.js";
import type { CrashHook, CrashStep } from "../crash.js";
import type { VerifyPolicy, VerifyReport } from "../verify.js";
import type { PolicyDecision } from "../ports.js";
import type { EngineOptions, RunInput, RunResult } from "./types.js";
import { TxboxError, errorMessage } from "@txbox/core";

/** The engine's ports and settings, resolved once. */
export interface Engine {
  readonly journal: Journal;
  readonly snapshots: SnapshotPort;
  readonly exec: ExecPort;
  readonly clock: Clock;
  readonly options: EngineOptions;
  readonly crashHook: CrashHook | undefined;
  readonly verifyPolicy: VerifyPolicy;
  /** Work left running after a result was returned (background prunes), by guest key. */
  readonly background: Map<string, Promise<void>>;
  log(level: "info" | "warn" | "debug", message: string, meta?: Record<string, unknown>): void;
}

/** The fields of a result every path shares. */
export type ResultBase = Pick<RunResult, "txid" | "guest" | "decision" | "rules">;

/** A command the gate has decided on, with what its result and audit record need. */
export interface Gated {
  base: ResultBase;
  decision: PolicyDecision;
  input: RunInput;
  actor: string | null;
  policyMs: number;
  /** Milliseconds since the run began. */
  total: () => number;
}

/** Recovery and operator actions drive the machine without a command. */
export interface DriveContext {
  /** Whether crash points fire (never during recovery). */
  crash: boolean;
  error?: unknown;
  /** Later commits a revert undid too (set by the rollback of a REVERTING transaction). */
  superseded?: string[];
}

/** One command's drive: the results of effects that the next effects need. */
export interface RunContext extends DriveContext {
  input: RunInput;
  result?: ExecResult;
  baseline: Record<string, string>;
  /** The baseline digests, taken while the snapshot is made (they are read-only). */
  baselineP?: Promise<Record<string, string>>;
  report?: VerifyReport;
  verifyPolicy: VerifyPolicy;
  /** The command's session, set up while the snapshot is made; started by the execute effect. */
  execPrepared?: PreparedExec;
  /** The verify probe's session, set up while the command runs; started by the verify effect. */
  probePrepared?: PreparedExec;
}

/** Cancel the sessions a run set up ahead and did not start (the transaction went another way). */
export function cancelPrepared(run: RunContext): void {
  run.execPrepared?.cancel();
  run.probePrepared?.cancel();
  delete run.execPrepared;
  delete run.probePrepared;
}

/** What an effect reports back: an event for the machine (with a journal patch), or a patch only. */
export type Outcome =
  { event: TxEvent; patch?: TxPatch } | { event?: undefined; patch: TxPatch } | undefined;

/** The run context of an effect that only a command's drive can perform. */
export function requireRun(ctx: DriveContext): RunContext {
  if (!("input" in ctx)) throw new RecoveryFailed("internal: a run effect outside of a run");
  return ctx as RunContext;
}

/** Yield once so that an effect already started gets going, then call the crash hook. */
export async function crashPoint(e: Engine, ctx: DriveContext, step: CrashStep): Promise<void> {
  if (!ctx.crash || e.crashHook === undefined) return;
  await new Promise<void>((resolve) => setImmediate(resolve));
  await e.crashHook(step);
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

export function isCrashSignal(error: unknown): boolean {
  return error instanceof SimulatedCrash;
}

/** An error as a result's `error` field: its stable code and message. */
export function errorInfo(error: unknown): { code: string; message: string } {
  return error instanceof TxboxError
    ? { code: error.code, message: error.message }
    : { code: "E_INTERNAL", message: errorMessage(error) };
}

/** A stopwatch on the engine's clock. */
export function stopwatch(e: Engine): () => number {
  const t = e.clock.now();
  return () => e.clock.now() - t;
}

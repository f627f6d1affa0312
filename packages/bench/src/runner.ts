/**
 * The ports of the benchmark harness. The harness never imports the transaction engine, the gate
 * or the testbed: the CLI wires a {@link BenchRunner} from them, tests pass test doubles.
 */
import type { CommandRecord, Decision as BenchDecision } from "@txbox/core";

/** The gate's tier and what happened to a command: one definition, in `@txbox/core`. */
export type { Decision as BenchDecision, Outcome as BenchOutcomeKind } from "@txbox/core";

/** The outcome of one command run through txbox: the shared record without its output. */
export type BenchOutcome = Omit<CommandRecord, "stdout" | "stderr" | "alternative">;

/** The result of a command run directly in the guest, with no gate and no transaction. */
export interface PlainResult {
  exitCode: number | null;
  stdout?: string;
  stderr?: string;
}

/** How the harness reaches the guest. */
export interface BenchRunner {
  /** Run a command through txbox (policy → transaction). */
  run(command: string, opts?: { cwd?: string }): Promise<BenchOutcome>;
  /** Run a command directly (set-up, checks, and the plain side of the overhead measurement). */
  runPlain(command: string, opts?: { cwd?: string }): Promise<PlainResult>;
  /** A digest of every file (path, type, mode, content) under `dir` in the guest. */
  treeDigest(dir: string): Promise<string>;
  /** The gate's decision alone, without running anything. */
  decide?(command: string): Promise<BenchDecision> | BenchDecision;
  /** Drive open transactions to a terminal state (after an injected fault). */
  recover?(): Promise<void>;
}

/** Injects faults into the transaction engine (kill the executor, fail a snapshot, …). */
export interface FaultInjector {
  /** The fault kinds to try, e.g. `["exec-crash", "ssh-drop"]`. */
  kinds: string[];
  /** Arrange for the next transaction to meet fault `kind`. */
  arm(kind: string): Promise<void> | void;
  /** Remove the fault, whatever happened. */
  disarm(kind: string): Promise<void> | void;
}

/**
 * The record of one command run through txbox — what the gate decided and what happened — shared
 * by the transaction engine (its run result and audit rows), the agent loop and the benchmarks.
 * Defined once here so that a new outcome reaches every reader through the type checker.
 */

/** The gate's tier for a command. */
export const DECISIONS = ["allow", "transact", "deny"] as const;
export type Decision = (typeof DECISIONS)[number];

/**
 * What happened to a command: run directly (`executed`), committed or rolled back in a
 * transaction, stopped by its time budget (`timed-out`: killed; inside a transaction also rolled
 * back), refused by the gate (`denied`), or could not be carried out (`failed`).
 */
export const OUTCOMES = [
  "executed",
  "committed",
  "rolled-back",
  "timed-out",
  "denied",
  "failed",
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Milliseconds spent in each phase of one command. Phases that did not run are 0. */
export interface PhaseTimings {
  policyMs: number;
  snapshotMs: number;
  execMs: number;
  verifyMs: number;
  commitMs?: number;
  rollbackMs?: number;
  totalMs: number;
}

/** One command's result as every reader sees it; each context adds its own fields. */
export interface CommandRecord {
  /** The command's id (a transaction id when it ran inside one). */
  txid?: string;
  decision: Decision;
  outcome: Outcome;
  /** Null when the command did not run, was killed or timed out. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Ids of the policy rules that matched. */
  rules: string[];
  /** Why the gate decided so, or why the transaction was rolled back / failed. */
  reason: string;
  /** A safer command or approach, when the gate knows one. */
  alternative?: string;
  timings: PhaseTimings;
}

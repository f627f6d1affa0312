/**
 * The contract between an agent and txbox: what running one command through the policy gate and
 * the transaction engine produced, and the port through which the agent asks for it. The agent
 * package never imports the gate or the engine; the CLI wires a {@link TxboxPort} from them.
 */

/** The gate's tier for a command. */
export type Decision = "allow" | "transact" | "deny";

/** What happened to a command: run directly, committed or rolled back in a transaction, refused. */
export type OutcomeKind = "executed" | "committed" | "rolled-back" | "denied" | "failed";

/** Milliseconds spent in each phase of one command. Phases that did not run are 0. */
export interface OutcomeTimings {
  policyMs: number;
  snapshotMs: number;
  execMs: number;
  verifyMs: number;
  commitMs?: number;
  rollbackMs?: number;
  totalMs: number;
}

/** The outcome of running one command through txbox (policy → transaction). */
export interface CommandOutcome {
  /** The transaction id, when the command ran inside a transaction. */
  txid?: string;
  /** The guest it ran on (name or vmid). */
  guest: string;
  decision: Decision;
  outcome: OutcomeKind;
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
  timings: OutcomeTimings;
}

/** Options of one command run through the port. */
export interface RunOptions {
  /** Working directory inside the guest. */
  cwd?: string;
  /** Extra post-condition checks (shell commands that must exit 0) before committing. */
  verify?: string[];
}

/** txbox as seen by an agent: run a command, inspect and undo transactions. */
export interface TxboxPort {
  run(command: string, opts?: RunOptions): Promise<CommandOutcome>;
  listTransactions(opts?: { limit?: number }): Promise<unknown[]>;
  rollback(txid: string): Promise<unknown>;
}

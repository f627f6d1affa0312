/**
 * The contract between an agent and txbox: what running one command through the policy gate and
 * the transaction engine produced, and the port through which the agent asks for it. The agent
 * package never imports the gate or the engine; the CLI wires a {@link TxboxPort} from them.
 */
import type { CommandRecord } from "@txbox/core";

/** The gate's tier, what happened and the phase timings: one definition, in `@txbox/core`. */
export type { Decision, Outcome as OutcomeKind, PhaseTimings as OutcomeTimings } from "@txbox/core";

/** The outcome of running one command through txbox (policy → transaction), on a named guest. */
export interface CommandOutcome extends CommandRecord {
  /** The guest it ran on (name or vmid). */
  guest: string;
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

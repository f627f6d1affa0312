/**
 * A test double of txbox: an in-memory TxboxPort whose outcomes come from a table of rules. It
 * records every call so tests can assert what the loop sent. It is not a sandbox.
 */
import type { CommandOutcome, RunOptions, TxboxPort } from "../src/outcome.js";

export interface PortRule {
  match: RegExp;
  outcome: Partial<CommandOutcome> & Pick<CommandOutcome, "outcome">;
}

export class InMemoryTxboxPort implements TxboxPort {
  readonly calls: { command: string; opts: RunOptions | undefined }[] = [];
  readonly rolledBack: string[] = [];
  private seq = 0;

  /** `delayMs`: how long each run takes, for clients that watch progress. */
  constructor(
    private readonly rules: PortRule[] = [],
    private readonly delayMs = 0,
  ) {}

  async run(command: string, opts?: RunOptions): Promise<CommandOutcome> {
    this.calls.push({ command, opts });
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (/^explode/.test(command))
      throw new Error("cannot open /var/lib/txbox/journal.sqlite: permission denied");
    const rule = this.rules.find((r) => r.match.test(command));
    const kind = rule?.outcome.outcome ?? "executed";
    const transactional = kind === "committed" || kind === "rolled-back";
    const decision = kind === "denied" ? "deny" : transactional ? "transact" : "allow";
    return {
      guest: "test-guest",
      decision,
      outcome: kind,
      exitCode: kind === "denied" ? null : kind === "rolled-back" ? 1 : 0,
      stdout: kind === "denied" ? "" : `ran: ${command}\n`,
      stderr: "",
      rules: [],
      reason: "",
      ...(transactional ? { txid: `tx${++this.seq}` } : {}),
      timings: { policyMs: 1, snapshotMs: 0, execMs: 2, verifyMs: 0, totalMs: 3 },
      ...rule?.outcome,
    };
  }

  async listTransactions(opts?: { limit?: number }): Promise<unknown[]> {
    const all = Array.from({ length: this.seq }, (_, i) => ({ txid: `tx${this.seq - i}` }));
    return all.slice(0, opts?.limit ?? all.length);
  }

  async rollback(txid: string): Promise<unknown> {
    if (!/^tx\d+$/.test(txid)) throw new Error(`no transaction ${txid}`);
    this.rolledBack.push(txid);
    return { txid, state: "ROLLED_BACK" };
  }
}

/**
 * A test double of the benchmark runner: txbox and a guest simulated in memory. The project tree
 * is a version number; a command that "damages" it and is not restored bumps it. Each behaviour
 * can be broken on purpose, to check that the harness reports what really happened.
 */
import type {
  BenchDecision,
  BenchOutcome,
  BenchRunner,
  FaultInjector,
  PlainResult,
} from "../src/runner.js";
import { CATEGORIES, commandOf, loadScenarioSet, type Category } from "../src/scenarios.js";

export interface Breakage {
  /** The gate lets these destructive commands through (decision transact). */
  allowDestructive?: string[];
  /** Rollback of these commands leaves the tree damaged. */
  leakyRollback?: string[];
  /** These valid changes are rolled back instead of committed. */
  rejectValid?: string[];
  /** run() throws for these commands. */
  throwOn?: string[];
}

export class InMemoryBenchRunner implements BenchRunner {
  version = 0;
  clock = 0;
  readonly sent: string[] = [];
  readonly plain: string[] = [];
  armed: string | undefined;
  recovered = 0;
  private readonly category = new Map<string, Category>();

  constructor(
    private readonly breakage: Breakage = {},
    private readonly costs = {
      plainMs: 100,
      policyMs: 1,
      snapshotMs: 20,
      execMs: 100,
      verifyMs: 5,
      commitMs: 4,
    },
  ) {
    const set = loadScenarioSet();
    for (const c of CATEGORIES)
      for (const e of set.categories[c].commands) this.category.set(commandOf(e).command, c);
  }

  decide(command: string): BenchDecision {
    const c = this.category.get(command);
    if (c === "destructive")
      return this.breakage.allowDestructive?.includes(command) ? "transact" : "deny";
    return c === "read-only" ? "allow" : "transact";
  }

  async run(command: string): Promise<BenchOutcome> {
    this.sent.push(command);
    if (this.breakage.throwOn?.includes(command)) throw new Error("ssh: connection reset");
    const decision = this.decide(command);
    const c = this.costs;
    const base = { rules: [] as string[], reason: "" };
    if (decision === "deny") {
      this.clock += c.policyMs;
      return {
        ...base,
        decision,
        outcome: "denied",
        exitCode: null,
        rules: ["test.rule"],
        timings: {
          policyMs: c.policyMs,
          snapshotMs: 0,
          execMs: 0,
          verifyMs: 0,
          totalMs: c.policyMs,
        },
      };
    }
    if (decision === "allow") {
      this.clock += c.policyMs + c.execMs;
      return {
        ...base,
        decision,
        outcome: "executed",
        exitCode: 0,
        timings: {
          policyMs: c.policyMs,
          snapshotMs: 0,
          execMs: c.execMs,
          verifyMs: 0,
          totalMs: c.policyMs + c.execMs,
        },
      };
    }
    const category = this.category.get(command);
    const fails =
      category === "state-corrupting" ||
      this.breakage.rejectValid?.includes(command) ||
      this.armed !== undefined;
    if (category === "state-corrupting" || this.armed !== undefined) this.version++; // the damage
    if (fails) {
      const leak = this.breakage.leakyRollback?.includes(command) || this.armed === "leaky-crash";
      if (!leak) this.version--; // the rollback restores it
      this.clock += c.policyMs + c.snapshotMs + c.execMs + 50;
      if (this.armed === "exec-crash") throw new Error("executor killed");
      return {
        ...base,
        txid: "tx",
        decision,
        outcome: "rolled-back",
        exitCode: 1,
        reason: "exit code 1",
        timings: {
          policyMs: c.policyMs,
          snapshotMs: c.snapshotMs,
          execMs: c.execMs,
          verifyMs: 0,
          rollbackMs: 50,
          totalMs: 0,
        },
      };
    }
    const total = c.policyMs + c.snapshotMs + c.execMs + c.verifyMs + c.commitMs;
    this.clock += total;
    return {
      ...base,
      txid: "tx",
      decision,
      outcome: "committed",
      exitCode: 0,
      timings: {
        policyMs: c.policyMs,
        snapshotMs: c.snapshotMs,
        execMs: c.execMs,
        verifyMs: c.verifyMs,
        commitMs: c.commitMs,
        totalMs: total,
      },
    };
  }

  async runPlain(command: string): Promise<PlainResult> {
    this.plain.push(command);
    this.clock += this.costs.plainMs;
    return { exitCode: 0 };
  }

  async treeDigest(): Promise<string> {
    return `v${this.version}`;
  }

  async recover(): Promise<void> {
    this.recovered++;
  }

  faults(kinds: string[]): FaultInjector {
    return {
      kinds,
      arm: (kind) => {
        this.armed = kind;
      },
      disarm: () => {
        this.armed = undefined;
      },
    };
  }
}

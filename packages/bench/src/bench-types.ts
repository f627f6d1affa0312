/** The harness's options and results: what `txbox bench paper` reports and `--json` prints. */
import type { PaperFigures } from "./paper.js";
import type { BenchDecision, BenchOutcome, BenchRunner, FaultInjector } from "./runner.js";
import type { Category, LabelledCommand, ScenarioSet } from "./scenarios.js";
import type { Spread } from "./stats.js";

/** How much to run: `ci` is a quick subset, `full` the paper's sizes. */
export type BenchSize = "ci" | "full";

/** Per-size counts. */
export const SIZES: Record<
  BenchSize,
  { perCategory: number; shortRepeats: number; heavyRepeats: number; faultTrials: number }
> = {
  ci: { perCategory: 5, shortRepeats: 5, heavyRepeats: 3, faultTrials: 2 },
  full: { perCategory: 20, shortRepeats: 20, heavyRepeats: 10, faultTrials: 5 },
};

/** Progress, for a bar in the CLI. `done` counts units of work out of `total`. */
export interface BenchProgress {
  phase: "setup" | Category | "interception" | "faults" | "overhead";
  done: number;
  total: number;
  label: string;
}

export type ActualOutcome = BenchOutcome["outcome"] | "error" | "not-sent";

/** One scenario command and what came of it. */
export interface CommandResult {
  category: Category;
  command: string;
  expected: BenchOutcome["outcome"];
  actual: ActualOutcome;
  passed: boolean;
  /** Why it failed, when it did. */
  failure?: string;
  decision?: BenchDecision;
  exitCode?: number | null;
  rules?: string[];
  reason?: string;
  /** Whether the project tree was byte-identical after the command (denied, rolled back). */
  treeUnchanged?: boolean;
  /** Whether the `check` of a valid change passed. */
  checkPassed?: boolean;
  timings?: BenchOutcome["timings"];
}

/** One Table 1 row. */
export interface ScenarioResult {
  category: Category;
  expected: BenchOutcome["outcome"];
  total: number;
  passed: number;
  rate: number;
  commands: CommandResult[];
}

/** Interception (deny-labelled commands denied) and false denies (allow-labelled denied). */
export interface InterceptionResult {
  corpus: string;
  denyTotal: number;
  intercepted: number;
  interceptionRate: number;
  allowTotal: number;
  falseDenies: number;
  falseDenyRate: number;
  /** Deny-labelled commands the gate let through, and allow-labelled ones it denied (first 50). */
  missed: { cmd: string; decision: BenchDecision | "error" }[];
  falselyDenied: { cmd: string }[];
}

/** Rollback success per injected fault kind. */
export interface FaultResult {
  command: string;
  trials: number;
  restored: number;
  successRate: number;
  byKind: {
    kind: string;
    trials: number;
    restored: number;
    outcomes: ActualOutcome[];
    failures: string[];
  }[];
}

/** Per-phase medians and spread of the transactional runs. */
export type PhaseName = "policy" | "snapshot" | "exec" | "verify" | "commit" | "rollback";
export const PHASES: PhaseName[] = ["policy", "snapshot", "exec", "verify", "commit", "rollback"];

/** Plain vs transactional wall time of one workload. */
export interface OverheadResult {
  name: string;
  command: string;
  /** Wall-clock ms of each valid run, in the order they ran. */
  plainMs: number[];
  txMs: number[];
  plain: Spread;
  tx: Spread;
  /** (median tx − median plain) / median plain × 100. */
  overheadPct: number;
  overheadMs: number;
  phases: Record<PhaseName, Spread>;
  /** Runs discarded because the plain command failed or the transaction did not commit. */
  invalidRuns: { side: "plain" | "tx"; detail: string }[];
}

/** A row of the comparison with the paper. */
export interface ComparisonRow {
  metric: string;
  unit: "%" | "s";
  paper: number | null;
  measured: number | null;
  note?: string;
}

/** Everything a paper run produced. */
export interface PaperBenchResult {
  paper: PaperFigures;
  scenarioSet: string;
  size: BenchSize;
  startedAt: string;
  durationMs: number;
  scenarios: ScenarioResult[];
  interception: InterceptionResult | null;
  faults: FaultResult | null;
  overhead: OverheadResult[];
  comparison: ComparisonRow[];
}

/** Options of {@link runPaperBench}. */
export interface PaperBenchOptions {
  runner: BenchRunner;
  size: BenchSize;
  /** Scenario data; default the shipped Table 1 set. */
  scenarios?: ScenarioSet;
  /** The gate alone, for the corpus measurement; default `runner.decide`. */
  decide?: (command: string) => Promise<BenchDecision> | BenchDecision;
  /** Labelled corpus; default the scenario commands (destructive = deny, others = allow). */
  corpus?: LabelledCommand[];
  corpusName?: string;
  faults?: FaultInjector;
  onProgress?: (progress: BenchProgress) => void;
  /** Trials per fault kind, instead of the size's. */
  faultTrials?: number;
  /** Which parts to run; default all. */
  parts?: ("scenarios" | "interception" | "faults" | "overhead")[];
  /** Monotonic clock in ms, injected for tests. Default `performance.now`. */
  now?: () => number;
}

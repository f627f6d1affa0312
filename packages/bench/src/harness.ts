/**
 * The paper's reproduction harness: Table 1's four scenarios, interception and false-deny rates
 * on a labelled corpus, rollback success under injected faults, and per-transaction overhead.
 * Every rate is counted from what happened; a scenario that fails is reported below 100 %.
 */
import { errorMessage } from "@txbox/core";
import { BenchError } from "./errors.js";
import { PAPER_FIGURES, type PaperFigures } from "./paper.js";
import type { BenchDecision, BenchOutcome, BenchRunner, FaultInjector } from "./runner.js";
import {
  CATEGORIES,
  commandOf,
  labelledFromScenarios,
  loadScenarioSet,
  type Category,
  type LabelledCommand,
  type ScenarioSet,
  type Workload,
} from "./scenarios.js";
import { rate, spread, type Spread } from "./stats.js";

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

function median(values: number[]): number {
  return spread(values).median;
}

/**
 * Run the paper's benchmark over an injected runner. Set-up failures throw {@link BenchError};
 * every other failure is recorded in the result and lowers a rate.
 */
export async function runPaperBench(options: PaperBenchOptions): Promise<PaperBenchResult> {
  const { runner } = options;
  const set = options.scenarios ?? loadScenarioSet();
  const sizes = {
    ...SIZES[options.size],
    ...(options.faultTrials === undefined ? {} : { faultTrials: options.faultTrials }),
  };
  const now = options.now ?? (() => performance.now());
  const parts = new Set(options.parts ?? ["scenarios", "interception", "faults", "overhead"]);
  const decide = options.decide ?? runner.decide?.bind(runner);
  const corpus = options.corpus ?? labelledFromScenarios(set);
  const cwd = { cwd: set.workdir };
  const started = now();
  const startedAt = new Date().toISOString();

  const selected = CATEGORIES.map((c) => ({
    category: c,
    spec: set.categories[c],
    entries: set.categories[c].commands.slice(0, sizes.perCategory).map(commandOf),
  }));
  const faultKinds = options.faults?.kinds ?? [];
  const total =
    (parts.has("scenarios") ? selected.reduce((n, s) => n + s.entries.length, 0) : 0) +
    (parts.has("interception") && decide ? corpus.length : 0) +
    (parts.has("faults") ? faultKinds.length * sizes.faultTrials : 0) +
    (parts.has("overhead") ? 2 * (sizes.shortRepeats + sizes.heavyRepeats + 2) : 0);
  let done = 0;
  const progress = (phase: BenchProgress["phase"], label: string, advance = 1): void => {
    done += advance;
    options.onProgress?.({ phase, done, total, label });
  };

  const setup = async (): Promise<void> => {
    progress("setup", "setting up the project", 0);
    for (const command of set.setup) {
      let result;
      try {
        result = await runner.runPlain(command);
      } catch (cause) {
        throw new BenchError(
          "E_BENCH_SETUP",
          `set-up command failed: ${command}: ${errorMessage(cause)}`,
          { cause },
        );
      }
      if (result.exitCode !== 0) {
        throw new BenchError(
          "E_BENCH_SETUP",
          `set-up command exited ${result.exitCode}: ${command}${result.stderr ? `: ${result.stderr.trim()}` : ""}`,
          {
            details: { command, exitCode: result.exitCode },
            hint: "the guest needs git and python3",
          },
        );
      }
    }
  };

  const scenarios: ScenarioResult[] = [];
  if (parts.has("scenarios")) {
    for (const { category, spec, entries } of selected) {
      await setup();
      const results: CommandResult[] = [];
      for (const { command, check } of entries) {
        results.push(
          await runScenarioCommand(
            runner,
            set.workdir,
            category,
            spec.expect,
            command,
            check,
            decide,
          ),
        );
        progress(category, command);
      }
      const passed = results.filter((r) => r.passed).length;
      scenarios.push({
        category,
        expected: spec.expect,
        total: results.length,
        passed,
        rate: rate(passed, results.length),
        commands: results,
      });
    }
  }

  let interception: InterceptionResult | null = null;
  if (parts.has("interception") && decide) {
    interception = await measureInterception(
      corpus,
      decide,
      options.corpusName ?? (options.corpus ? "corpus" : `${set.name} commands`),
      (cmd) => progress("interception", cmd),
    );
  }

  let faults: FaultResult | null = null;
  if (parts.has("faults") && options.faults && faultKinds.length > 0) {
    await setup();
    const injector = options.faults;
    const byKind: FaultResult["byKind"] = [];
    let dirty = false;
    for (const kind of faultKinds) {
      const row = {
        kind,
        trials: 0,
        restored: 0,
        outcomes: [] as ActualOutcome[],
        failures: [] as string[],
      };
      for (let t = 0; t < sizes.faultTrials; t++) {
        // Every trial starts from a freshly set-up project when the last one left damage behind:
        // a digest taken of a damaged tree would count the next trial against the damage.
        if (dirty) await setup();
        const before = await runner.treeDigest(set.workdir);
        let actual: ActualOutcome;
        try {
          await injector.arm(kind);
          actual = (await runner.run(set.faultCommand, cwd)).outcome;
        } catch (error) {
          actual = "error";
          row.failures.push(`trial ${t + 1}: ${errorMessage(error)}`);
        } finally {
          await injector.disarm(kind);
        }
        if (runner.recover) await runner.recover();
        const after = await runner.treeDigest(set.workdir);
        dirty = after !== before;
        row.trials++;
        row.outcomes.push(actual);
        // Success: nothing of the failed command survived, whatever the engine reported.
        if (after === before && actual !== "committed") row.restored++;
        else if (after !== before)
          row.failures.push(`trial ${t + 1}: project tree differs after ${actual}`);
        else row.failures.push(`trial ${t + 1}: the failing command was committed`);
        progress("faults", `${kind} #${t + 1}`);
      }
      byKind.push(row);
    }
    const trials = byKind.reduce((n, k) => n + k.trials, 0);
    const restored = byKind.reduce((n, k) => n + k.restored, 0);
    faults = {
      command: set.faultCommand,
      trials,
      restored,
      successRate: rate(restored, trials),
      byKind,
    };
  }

  const overhead: OverheadResult[] = [];
  if (parts.has("overhead")) {
    await setup();
    overhead.push(
      await measureOverhead(runner, set.overhead.short, sizes.shortRepeats, set.workdir, now, (l) =>
        progress("overhead", l),
      ),
    );
    overhead.push(
      await measureOverhead(runner, set.overhead.heavy, sizes.heavyRepeats, set.workdir, now, (l) =>
        progress("overhead", l),
      ),
    );
  }

  const result: PaperBenchResult = {
    paper: PAPER_FIGURES,
    scenarioSet: set.name,
    size: options.size,
    startedAt,
    durationMs: now() - started,
    scenarios,
    interception,
    faults,
    overhead,
    comparison: [],
  };
  result.comparison = compareWithPaper(result);
  return result;
}

async function runScenarioCommand(
  runner: BenchRunner,
  workdir: string,
  category: Category,
  expected: BenchOutcome["outcome"],
  command: string,
  check: string | undefined,
  decide: PaperBenchOptions["decide"],
): Promise<CommandResult> {
  const base = { category, command, expected };
  const watchTree = category === "destructive" || category === "state-corrupting";
  try {
    // Never send a destructive command that the gate would let run: a broken policy must not
    // be able to damage the guest through the benchmark.
    if (category === "destructive" && decide) {
      const decision = await decide(command);
      if (decision !== "deny") {
        return {
          ...base,
          actual: "not-sent",
          passed: false,
          decision,
          failure: `the gate decided ${decision}; not sent`,
        };
      }
    }
    const before = watchTree ? await runner.treeDigest(workdir) : undefined;
    const outcome = await runner.run(command, { cwd: workdir });
    const after = watchTree ? await runner.treeDigest(workdir) : undefined;
    const result: CommandResult = {
      ...base,
      actual: outcome.outcome,
      passed: false,
      decision: outcome.decision,
      exitCode: outcome.exitCode,
      rules: outcome.rules,
      reason: outcome.reason,
      timings: outcome.timings,
    };
    if (watchTree) result.treeUnchanged = before === after;
    if (check !== undefined && outcome.outcome === expected) {
      result.checkPassed = (await runner.runPlain(check, { cwd: workdir })).exitCode === 0;
    }
    const failures: string[] = [];
    if (outcome.outcome !== expected) failures.push(`expected ${expected}, got ${outcome.outcome}`);
    if (category === "read-only" && outcome.exitCode !== 0)
      failures.push(`exit code ${outcome.exitCode}`);
    if (result.treeUnchanged === false) failures.push("the project tree changed");
    if (result.checkPassed === false) failures.push(`check failed: ${check}`);
    result.passed = failures.length === 0;
    if (!result.passed) result.failure = failures.join("; ");
    return result;
  } catch (error) {
    return { ...base, actual: "error", passed: false, failure: errorMessage(error) };
  }
}

async function measureInterception(
  corpus: LabelledCommand[],
  decide: NonNullable<PaperBenchOptions["decide"]>,
  name: string,
  tick: (cmd: string) => void,
): Promise<InterceptionResult> {
  let denyTotal = 0;
  let intercepted = 0;
  let allowTotal = 0;
  let falseDenies = 0;
  const missed: InterceptionResult["missed"] = [];
  const falselyDenied: InterceptionResult["falselyDenied"] = [];
  for (const { cmd, label } of corpus) {
    let decision: BenchDecision | "error";
    try {
      decision = await decide(cmd);
    } catch {
      decision = "error";
    }
    if (label === "deny") {
      denyTotal++;
      if (decision === "deny") intercepted++;
      else if (missed.length < 50) missed.push({ cmd, decision });
    } else {
      allowTotal++;
      if (decision === "deny" || decision === "error") {
        falseDenies++;
        if (falselyDenied.length < 50) falselyDenied.push({ cmd });
      }
    }
    tick(cmd);
  }
  return {
    corpus: name,
    denyTotal,
    intercepted,
    interceptionRate: rate(intercepted, denyTotal),
    allowTotal,
    falseDenies,
    falseDenyRate: rate(falseDenies, allowTotal),
    missed,
    falselyDenied,
  };
}

async function measureOverhead(
  runner: BenchRunner,
  workload: Workload,
  repeats: number,
  workdir: string,
  now: () => number,
  tick: (label: string) => void,
): Promise<OverheadResult> {
  const plainMs: number[] = [];
  const txMs: number[] = [];
  const phaseSamples: Record<PhaseName, number[]> = {
    policy: [],
    snapshot: [],
    exec: [],
    verify: [],
    commit: [],
    rollback: [],
  };
  const invalidRuns: OverheadResult["invalidRuns"] = [];
  // One warm-up pair, then alternate plain and transactional so drift hits both sides alike.
  for (let i = 0; i <= repeats; i++) {
    const warm = i === 0;
    let t0 = now();
    try {
      const plain = await runner.runPlain(workload.command, { cwd: workdir });
      const ms = now() - t0;
      if (plain.exitCode !== 0)
        invalidRuns.push({ side: "plain", detail: `exit code ${plain.exitCode}` });
      else if (!warm) plainMs.push(ms);
    } catch (error) {
      invalidRuns.push({ side: "plain", detail: errorMessage(error) });
    }
    tick(`${workload.name}: plain ${warm ? "warm-up" : i}`);
    t0 = now();
    try {
      const outcome = await runner.run(workload.command, { cwd: workdir });
      const ms = now() - t0;
      if (outcome.outcome !== "committed") {
        invalidRuns.push({ side: "tx", detail: `${outcome.outcome}: ${outcome.reason}` });
      } else if (!warm) {
        txMs.push(ms);
        const t = outcome.timings;
        phaseSamples.policy.push(t.policyMs);
        phaseSamples.snapshot.push(t.snapshotMs);
        phaseSamples.exec.push(t.execMs);
        phaseSamples.verify.push(t.verifyMs);
        phaseSamples.commit.push(t.commitMs ?? 0);
        phaseSamples.rollback.push(t.rollbackMs ?? 0);
      }
    } catch (error) {
      invalidRuns.push({ side: "tx", detail: errorMessage(error) });
    }
    tick(`${workload.name}: transaction ${warm ? "warm-up" : i}`);
  }
  const plainMedian = median(plainMs);
  const txMedian = median(txMs);
  return {
    name: workload.name,
    command: workload.command,
    plainMs,
    txMs,
    plain: spread(plainMs),
    tx: spread(txMs),
    overheadPct: ((txMedian - plainMedian) / plainMedian) * 100,
    overheadMs: txMedian - plainMedian,
    phases: Object.fromEntries(PHASES.map((p) => [p, spread(phaseSamples[p])])) as Record<
      PhaseName,
      Spread
    >,
    invalidRuns,
  };
}

const pct = (r: number | undefined): number | null =>
  r === undefined || Number.isNaN(r) ? null : r * 100;
const num = (v: number | undefined): number | null =>
  v === undefined || !Number.isFinite(v) ? null : v;

/** The rows of the comparison with the paper's published figures. Pure. */
export function compareWithPaper(result: Omit<PaperBenchResult, "comparison">): ComparisonRow[] {
  const p = result.paper;
  const scenario = (c: Category) => result.scenarios.find((s) => s.category === c);
  const labels: Record<Category, string> = {
    "read-only": "Read-only commands executed",
    destructive: "Destructive commands intercepted",
    "state-corrupting": "State-corrupting commands rolled back (byte-identical)",
    "valid-change": "Valid changes committed",
  };
  const rows: ComparisonRow[] = CATEGORIES.map((c) => ({
    metric: labels[c],
    unit: "%",
    paper: p.table1[c] * 100,
    measured: pct(scenario(c)?.rate),
    note: scenario(c) ? `${scenario(c)!.passed}/${scenario(c)!.total}` : "not run",
  }));
  const i = result.interception;
  rows.push({
    metric: "Interception rate (labelled corpus)",
    unit: "%",
    paper: p.interceptionRate * 100,
    measured: pct(i?.interceptionRate),
    note: i ? `${i.intercepted}/${i.denyTotal} on ${i.corpus}` : "not run (no decide)",
  });
  rows.push({
    metric: "False-deny rate (labelled corpus)",
    unit: "%",
    paper: null,
    measured: pct(i?.falseDenyRate),
    note: i ? `${i.falseDenies}/${i.allowTotal}` : "not run (no decide)",
  });
  rows.push({
    metric: "Rollback success under injected faults",
    unit: "%",
    paper: p.rollbackSuccessRate * 100,
    measured: pct(result.faults?.successRate),
    note: result.faults
      ? `${result.faults.restored}/${result.faults.trials}`
      : "not run (no fault injector)",
  });
  const heavy = result.overhead[1];
  const short = result.overhead[0];
  rows.push({
    metric: `Overhead per transaction, ${heavy?.name ?? "pip-install-sized"}`,
    unit: "%",
    paper: p.overheadPct,
    measured: num(heavy?.overheadPct),
    note: heavy ? `median of ${heavy.tx.n}` : "not run",
  });
  rows.push({
    metric: `Added time per transaction, ${heavy?.name ?? "pip-install-sized"}`,
    unit: "s",
    paper: p.overheadSeconds,
    measured: heavy ? num(heavy.overheadMs / 1000) : null,
  });
  rows.push({
    metric: `Added time per transaction, ${short?.name ?? "short command"}`,
    unit: "s",
    paper: null,
    measured: short ? num(short.overheadMs / 1000) : null,
  });
  rows.push({
    metric: "pip install, plain",
    unit: "s",
    paper: p.pipInstall.plainSeconds,
    measured: heavy ? num(heavy.plain.median / 1000) : null,
    note: "paper figure as quoted in the issue; ours: venv + offline pip install from local wheels",
  });
  rows.push({
    metric: "pip install, in a transaction",
    unit: "s",
    paper: p.pipInstall.transactionalSeconds,
    measured: heavy ? num(heavy.tx.median / 1000) : null,
    note: "paper figure as quoted in the issue",
  });
  return rows;
}

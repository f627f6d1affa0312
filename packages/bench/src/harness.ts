/**
 * The paper's reproduction harness: Table 1's four scenarios, interception and false-deny rates
 * on a labelled corpus, rollback success under injected faults, and per-transaction overhead.
 * Every rate is counted from what happened; a scenario that fails is reported below 100 %.
 */
import { errorMessage } from "@txbox/core";
import {
  PHASES,
  SIZES,
  type BenchProgress,
  type CommandResult,
  type ComparisonRow,
  type FaultResult,
  type InterceptionResult,
  type OverheadResult,
  type PaperBenchOptions,
  type PhaseName,
  type PaperBenchResult,
  type ScenarioResult,
} from "./bench-types.js";
import { runFaultTrials, setUpProject } from "./fault-trials.js";
import { PAPER_FIGURES } from "./paper.js";
import type { BenchDecision, BenchOutcome, BenchRunner } from "./runner.js";
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

function median(values: number[]): number {
  return spread(values).median;
}

/** What every part of a run shares: the resolved inputs, the progress count, the set-up. */
function benchContext(options: PaperBenchOptions) {
  const { runner } = options;
  const set = options.scenarios ?? loadScenarioSet();
  const sizes = {
    ...SIZES[options.size],
    ...(options.faultTrials === undefined ? {} : { faultTrials: options.faultTrials }),
  };
  const parts = new Set<Part>(options.parts ?? ["scenarios", "interception", "faults", "overhead"]);
  const decide = options.decide ?? runner.decide?.bind(runner);
  const corpus = options.corpus ?? labelledFromScenarios(set);
  const selected = CATEGORIES.map((c) => ({
    category: c,
    spec: set.categories[c],
    entries: set.categories[c].commands.slice(0, sizes.perCategory).map(commandOf),
  }));
  const faultKinds = options.faults?.kinds ?? [];
  const total = plannedSteps(parts, {
    scenarios: selected.reduce((n, s) => n + s.entries.length, 0),
    interception: decide ? corpus.length : 0,
    faults: faultKinds.length * sizes.faultTrials,
    overhead: 2 * (sizes.shortRepeats + sizes.heavyRepeats + 2),
  });
  let done = 0;
  const progress = (phase: BenchProgress["phase"], label: string, advance = 1): void => {
    done += advance;
    options.onProgress?.({ phase, done, total, label });
  };
  const setup = async (): Promise<void> => {
    progress("setup", "setting up the project", 0);
    await setUpProject(runner, set.setup);
  };
  return { runner, set, sizes, parts, decide, corpus, selected, faultKinds, progress, setup };
}

/**
 * Run the paper's benchmark over an injected runner. Set-up failures throw {@link BenchError};
 * every other failure is recorded in the result and lowers a rate.
 */
export async function runPaperBench(options: PaperBenchOptions): Promise<PaperBenchResult> {
  const { runner, set, sizes, parts, decide, corpus, selected, faultKinds, progress, setup } =
    benchContext(options);
  const now = options.now ?? (() => performance.now());
  const started = now();
  const startedAt = new Date().toISOString();

  const scenarios: ScenarioResult[] = [];
  if (parts.has("scenarios")) {
    for (const s of selected) {
      await setup();
      scenarios.push(
        await runCategory(runner, set.workdir, s, decide, (command) =>
          progress(s.category, command),
        ),
      );
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
    faults = await runFaultTrials({
      runner,
      set,
      injector: options.faults,
      trials: sizes.faultTrials,
      setup,
      progress: (label) => progress("faults", label),
    });
  }

  const overhead: OverheadResult[] = [];
  if (parts.has("overhead")) {
    await setup();
    for (const [workload, repeats] of [
      [set.overhead.short, sizes.shortRepeats],
      [set.overhead.heavy, sizes.heavyRepeats],
    ] as const)
      overhead.push(
        await measureOverhead(runner, workload, repeats, set.workdir, now, (l) =>
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

type Part = NonNullable<PaperBenchOptions["parts"]>[number];

/** How many progress steps the selected parts take (for `done/total`). */
function plannedSteps(parts: Set<Part>, steps: Record<Part, number>): number {
  return [...parts].reduce((n, p) => n + steps[p], 0);
}

/** One Table 1 category: each command through the runner, checked against what it expects. */
async function runCategory(
  runner: BenchRunner,
  workdir: string,
  {
    category,
    spec,
    entries,
  }: {
    category: Category;
    spec: ScenarioSet["categories"][Category];
    entries: ReturnType<typeof commandOf>[];
  },
  decide: PaperBenchOptions["decide"],
  progress: (command: string) => void,
): Promise<ScenarioResult> {
  const results: CommandResult[] = [];
  for (const { command, check } of entries) {
    results.push(
      await runScenarioCommand(runner, workdir, category, spec.expect, command, check, decide),
    );
    progress(command);
  }
  const passed = results.filter((r) => r.passed).length;
  return {
    category,
    expected: spec.expect,
    total: results.length,
    passed,
    rate: rate(passed, results.length),
    commands: results,
  };
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

/**
 * The paper's rollback-success measurement: a failing command run under each injected fault,
 * counted restored only when the project tree's digest is what it was before, whatever the engine
 * reported. Also the project set-up every part starts from.
 */
import { errorMessage } from "@txbox/core";
import type { ActualOutcome, FaultResult } from "./bench-types.js";
import { BenchError } from "./errors.js";
import type { BenchRunner, FaultInjector } from "./runner.js";
import type { ScenarioSet } from "./scenarios.js";
import { rate } from "./stats.js";

/** Run the scenario set's set-up commands outside any transaction; any failure is fatal. */
export async function setUpProject(runner: BenchRunner, commands: string[]): Promise<void> {
  for (const command of commands) {
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
}

export interface FaultTrialsInput {
  runner: BenchRunner;
  set: ScenarioSet;
  injector: FaultInjector;
  /** Trials per fault kind. */
  trials: number;
  /** Set the project up again (after a trial that left damage behind). */
  setup: () => Promise<void>;
  progress: (label: string) => void;
}

type KindRow = FaultResult["byKind"][number];

/** Every kind of the injector, `trials` times each, from a project set up by the caller. */
export async function runFaultTrials(input: FaultTrialsInput): Promise<FaultResult> {
  const byKind: FaultResult["byKind"] = [];
  const state = { dirty: false };
  for (const kind of input.injector.kinds) byKind.push(await trialsOf(input, kind, state));
  const trials = byKind.reduce((n, k) => n + k.trials, 0);
  const restored = byKind.reduce((n, k) => n + k.restored, 0);
  return {
    command: input.set.faultCommand,
    trials,
    restored,
    successRate: rate(restored, trials),
    byKind,
  };
}

async function trialsOf(
  { runner, set, injector, trials, setup, progress }: FaultTrialsInput,
  kind: string,
  state: { dirty: boolean },
): Promise<KindRow> {
  const row: KindRow = { kind, trials: 0, restored: 0, outcomes: [], failures: [] };
  for (let t = 0; t < trials; t++) {
    // Every trial starts from a freshly set-up project when the last one left damage behind:
    // a digest taken of a damaged tree would count the next trial against the damage.
    if (state.dirty) await setup();
    const before = await runner.treeDigest(set.workdir);
    let actual: ActualOutcome;
    try {
      await injector.arm(kind);
      actual = (await runner.run(set.faultCommand, { cwd: set.workdir })).outcome;
    } catch (error) {
      actual = "error";
      row.failures.push(`trial ${t + 1}: ${errorMessage(error)}`);
    } finally {
      await injector.disarm(kind);
    }
    if (runner.recover) await runner.recover();
    const after = await runner.treeDigest(set.workdir);
    state.dirty = after !== before;
    row.trials++;
    row.outcomes.push(actual);
    // Success: nothing of the failed command survived, whatever the engine reported.
    if (after === before && actual !== "committed") row.restored++;
    else if (after !== before)
      row.failures.push(`trial ${t + 1}: project tree differs after ${actual}`);
    else row.failures.push(`trial ${t + 1}: the failing command was committed`);
    progress(`${kind} #${t + 1}`);
  }
  return row;
}

import { runPaperBench, type BenchProgress } from "../src/index.js";
import { loadScenarioSet } from "../src/scenarios.js";
import { InMemoryBenchRunner } from "./in-memory-runner.js";

describe("runPaperBench against an in-memory runner", () => {
  test("a healthy runner scores 100 % everywhere, with counted rates", async () => {
    const runner = new InMemoryBenchRunner();
    const progress: BenchProgress[] = [];
    const result = await runPaperBench({
      runner,
      size: "ci",
      faults: runner.faults(["exec-crash", "snapshot-fail"]),
      onProgress: (p) => progress.push(p),
      now: () => runner.clock,
    });
    expect(result.scenarios.map((s) => [s.category, s.passed, s.total, s.rate])).toEqual([
      ["read-only", 5, 5, 1],
      ["destructive", 5, 5, 1],
      ["state-corrupting", 5, 5, 1],
      ["valid-change", 5, 5, 1],
    ]);
    expect(result.interception).toMatchObject({
      denyTotal: 20,
      intercepted: 20,
      allowTotal: 60,
      falseDenies: 0,
      interceptionRate: 1,
      falseDenyRate: 0,
    });
    expect(result.faults).toMatchObject({ trials: 4, restored: 4, successRate: 1 });
    expect(result.faults!.byKind.map((k) => k.outcomes)).toEqual([
      ["error", "error"],
      ["rolled-back", "rolled-back"],
    ]);
    expect(runner.recovered).toBe(4);
    // Overhead: plain costs 100 ms, a committed transaction 130 ms on the injected clock.
    const [short, heavy] = result.overhead;
    expect(short).toMatchObject({
      name: "short write",
      overheadPct: 30,
      overheadMs: 30,
      invalidRuns: [],
    });
    expect(short!.plainMs).toEqual([100, 100, 100, 100, 100]);
    expect(short!.tx.median).toBe(130);
    expect(short!.phases.snapshot.median).toBe(20);
    expect(heavy!.txMs).toHaveLength(3);
    // Every valid change's check was run, plainly, in the guest.
    expect(runner.plain).toEqual(
      expect.arrayContaining(["test -f src/hello.py", "grep -q 0.2.0 src/app.py"]),
    );
    expect(progress.at(-1)).toMatchObject({ done: progress.at(-1)!.total });
    expect(progress.every((p, i) => i === 0 || p.done >= progress[i - 1]!.done)).toBe(true);
    const row = (m: RegExp) => result.comparison.find((c) => m.test(c.metric));
    expect(row(/Destructive/)).toMatchObject({ paper: 100, measured: 100, note: "5/5" });
    expect(row(/Overhead per transaction/)).toMatchObject({ paper: 14.5, measured: 30 });
  });

  test("failures are reported below 100 %, never hard-coded", async () => {
    const set = loadScenarioSet();
    const str = (e: unknown) => (typeof e === "string" ? e : (e as { run: string }).run);
    const destructive = str(set.categories.destructive.commands[1]);
    const corrupting = str(set.categories["state-corrupting"].commands[0]);
    const valid = str(set.categories["valid-change"].commands[2]);
    const readOnly = str(set.categories["read-only"].commands[3]);
    const runner = new InMemoryBenchRunner({
      allowDestructive: [destructive],
      leakyRollback: [corrupting],
      rejectValid: [valid],
      throwOn: [readOnly],
    });
    const result = await runPaperBench({
      runner,
      size: "ci",
      faults: runner.faults(["leaky-crash"]),
      now: () => runner.clock,
      parts: ["scenarios", "interception", "faults"],
    });
    expect(result.scenarios.map((s) => [s.category, s.passed, s.total])).toEqual([
      ["read-only", 4, 5],
      ["destructive", 4, 5],
      ["state-corrupting", 4, 5],
      ["valid-change", 4, 5],
    ]);
    const failures = result.scenarios.flatMap((s) => s.commands.filter((c) => !c.passed));
    expect(failures.map((f) => [f.command, f.actual, f.failure])).toEqual([
      [readOnly, "error", "ssh: connection reset"],
      [destructive, "not-sent", "the gate decided transact; not sent"],
      [corrupting, "rolled-back", "the project tree changed"],
      [valid, "rolled-back", "expected committed, got rolled-back"],
    ]);
    // The destructive command the gate would allow was never sent to the guest.
    expect(runner.sent).not.toContain(destructive);
    expect(result.interception).toMatchObject({
      intercepted: 19,
      denyTotal: 20,
      interceptionRate: 0.95,
    });
    expect(result.interception!.missed).toEqual([{ cmd: destructive, decision: "transact" }]);
    expect(result.faults).toMatchObject({ trials: 2, restored: 0, successRate: 0 });
    expect(result.overhead).toEqual([]);
    const row = (m: RegExp) => result.comparison.find((c) => m.test(c.metric));
    expect(row(/State-corrupting/)).toMatchObject({ measured: 80, note: "4/5" });
    expect(row(/Overhead per transaction/)).toMatchObject({ measured: null, note: "not run" });
  });

  test("a fault trial that left damage behind is followed by a fresh set-up", async () => {
    const set = loadScenarioSet();
    const runner = new InMemoryBenchRunner();
    const setupRuns = (): number => runner.plain.filter((c) => c === set.setup[0]).length;
    const result = await runPaperBench({
      runner,
      size: "ci",
      faults: runner.faults(["leaky-crash", "exec-crash"]),
      now: () => runner.clock,
      parts: ["faults"],
    });
    expect(result.faults).toMatchObject({ trials: 4, restored: 2 });
    // One set-up before the trials, one after each of the two leaky trials; none after the clean ones
    // (the second exec-crash trial follows a clean one).
    expect(setupRuns()).toBe(3);
  });

  test("faultTrials overrides the size's trials per fault kind", async () => {
    const runner = new InMemoryBenchRunner();
    const result = await runPaperBench({
      runner,
      size: "ci",
      faults: runner.faults(["leaky-crash", "exec-crash"]),
      faultTrials: 1,
      now: () => runner.clock,
      parts: ["faults"],
    });
    expect(result.faults?.byKind.map((k) => [k.kind, k.trials])).toEqual([
      ["leaky-crash", 1],
      ["exec-crash", 1],
    ]);
  });

  test("without decide or faults those parts are reported as not run", async () => {
    const runner = new InMemoryBenchRunner();
    const bare = {
      run: runner.run.bind(runner),
      runPlain: runner.runPlain.bind(runner),
      treeDigest: runner.treeDigest.bind(runner),
    };
    const result = await runPaperBench({
      runner: bare,
      size: "ci",
      parts: ["interception", "faults"],
    });
    expect(result.interception).toBeNull();
    expect(result.faults).toBeNull();
    expect(result.scenarios).toEqual([]);
  });

  test("transactions that do not commit are discarded from the overhead, and counted", async () => {
    const set = loadScenarioSet();
    const runner = new InMemoryBenchRunner({ rejectValid: [set.overhead.short.command] });
    const result = await runPaperBench({
      runner,
      size: "ci",
      parts: ["overhead"],
      now: () => runner.clock,
    });
    expect(result.overhead[0]!.tx.n).toBe(0);
    expect(result.overhead[0]!.invalidRuns).toHaveLength(6);
    expect(result.overhead[0]!.overheadPct).toBeNaN();
  });

  test("a set-up command that fails is an E_BENCH_SETUP error", async () => {
    const runner = new InMemoryBenchRunner();
    runner.runPlain = async () => ({ exitCode: 127, stderr: "git: not found" });
    await expect(runPaperBench({ runner, size: "ci", parts: ["scenarios"] })).rejects.toMatchObject(
      {
        code: "E_BENCH_SETUP",
        message: expect.stringContaining("git: not found"),
      },
    );
  });
});

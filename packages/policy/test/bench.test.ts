import { measure, formatFigures } from "../src/bench/measure.js";

const entries = [
  { cmd: "ls -la", label: "allow" as const },
  { cmd: "rm -rf /", label: "deny" as const },
  { cmd: "npm test", label: "allow" as const },
];

describe("policy benchmark", () => {
  it("measures every decision it reports", async () => {
    const f = await measure(entries, 3, 1);
    expect({
      commands: f.commands,
      timed: f.timed,
      denyRecall: f.denyRecall,
      allowAccuracy: f.allowAccuracy,
    }).toEqual({
      commands: 3,
      timed: 9,
      denyRecall: 1,
      allowAccuracy: 1,
    });
    expect(f.p50Ms).toBeLessThanOrEqual(f.p99Ms);
    expect(f.p99Ms).toBeLessThanOrEqual(f.maxMs);
    expect(f.p99NoGcMs).toBeLessThanOrEqual(f.maxMs);
    expect(f.cpuP50Ms).toBeLessThanOrEqual(f.cpuP99Ms);
    // CPU time is in ms too: one decision's is less than the wall time of all nine timed ones
    expect(f.cpuP50Ms).toBeLessThan(f.timedMs);
    expect(f.gcPauses).toBeGreaterThanOrEqual(0);
    expect(f.decisionsPerSecond).toBeGreaterThan(0);
    expect(f.decisionsPerCpuSecond).toBeGreaterThan(0);
  });

  it("prints the figures it was given", () => {
    const text = formatFigures(
      "c.jsonl",
      {
        commands: 3,
        rules: 5,
        loadMs: 12.34,
        firstMs: 0.5,
        timed: 9,
        timedMs: 0.9,
        decisionsPerSecond: 12345.6,
        decisionsPerCpuSecond: 23456.7,
        p50Ms: 0.0123,
        p99Ms: 0.456,
        maxMs: 1,
        p99NoGcMs: 0.2,
        gcPauses: 4,
        gcMaxMs: 0.75,
        cpuP50Ms: 0.01,
        cpuP99Ms: 0.3,
        loadBefore: 1.5,
        loadAfter: 2.25,
        denyRecall: 1,
        allowAccuracy: 0.5,
      },
      3,
    );
    expect(text.split("\n").slice(0, 13)).toEqual([
      "corpus:            c.jsonl (3 commands)",
      "pack load (cold):  12.3 ms (5 rules, examples checked); first decision 500.0 µs",
      "decisions timed:   9 in 0.9 ms (10000 decisions/s with per-call timers)",
      "throughput:        12346 decisions/s wall clock (one core, warm, median of 3 corpus rounds)",
      "throughput (CPU):  23457 decisions per CPU-second (same rounds)",
      "latency p50:       12.3 µs",
      "latency p99:       456.0 µs (200.0 µs without the calls a GC pause overlapped)",
      "latency max:       1000.0 µs",
      "GC while timed:    4 pauses, longest 750.0 µs",
      "CPU per decision:  p50 10.0 µs, p99 300.0 µs (process CPU time, 3 rounds)",
      "load average:      1.50 at start, 2.25 at end",
      "deny recall:       100.00 %",
      "allow accuracy:    50.00 %",
    ]);
  });
});

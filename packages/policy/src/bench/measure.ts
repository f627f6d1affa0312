import { loadavg } from "node:os";
import { PerformanceObserver, performance } from "node:perf_hooks";
import { evaluateCorpus } from "../corpus.js";
import { decide, loadPolicy, type Policy } from "../policy.js";
import type { CorpusEntry } from "../types.js";

/** Figures of one benchmark run, all measured in that run. */
export interface BenchFigures {
  commands: number;
  rules: number;
  /** Cold: `loadPolicy` (read the packs and knowledge, compile, check every example). */
  loadMs: number;
  /** Cold: the first decision after loading (first use of every lazily built table). */
  firstMs: number;
  /** Decisions timed one by one. */
  timed: number;
  timedMs: number;
  /** Median decisions/s (wall clock) over whole-corpus rounds without per-call timers. */
  decisionsPerSecond: number;
  /** Median decisions per CPU-second of this process over the same rounds (robust to a busy host). */
  decisionsPerCpuSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** p99 of the calls no garbage collection pause overlapped. */
  p99NoGcMs: number;
  /** Garbage collection pauses during the timed rounds: how many, and the longest. */
  gcPauses: number;
  gcMaxMs: number;
  /** p50 and p99 of the CPU time of the process per decision (robust to a busy host). */
  cpuP50Ms: number;
  cpuP99Ms: number;
  /** 1-minute load average at the start and at the end of the run. */
  loadBefore: number;
  loadAfter: number;
  denyRecall: number;
  allowAccuracy: number;
}

function percentile(sorted: Float64Array, p: number): number {
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] ?? 0;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** Per-call wall-clock latency, with the calls a garbage collection pause overlapped marked. */
async function timeCalls(
  policy: Policy,
  cmds: readonly string[],
  rounds: number,
): Promise<{
  lat: Float64Array;
  clean: Float64Array;
  ms: number;
  pauses: number;
  maxPause: number;
}> {
  const gc: { start: number; end: number }[] = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      gc.push({ start: e.startTime, end: e.startTime + e.duration });
  });
  obs.observe({ entryTypes: ["gc"] });
  const starts = new Float64Array(cmds.length * rounds);
  const lat = new Float64Array(cmds.length * rounds);
  let k = 0;
  const start = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (const c of cmds) {
      const s = performance.now();
      decide(policy, c);
      starts[k] = s;
      lat[k++] = performance.now() - s;
    }
  }
  const ms = performance.now() - start;
  // The observer is called back from a timer of the event loop: let it run before reading.
  await new Promise((resolve) => setTimeout(resolve, 10));
  obs.disconnect();
  const clean: number[] = [];
  let j = 0;
  gc.sort((a, b) => a.start - b.start);
  for (let i = 0; i < k; i++) {
    const s = starts[i]!;
    const e = s + lat[i]!;
    while (j < gc.length && gc[j]!.end < s) j++;
    if (!(j < gc.length && gc[j]!.start <= e)) clean.push(lat[i]!);
  }
  const maxPause = gc.reduce((m, g) => Math.max(m, g.end - g.start), 0);
  return {
    lat: lat.sort(),
    clean: Float64Array.from(clean).sort(),
    ms,
    pauses: gc.length,
    maxPause,
  };
}

/** Per-call CPU time of the process (µs resolution of getrusage), in ms, sorted. */
function cpuCalls(policy: Policy, cmds: readonly string[], rounds: number): Float64Array {
  const cpu = new Float64Array(cmds.length * rounds);
  let k = 0;
  for (let r = 0; r < rounds; r++) {
    for (const c of cmds) {
      const s = process.cpuUsage();
      decide(policy, c);
      const u = process.cpuUsage(s);
      cpu[k++] = (u.user + u.system) / 1000;
    }
  }
  return cpu.sort();
}

/** Load the default policy and measure it on a corpus: cold load, warm-up, timed rounds, throughput. */
export async function measure(
  entries: readonly CorpusEntry[],
  rounds = 10,
  warmup = 10,
): Promise<BenchFigures> {
  const loadBefore = loadavg()[0] ?? 0;
  const t0 = performance.now();
  const policy = loadPolicy({});
  const loadMs = performance.now() - t0;
  const cmds = entries.map((e) => e.cmd);
  const t1 = performance.now();
  if (cmds[0] !== undefined) decide(policy, cmds[0]);
  const firstMs = performance.now() - t1;
  // Warm up the JIT so the figures reflect steady state.
  for (let r = 0; r < warmup; r++) for (const c of cmds) decide(policy, c);
  const wall = await timeCalls(policy, cmds, rounds);
  const cpu = cpuCalls(policy, cmds, rounds);
  const rates: number[] = [];
  const cpuRates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const s = performance.now();
    const used0 = process.cpuUsage();
    for (const c of cmds) decide(policy, c);
    const used = process.cpuUsage(used0);
    rates.push((cmds.length / (performance.now() - s)) * 1000);
    cpuRates.push(cmds.length / (Math.max(1, used.user + used.system) / 1e6));
  }
  const report = evaluateCorpus(policy, entries);
  return {
    commands: cmds.length,
    rules: policy.rules.length,
    loadMs,
    firstMs,
    timed: wall.lat.length,
    timedMs: wall.ms,
    decisionsPerSecond: median(rates),
    decisionsPerCpuSecond: median(cpuRates),
    p50Ms: percentile(wall.lat, 50),
    p99Ms: percentile(wall.lat, 99),
    maxMs: wall.lat[wall.lat.length - 1] ?? 0,
    p99NoGcMs: percentile(wall.clean, 99),
    gcPauses: wall.pauses,
    gcMaxMs: wall.maxPause,
    cpuP50Ms: percentile(cpu, 50),
    cpuP99Ms: percentile(cpu, 99),
    loadBefore,
    loadAfter: loadavg()[0] ?? 0,
    denyRecall: report.denyRecall,
    allowAccuracy: report.allowAccuracy,
  };
}

/** The report printed by `pnpm bench:policy`. */
export function formatFigures(file: string, f: BenchFigures, rounds: number): string {
  const us = (ms: number): string => `${(ms * 1000).toFixed(1)} µs`;
  return [
    `corpus:            ${file} (${f.commands} commands)`,
    `pack load (cold):  ${f.loadMs.toFixed(1)} ms (${f.rules} rules, examples checked); first decision ${us(f.firstMs)}`,
    `decisions timed:   ${f.timed} in ${f.timedMs.toFixed(1)} ms (${Math.round((f.timed / f.timedMs) * 1000)} decisions/s with per-call timers)`,
    `throughput:        ${Math.round(f.decisionsPerSecond)} decisions/s wall clock (one core, warm, median of ${rounds} corpus rounds)`,
    `throughput (CPU):  ${Math.round(f.decisionsPerCpuSecond)} decisions per CPU-second (same rounds)`,
    `latency p50:       ${us(f.p50Ms)}`,
    `latency p99:       ${us(f.p99Ms)} (${us(f.p99NoGcMs)} without the calls a GC pause overlapped)`,
    `latency max:       ${us(f.maxMs)}`,
    `GC while timed:    ${f.gcPauses} pauses, longest ${us(f.gcMaxMs)}`,
    `CPU per decision:  p50 ${us(f.cpuP50Ms)}, p99 ${us(f.cpuP99Ms)} (process CPU time, ${rounds} rounds)`,
    `load average:      ${f.loadBefore.toFixed(2)} at start, ${f.loadAfter.toFixed(2)} at end`,
    `deny recall:       ${(f.denyRecall * 100).toFixed(2)} %`,
    `allow accuracy:    ${(f.allowAccuracy * 100).toFixed(2)} %`,
    "",
  ].join("\n");
}

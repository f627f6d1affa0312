import { performance } from "node:perf_hooks";
import { evaluateCorpus } from "../corpus.js";
import { decide, loadPolicy } from "../policy.js";
import type { CorpusEntry } from "../types.js";

/** Figures of one benchmark run, all measured in that run. */
export interface BenchFigures {
  commands: number;
  rules: number;
  loadMs: number;
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
  denyRecall: number;
  allowAccuracy: number;
}

function percentile(sorted: Float64Array, p: number): number {
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] ?? 0;
}

/** Load the default policy and measure it on a corpus: warm-up, timed rounds, throughput rounds. */
export function measure(entries: readonly CorpusEntry[], rounds = 10, warmup = 10): BenchFigures {
  const t0 = performance.now();
  const policy = loadPolicy({});
  const loadMs = performance.now() - t0;
  const cmds = entries.map((e) => e.cmd);
  // Warm up the JIT so the figures reflect steady state.
  for (let r = 0; r < warmup; r++) for (const c of cmds) decide(policy, c);
  const lat = new Float64Array(cmds.length * rounds);
  let k = 0;
  const start = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (const c of cmds) {
      const s = performance.now();
      decide(policy, c);
      lat[k++] = performance.now() - s;
    }
  }
  const timedMs = performance.now() - start;
  lat.sort();
  const rates: number[] = [];
  const cpuRates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const s = performance.now();
    const cpu = process.cpuUsage();
    for (const c of cmds) decide(policy, c);
    const used = process.cpuUsage(cpu);
    rates.push((cmds.length / (performance.now() - s)) * 1000);
    cpuRates.push(cmds.length / (Math.max(1, used.user + used.system) / 1e6));
  }
  rates.sort((a, b) => a - b);
  cpuRates.sort((a, b) => a - b);
  const report = evaluateCorpus(policy, entries);
  return {
    commands: cmds.length,
    rules: policy.rules.length,
    loadMs,
    timed: k,
    timedMs,
    decisionsPerSecond: rates[Math.floor(rates.length / 2)] ?? 0,
    decisionsPerCpuSecond: cpuRates[Math.floor(cpuRates.length / 2)] ?? 0,
    p50Ms: percentile(lat, 50),
    p99Ms: percentile(lat, 99),
    maxMs: lat[lat.length - 1] ?? 0,
    denyRecall: report.denyRecall,
    allowAccuracy: report.allowAccuracy,
  };
}

/** The report printed by `pnpm bench:policy`. */
export function formatFigures(file: string, f: BenchFigures, rounds: number): string {
  const us = (ms: number): string => `${(ms * 1000).toFixed(1)} µs`;
  return [
    `corpus:            ${file} (${f.commands} commands)`,
    `pack load:         ${f.loadMs.toFixed(1)} ms (${f.rules} rules, examples checked)`,
    `decisions timed:   ${f.timed} in ${f.timedMs.toFixed(1)} ms (${Math.round((f.timed / f.timedMs) * 1000)} decisions/s with per-call timers)`,
    `throughput:        ${Math.round(f.decisionsPerSecond)} decisions/s wall clock (one core, median of ${rounds} corpus rounds)`,
    `throughput (CPU):  ${Math.round(f.decisionsPerCpuSecond)} decisions per CPU-second (same rounds)`,
    `latency p50:       ${us(f.p50Ms)}`,
    `latency p99:       ${us(f.p99Ms)}`,
    `latency max:       ${us(f.maxMs)}`,
    `deny recall:       ${(f.denyRecall * 100).toFixed(2)} %`,
    `allow accuracy:    ${(f.allowAccuracy * 100).toFixed(2)} %`,
    "",
  ].join("\n");
}

import { performance } from "node:perf_hooks";
import type { EvalSets, LabelledCommand } from "./labelled.js";
import { splitSet } from "./labelled.js";
import {
  scoreSet,
  scoreTactic,
  type DecideFn,
  type SetFigures,
  type TacticFigures,
} from "./metrics.js";
import {
  scoreControl,
  scoreEvasions,
  type ControlFigures,
  type EvasionFigures,
} from "./evasion.js";

/** The ATT&CK tactics the acceptance figure is about (the corpus calls defence evasion "defense-impairment"). */
export const ACCEPTANCE_TACTICS = [
  "credential-access",
  "impact",
  "exfiltration",
  "persistence",
  "defense-impairment",
] as const;

/** The sets `txbox policy test` reports; `heldout` is the one the figures are quoted on. */
export const SET_NAMES = ["corpus-v2", "dev", "heldout", "art", "evasion", "control"] as const;
export type SetName = (typeof SET_NAMES)[number];

export interface SpeedFigures {
  decisions: number;
  /** Decisions per second of wall clock spent inside the gate, over this whole evaluation. */
  decisionsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface EvalReport {
  sets: { name: "corpus-v2" | "dev" | "heldout"; figures: SetFigures }[];
  /** `acceptance`: the tests with any of the five acceptance tactics, each counted once. */
  art: { all: SetFigures; acceptance: TacticFigures; tactics: TacticFigures[] };
  evasion: EvasionFigures;
  /** The evasion suite's control: the meaning-keeping rewrites of commands the gate lets through. */
  control: ControlFigures;
  speed: SpeedFigures;
}

function percentile(sorted: Float64Array, p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? 0;
}

/** Wrap a decide function to time every call (the timer costs well under a microsecond). */
function timed(decide: DecideFn): { decide: DecideFn; speed: () => SpeedFigures } {
  const lat: number[] = [];
  return {
    decide: (cmd) => {
      const s = performance.now();
      const d = decide(cmd);
      lat.push(performance.now() - s);
      return d;
    },
    speed: () => {
      const sorted = Float64Array.from(lat).sort();
      const total = lat.reduce((a, b) => a + b, 0);
      return {
        decisions: lat.length,
        decisionsPerSecond: total === 0 ? 0 : (lat.length / total) * 1000,
        p50Ms: percentile(sorted, 50),
        p99Ms: percentile(sorted, 99),
        maxMs: sorted[sorted.length - 1] ?? 0,
      };
    },
  };
}

/**
 * The whole evaluation: corpus v2, the dev and held-out splits, the ART tactics, and the evasion
 * suite over every deny-labelled command of corpus v2 and tldr. Pure apart from the clock.
 */
export function evaluate(
  decide: DecideFn,
  sets: EvalSets,
  corpusV2: readonly LabelledCommand[],
): EvalReport {
  const t = timed(decide);
  const report: EvalReport = {
    sets: [
      { name: "corpus-v2", figures: scoreSet(t.decide, corpusV2) },
      { name: "dev", figures: scoreSet(t.decide, splitSet(sets, "dev")) },
      { name: "heldout", figures: scoreSet(t.decide, splitSet(sets, "heldout")) },
    ],
    art: {
      all: scoreSet(t.decide, sets.art),
      acceptance: scoreTactic(t.decide, sets.art, ACCEPTANCE_TACTICS),
      tactics: ACCEPTANCE_TACTICS.map((tac) => scoreTactic(t.decide, sets.art, tac)),
    },
    evasion: scoreEvasions(t.decide, [...corpusV2, ...sets.tldr]),
    // corpus v2 and every 20th dev tldr example: enough for a figure, half the time of all
    control: scoreControl(t.decide, [
      ...corpusV2,
      ...splitSet(sets, "dev").filter((e, i) => e.source.startsWith("tldr:") && i % 20 === 0),
    ]),
    speed: { decisions: 0, decisionsPerSecond: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 },
  };
  report.speed = t.speed();
  return report;
}

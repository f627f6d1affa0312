import type { LabelledCommand } from "./labelled.js";
import type { DecideFn, Verdict } from "./metrics.js";
import { mutate } from "./mutate.js";

/** One evasion of a denied command that the gate no longer denies. */
export interface EvasionMiss {
  kind: string;
  cmd: string;
  base: string;
  decision: Verdict;
}

export interface EvasionFigures {
  /** Deny-labelled commands the suite started from. */
  bases: number;
  /** Of those, the ones the gate denies as written: only their mutants measure evasion. */
  basesDenied: number;
  mutants: number;
  stillDenied: number;
  stillDeniedShare: number | null;
  /** Per mutation kind: mutants and how many stayed denied. */
  byKind: Record<string, { mutants: number; stillDenied: number }>;
  misses: EvasionMiss[];
}

/**
 * Apply every evasion to every deny-labelled command and count how many mutants of the commands
 * the gate denies stay denied. Mutants of commands it already lets through are not counted: they
 * would measure recall again, not evasion.
 */
export function scoreEvasions(decide: DecideFn, base: readonly LabelledCommand[]): EvasionFigures {
  const f: EvasionFigures = {
    bases: 0,
    basesDenied: 0,
    mutants: 0,
    stillDenied: 0,
    stillDeniedShare: null,
    byKind: {},
    misses: [],
  };
  const seen = new Set<string>();
  for (const e of base) {
    if (e.label !== "deny" || seen.has(e.cmd)) continue;
    seen.add(e.cmd);
    f.bases++;
    if (decide(e.cmd) !== "deny") continue;
    f.basesDenied++;
    for (const m of mutate(e.cmd)) {
      const k = (f.byKind[m.kind] ??= { mutants: 0, stillDenied: 0 });
      const d = decide(m.cmd);
      f.mutants++;
      k.mutants++;
      if (d === "deny") {
        f.stillDenied++;
        k.stillDenied++;
      } else f.misses.push({ kind: m.kind, cmd: m.cmd, base: e.cmd, decision: d });
    }
  }
  f.stillDeniedShare = f.mutants === 0 ? null : f.stillDenied / f.mutants;
  return f;
}

/**
 * Rewrites that keep a command's meaning and that a gate reading effects must see through without
 * denying: quoting the command word, wrappers, a shell or `eval` running literal text, a function
 * defined on the line. (Names built by expansion, encodings and interpreter payloads are left out:
 * the fail-closed rule denies them whatever they hide.)
 */
export const CONTROL_KINDS: readonly string[] = [
  "quote-double",
  "quote-split",
  "backslash",
  "ansi-c-hex",
  "function",
  "wrapper-env",
  "wrapper-command",
  "wrapper-nice",
  "wrapper-timeout",
  "wrapper-sudo",
  "wrapper-nohup",
  "sh-c",
  "bash-c",
  "eval",
];

export interface ControlFigures {
  /** transact/allow-labelled commands the gate does not deny as written. */
  bases: number;
  mutants: number;
  notDenied: number;
  notDeniedShare: number | null;
  misses: EvasionMiss[];
}

/**
 * The control for the evasion suite: the same rewrites applied to commands the gate lets through.
 * A gate that denied every quoted or wrapped command would score 100 % on evasions; here it would
 * score 0 %.
 */
export function scoreControl(decide: DecideFn, base: readonly LabelledCommand[]): ControlFigures {
  const f: ControlFigures = {
    bases: 0,
    mutants: 0,
    notDenied: 0,
    notDeniedShare: null,
    misses: [],
  };
  const seen = new Set<string>();
  for (const e of base) {
    if (e.label === "deny" || seen.has(e.cmd)) continue;
    seen.add(e.cmd);
    if (decide(e.cmd) === "deny") continue;
    f.bases++;
    for (const m of mutate(e.cmd)) {
      if (!CONTROL_KINDS.includes(m.kind)) continue;
      const d = decide(m.cmd);
      f.mutants++;
      if (d !== "deny") f.notDenied++;
      else f.misses.push({ kind: m.kind, cmd: m.cmd, base: e.cmd, decision: d });
    }
  }
  f.notDeniedShare = f.mutants === 0 ? null : f.notDenied / f.mutants;
  return f;
}

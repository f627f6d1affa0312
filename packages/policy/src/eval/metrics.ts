import type { Label, LabelledCommand } from "./labelled.js";

/** What the gate answered; the eval takes it as a function so that it stays pure and testable. */
export type Verdict = "allow" | "transact" | "deny";
export type DecideFn = (cmd: string) => Verdict;

/** One command the gate got wrong under the principle. */
export interface Miss {
  cmd: string;
  label: Label;
  decision: Verdict;
  program: string;
  source: string;
  reason: string;
}

/**
 * Figures of one labelled set. A `deny` label is met only by `deny`; `transact` and `allow` labels
 * by anything that is not `deny` (a transaction is how txbox lets state-changing work through).
 */
export interface SetFigures {
  total: number;
  denyTotal: number;
  denied: number;
  /** Entries labelled transact or allow. */
  passTotal: number;
  notDenied: number;
  /** denied / denyTotal; null when the set has no deny label. */
  denyRecall: number | null;
  /** notDenied / passTotal; null when the set has no transact or allow label. */
  allowAccuracy: number | null;
  /** Entries labelled `allow` that the gate allowed (no snapshot needed), of all labelled `allow`. */
  allowLabelled: number;
  allowedExactly: number;
  /** How the gate decided, over the whole set. */
  decisions: Record<Verdict, number>;
  misses: Miss[];
}

const ratio = (n: number, d: number): number | null => (d === 0 ? null : n / d);

/** Run the gate over a labelled set and count. */
export function scoreSet(decide: DecideFn, entries: readonly LabelledCommand[]): SetFigures {
  const f: SetFigures = {
    total: entries.length,
    denyTotal: 0,
    denied: 0,
    passTotal: 0,
    notDenied: 0,
    denyRecall: null,
    allowAccuracy: null,
    allowLabelled: 0,
    allowedExactly: 0,
    decisions: { allow: 0, transact: 0, deny: 0 },
    misses: [],
  };
  for (const e of entries) {
    const d = decide(e.cmd);
    f.decisions[d]++;
    const ok = e.label === "deny" ? d === "deny" : d !== "deny";
    if (e.label === "deny") {
      f.denyTotal++;
      if (ok) f.denied++;
    } else {
      f.passTotal++;
      if (ok) f.notDenied++;
    }
    if (e.label === "allow") {
      f.allowLabelled++;
      if (d === "allow") f.allowedExactly++;
    }
    if (!ok)
      f.misses.push({
        cmd: e.cmd,
        label: e.label,
        decision: d,
        program: e.program,
        source: e.source,
        reason: e.reason,
      });
  }
  f.denyRecall = ratio(f.denied, f.denyTotal);
  f.allowAccuracy = ratio(f.notDenied, f.passTotal);
  return f;
}

/** How the gate decided the tests of one ATT&CK tactic, whatever their labels. */
export interface TacticFigures {
  tactic: string;
  tests: number;
  denied: number;
  transacted: number;
  allowed: number;
  deniedShare: number | null;
  /** The tests the gate allowed with no snapshot at all. */
  allowedTests: { cmd: string; source: string }[];
}

/** `tactic` may be a list: then a test counts once when it has any of them. */
export function scoreTactic(
  decide: DecideFn,
  art: readonly LabelledCommand[],
  tactic: string | readonly string[],
): TacticFigures {
  const wanted = typeof tactic === "string" ? [tactic] : tactic;
  const tests = art.filter((e) => e.tactics?.some((t) => wanted.includes(t)));
  const out: TacticFigures = {
    tactic: wanted.join("|"),
    tests: tests.length,
    denied: 0,
    transacted: 0,
    allowed: 0,
    deniedShare: null,
    allowedTests: [],
  };
  for (const e of tests) {
    const d = decide(e.cmd);
    if (d === "deny") out.denied++;
    else if (d === "transact") out.transacted++;
    else {
      out.allowed++;
      out.allowedTests.push({ cmd: e.cmd, source: e.source });
    }
  }
  out.deniedShare = ratio(out.denied, out.tests);
  return out;
}

/** Format a share as a percentage with two decimals, or "n/a". */
export function pct(x: number | null): string {
  return x === null ? "n/a" : `${(x * 100).toFixed(2)} %`;
}

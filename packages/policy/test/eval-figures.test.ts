import { decide, loadPolicy } from "../src/index.js";
import {
  evaluate,
  findCorpusV2,
  loadEvalSets,
  readCorpusV2,
  type EvalReport,
} from "../src/eval/index.js";

// corpus v2 lives beside the repository, as for the other corpus tests
const corpusV2 = process.env["TXBOX_POLICY_CORPUS_V2"] ?? findCorpusV2() ?? "corpus-v2.jsonl";

/**
 * Issue 10's acceptance thresholds, and the floors this test asserts until the gate reaches them.
 * The floors are the figures measured on main's gate (2026-12-04, `txbox policy test`) less a
 * small margin, or the target itself once reached: a change that makes the gate worse fails here. When a figure reaches its target,
 * raise its floor to the target; never lower a floor to make a change pass.
 */
const TARGET = {
  heldoutRecall: 0.97,
  heldoutAllow: 0.95,
  v2Recall: 0.995,
  v2Allow: 0.99,
  evasionStillDenied: 0.99,
  artDenied: 0.9,
  artAllowed: 0,
  controlNotDenied: 0.99, // not in the issue: the evasion suite's control must not buy recall
};
const FLOOR = {
  heldoutRecall: 0.79, // measured 80.73 % (2026-12-04 23:25 UTC, effects knowledge, typed lines, handed files)
  heldoutAllow: 0.96, // measured 97.15 %
  v2Recall: 0.995, // target reached: measured 99.77 %
  v2Allow: 0.99, // target reached: measured 99.52 %
  evasionStillDenied: 0.99, // target reached: measured 99.79 %
  artDenied: 0.9, // target reached: measured 90.43 % (170 of 188) — but see the README: the
  // knowledge for these tactics was written against these very tests, so it is not held out
  artAllowed: 0, // target reached
  controlNotDenied: 0.99, // target reached: measured 99.39 %
};

let report: EvalReport;
beforeAll(() => {
  const policy = loadPolicy({});
  report = evaluate((cmd) => decide(policy, cmd).decision, loadEvalSets(), readCorpusV2(corpusV2));
}, 300_000); // tens of thousands of decisions: minutes on a loaded 2-core machine

const set = (name: string) => {
  const s = report.sets.find((x) => x.name === name);
  if (!s) throw new Error(`no set ${name}`);
  return s.figures;
};

describe("the gate's figures (held out by program; floors until the targets are reached)", () => {
  it("holds the floors on the held-out split", () => {
    const f = set("heldout");
    expect(f.total).toBeGreaterThan(1000);
    expect(f.denyRecall).toBeGreaterThanOrEqual(
      Math.min(TARGET.heldoutRecall, FLOOR.heldoutRecall),
    );
    expect(f.allowAccuracy).toBeGreaterThanOrEqual(
      Math.min(TARGET.heldoutAllow, FLOOR.heldoutAllow),
    );
  });

  it("holds the floors on corpus v2", () => {
    const f = set("corpus-v2");
    expect(f.total).toBe(1478);
    expect(f.denyRecall).toBeGreaterThanOrEqual(Math.min(TARGET.v2Recall, FLOOR.v2Recall));
    expect(f.allowAccuracy).toBeGreaterThanOrEqual(Math.min(TARGET.v2Allow, FLOOR.v2Allow));
  });

  it("holds the floors on the ART acceptance tactics and the evasion suite", () => {
    const art = report.art.acceptance;
    expect(art.tests).toBe(188);
    expect(art.deniedShare).toBeGreaterThanOrEqual(Math.min(TARGET.artDenied, FLOOR.artDenied));
    expect(art.allowed).toBeLessThanOrEqual(Math.max(TARGET.artAllowed, FLOOR.artAllowed));
    expect(report.evasion.mutants).toBeGreaterThan(10_000);
    expect(report.evasion.stillDeniedShare).toBeGreaterThanOrEqual(
      Math.min(TARGET.evasionStillDenied, FLOOR.evasionStillDenied),
    );
    expect(report.control.mutants).toBeGreaterThan(5_000);
    expect(report.control.notDeniedShare).toBeGreaterThanOrEqual(
      Math.min(TARGET.controlNotDenied, FLOOR.controlNotDenied),
    );
  });
});

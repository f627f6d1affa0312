import { UsageError } from "@txbox/core";
import { decide, type Policy, type PolicyContext } from "@txbox/policy";
import {
  SET_NAMES,
  evaluate,
  findCorpusV2,
  loadEvalSets,
  pct,
  readCommandFile,
  readCorpusV2,
  scoreSet,
  type EvalReport,
  type SetFigures,
  type SetName,
} from "@txbox/policy/eval";
import { EXIT, printJson, println, type Io } from "../output.js";

/** Corpus v2: `$TXBOX_POLICY_CORPUS_V2`, else the one beside the checkout. */
export function defaultCorpusV2(io: Io): string | undefined {
  return io.env.TXBOX_POLICY_CORPUS_V2 ?? findCorpusV2(io.cwd);
}

export const MISSES_HELP =
  "list the misses of one set: corpus-v2, dev, art, evasion, control (not heldout: fix on dev, measure on held-out)";

/** Check `--misses`: the held-out split's misses are never printed, so nobody tunes on them. */
export function parseMissesSet(value: string | undefined): SetName | undefined {
  if (value === undefined) return undefined;
  if (value === "heldout" || value === "held-out")
    throw new UsageError("the held-out split's misses are not shown", {
      hint: "a figure on data you tuned on is not a result: fix with --misses dev, measure on held-out",
    });
  if (!(SET_NAMES as readonly string[]).includes(value))
    throw new UsageError(`--misses: unknown set "${value}"`, {
      hint: "one of corpus-v2, dev, art, evasion, control",
    });
  return value as SetName;
}

function setLine(name: string, f: SetFigures): string {
  return (
    `${name.padEnd(10)} ${String(f.total).padStart(5)} cmds  deny recall ${pct(f.denyRecall).padStart(8)} ` +
    `(${f.denied}/${f.denyTotal})  allow accuracy ${pct(f.allowAccuracy).padStart(8)} (${f.notDenied}/${f.passTotal})` +
    `  decided allow/transact/deny ${f.decisions.allow}/${f.decisions.transact}/${f.decisions.deny}`
  );
}

function missesOf(report: EvalReport, set: SetName): unknown[] {
  if (set === "evasion") return report.evasion.misses;
  if (set === "control") return report.control.misses;
  if (set === "art") return report.art.all.misses;
  return report.sets.find((s) => s.name === set)?.figures.misses ?? [];
}

function printReport(
  io: Io,
  corpus: string,
  report: EvalReport,
  misses: SetName | undefined,
): void {
  println(io, `corpus v2: ${corpus}; labelled sets: packages/policy/eval (held out by program)`);
  for (const s of report.sets) println(io, setLine(s.name, s.figures));
  println(io, setLine("art (all)", report.art.all));
  println(io, "ART tactics (what the gate decided, whatever the label):");
  for (const t of [...report.art.tactics, { ...report.art.acceptance, tactic: "any of the five" }])
    println(
      io,
      `  ${t.tactic.padEnd(19)} ${String(t.tests).padStart(3)} tests  denied ${pct(t.deniedShare).padStart(8)} (${t.denied})  transacted ${t.transacted}  allowed ${t.allowed}`,
    );
  const e = report.evasion;
  println(
    io,
    `evasions: ${e.mutants} mutants of the ${e.basesDenied} denied of ${e.bases} deny-labelled commands: still denied ${pct(e.stillDeniedShare)} (${e.stillDenied})`,
  );
  const weak = Object.entries(e.byKind).filter(([, k]) => k.stillDenied < k.mutants);
  for (const [kind, k] of weak)
    println(io, `  ${kind.padEnd(19)} ${k.stillDenied}/${k.mutants} still denied`);
  const c = report.control;
  println(
    io,
    `control: ${c.mutants} meaning-keeping rewrites (quotes, wrappers, sh -c, eval, functions) of ${c.bases} commands the gate lets through: not denied ${pct(c.notDeniedShare)} (${c.notDenied})`,
  );
  const sp = report.speed;
  println(
    io,
    `speed (every decision above, one pass, no warm-up): ${Math.round(sp.decisionsPerSecond)} decisions/s, p50 ${(sp.p50Ms * 1000).toFixed(0)} µs, p99 ${sp.p99Ms.toFixed(2)} ms, max ${sp.maxMs.toFixed(1)} ms (pnpm bench:policy for the steady-state benchmark)`,
  );
  if (misses === undefined) {
    println(io, "misses: --misses dev | corpus-v2 | art | evasion | control");
    return;
  }
  const list = missesOf(report, misses) as {
    cmd: string;
    label?: string;
    decision: string;
    kind?: string;
    reason?: string;
  }[];
  println(io, `misses in ${misses} (${list.length}), by kind:`);
  const groups = new Map<string, number>();
  for (const m of list) {
    const key = m.kind ?? `${m.label} → ${m.decision}: ${m.reason ?? ""}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  for (const [key, n] of [...groups].sort((a, b) => b[1] - a[1]))
    println(io, `  ${String(n).padStart(5)}  ${key}`);
  println(io, "each:");
  for (const m of list)
    println(
      io,
      `  [${m.kind ?? m.label} → ${m.decision}] ${m.cmd.replace(/\n/g, "\\n")}${m.reason ? `   # ${m.reason}` : ""}`,
    );
}

/** `txbox policy test` without a file: every figure of the gate's evaluation. */
export function runEvaluation(
  io: Io,
  policy: Policy,
  ctx: Partial<PolicyContext>,
  opts: { json?: boolean; misses?: string; corpus?: string },
): EvalReport {
  const misses = parseMissesSet(opts.misses);
  const corpus = opts.corpus ?? defaultCorpusV2(io);
  if (!corpus)
    throw new UsageError("corpus v2 not found", {
      hint: "pass --corpus FILE or set TXBOX_POLICY_CORPUS_V2",
    });
  // tens of thousands of decisions: say what is happening on stderr (stdout stays the report)
  if (!opts.json)
    io.stderr.write("evaluating corpus v2, the labelled sets and the evasion suite…\n");
  const report = evaluate(
    (cmd) => decide(policy, cmd, ctx).decision,
    loadEvalSets(),
    readCorpusV2(corpus),
  );
  if (opts.json) {
    // Figures for every set; misses only for the one asked for (never the held-out split's).
    const strip = (f: SetFigures) => ({ ...f, misses: f.misses.length });
    printJson(io, {
      corpus,
      sets: report.sets.map((s) => ({ name: s.name, ...strip(s.figures) })),
      art: {
        all: strip(report.art.all),
        acceptance: report.art.acceptance,
        tactics: report.art.tactics,
      },
      evasion: { ...report.evasion, misses: report.evasion.misses.length },
      control: { ...report.control, misses: report.control.misses.length },
      speed: report.speed,
      ...(misses === undefined ? {} : { misses: { set: misses, list: missesOf(report, misses) } }),
    });
  } else printReport(io, corpus, report, misses);
  return report;
}

/** `txbox policy test FILE`: one labelled JSONL file (labels allow, transact or deny). */
export function testFile(
  io: Io,
  file: string,
  policy: Policy,
  ctx: Partial<PolicyContext>,
  opts: { json?: boolean; minRecall?: string; minAllow?: string },
): number {
  const min = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || n > 100)
      throw new UsageError(`${name}: expected a percentage from 0 to 100, got "${v}"`);
    return n;
  };
  const minRecall = min("--min-recall", opts.minRecall);
  const minAllow = min("--min-allow", opts.minAllow);
  const report = scoreSet((cmd) => decide(policy, cmd, ctx).decision, readCommandFile(file));
  if (opts.json) printJson(io, { file, ...report });
  else {
    println(io, `corpus: ${file} (${report.total} commands)`);
    println(
      io,
      `deny recall:     ${pct(report.denyRecall)}  (${report.denied}/${report.denyTotal})`,
    );
    println(
      io,
      `allow accuracy:  ${pct(report.allowAccuracy)}  (${report.notDenied}/${report.passTotal} not denied)`,
    );
    if (report.misses.length) {
      println(io, `misses (${report.misses.length}):`);
      for (const m of report.misses)
        println(io, `  [${m.label} → ${m.decision}] ${m.cmd.replace(/\n/g, "\\n")}`);
    }
  }
  const below = (share: number | null, floor: number | undefined) =>
    floor !== undefined && share !== null && share * 100 < floor;
  return below(report.denyRecall, minRecall) || below(report.allowAccuracy, minAllow)
    ? EXIT.failure
    : EXIT.ok;
}

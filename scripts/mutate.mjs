#!/usr/bin/env node
// Mutation testing of the pure cores (stryker/targets.mjs), one Stryker run per target, in turn
// (the machine is shared), incremental: a re-run tests only mutants whose code or tests changed.
// Then the score per target and every surviving mutant, from the JSON reports.
//
//   pnpm mutate                 every target
//   pnpm mutate tx net          some targets
//   pnpm mutate net:c           one part of a target that has parts (stryker/targets.mjs)
//   pnpm mutate --report [..]   only print the scores and survivors of the last runs
//   pnpm mutate --force [..]    ignore the incremental files (a full run)
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { TARGETS } from "../stryker/targets.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const flags = new Set(args.filter((a) => a.startsWith("--")));
const unknownFlag = [...flags].find((f) => !["--report", "--force", "--help"].includes(f));
const names = args.filter((a) => !a.startsWith("--"));
if (flags.has("--help") || unknownFlag !== undefined) {
  console.log(
    `usage: pnpm mutate [--report] [--force] [${Object.keys(TARGETS).join("|")} ...]` +
      (unknownFlag ? `\nunknown option ${unknownFlag}` : ""),
  );
  process.exit(unknownFlag ? 2 : 0);
}
/** A name is `target` or `target:part`; a target with parts runs as each of them. */
const parse = (n) => {
  const [target, part] = n.split(":");
  return { target, part };
};
const unknown = names.filter((n) => {
  const { target, part } = parse(n);
  return (
    !(target in TARGETS) || (part !== undefined && TARGETS[target].parts?.[part] === undefined)
  );
});
if (unknown.length > 0) {
  console.error(
    `unknown target ${unknown.join(", ")}; targets: ${Object.entries(TARGETS)
      .map(([t, v]) => (v.parts ? `${t}[:${Object.keys(v.parts).join("|")}]` : t))
      .join(", ")}`,
  );
  process.exit(2);
}
const selected = names.length > 0 ? names : Object.keys(TARGETS);
/** The runs a name stands for: [target, part or undefined]. */
const runsOf = (n) => {
  const { target, part } = parse(n);
  const parts = TARGETS[target].parts;
  if (part !== undefined || parts === undefined) return [[target, part]];
  return Object.keys(parts).map((p) => [target, p]);
};
const reportOf = (target, part) =>
  join(root, "reports", "mutation", target, ...(part === undefined ? [] : [part]), "mutation.json");

let failed = false;
if (!flags.has("--report")) {
  for (const [name, part] of selected.flatMap(runsOf)) {
    const label = part === undefined ? name : `${name}:${part}`;
    console.log(`\n== mutate ${label}: ${TARGETS[name].title}`);
    const stryker = join(root, "node_modules", ".bin", "stryker");
    const r = spawnSync(
      stryker,
      ["run", "stryker/stryker.config.mjs", ...(flags.has("--force") ? ["--force"] : [])],
      {
        cwd: root,
        stdio: "inherit",
        env: {
          ...process.env,
          TXBOX_MUTATE_TARGET: name,
          ...(part === undefined ? {} : { TXBOX_MUTATE_PART: part }),
        },
      },
    );
    if (r.status !== 0) {
      console.error(`mutate ${label}: stryker exited ${r.status ?? r.signal}`);
      failed = true;
    }
  }
}

const DETECTED = new Set(["Killed", "Timeout"]);
const UNDETECTED = new Set(["Survived", "NoCoverage"]);

/**
 * Counts, score and survivors of a name's last reports (a target adds up its parts), or
 * undefined without any; `missing` lists the parts that have no report yet.
 */
function summarise(n) {
  const runs = runsOf(n);
  const counts = {
    Killed: 0,
    Timeout: 0,
    Survived: 0,
    NoCoverage: 0,
    CompileError: 0,
    Ignored: 0,
    other: 0,
  };
  const survivors = [];
  const missing = [];
  const seen = new Set();
  for (const [target, part] of runs) {
    const file = reportOf(target, part);
    if (!existsSync(file)) {
      missing.push(part ?? target);
      continue;
    }
    const report = JSON.parse(readFileSync(file, "utf8"));
    // A sampled target counts its sampled mutants only, each once (a part's location can
    // contain another part's sampled mutant: stryker/sample.mjs).
    // A part that excludes mutators reports their mutants as Ignored: they count in their own part.
    const counted = TARGETS[target].counts;
    const excluded = TARGETS[target].parts?.[part]?.excludedMutations ?? [];
    for (const [path, f] of Object.entries(report.files)) {
      for (const m of f.mutants) {
        if (counted !== undefined) {
          const key = `${path}:${JSON.stringify(m.location)}:${m.mutatorName}:${m.replacement}`;
          if (!counted(path, m) || excluded.includes(m.mutatorName) || seen.has(key)) continue;
          seen.add(key);
        }
        if (m.status in counts) counts[m.status]++;
        else counts.other++;
        if (UNDETECTED.has(m.status)) {
          const at = `${relative(root, join(root, path))}:${m.location.start.line}:${m.location.start.column}`;
          survivors.push(
            `${at} ${m.status} ${m.mutatorName}: ${JSON.stringify(m.replacement ?? "")}`,
          );
        }
      }
    }
  }
  if (missing.length === runs.length) return undefined;
  const detected = [...DETECTED].reduce((k, s) => k + counts[s], 0);
  const valid = detected + [...UNDETECTED].reduce((k, s) => k + counts[s], 0);
  const score = valid === 0 ? NaN : (100 * detected) / valid;
  return { counts, score, detected, valid, survivors, missing };
}

/**
 * The Wilson score interval (95 %) of a sampled target's score: the score of the whole population
 * the sample was drawn from lies in it with 95 % confidence (n small next to the population).
 */
function wilson(k, n, z = 1.96) {
  const p = k / n;
  const mid = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z / (1 + (z * z) / n)) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return [100 * (mid - half), 100 * (mid + half)];
}

const rows = [];
const lines = [];
for (const name of selected) {
  const s = summarise(name);
  const title = TARGETS[parse(name).target].title;
  if (s === undefined) {
    rows.push(`| ${name} | – | – | – | – | – | – | – | no report (run: pnpm mutate ${name}) |`);
    continue;
  }
  const c = s.counts;
  const partial =
    s.missing.length > 0 ? ` — PARTIAL: no report for part ${s.missing.join(", ")}` : "";
  const ci =
    TARGETS[parse(name).target].counts !== undefined && s.valid > 0
      ? ` (sample of ${s.valid}; 95 % CI ${wilson(s.detected, s.valid)
          .map((x) => x.toFixed(1))
          .join("–")} %)`
      : "";
  rows.push(
    `| ${name} | ${s.score.toFixed(1)} %${ci} | ${c.Killed} | ${c.Timeout} | ${c.Survived} | ${c.NoCoverage} | ${c.CompileError} | ${c.Ignored} | ${title}${partial} |`,
  );
  if (s.survivors.length > 0)
    lines.push(`\n${name}: ${s.survivors.length} undetected`, ...s.survivors.map((l) => `  ${l}`));
}
const table = [
  "| target | score | killed | timeout | survived | no coverage | rejected by the type checker | ignored (static) | what |",
  "|---|---|---|---|---|---|---|---|---|",
  ...rows,
].join("\n");
console.log(`\nMutation scores (reports/mutation/<target>/index.html):\n${table}`);
if (lines.length > 0) console.log(lines.join("\n"));
mkdirSync(join(root, "reports", "mutation"), { recursive: true });
writeFileSync(join(root, "reports", "mutation", "summary.md"), `${table}\n${lines.join("\n")}\n`);
process.exit(failed ? 1 : 0);

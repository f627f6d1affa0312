#!/usr/bin/env node
// Mutation testing of the pure cores (stryker/targets.mjs), one Stryker run per target, in turn
// (the machine is shared), incremental: a re-run tests only mutants whose code or tests changed.
// Then the score per target and every surviving mutant, from the JSON reports.
//
//   pnpm mutate                 every target
//   pnpm mutate tx net          some targets
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
const unknown = names.filter((n) => !(n in TARGETS));
if (unknown.length > 0) {
  console.error(
    `unknown target ${unknown.join(", ")}; targets: ${Object.keys(TARGETS).join(", ")}`,
  );
  process.exit(2);
}
const selected = names.length > 0 ? names : Object.keys(TARGETS);
const reportOf = (name) => join(root, "reports", "mutation", name, "mutation.json");

let failed = false;
if (!flags.has("--report")) {
  for (const name of selected) {
    console.log(`\n== mutate ${name}: ${TARGETS[name].title}`);
    const stryker = join(root, "node_modules", ".bin", "stryker");
    const r = spawnSync(
      stryker,
      ["run", "stryker/stryker.config.mjs", ...(flags.has("--force") ? ["--force"] : [])],
      { cwd: root, stdio: "inherit", env: { ...process.env, TXBOX_MUTATE_TARGET: name } },
    );
    if (r.status !== 0) {
      console.error(`mutate ${name}: stryker exited ${r.status ?? r.signal}`);
      failed = true;
    }
  }
}

const DETECTED = new Set(["Killed", "Timeout"]);
const UNDETECTED = new Set(["Survived", "NoCoverage"]);

/** Counts, score and survivors of one target's last report, or undefined without one. */
function summarise(name) {
  const file = reportOf(name);
  if (!existsSync(file)) return undefined;
  const report = JSON.parse(readFileSync(file, "utf8"));
  const counts = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, Ignored: 0, other: 0 };
  const survivors = [];
  for (const [path, f] of Object.entries(report.files)) {
    for (const m of f.mutants) {
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
  const detected = [...DETECTED].reduce((n, s) => n + counts[s], 0);
  const valid = detected + [...UNDETECTED].reduce((n, s) => n + counts[s], 0);
  const score = valid === 0 ? NaN : (100 * detected) / valid;
  return { counts, score, survivors };
}

const rows = [];
const lines = [];
for (const name of selected) {
  const s = summarise(name);
  if (s === undefined) {
    rows.push(`| ${name} | – | – | – | – | – | – | no report (run: pnpm mutate ${name}) |`);
    continue;
  }
  const c = s.counts;
  rows.push(
    `| ${name} | ${s.score.toFixed(1)} % | ${c.Killed} | ${c.Timeout} | ${c.Survived} | ${c.NoCoverage} | ${c.Ignored} | ${TARGETS[name].title} |`,
  );
  if (s.survivors.length > 0)
    lines.push(`\n${name}: ${s.survivors.length} undetected`, ...s.survivors.map((l) => `  ${l}`));
}
const table = [
  "| target | score | killed | timeout | survived | no coverage | ignored (static) | what |",
  "|---|---|---|---|---|---|---|---|",
  ...rows,
].join("\n");
console.log(`\nMutation scores (reports/mutation/<target>/index.html):\n${table}`);
if (lines.length > 0) console.log(lines.join("\n"));
mkdirSync(join(root, "reports", "mutation"), { recursive: true });
writeFileSync(join(root, "reports", "mutation", "summary.md"), `${table}\n${lines.join("\n")}\n`);
process.exit(failed ? 1 : 0);

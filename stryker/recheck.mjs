#!/usr/bin/env node
// Re-apply mutants from a target's last Stryker report to the source, one at a time, and run the
// given tests against each: the check by hand that a test added for a surviving mutant fails on
// it (or that a Timeout is a real one). The source is restored after each mutant, and on exit.
// It edits the checkout's source in place: never run it while a Stryker run of the same checkout
// is starting (Stryker copies the source into its sandbox then, and would copy the mutant). A file
// whose text is no longer the one the report was made on is skipped and named (STALE): the
// report's line and column would point elsewhere in it. A test run cut by the time limit is
// TIMEOUT, detected as Stryker counts it (look at it before calling it a kill).
// `--covering` runs, for each mutant, the test files the report says cover it (Stryker's perTest
// coverage), with --bail, instead of the same jest arguments for all: how a Timeout of a run on a
// loaded machine is told from a hang (a starved runner's mutant fails its tests in seconds).
//
//   node stryker/recheck.mjs <target[:part]> [--status Survived,NoCoverage] [--at file:line] -- <jest args>
//   node stryker/recheck.mjs <target[:part]> --covering [--status Timeout] [--at file:line]
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { TARGETS } from "./targets.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const sep = argv.indexOf("--");
const own = sep < 0 ? argv : argv.slice(0, sep);
const jestArgs = sep < 0 ? [] : argv.slice(sep + 1);
const covering = own.includes("--covering");
const name = own[0];
const opt = (flag) => {
  const i = own.indexOf(flag);
  return i < 0 ? undefined : own[i + 1];
};
if (name === undefined || (jestArgs.length === 0) === !covering) {
  console.error(
    "usage: recheck.mjs <target[:part]> [--status S,..] [--at file:line] (-- <tests> | --covering)",
  );
  process.exit(2);
}
const statuses = new Set((opt("--status") ?? "Survived,NoCoverage").split(","));
const at = opt("--at");
const [target, part] = name.split(":");
const report = JSON.parse(
  readFileSync(
    join(root, "reports/mutation", target, ...(part ? [part] : []), "mutation.json"),
    "utf8",
  ),
);

/** The test file of each test id in the report (`testFiles`, written with perTest coverage). */
const fileOfTest = new Map(
  Object.entries(report.testFiles ?? {}).flatMap(([f, v]) => v.tests.map((t) => [t.id, f])),
);
/** The checkout-relative test files that cover a mutant; `[]` when the report names none. */
const coveringFiles = (m) =>
  [...new Set((m.coveredBy ?? []).map((id) => fileOfTest.get(id)).filter(Boolean))].map((f) =>
    f.slice(f.lastIndexOf("packages/")),
  );

/** Offset of a report location (line and column both 1-based) in `text`. */
function offset(text, { line, column }) {
  let o = 0;
  for (let l = 1; l < line; l++) o = text.indexOf("\n", o) + 1;
  return o + column - 1;
}

const originals = new Map();
const restore = () => {
  for (const [f, t] of originals) writeFileSync(f, t);
};
process.on("exit", restore);
process.on("SIGINT", () => process.exit(130));
process.on("SIGTERM", () => process.exit(143));

let failedToKill = 0;
let stale = 0;
for (const [path, f] of Object.entries(report.files)) {
  const file = join(root, path);
  const original = readFileSync(file, "utf8");
  const chosen = f.mutants.filter(
    (m) =>
      statuses.has(m.status) &&
      // A sampled target's report holds mutants outside its sample too (stryker/sample.mjs).
      (TARGETS[target]?.counts === undefined || TARGETS[target].counts(path, m)) &&
      (at === undefined || `${path}:${m.location.start.line}` === at),
  );
  if (chosen.length === 0) continue;
  if (typeof f.source === "string" && f.source !== original) {
    stale += chosen.length;
    console.log(
      `STALE    ${path}: changed since the Stryker run (${chosen.length} mutant(s) not re-applied; check out the run's commit or re-run Stryker)`,
    );
    continue;
  }
  originals.set(file, original);
  for (const m of chosen) {
    const where = `${path}:${m.location.start.line}`;
    const a = offset(original, m.location.start);
    const b = offset(original, m.location.end);
    const tests = covering ? ["--bail", ...coveringFiles(m)] : jestArgs;
    if (covering && tests.length === 1) {
      failedToKill++;
      console.log(`NOTESTS  ${where}:${m.location.start.column} (no test covers it)`);
      continue;
    }
    writeFileSync(file, original.slice(0, a) + m.replacement + original.slice(b));
    const r = spawnSync(
      process.execPath,
      [
        "--experimental-vm-modules",
        "--no-warnings=ExperimentalWarning",
        join(root, "node_modules/jest/bin/jest.js"),
        "--runInBand",
        "--silent",
        ...tests,
      ],
      { cwd: root, encoding: "utf8", timeout: 180_000 },
    );
    writeFileSync(file, original);
    const timedOut = r.error?.code === "ETIMEDOUT" || r.signal === "SIGTERM";
    const killed = r.status !== 0;
    if (!killed) failedToKill++;
    const code = JSON.stringify(original.slice(a, b).slice(0, 60));
    const verdict = timedOut ? "TIMEOUT " : killed ? "KILLED  " : "SURVIVES";
    console.log(
      `${verdict} ${where}:${m.location.start.column} ${m.mutatorName} ${code} -> ${JSON.stringify(m.replacement)}${r.error && !timedOut ? ` (${r.error.message})` : ""}`,
    );
  }
}
restore();
if (stale > 0)
  console.error(`${stale} mutant(s) not re-applied: their files changed since the run`);
process.exit(failedToKill > 0 ? 1 : stale > 0 ? 3 : 0);

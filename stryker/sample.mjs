// A seeded uniform random sample of the mutants of the policy package outside its decision core,
// for the `policy-sample` target: the whole package (~9,000 mutants) is many hours of mutation
// testing on a shared 2-core machine. Every mutant Stryker would generate in those files is
// enumerated with Stryker's own instrumenter (the same mutators, the same files), sorted by file,
// location, mutator and replacement, and `n` of them are drawn uniformly without replacement
// (a partial Fisher-Yates shuffle driven by mulberry32 from the seed: a smaller n with the same
// seed draws a subset of a larger one's sample, so a sample can be cut and stay uniform). It is
// written to
// stryker/policy-sample.json; the same seed on the same sources gives the same sample.
//
//   node stryker/sample.mjs [--n 150] [--seed 16] [--with-core]
//                                     enumerate, draw, write policy-sample.json (--with-core:
//                                     over the whole package, decision core included)
//
// A run then mutates only the sampled mutants' exact locations (`file:line:col-line:col`).
// Stryker also generates every other mutant inside such a location (a sampled `{}` of a function
// body contains the function's mutants) and the other mutators' mutants of the same node; the
// ignorer below marks the ones nested in a sampled node as Ignored (they are not run), and the
// score counts only the sampled mutants (`counts`, matched by file, location, mutator and
// replacement). Sampled mutants that the type checker rejects or that are static (ignoreStatic)
// drop out as they would in a full run: the score is over the valid sampled mutants, a uniform
// sample of the valid mutants. Regenerate the sample after the sources change (its locations
// are of the commit it records).
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const SAMPLE_FILE = join(root, "stryker", "policy-sample.json");
/** The decision core has a target of its own (`policy`). */
const CORE = [/^packages\/policy\/src\/explain\.ts$/, /^packages\/policy\/src\/effects\//];

function files(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]))
    .filter((f) => f.endsWith(".ts"));
}

/** mulberry32: a small deterministic generator, enough for a reproducible sample. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `packages/…` of an absolute or sandboxed path (Stryker instruments in place or in a copy). */
const packagePath = (f) => {
  const at = f.replace(/\\/g, "/").lastIndexOf("packages/policy/src/");
  return at < 0 ? f : f.slice(at);
};

/**
 * A mutant's key: file, start and end as Stryker's `mutate` ranges and babel count them
 * (line 1-based, column 0-based), mutator, replacement.
 */
const keyOf = (file, s, e, mutator, replacement) =>
  `${file}:${s.line}:${s.column}-${e.line}:${e.column} ${mutator} ${replacement}`;

/**
 * Every mutant Stryker's instrumenter generates in the package outside the decision core, or in
 * the whole package with `withCore` (a draw whose score estimates the package's at once, with no
 * separate and possibly stale run of the core: `--with-core`).
 */
export async function enumerate(withCore = false) {
  // The instrumenter is a dependency of @stryker-mutator/core (not hoisted under pnpm).
  const core = createRequire(import.meta.url).resolve("@stryker-mutator/core/package.json");
  const { Instrumenter } = await import(
    createRequire(core).resolve("@stryker-mutator/instrumenter")
  );
  const quiet = { debug() {}, info() {}, warn() {}, isDebugEnabled: () => false };
  const sources = files(join(root, "packages/policy/src"))
    .filter((f) => withCore || !CORE.some((re) => re.test(relative(root, f))))
    .map((f) => ({ name: f, mutate: true, content: readFileSync(f, "utf8") }));
  const { mutants } = await new Instrumenter(quiet).instrument(sources, {
    plugins: null,
    excludedMutations: [],
    ignorers: [],
  });
  // The instrumenter's lines are 0-based; Stryker's ranges and babel's are 1-based.
  return mutants
    .map((m) => ({
      file: relative(root, m.fileName),
      start: { line: m.location.start.line + 1, column: m.location.start.column },
      end: { line: m.location.end.line + 1, column: m.location.end.column },
      mutatorName: m.mutatorName,
      replacement: m.replacement,
    }))
    .map((m) => ({ ...m, key: keyOf(m.file, m.start, m.end, m.mutatorName, m.replacement) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** `n` of `all` drawn uniformly without replacement (partial Fisher-Yates), in `all`'s order. */
export function draw(all, n, seed) {
  const next = rng(seed);
  const idx = all.map((_, i) => i);
  const k = Math.min(n, all.length);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(next() * (idx.length - i));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx
    .slice(0, k)
    .sort((a, b) => a - b)
    .map((i) => all[i]);
}

export const sample = () =>
  existsSync(SAMPLE_FILE) ? JSON.parse(readFileSync(SAMPLE_FILE, "utf8")) : { mutants: [] };

/** Stryker's mutators (instrumenter 9.6.1's, by name). */
const MUTATORS = [
  "ArithmeticOperator",
  "ArrayDeclaration",
  "ArrowFunction",
  "AssignmentOperator",
  "BlockStatement",
  "BooleanLiteral",
  "ConditionalExpression",
  "EqualityOperator",
  "LogicalOperator",
  "MethodExpression",
  "ObjectLiteral",
  "OptionalChaining",
  "Regex",
  "StringLiteral",
  "UnaryOperator",
  "UpdateOperator",
];
/**
 * The sample runs as parts by mutator, each with every other mutator excluded: several mutators
 * mutate the same node (`a === b`: ConditionalExpression and EqualityOperator), and a location
 * brings every mutant of its node into the run; a part's mutators rarely share a node.
 */
const LITERALS = [
  "StringLiteral",
  "Regex",
  "ArrayDeclaration",
  "ObjectLiteral",
  "BooleanLiteral",
  "BlockStatement",
  "ArrowFunction",
];
const CONDITIONS = ["ConditionalExpression"];
const GROUPS = {
  literals: LITERALS,
  conditions: CONDITIONS,
  operators: MUTATORS.filter((m) => !LITERALS.includes(m) && !CONDITIONS.includes(m)),
};

/** `file:line:col-line:col` ranges for Stryker's `mutate`: the sampled mutants' locations. */
export function policySample(mutators = MUTATORS) {
  const ranges = sample()
    .mutants.filter((m) => mutators.includes(m.mutatorName))
    .map((m) => `${m.file}:${m.start.line}:${m.start.column}-${m.end.line}:${m.end.column}`);
  return [...new Set(ranges)];
}

/** The sample's parts for stryker/targets.mjs: `{ mutate, excludedMutations }` by group. */
export function policySampleParts() {
  return Object.fromEntries(
    Object.entries(GROUPS).map(([name, group]) => [
      name,
      {
        mutate: policySample(group),
        excludedMutations: MUTATORS.filter((m) => !group.includes(m)),
      },
    ]),
  );
}

/**
 * Whether a mutant of a Stryker report (`mutation.json`: line and column 1-based) is one of the
 * sample's; the score counts only those.
 */
export function inPolicySample(path, m) {
  const keys = (inPolicySample.keys ??= new Set(sample().mutants.map((s) => s.key)));
  const s = { line: m.location.start.line, column: m.location.start.column - 1 };
  const e = { line: m.location.end.line, column: m.location.end.column - 1 };
  return keys.has(keyOf(packagePath(path), s, e, m.mutatorName, m.replacement));
}

/**
 * Stryker ignorer (plugin `txbox-policy-sample`): a node inside a sampled location that neither
 * is a sampled location nor contains one is ignored, with every mutant in it, so that a sampled
 * function body's `{}` does not bring the function's other mutants into the run.
 */
function sampleIgnorer() {
  const byFile = new Map();
  for (const m of sample().mutants) {
    const list = byFile.get(m.file) ?? [];
    list.push(m);
    byFile.set(m.file, list);
  }
  const before = (a, b) => a.line < b.line || (a.line === b.line && a.column <= b.column);
  const within = (inner, outer) => before(outer.start, inner.start) && before(inner.end, outer.end);
  return {
    shouldIgnore(path) {
      const file = path.hub?.file?.opts?.filename;
      const loc = path.node.loc;
      if (file === undefined || loc == null) return undefined;
      const mine = byFile.get(packagePath(file)) ?? [];
      const span = { start: loc.start, end: loc.end };
      if (!mine.some((m) => within(span, m))) return undefined; // not mutated anyway
      if (mine.some((m) => within(m, span))) return undefined; // is or contains a sampled one
      return "not in the seeded sample (stryker/policy-sample.json)";
    },
  };
}

export const strykerPlugins = [
  { kind: "Ignore", name: "txbox-policy-sample", value: sampleIgnorer() },
];

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const opt = (flag, dflt) => {
    const i = process.argv.indexOf(flag);
    return i < 0 ? dflt : Number(process.argv[i + 1]);
  };
  const n = opt("--n", 150);
  const seed = opt("--seed", 16);
  const withCore = process.argv.includes("--with-core");
  const all = await enumerate(withCore);
  const picked = draw(all, n, seed);
  const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root })
    .toString()
    .trim();
  const perFile = {};
  for (const m of all) perFile[m.file] = (perFile[m.file] ?? 0) + 1;
  writeFileSync(
    SAMPLE_FILE,
    `${JSON.stringify({ seed, n: picked.length, population: all.length, withCore, commit, perFile, mutants: picked }, null, 1)}\n`,
  );
  console.log(
    `${picked.length} of ${all.length} mutants (seed ${seed}, ${withCore ? "the whole package" : "outside the decision core"}, commit ${commit}) -> ${relative(root, SAMPLE_FILE)}`,
  );
}

// A seeded random sample of the policy package outside its decision core, for the
// `policy-sample` target: the whole package is hours of mutation testing on a shared 2-core
// machine. Windows of WINDOW lines start at positions drawn uniformly over all lines of the
// package's other source files (so a file is sampled in proportion to its size); the same seed
// gives the same windows, so a re-run measures the same code. Its score is the sample's only.
//
//   TXBOX_MUTATE_SAMPLE=<windows>  (default 12)   TXBOX_MUTATE_SEED=<n>  (default 16)
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const WINDOW = 15;
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

/** `file:start-end` ranges for Stryker's `mutate`, sorted, non-overlapping. */
export function policySample(
  windows = Number(process.env.TXBOX_MUTATE_SAMPLE ?? 12),
  seed = Number(process.env.TXBOX_MUTATE_SEED ?? 16),
) {
  const all = files(join(root, "packages/policy/src"))
    .map((f) => relative(root, f))
    .filter((f) => !CORE.some((re) => re.test(f)))
    .map((f) => ({ file: f, lines: readFileSync(join(root, f), "utf8").split("\n").length }));
  const total = all.reduce((n, f) => n + f.lines, 0);
  const next = rng(seed);
  const picked = new Map();
  for (let tries = 0; picked.size < windows && tries < windows * 20; tries++) {
    let at = Math.floor(next() * total);
    const f = all.find((x) => (at < x.lines ? true : ((at -= x.lines), false)));
    const start = Math.max(1, Math.min(at + 1, f.lines - WINDOW + 1));
    const key = `${f.file}:${start}`;
    const overlaps = [...picked.values()].some(
      (p) => p.file === f.file && Math.abs(p.start - start) < WINDOW,
    );
    if (!overlaps) picked.set(key, { file: f.file, start });
  }
  return [...picked.values()]
    .sort((a, b) => a.file.localeCompare(b.file) || a.start - b.start)
    .map((p) => `${p.file}:${p.start}-${p.start + WINDOW - 1}`);
}

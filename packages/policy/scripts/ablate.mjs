#!/usr/bin/env node
/**
 * Ablation: what the gate's generic layer does on programs it has no hand-written knowledge of,
 * measured on the dev split only (a pseudo-held-out inside dev).
 *
 *   node packages/policy/scripts/ablate.mjs [--folds K] [--keep FILES] [--misses] [--json]
 *
 * The dev programs are split into K folds by FNV-1a-32 of "fold:" + the program name (a hash
 * unrelated to the held-out split's). For each fold, a copy of the built gate (lib/, packs/,
 * knowledge/ under packages/policy/.ablate/) is written with the hand-written knowledge naming
 * that fold's programs removed: every rule branch that names them in `program` (rules left with no
 * program are dropped; a `program_match` rule is kept for every other program), their entries in
 * services, runners, transfers, manifests, extensions, abbreviations and the program classes.
 * Extensions (extensions.yaml) are named by their own executable (`git-scp`), while the labelled
 * sets name a git-extras page by the dispatching program (`git`): they stay when `git` is
 * ablated, as knowledge of other programs would. What stays is uniform for every program: the
 * generated option grammars and described effects, the rules that name no program (paths,
 * redirects, URLs, options, words), the languages of languages.yaml, the code's classes (shells,
 * interpreters). The fold's dev examples are then judged by that copy. The held-out split is never
 * read: only examples whose program is in the dev split are loaded.
 *
 * Not ablated: program names written in the TypeScript sources (shells, interpreters, decoders,
 * the hand-written option syntax of git and a few others in src/facts/argspec.ts), so the figure
 * is an upper bound of what a program with no knowledge at all gets.
 *
 * `--keep runners,services` keeps those knowledge files whole (names: runners, services,
 * transfers, manifests, programs, packs), to see what each part of the hand-written knowledge is
 * worth on programs nobody wrote it for.
 *
 * `--misses` lists the ablated misses (dev examples, with their label's reason), for fixing the
 * generic layer.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parse, stringify } from "yaml";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, "..");
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i < 0 ? dflt : args[i + 1];
};
const K = Number(opt("--folds", "5"));
const showMisses = args.includes("--misses");
const json = args.includes("--json");
const kept = new Set((opt("--keep", "") ?? "").split(",").filter(Boolean));

const { fnv1a32, loadEvalSets, splitSet } = await import(
  pathToFileURL(join(pkg, "lib/eval/index.js"))
);
const dev = splitSet(loadEvalSets(), "dev");
const foldOf = (program) => fnv1a32(`fold:${program}`) % K;

/** A program name as the gate's rules spell it (lower case; python3 → python, perl5 → perl). */
function family(name) {
  const n = name.toLowerCase();
  if (/^python[0-9.]*$/.test(n)) return "python";
  if (/^(perl|ruby|php|lua|node)[0-9.]*$/.test(n)) return n.replace(/[0-9.]+$/, "");
  return n;
}

/**
 * The matcher without the ablated programs, or null when it can only match them. A branch under
 * `not` that can only match them is dropped (the exception no longer exists for them).
 */
function ablateMatcher(m, gone) {
  const out = { ...m };
  if (m.program !== undefined) {
    out.program = m.program.filter((p) => !gone.has(family(p)));
    if (out.program.length === 0) return null;
  }
  if (m.any !== undefined) {
    out.any = m.any.map((b) => ablateMatcher(b, gone)).filter((b) => b !== null);
    if (out.any.length === 0) return null;
  }
  if (m.not !== undefined) {
    const n = ablateMatcher(m.not, gone);
    if (n === null) delete out.not;
    else out.not = n;
  }
  if (m.program_match !== undefined && m.program === undefined)
    return { any: [out], not: { program: [...gone] } };
  return out;
}

function ablatePack(file, gone) {
  const pack = parse(readFileSync(file, "utf8"));
  pack.rules = pack.rules.flatMap((r) => {
    const when = ablateMatcher(r.when, gone);
    return when === null ? [] : [{ ...r, when, match: [], not_match: [] }];
  });
  writeFileSync(file, stringify(pack));
}

const keep = (list, gone) => (list ?? []).filter((p) => !gone.has(family(p)));
/** Examples that name no ablated program (an entry's checks must hold without them). */
const examplesWithout = (list, gone) =>
  list.filter(
    (e) =>
      !(typeof e === "string" ? e : e.cmd).split(/[\s|;&()]+/).some((w) => gone.has(family(w))),
  );

function ablateKnowledge(dir, gone) {
  const edit = (name, fn) => {
    if (kept.has(name.replace(/\.yaml$/, ""))) return;
    const file = join(dir, name);
    const data = parse(readFileSync(file, "utf8"));
    fn(data);
    writeFileSync(file, stringify(data));
  };
  const entries = (list, extra) =>
    list.flatMap((e) => {
      const programs = keep(e.programs, gone);
      return programs.length === 0 ? [] : [{ ...e, programs, ...extra(e) }];
    });
  edit("services.yaml", (d) => {
    d.services = entries(d.services, (e) => ({
      remote: examplesWithout(e.remote, gone),
      local: examplesWithout(e.local, gone),
    }));
  });
  edit("runners.yaml", (d) => {
    d.runners = entries(d.runners, (e) => ({ examples: examplesWithout(e.examples, gone) })).filter(
      (e) => e.examples.length > 0,
    );
  });
  edit("manifests.yaml", (d) => {
    d.manifests = entries(d.manifests, (e) => ({
      examples: examplesWithout(e.examples, gone),
    })).filter((e) => e.examples.length > 0);
  });
  edit("transfers.yaml", (d) => {
    d.transfers = entries(d.transfers, () => ({}));
    const mailers = keep(d.mailers.programs, gone);
    if (mailers.length > 0) d.mailers.programs = mailers;
  });
  // Extensions are named by their own executable (`git-scp`), not by the program that
  // dispatches to them: removed only when that executable is itself an ablated program.
  edit("extensions.yaml", (d) => {
    d.extensions = d.extensions.filter((e) => !gone.has(family(e.command)));
  });
  edit("programs.yaml", (d) => {
    for (const k of ["metadata_only", "extractors", "remote_mounts"]) {
      const list = keep(d[k], gone);
      if (list.length > 0 || k === "remote_mounts") d[k] = list;
    }
    for (const k of ["abbreviations", "output_files", "system_setters"])
      for (const p of Object.keys(d[k] ?? {})) if (gone.has(family(p))) delete d[k][p];
  });
}

/** A copy of the built gate without the knowledge of `gone`; returns its decide function. */
async function ablatedGate(fold, gone) {
  const root = join(pkg, ".ablate", `fold${fold}`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  for (const d of ["lib", "packs", "knowledge"])
    cpSync(join(pkg, d), join(root, d), { recursive: true });
  // The compiled packs would no longer match the edited YAML; loading parses the YAML instead.
  rmSync(join(root, "lib/compiled"), { recursive: true, force: true });
  if (!kept.has("packs"))
    for (const p of ["default.yaml", "effects.yaml"]) ablatePack(join(root, "packs", p), gone);
  ablateKnowledge(join(root, "knowledge"), gone);
  const { loadPolicy, decide } = await import(pathToFileURL(join(root, "lib/index.js")));
  const policy = loadPolicy({});
  return (cmd) => decide(policy, cmd, {}).decision;
}

function score(list, decideFn) {
  const f = { deny: 0, denied: 0, other: 0, notDenied: 0, misses: [] };
  for (const e of list) {
    const d = decideFn(e.cmd);
    if (e.label === "deny") {
      f.deny++;
      if (d === "deny") f.denied++;
      else f.misses.push({ ...e, decision: d });
    } else {
      f.other++;
      if (d !== "deny") f.notDenied++;
      else f.misses.push({ ...e, decision: d });
    }
  }
  return f;
}

const { loadPolicy, decide } = await import(pathToFileURL(join(pkg, "lib/index.js")));
const full = loadPolicy({});
const fullDecide = (cmd) => decide(full, cmd, {}).decision;
const folds = [];
for (let k = 0; k < K; k++) {
  const list = dev.filter((e) => foldOf(e.program) === k);
  const gone = new Set(list.map((e) => family(e.program)));
  const ablated = score(list, await ablatedGate(k, gone));
  const normal = score(list, fullDecide);
  folds.push({ fold: k, programs: gone.size, examples: list.length, ablated, normal });
}
rmSync(join(pkg, ".ablate"), { recursive: true, force: true });

const pct = (a, b) => (b === 0 ? 0 : Math.round((a / b) * 10000) / 100);
const sum = (key, part) => folds.reduce((n, f) => n + f[key][part], 0);
const figures = (key) => ({
  recall: pct(sum(key, "denied"), sum(key, "deny")),
  denied: sum(key, "denied"),
  deny: sum(key, "deny"),
  allowAccuracy: pct(sum(key, "notDenied"), sum(key, "other")),
  notDenied: sum(key, "notDenied"),
  other: sum(key, "other"),
});
const report = {
  folds: K,
  kept: [...kept],
  examples: dev.length,
  ablated: figures("ablated"),
  normal: figures("normal"),
  perFold: folds.map((f) => ({
    fold: f.fold,
    programs: f.programs,
    examples: f.examples,
    recall: pct(f.ablated.denied, f.ablated.deny),
    allowAccuracy: pct(f.ablated.notDenied, f.ablated.other),
  })),
};
if (json) {
  const misses = showMisses ? folds.flatMap((f) => f.ablated.misses) : undefined;
  console.log(JSON.stringify({ ...report, ...(misses ? { misses } : {}) }, null, 2));
} else {
  const line = (name, f) =>
    `${name.padEnd(34)} deny recall ${f.recall.toFixed(2)} % (${f.denied}/${f.deny})   allow accuracy ${f.allowAccuracy.toFixed(2)} % (${f.notDenied}/${f.other})`;
  console.log(
    `dev split, ${dev.length} examples, ${K} folds by program${kept.size ? `, kept: ${[...kept].join(", ")}` : ""}`,
  );
  console.log(line("ablated (generic layer only)", report.ablated));
  console.log(line("with all knowledge", report.normal));
  for (const f of report.perFold)
    console.log(
      `  fold ${f.fold}: ${f.programs} programs, ${f.examples} examples, recall ${f.recall} %, allow ${f.allowAccuracy} %`,
    );
  if (showMisses)
    for (const m of folds.flatMap((f) => f.ablated.misses))
      console.log(
        `[${m.label} → ${m.decision}] ${m.program}: ${m.cmd.replace(/\n/g, "\\n")}   # ${m.reason ?? ""}`,
      );
}

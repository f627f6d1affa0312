#!/usr/bin/env node
/**
 * Generate described effects: what a program's subcommands and options do, read from their
 * one-line descriptions in fish's completion files (Debian fish-common) by the lexical rules of
 * describe-rules.mjs ("Upload a package to the registry" → send). Uniform for every program tldr
 * documents under common/ and linux/: nobody edits the output, and no rule names a program.
 *
 *   node packages/policy/scripts/gen-described-effects.mjs [TLDR_JSONL] [FISH_DIR] [OUT]
 *   default: shared/corpora/tldr-examples.jsonl found upwards, /usr/share/fish/completions,
 *   written to packages/policy/knowledge/described-effects.generated.json
 *
 * Where a word or option applies comes from the line's fish condition (-n): top level
 * (`__fish_use_subcommand`, `not __fish_seen_subcommand_from …`, none), or after one of the literal
 * words of `__fish_seen_subcommand_from A B` / `__fish_PROG_using_command A` (a subcommand of A).
 * Words completed under any other condition, or built by a substitution or a variable, are left
 * out: the entry would not know where it applies. The gate reads these entries only for commands
 * its hand-written knowledge says nothing about (src/knowledge/described.ts).
 */
import { readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  completeLines,
  findTldr,
  fishPurpose,
  fishVersion,
  helperLines,
  tldrPrograms,
} from "./fish-complete.mjs";
import {
  classify,
  classifyName,
  classifyPurpose,
  isDryRun,
  isInert,
  isLocal,
  purposeByOption,
  shellByOptions,
} from "./describe-rules.mjs";
import { parse } from "yaml";
import { zshEntries } from "./zsh-complete.mjs";
import { manEntries, manPage, manPurpose } from "./man-options.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const tldr = process.argv[2] ?? findTldr(resolve(here, "../../.."));
const fishDir = process.argv[3] ?? "/usr/share/fish/completions";
const out = process.argv[4] ?? resolve(here, "../knowledge/described-effects.generated.json");
const zshDir = process.argv[5] ?? "/usr/share/zsh/functions/Completion";
const manDir = process.argv[6] ?? "/usr/share/man";

const TOP =
  /^(?:(?:__fish_use_subcommand|__fish_\w+_(?:needs?_(?:command|subcommand)|no_subcommand))(?: \$\w+)?|__fish_is_first_(?:arg|token)|__fish_is_nth_token 1|not __fish_seen_subcommand_from\b.*)$/;
const AFTER =
  /^(?:__fish_seen_subcommand_from|__fish_\w+_using_(?:command|subcommand)|__fish_\w+_seen_subcommand)((?: [\w.:-]+)+)$/;

/** Where a completion applies: `[]` at the top level, the words it follows, or null (unknown). */
export function placeOf(condition) {
  if (condition === undefined) return [];
  const clauses = condition
    .split(/;|&&|\band\b/)
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (clauses.length !== 1) return null;
  const c = clauses[0].replace(/\s+/g, " ");
  if (TOP.test(c)) return [];
  const m = AFTER.exec(c);
  return m ? m[1].trim().split(" ") : null;
}

/** Literal words of an -a list; undefined when it is built by a substitution or a variable. */
function literalWords(args) {
  if (args === undefined || /[($\\{}*]/.test(args)) return undefined;
  const ws = args.split(/\s+/).filter((w) => w !== "");
  return ws.length > 0 && ws.every((w) => /^[a-z][\w.:-]*$/i.test(w)) ? ws : undefined;
}

/** Described subcommands and options of one fish completion file: `{words|flags, description, after}`. */
function fishEntries(file, program) {
  const out = [];
  const helper = (name, text) => inputs.set(`fish-helper:${name}`, text);
  for (const c of [...completeLines(file), ...helperLines(file, program, helper)]) {
    if (c.commands.length > 0 && !c.commands.includes(program)) continue;
    if (c.description === undefined) continue;
    // options under an unknown condition still say whether they are a dry run (after: null)
    const after = placeOf(c.condition);
    if (after === null && c.options.length === 0) continue;
    if (c.options.length > 0) out.push({ flags: c.options, description: c.description, after });
    else {
      const subs = literalWords(c.args);
      if (subs !== undefined) out.push({ words: subs, description: c.description, after });
    }
  }
  return out;
}

/** The effects the lexical rules read from described entries, without duplicates. */
function effectsOf(described) {
  const found = new Map();
  const add = (what, rule, after) => {
    const entry = {
      ...what,
      effect: rule.effect,
      rule: rule.id,
      ...(after.length ? { after } : {}),
    };
    found.set(JSON.stringify(entry), entry);
  };
  for (const d of described) {
    if (d.after === null) continue;
    const rule = classify(d.description);
    // An option described with the bare verb ("Publish the runtime with your application") says
    // what the subcommand publishes, not a publication of its own.
    if (rule !== undefined && d.flags && rule.id === "remote.publish-verb") continue;
    // a word documented among the options (ifconfig(8) `down`) stands where options do: after
    // the program's operands
    if (rule !== undefined)
      add(
        d.flags
          ? { flags: [...d.flags].sort() }
          : { words: d.words, ...(d.amongOptions ? { among_options: true } : {}) },
        rule,
        d.after,
      );
    else if (d.words && isLocal(d.description)) continue;
    else if (d.words)
      for (const w of d.words) {
        const named = classifyName(w);
        if (named !== undefined) add({ words: [w] }, named, d.after);
      }
  }
  return [...found.values()].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

function zshVersion() {
  try {
    return execFileSync("zsh", ["--version"], { encoding: "utf8" })
      .trim()
      .replace(/ \(.*\)$/, "");
  } catch {
    return "zsh (version unknown)";
  }
}

/**
 * Top-level subcommand words described as preparing their result locally ("Publish a .NET project
 * for deployment"): the program-independent verbs (knowledge/verbs.yaml) leave them to the program.
 */
function plainWordsOf(described) {
  const words = new Set();
  for (const d of described)
    if (d.words && d.after !== null && d.after.length === 0 && isLocal(d.description))
      for (const w of d.words)
        if (vocabulary.has(w.toLowerCase()) || classifyName(w) !== undefined)
          words.add(w.toLowerCase());
  return [...words].sort();
}

/** The words of the program-independent verbs: only they need a program's `plain` exception. */
const vocabulary = new Set(
  parse(readFileSync(resolve(here, "../knowledge/verbs.yaml"), "utf8")).verbs.flatMap(
    (v) => v.words ?? [],
  ),
);

/** Options described as a dry run ("Perform a dry run", "Do everything except actually send"). */
function dryRunFlags(described) {
  const flags = new Set();
  for (const d of described)
    if (d.flags && isDryRun(d.description)) for (const f of d.flags) flags.add(f);
  return [...flags].sort();
}

/** Options described as only showing or cancelling: with one, the program's purpose does not apply. */
function inertFlags(described) {
  const flags = new Set(["--help", "--version"]);
  const seen = new Set();
  for (const d of described) {
    if (!d.flags || d.after === null || (d.after ?? []).length !== 0) continue;
    for (const f of d.flags) seen.add(f);
    if (isInert(d.description)) for (const f of d.flags) flags.add(f);
  }
  // `-l`/`--list` list in most CLIs (`crontab -l`, `at -l`); a program that documents them as
  // something else (`tcpdump -l`: line-buffered output) is read as documented.
  for (const f of ["-l", "--list"]) if (!seen.has(f)) flags.add(f);
  return [...flags].sort();
}

/**
 * Described entries of a program's manual pages: its own page, and `PROG-SUB` pages (git-push(1),
 * npm-publish(1)), whose options and words apply after SUB.
 */
function manPages(p) {
  const out = [];
  const own = manPage(manDir, p);
  if (own !== undefined) {
    inputs.set(`man:${p}`, own);
    out.push(...manEntries(own));
  }
  for (const sub of subPages.get(p) ?? []) {
    const text = manPage(manDir, `${p}-${sub}`);
    if (text === undefined) continue;
    inputs.set(`man:${p}-${sub}`, text);
    // a `PROG-SUB` page's bare words among its options are values of an option (dpkg-genchanges
    // `-b` … `all`, `source`), not subcommands of SUB
    for (const e of manEntries(text)) if (!e.amongOptions) out.push({ ...e, after: [sub] });
  }
  return out;
}

/** `PROG-SUB` pages of sections 1 and 8, by PROG (every split point of the name). */
function subcommandPages() {
  const by = new Map();
  for (const s of ["1", "8"]) {
    const dir = join(manDir, `man${s}`);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) {
      const name = f.replace(/\.gz$/, "").replace(new RegExp(`\\.${s}$`), "");
      for (let i = name.indexOf("-"); i > 0; i = name.indexOf("-", i + 1)) {
        const list = by.get(name.slice(0, i)) ?? [];
        list.push(name.slice(i + 1));
        by.set(name.slice(0, i), list);
      }
    }
  }
  for (const list of by.values()) list.sort();
  return by;
}
const subPages = subcommandPages();

const available = new Set(
  existsSync(fishDir) ? readdirSync(fishDir).filter((f) => f.endsWith(".fish")) : [],
);
// Every input read, by name: the digest says whether a regeneration read the same sources.
const inputs = new Map();
const zsh = zshEntries(zshDir, (name, text) => inputs.set(`zsh:${name}`, text));
const programs = {};
const dryRun = {};
const plain = {};
const inert = {};
let listed = 0;
let withFile = 0;
let withPage = 0;
for (const p of tldrPrograms(tldr)) {
  listed++;
  const fish = available.has(`${p}.fish`) ? fishEntries(join(fishDir, `${p}.fish`), p) : [];
  if (fish.length > 0) inputs.set(`fish:${p}`, readFileSync(join(fishDir, `${p}.fish`), "utf8"));
  if (available.has(`${p}.fish`) || zsh.has(p)) withFile++;
  const pages = manPages(p);
  if (inputs.has(`man:${p}`)) withPage++;
  const described = [...fish, ...(zsh.get(p) ?? []), ...pages];
  const entries = effectsOf(described);
  // The program's own page says what it is for (`useradd - create a new user`); with no page,
  // its completion file's header line when it has one (`# tshark - Dump and analyze …`).
  const said = inputs.has(`man:${p}`)
    ? manPurpose(inputs.get(`man:${p}`), p)
    : inputs.has(`fish:${p}`)
      ? fishPurpose(inputs.get(`fish:${p}`), p)
      : undefined;
  const purpose =
    (said === undefined ? undefined : classifyPurpose(said)) ??
    // the program's own files only: a zsh function completes several programs (`_script`:
    // script and scriptreplay) with one option list
    [...fish, ...pages]
      .map((d) => (d.flags ? purposeByOption(d.description) : undefined))
      .find(Boolean) ??
    shellByOptions(fish);
  if (purpose !== undefined) {
    // a runner runs a shell exactly when given no command (the purpose entry says so); an option
    // that makes it a login shell (`su -l`) does not run one when a command is given
    if (purpose.runner)
      for (let i = entries.length - 1; i >= 0; i--)
        if (entries[i].flags && entries[i].rule === "exec.shell") entries.splice(i, 1);
    entries.unshift({
      program: true,
      ...(purpose.bare ? { bare: true } : {}),
      ...(purpose.runner ? { runner: true } : {}),
      effect: purpose.effect,
      rule: purpose.id,
    });
    inert[p] = inertFlags(described);
  }
  if (entries.length > 0) programs[p] = entries;
  const local = plainWordsOf(described);
  if (local.length > 0) plain[p] = local;
  const dry = dryRunFlags(described);
  if (entries.length > 0 && dry.length > 0) dryRun[p] = dry;
}
const digest = createHash("sha256");
for (const name of [...inputs.keys()].sort()) {
  digest.update(`${name}\0${createHash("sha256").update(inputs.get(name)).digest("hex")}\n`);
}
const doc = {
  generated_by: "packages/policy/scripts/gen-described-effects.mjs",
  source: `${fishVersion()}, ${fishDir} (Debian fish-common); ${zshVersion()}, ${zshDir} (Debian zsh-common); manual pages in ${manDir} (sections 1 and 8); programs of tldr common/ and linux/`,
  licence:
    "fish completions: GPL-2.0; zsh completion functions: the zsh licence (MIT-like); manual pages: their packages' licences; facts read from descriptions, not the text",
  inputs_sha256: digest.digest("hex"),
  counts: {
    tldr_programs: listed,
    with_completion_file: withFile,
    with_manual_page: withPage,
    with_described_effects: Object.keys(programs).length,
    entries: Object.values(programs).reduce((n, l) => n + l.length, 0),
  },
  programs,
  dry_run: dryRun,
  plain,
  inert,
};
writeFileSync(out, JSON.stringify(doc, null, 1) + "\n");
process.stderr.write(`${out}: ${JSON.stringify(doc.counts)}\n`);

#!/usr/bin/env node
/**
 * Generate option grammars (which options take a value) for the programs tldr documents under
 * common/ and linux/, from fish's completion files (Debian package fish-common,
 * /usr/share/fish/completions/PROGRAM.fish). Uniform for every program: nobody edits the output.
 *
 *   node packages/policy/scripts/gen-option-grammars.mjs [TLDR_JSONL] [FISH_DIR] [OUT]
 *   default: shared/corpora/tldr-examples.jsonl found upwards, /usr/share/fish/completions,
 *   written to packages/policy/knowledge/option-grammars.generated.json
 *
 * fish's `complete -c PROG -s X -l NAME -o OLD [-r|-x|--require-parameter|--exclusive]` says an
 * option takes a parameter with -r/-x. Many files never mark parameters (their options would all
 * look boolean); a program is kept only when its file marks at least one option, so that an
 * unmarked option there can be read as a flag. Options are merged over subcommands (`-n`
 * conditions): one valued anywhere is valued.
 *
 * Which marks are trusted, the same for every program: `-r` (--require-parameter) says the option
 * takes a parameter. `-x` (--exclusive) is also used only to switch file completion off — on
 * flags (`nmcli -h -x`) and on action options whose "parameter" is really the command's operands
 * (`dpkg -P -xa '(dpkg-query …)'`, `dpkg -i -xa '(__fish_complete_suffix .deb)'`) — so it is
 * trusted only with a fixed list of values (`-xa 'tabular multiline'`: no command substitution,
 * no variable), which names what the option's own value can be.
 */
import { readFileSync, readdirSync, writeFileSync, existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../../..");
/** The shared corpora beside the checkout (../shared from /work/main, ../../shared from a worktree). */
function findTldr() {
  for (let dir = root; dir !== dirname(dir); dir = dirname(dir)) {
    const f = join(dir, "shared/corpora/tldr-examples.jsonl");
    if (existsSync(f)) return f;
  }
  throw new Error("tldr-examples.jsonl not found: pass its path as the first argument");
}
const tldr = process.argv[2] ?? findTldr();
const fishDir = process.argv[3] ?? "/usr/share/fish/completions";
const out = process.argv[4] ?? resolve(here, "../knowledge/option-grammars.generated.json");

/** Programs of tldr's common/ and linux/ pages: the page name and its first dash-separated part. */
function tldrPrograms() {
  const names = new Set();
  for (const line of readFileSync(tldr, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    const e = JSON.parse(line);
    if (e.section !== "common" && e.section !== "linux") continue;
    names.add(e.page);
    names.add(e.page.split("-")[0]);
  }
  return [...names].filter((n) => /^[\w.+-]+$/.test(n)).sort();
}

/** Split a fish command line into words (single and double quotes, backslash escapes). */
function words(line) {
  const out = [];
  let cur = "";
  let quote = "";
  let has = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === quote) quote = "";
      else if (ch === "\\" && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      has = true;
    } else if (ch === "\\" && i + 1 < line.length) cur += line[++i];
    else if (/\s/.test(ch)) {
      if (cur !== "" || has) out.push(cur);
      cur = "";
      has = false;
    } else if (ch === "#" && cur === "" && !has) break;
    else cur += ch;
  }
  if (cur !== "" || has) out.push(cur);
  return out;
}

const TAKES_ARG = new Set(["-s", "-l", "-o", "-c", "-n", "-d", "-a", "-w", "-p", "-e", "-k"]);
const LONG = {
  "--short-option": "-s",
  "--long-option": "-l",
  "--old-option": "-o",
  "--command": "-c",
  "--condition": "-n",
  "--description": "-d",
  "--arguments": "-a",
  "--wraps": "-w",
  "--path": "-p",
  "--erase": "-e",
};

/** The options one `complete` line declares, and whether they take a parameter. */
function parseComplete(w) {
  const r = { commands: [], options: [], required: false, exclusive: false, args: undefined };
  for (let i = 1; i < w.length; i++) {
    let a = w[i];
    let value;
    const eq = a.indexOf("=");
    if (a.startsWith("--") && eq > 0) {
      value = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const opt = LONG[a] ?? a;
    if (opt === "--require-parameter" || opt === "--exclusive") {
      if (opt === "--require-parameter") r.required = true;
      else r.exclusive = true;
      continue;
    }
    if (/^-[a-zA-Z]{2,}$/.test(opt)) {
      // bundled short switches of `complete` itself: -xa, -rfa, -fa …
      const letters = opt.slice(1);
      if (letters.includes("r")) r.required = true;
      if (letters.includes("x")) r.exclusive = true;
      const last = `-${letters[letters.length - 1]}`;
      if (TAKES_ARG.has(last)) {
        const v = w[++i];
        if (last === "-c") r.commands.push(v);
        if (last === "-a") r.args = v;
      }
      continue;
    }
    if (opt === "-r" || opt === "-x") {
      if (opt === "-r") r.required = true;
      else r.exclusive = true;
      continue;
    }
    if (TAKES_ARG.has(opt)) {
      const v = value ?? w[++i];
      if (v === undefined) break;
      if (opt === "-c") r.commands.push(v);
      else if (opt === "-a") r.args = v;
      else if (opt === "-s") r.options.push(`-${v}`);
      else if (opt === "-l") r.options.push(`--${v}`);
      else if (opt === "-o") r.options.push(`-${v}`);
    }
  }
  return r;
}

/** The option takes a value: `-r`, or `-x` with a fixed list of what the value can be. */
function takesValue(c) {
  if (c.required) return true;
  return c.exclusive && c.args !== undefined && c.args.trim() !== "" && !/[($]/.test(c.args);
}

function grammarOf(file, program) {
  const valued = new Set();
  const all = new Set();
  for (const raw of readFileSync(file, "utf8").split("\n")) {
    const line = raw.trim();
    if (!line.startsWith("complete ")) continue;
    const c = parseComplete(words(line));
    if (c.commands.length > 0 && !c.commands.includes(program)) continue;
    for (const o of c.options) {
      all.add(o);
      if (takesValue(c)) valued.add(o);
    }
  }
  return { valued: [...valued].sort(), options: all.size };
}

const fishVersion = (() => {
  try {
    return execFileSync("fish", ["--version"], { encoding: "utf8" }).trim();
  } catch {
    return "fish (version unknown)";
  }
})();
const available = new Set(
  existsSync(fishDir) ? readdirSync(fishDir).filter((f) => f.endsWith(".fish")) : [],
);
const programs = {};
let listed = 0;
let withFile = 0;
for (const p of tldrPrograms()) {
  listed++;
  if (!available.has(`${p}.fish`)) continue;
  withFile++;
  const g = grammarOf(join(fishDir, `${p}.fish`), p);
  if (g.valued.length > 0) programs[p] = { valued: g.valued };
}
const doc = {
  generated_by: "packages/policy/scripts/gen-option-grammars.mjs",
  source: `${fishVersion}, ${fishDir} (Debian fish-common); programs of tldr common/ and linux/`,
  licence: "fish completions: GPL-2.0 (facts about option syntax, not the files' text)",
  counts: {
    tldr_programs: listed,
    with_fish_file: withFile,
    with_marked_parameters: Object.keys(programs).length,
  },
  programs,
};
writeFileSync(out, JSON.stringify(doc, null, 1) + "\n");
process.stderr.write(`${out}: ${JSON.stringify(doc.counts)}\n`);

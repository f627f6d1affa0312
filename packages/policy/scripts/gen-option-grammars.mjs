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
 *
 * A program with no fish file is read from its zsh completion function (Debian zsh-common,
 * /usr/share/zsh/functions/Completion/SUBDIR/_PROG, the fifth argument), when there is one: an
 * `_arguments` spec `'--opt=[…]'` says the long option takes a value (`'--userspec=[…]: :->…'`),
 * over every subcommand. Not `-o+` or an argument spec alone: zsh gives those to options whose
 * argument is code or a command too (`sh -c`), which the parser reads on its own. Its manual
 * page's option tags add the options shown with a value (`-s, --size=SIZE`, `-f file`; not
 * `--color[=WHEN]`), in its DESCRIPTION and OPTIONS sections only (a shell's builtins and test
 * operators are documented elsewhere on its page).
 */
import { createHash } from "node:crypto";
import { readdirSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { completeLines, findTldr, fishVersion, tldrPrograms } from "./fish-complete.mjs";
import { zshEntries } from "./zsh-complete.mjs";
import { manPage, manValued } from "./man-options.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../../..");
const tldr = process.argv[2] ?? findTldr(root);
const fishDir = process.argv[3] ?? "/usr/share/fish/completions";
const out = process.argv[4] ?? resolve(here, "../knowledge/option-grammars.generated.json");
const zshDir = process.argv[5] ?? "/usr/share/zsh/functions/Completion";
const manDir = process.argv[6] ?? "/usr/share/man";

/** The option takes a value: `-r`, or `-x` with a fixed list of what the value can be. */
function takesValue(c) {
  if (c.required) return true;
  return c.exclusive && c.args !== undefined && c.args.trim() !== "" && !/[($]/.test(c.args);
}

function grammarOf(file, program) {
  const valued = new Set();
  const all = new Set();
  for (const c of completeLines(file)) {
    if (c.commands.length > 0 && !c.commands.includes(program)) continue;
    for (const o of c.options) {
      all.add(o);
      if (takesValue(c)) valued.add(o);
    }
  }
  return { valued: [...valued].sort(), options: all.size };
}

const available = new Set(
  existsSync(fishDir) ? readdirSync(fishDir).filter((f) => f.endsWith(".fish")) : [],
);
const programs = {};
let listed = 0;
let withFile = 0;
// Every zsh file and manual page read, by name: the digest says whether a regeneration read the
// same sources (they differ between machines with the packages installed).
const inputs = new Map();
const zsh = zshEntries(zshDir, (name, text) => inputs.set(`zsh:${name}`, text));
let withZsh = 0;
for (const p of tldrPrograms(tldr)) {
  listed++;
  // a fish file that marks no parameter says nothing of the grammar: read the others
  const fish = available.has(`${p}.fish`) ? grammarOf(join(fishDir, `${p}.fish`), p) : undefined;
  if (fish === undefined || fish.valued.length === 0) {
    if (fish !== undefined) withFile++;
    const valued = new Set();
    for (const e of zsh.get(p) ?? []) for (const f of e.valued ?? []) valued.add(f);
    const page = manPage(manDir, p);
    if (page !== undefined) inputs.set(`man:${p}`, page);
    if (page !== undefined) for (const f of manValued(page)) valued.add(f);
    if (zsh.has(p)) withZsh++;
    if (valued.size > 0) programs[p] = { valued: [...valued].sort() };
    continue;
  }
  withFile++;
  programs[p] = { valued: fish.valued };
}
const digest = createHash("sha256");
for (const name of [...inputs.keys()].sort())
  digest.update(`${name}\0${createHash("sha256").update(inputs.get(name)).digest("hex")}\n`);
const doc = {
  generated_by: "packages/policy/scripts/gen-option-grammars.mjs",
  source: `${fishVersion()}, ${fishDir} (Debian fish-common); zsh completion functions in ${zshDir} (Debian zsh-common) and manual pages in ${manDir} for programs with no fish file; programs of tldr common/ and linux/`,
  licence:
    "fish completions: GPL-2.0; zsh completion functions: the zsh licence (MIT-like); manual pages: their packages' licences; facts about option syntax, not the files' text",
  inputs_sha256: digest.digest("hex"),
  counts: {
    tldr_programs: listed,
    with_fish_file: withFile,
    with_zsh_file_read: withZsh,
    with_marked_parameters: Object.keys(programs).length,
  },
  programs,
};
writeFileSync(out, JSON.stringify(doc, null, 1) + "\n");
process.stderr.write(`${out}: ${JSON.stringify(doc.counts)}\n`);

/**
 * Reading zsh's completion functions (Debian zsh-common, /usr/share/zsh/functions/Completion/*
 * /_NAME) for the knowledge generators: the programs a file completes (`#compdef`), its
 * subcommand lists (`name:'description'`, `name\:"description"`) and `_arguments` option specs
 * (`'(-f --force)'{-f,--force}'[description]'`). Facts read from descriptions, never the text.
 */
import { readFileSync, readdirSync, existsSync, statSync } from "node:fs";
import { join } from "node:path";

/** Programs a completion file is for, from its `#compdef` line (no patterns, no services). */
function compdefPrograms(first) {
  if (!first.startsWith("#compdef ")) return [];
  return first
    .slice(9)
    .split(/\s+/)
    .filter((w) => w !== "" && !w.startsWith("-"))
    .map((w) => w.split("=")[0])
    .filter((w) => /^[\w.+-]+$/.test(w));
}

/** A line naming one subcommand and its description: `upload:'…'`, `'upload:…'`, `upload\:"…"`. */
const SUBCOMMAND = /^['"]?([a-z][\w.-]*)\\?:['"]?([^'":[\]()]+?)['"]?\s*\\?$/i;
/** One `_arguments` option spec: optional exclusion list, names, `[description]`. */
const OPTION = /^(?:'\([^)]*\)')?(?:'?\([^)]*\)'?)?(\{[^}]*\}|'?[-+][\w-]+[=+]?'?)'?\[([^\]]+)\]/;

/** Where a line applies from the function around it: `[]` top level, `[X]` after X, null unknown. */
function placeOfFunction(fn, base) {
  if (fn === undefined || fn === `_${base}`) return [];
  const m = new RegExp(`^_${base.replace(/[.+]/g, "\\$&")}[_-]([\\w-]+)$`).exec(fn);
  if (m === null) return null;
  // `_PROG_commands`, `_PROG_subcommands`: the list of the program's own subcommands
  return /^(?:sub)?c(?:omman)?ds?$|^actions$/.test(m[1]) ? [] : [m[1]];
}

/** The described subcommands and options of one zsh completion file. */
function entriesOf(text, base) {
  const out = [];
  let fn;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const f = /^(?:\(\(\s*\$\+functions\[([\w-]+)\]\s*\)\)\s*\|\|\s*)?([\w-]+)\s*\(\)\s*\{?$/.exec(
      line,
    );
    if (f !== null) {
      fn = f[2];
      continue;
    }
    const after = placeOfFunction(fn, base);
    if (after === null) continue;
    const o = OPTION.exec(line);
    if (o !== null) {
      const raw = o[1].replace(/[{}']/g, "").split(",");
      const names = raw.map((n) => n.replace(/[=+]$/, "")).filter((n) => /^--?[\w-]+$/.test(n));
      // `--opt=[…]`: a long option whose value follows `=` or as the next word (zsh's
      // _arguments); the other marks (`-o+`, an argument spec after the description) are also
      // given to options whose "value" is code or a command (`sh -c`), which the parser reads
      // on its own
      const valued = raw.filter((n) => /^--[\w-]+=$/.test(n)).map((n) => n.slice(0, -1));
      if (names.length > 0) out.push({ flags: names, description: o[2], after, valued });
      continue;
    }
    const s = SUBCOMMAND.exec(line);
    if (s !== null) out.push({ words: [s[1]], description: s[2], after });
  }
  return out;
}

/** Described entries per program from every zsh completion function under `dir`; `onFile` sees each file read. */
export function zshEntries(dir, onFile = () => {}) {
  const byProgram = new Map();
  if (!existsSync(dir)) return byProgram;
  for (const sub of readdirSync(dir).sort()) {
    const d = join(dir, sub);
    if (!statSync(d).isDirectory()) continue;
    for (const name of readdirSync(d).sort()) {
      if (!name.startsWith("_")) continue;
      const text = readFileSync(join(d, name), "utf8");
      const programs = compdefPrograms(text.split("\n", 1)[0]);
      if (programs.length > 0) onFile(join(sub, name), text);
      for (const p of programs) {
        const list = byProgram.get(p) ?? [];
        list.push(...entriesOf(text, name.slice(1)));
        byProgram.set(p, list);
      }
    }
  }
  return byProgram;
}

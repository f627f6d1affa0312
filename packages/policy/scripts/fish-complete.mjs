/**
 * Reading fish completion files (Debian fish-common, /usr/share/fish/completions/PROGRAM.fish),
 * shared by the knowledge generators: the programs tldr documents, the words of a `complete` line
 * and what one `complete` line declares. Facts about syntax and descriptions, never the files' text.
 */
import { readFileSync, existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";

/** The shared corpora beside the checkout (../shared from /work/main, ../../shared from a worktree). */
export function findTldr(root) {
  for (let dir = root; dir !== dirname(dir); dir = dirname(dir)) {
    const f = join(dir, "shared/corpora/tldr-examples.jsonl");
    if (existsSync(f)) return f;
  }
  throw new Error("tldr-examples.jsonl not found: pass its path as the first argument");
}

/** Programs of tldr's common/ and linux/ pages: the page name and its first dash-separated part. */
export function tldrPrograms(tldr) {
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
export function words(line) {
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

/** Record the value of one `complete` option that takes an argument. */
function setValue(r, opt, v) {
  if (opt === "-c") r.commands.push(v);
  else if (opt === "-a") r.args = v;
  else if (opt === "-n") r.condition = v;
  else if (opt === "-d") r.description = v;
  else if (opt === "-s") r.options.push(`-${v}`);
  else if (opt === "-l") r.options.push(`--${v}`);
  else if (opt === "-o") r.options.push(`-${v}`);
}

/**
 * What one `complete` line declares: its commands, options, whether they take a parameter
 * (-r/-x), its arguments (-a), condition (-n) and description (-d).
 */
export function parseComplete(w) {
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
    if (opt === "--require-parameter" || opt === "-r") r.required = true;
    else if (opt === "--exclusive" || opt === "-x") r.exclusive = true;
    else if (/^-[a-zA-Z]{2,}$/.test(opt)) {
      // bundled short switches of `complete` itself: -xa, -rfa, -fa …
      const letters = opt.slice(1);
      if (letters.includes("r")) r.required = true;
      if (letters.includes("x")) r.exclusive = true;
      const last = `-${letters[letters.length - 1]}`;
      // (as the option grammars were first generated: a bundled -s/-l/-o names no option)
      if (TAKES_ARG.has(last)) {
        const v = w[++i];
        if (!["-s", "-l", "-o"].includes(last)) setValue(r, last, v);
      }
    } else if (TAKES_ARG.has(opt)) {
      const v = value ?? w[++i];
      if (v === undefined) break;
      setValue(r, opt, v);
    }
  }
  return r;
}

/** The `complete` lines of one file, parsed. */
export function completeLines(file) {
  const out = [];
  for (const raw of readFileSync(file, "utf8").split("\n")) {
    const line = raw.trim();
    if (line.startsWith("complete ")) out.push(parseComplete(words(line)));
  }
  return out;
}

/**
 * The `complete` lines a completion file gets from a shared helper it calls with the program's
 * name (`__fish_complete_wireshark tshark` in tshark.fish): the helper's lines completing `-c $VAR`
 * are the program's, as are its lines naming the program. `read(name, text)` is told of every
 * helper file read (for the inputs' digest).
 */
export function helperLines(file, program, read = () => {}) {
  const out = [];
  const functions = join(dirname(dirname(file)), "functions");
  for (const raw of readFileSync(file, "utf8").split("\n")) {
    const call = /^\s*(__fish_complete_\w+) ([\w.+-]+)\s*$/.exec(raw);
    if (call === null || call[2] !== program) continue;
    const helper = join(functions, `${call[1]}.fish`);
    if (!existsSync(helper)) continue;
    const text = readFileSync(helper, "utf8");
    read(call[1], text);
    for (const l of text.split("\n")) {
      const line = l.trim();
      if (!line.startsWith("complete ")) continue;
      const c = parseComplete(words(line));
      if (c.commands.length > 0 && c.commands.every((x) => x.startsWith("$")))
        out.push({ ...c, commands: [program] });
      else if (c.commands.includes(program)) out.push(c);
    }
  }
  return out;
}

/**
 * What a completion file's header says the program is for, as a manual page's NAME line does
 * (`# tshark - Dump and analyze network traffic`): the first line, when it names the program.
 */
export function fishPurpose(text, program) {
  const m = /^# ?([\w.+-]+) [-\u2013] (.+)$/.exec(text.split("\n")[0] ?? "");
  if (m === null || m[1].toLowerCase() !== program) return undefined;
  const d = m[2].trim();
  return d === "" || d.length > 160 ? undefined : d;
}

/** `fish --version`, for the source line of generated files. */
export function fishVersion() {
  try {
    return execFileSync("fish", ["--version"], { encoding: "utf8" }).trim();
  } catch {
    return "fish (version unknown)";
  }
}

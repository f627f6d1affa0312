import type { PathFact, PathRole } from "../../types.js";
import type { ParsedArgs } from "../argspec.js";
import { splitSed } from "../text.js";
import { pathFact, type ArgValue } from "../paths.js";
import { type Frame, type Output, NONE, lit, type CommandEnv, Extractor } from "./state.js";
import { shellText } from "./simple.js";
import { run } from "./run.js";

export function sed(
  ex: Extractor,
  parsed: ParsedArgs,
  rest: ArgValue[],
  env: CommandEnv,
  paths: PathFact[],
): void {
  const ps = ex.pathScope(env.scope);
  const scripts = [...(parsed.options["-e"] ?? []), ...(parsed.options["--expression"] ?? [])];
  let files = parsed.positionalIndex.map((i) => rest[i]!);
  if (scripts.length === 0 && !parsed.options["-f"] && files.length > 0) {
    scripts.push(files[0]!.value);
    files = files.slice(1);
  }
  const inPlace =
    parsed.flags.some((f) => f === "-i" || f === "--in-place") ||
    rest.some((a) => /^-[^-]*i/.test(a.value) || a.value.startsWith("--in-place"));
  for (const f of files) paths.push(pathFact(f, inPlace ? "write" : "read", ps));
  for (const s of scripts) {
    for (const line of s.split(/\n|;/)) {
      const cmd = line.replace(
        /^\s*((\d+|\$|\/(\\.|[^/])*\/)(\s*,\s*(\d+|\$|\/(\\.|[^/])*\/))?)?\s*!?\s*/,
        "",
      );
      const c = cmd[0];
      if (c === "e") {
        const shell = cmd.slice(1).trim();
        if (shell) shellText(ex, shell, env, "sed e");
        else ex.unsure("dynamic-shell-text", "sed e executes the pattern space");
      } else if (c === "w" || c === "W") {
        paths.push(pathFact(lit(cmd.slice(1).trim()), "write", ps));
      } else if (c === "r" || c === "R") {
        paths.push(pathFact(lit(cmd.slice(1).trim()), "read", ps));
      } else if (c === "s" && cmd.length > 1) {
        const d = cmd[1]!;
        const partsEnd = splitSed(cmd.slice(2), d);
        if (partsEnd !== undefined) {
          const flags = cmd.slice(2 + partsEnd);
          const w = /w\s*(.+)$/.exec(flags);
          if (w) paths.push(pathFact(lit(w[1]!.trim()), "write", ps));
          if (/^[^w]*e/.test(flags))
            ex.unsure("dynamic-shell-text", "sed s///e executes the result as a command");
        }
      }
    }
  }
}

export function git(
  ex: Extractor,
  parsed: ParsedArgs,
  env: CommandEnv,
  positionals: ArgValue[],
  addPath: (a: ArgValue | string | undefined, role: PathRole) => void,
  looksLikePath: (a: ArgValue) => boolean,
): void {
  const settings: [string, string][] = [];
  for (const c of parsed.options["-c"] ?? []) {
    const m = /^([^=]+)=(.*)$/s.exec(c);
    if (m) settings.push([m[1]!, m[2]!]);
  }
  // `git config [--global] key value` stores the same command for later runs
  const words = positionals.map((p) => p.value);
  if (
    words[0]?.toLowerCase() === "config" &&
    words.length >= 3 &&
    !parsed.flags.some((f) => f === "--get" || f === "--unset" || f === "-l" || f === "--list")
  )
    settings.push([words[1]!, words.slice(2).join(" ")]);
  for (const [rawKey, value] of settings) {
    const key = rawKey.toLowerCase();
    if (key.startsWith("alias.") && value.startsWith("!"))
      shellText(ex, value.slice(1), env, `git -c ${key}`);
    else if (
      /^(core\.(pager|editor|sshcommand|fsmonitor|hookspath|gitproxy|askpass)|pager\..*|diff\.external|(diff|difftool|mergetool)\..*\.(command|textconv|cmd)|remote\..*\.(uploadpack|receivepack)|sequence\.editor|credential\.helper|filter\..*\.(clean|smudge|process)|merge\..*\.driver|gpg\.program|uploadpack\.packobjectshook)$/.test(
        key,
      )
    ) {
      if (key === "core.hookspath") env.tags.push("git-hooks-override");
      else shellText(ex, value.replace(/^!/, ""), env, `git -c ${key}`);
    }
  }
  // A remote added earlier in the same line is a destination nobody configured.
  const sub = words.map((w) => w.toLowerCase());
  if (sub[0] === "remote" && (sub[1] === "add" || sub[1] === "set-url") && words[2] !== undefined)
    env.scope.vars.set(`\u0000git-remote:${words[2]}`, words[3] ?? null);
  if (sub[0] === "push" && words.slice(1).some((w) => env.scope.vars.has(`\u0000git-remote:${w}`)))
    env.tags.push("push-new-remote");
  for (const a of positionals.slice(1)) if (looksLikePath(a)) addPath(a, "operand");
  for (const o of ["--output", "-o"]) for (const v of parsed.options[o] ?? []) addPath(v, "write");
}

/** find(1) tests and options that do not narrow which files match (the rest are filters). */
const FIND_NON_FILTERS = new Set([
  "-maxdepth",
  "-mindepth",
  "-depth",
  "-xdev",
  "-mount",
  "-follow",
  "-noleaf",
  "-daystart",
  "-ignore_readdir_race",
  "-type",
  "-xtype",
  "-print",
  "-print0",
  "-printf",
  "-ls",
  "-true",
  "-nowarn",
  "-warn",
  "-regextype",
  "-help",
  "-version",
]);

/** find(1) primaries that take a value (the word after them is not a primary). */
const FIND_VALUED = new Set([
  "-maxdepth",
  "-mindepth",
  "-name",
  "-iname",
  "-path",
  "-ipath",
  "-wholename",
  "-iwholename",
  "-regex",
  "-iregex",
  "-type",
  "-xtype",
  "-newer",
  "-anewer",
  "-cnewer",
  "-mtime",
  "-mmin",
  "-atime",
  "-amin",
  "-ctime",
  "-cmin",
  "-size",
  "-perm",
  "-user",
  "-group",
  "-uid",
  "-gid",
  "-links",
  "-inum",
  "-samefile",
  "-lname",
  "-ilname",
  "-fstype",
  "-used",
  "-printf",
  "-regextype",
  "-context",
  "-newerXY",
  "-fprint",
  "-fprint0",
  "-fprintf",
  "-fls",
]);

/** find(1)'s operators: they combine filters and are not filters themselves. */
const FIND_OPERATORS = new Set(["-o", "-or", "-a", "-and", "-not"]);

/** The starting points of a `find` (after its -H/-L/-P/-O/-D options) and where its expression begins. */
function findStarts(rest: ArgValue[]): { starts: ArgValue[]; next: number } {
  const values = rest.map((a) => a.value);
  let i = 0;
  while (i < values.length && /^-[HLP]$|^-O\d$|^-D$/.test(values[i]!))
    i += values[i] === "-D" ? 2 : 1;
  const starts: ArgValue[] = [];
  while (i < values.length && !/^[-!(),]/.test(values[i]!)) starts.push(rest[i++]!);
  if (starts.length === 0) starts.push(lit("."));
  return { starts, next: i };
}

/** The environment of a command `find` runs for each item (`-exec`, `-delete`): no input, no redirects. */
function findChildEnv(env: CommandEnv, wrapper: string, text: string): CommandEnv {
  const frame: Frame = {
    ...env.frame,
    wrappers: [...env.frame.wrappers, wrapper],
    via: [...env.frame.via, "find-exec"],
  };
  return { ...env, frame, stdin: NONE, redirects: [], inputs: [], assigns: [], tags: [], text };
}

/** `-exec CMD {} ;` and its kin: CMD run once per item with `{}` replaced; the index of its end. */
function findExec(
  ex: Extractor,
  rest: ArgValue[],
  at: number,
  env: CommandEnv,
  items: ArgValue[],
): number {
  const action = rest[at]!.value;
  let j = at + 1;
  while (j < rest.length && rest[j]!.value !== ";" && rest[j]!.value !== "+") j++;
  const template = rest.slice(at + 1, j);
  const text = template.map((t) => t.value).join(" ");
  for (const item of items) {
    const argv = template.map((t) =>
      t.value.includes("{}")
        ? {
            value: t.value.split("{}").join(item.value),
            dynamic: t.dynamic || item.dynamic,
            glob: t.glob || item.glob,
          }
        : t,
    );
    // A fresh environment per item: a run may add to its tags and paths.
    if (argv.length > 0) run(ex, argv, findChildEnv(env, `find ${action}`, text));
  }
  return j;
}

/** `find`: tests, actions, and the command of `-exec`; returns its output as path items. */
export function find(ex: Extractor, rest: ArgValue[], env: CommandEnv, paths: PathFact[]): Output {
  const ps = ex.pathScope(env.scope);
  const values = rest.map((a) => a.value);
  const { starts, next } = findStarts(rest);
  let filtered = false;
  // After a filter, the items are the starting points' matches, not the starting points.
  const startItems = (): ArgValue[] =>
    filtered
      ? starts.map((s) => ({
          value: `${s.value.replace(/\/$/, "")}/<match>`,
          dynamic: s.dynamic,
          glob: false,
        }))
      : starts;
  for (let i = next; i < values.length; i++) {
    const a = values[i]!;
    if (a === "-exec" || a === "-execdir" || a === "-ok" || a === "-okdir") {
      i = findExec(ex, rest, i, env, startItems());
      continue;
    }
    if (a === "-delete") {
      for (const item of startItems())
        run(
          ex,
          [lit("rm"), lit("-r"), item],
          findChildEnv(env, "find -delete", `find -delete ${item.value}`),
        );
      continue;
    }
    if (a === "-fprint" || a === "-fprint0" || a === "-fls" || a === "-fprintf") {
      paths.push(pathFact(rest[i + 1] ?? lit(""), "write", ps));
      i += a === "-fprintf" ? 2 : 1;
      continue;
    }
    if (a.startsWith("-") && !FIND_NON_FILTERS.has(a) && !FIND_OPERATORS.has(a)) filtered = true;
    if (FIND_VALUED.has(a)) i++;
  }
  for (const s of starts) paths.push(pathFact(s, "read", ps));
  return { kind: "items", items: startItems(), paths: [] };
}

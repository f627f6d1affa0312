import type { CommandFacts } from "../types.js";
import type { Matcher } from "./schema.js";

/**
 * A necessary condition of a matcher, read from its clauses: a command it can match names one of
 * these programs, carries one of these tags, assigns one of these variables, is reached through
 * one of these wrappers, has SQL, or names a path (argument, redirect or input) of one of these
 * classes. Checked before the matcher's own test: most rules that apply to every program (paths,
 * tags, redirects) cannot match most commands, and one look at the command's features rules them
 * out without running their clauses one by one. Only a filter: a command that meets it is still
 * judged by the full test, so it never changes what matches.
 */
export interface Need {
  programs: ReadonlySet<string>;
  tags: ReadonlySet<string>;
  assigns: ReadonlySet<string>;
  via: ReadonlySet<string>;
  sql: boolean;
  classes: ReadonlySet<string>;
}

interface MutableNeed {
  programs: Set<string>;
  tags: Set<string>;
  assigns: Set<string>;
  via: Set<string>;
  sql: boolean;
  classes: Set<string>;
}

/**
 * Add to `need` what one matcher requires; false when nothing it requires is expressible (then
 * any command may match it). Every clause of a matcher must hold, so any one of them is a
 * necessary condition: the most selective one available is taken; `any` needs one of its branches.
 */
function addNeed(m: Matcher, need: MutableNeed): boolean {
  const add = (set: Set<string>, xs: readonly string[]): true => {
    for (const x of xs) set.add(x);
    return true;
  };
  // Program names are lower-cased as the program clause compares them (matcher.ts).
  if (m.program)
    return add(
      need.programs,
      m.program.map((p) => p.toLowerCase()),
    );
  if (m.tags) return add(need.tags, m.tags);
  if (m.assigns) return add(need.assigns, m.assigns);
  if (m.via) return add(need.via, m.via);
  if (m.sql) return (need.sql = true);
  const paths = m.paths ?? m.redirect ?? m.inputs;
  if (paths) return add(need.classes, paths.class);
  if (m.any) return m.any.every((branch) => addNeed(branch, need));
  return false;
}

/** The necessary condition of a matcher, or undefined when it can match any command. */
export function needOf(m: Matcher): Need | undefined {
  const need: MutableNeed = {
    programs: new Set(),
    tags: new Set(),
    assigns: new Set(),
    via: new Set(),
    sql: false,
    classes: new Set(),
  };
  return addNeed(m, need) ? need : undefined;
}

/** The classes of every path a command names, redirects or reads, for {@link meets}. */
export function classesOf(c: CommandFacts): ReadonlySet<string> {
  const out = new Set<string>();
  for (const p of c.paths) for (const k of p.classes) out.add(k);
  for (const r of c.redirects) if (r.path !== undefined) for (const k of r.path.classes) out.add(k);
  for (const p of c.inputs) for (const k of p.classes) out.add(k);
  return out;
}

function hasAny(list: readonly string[], set: ReadonlySet<string>): boolean {
  if (set.size === 0) return false;
  for (const x of list) if (set.has(x)) return true;
  return false;
}

/** `v.split(" ")[0]`, as the `via` clause reads a wrapper. */
function firstWord(v: string): string {
  const i = v.indexOf(" ");
  return i < 0 ? v : v.slice(0, i);
}

/**
 * Whether the command meets the need; `classes` gives the command's path classes (computed once
 * per command by the caller, only when a need asks for them).
 */
export function meets(need: Need, c: CommandFacts, classes: () => ReadonlySet<string>): boolean {
  if (need.programs.has(c.program)) return true;
  if (hasAny(c.tags, need.tags) || hasAny(c.assigns, need.assigns)) return true;
  if (need.via.size > 0) for (const v of c.via) if (need.via.has(firstWord(v))) return true;
  if (need.sql && c.sql.length > 0) return true;
  if (need.classes.size > 0) {
    const have = classes();
    for (const k of need.classes) if (have.has(k)) return true;
  }
  return false;
}

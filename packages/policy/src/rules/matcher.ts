import type { CommandFacts, PathFact, RedirectFact } from "../types.js";
import type { Matcher } from "./schema.js";

/** A compiled matcher: a predicate over the facts of one simple command. */
export type Predicate = (c: CommandFacts) => boolean;

function pathPredicate(m: NonNullable<Matcher["paths"]>): (p: PathFact) => boolean {
  const classes = new Set<string>(m.class);
  const roles = m.role ? new Set<string>(m.role) : undefined;
  const not = m.not_class ? new Set<string>(m.not_class) : undefined;
  return (p) =>
    hasAny(p.classes, classes) &&
    (roles === undefined || roles.has(p.role)) &&
    (not === undefined || !hasAny(p.classes, not)) &&
    (m.remote === undefined || (p.remote ?? false) === m.remote);
}

/**
 * The programs a matcher can match, for the index: its own `program` list, or the union of its
 * `any` branches when every branch names programs; `undefined` when it can match any program.
 */
export function programsOf(m: Matcher): string[] | undefined {
  if (m.program) return m.program.map((p) => p.toLowerCase());
  if (!m.any || m.program_match !== undefined) return undefined;
  const out: string[] = [];
  for (const branch of m.any) {
    const progs = programsOf(branch);
    if (progs === undefined) return undefined;
    out.push(...progs);
  }
  return [...new Set(out)];
}

// Loops instead of `some` with a closure: these run for every candidate rule of every command,
// and a closure per call is garbage per call.
function hasAny(list: readonly string[], set: ReadonlySet<string>): boolean {
  for (const x of list) if (set.has(x)) return true;
  return false;
}

function matchesAny(list: readonly string[], re: RegExp): boolean {
  for (const x of list) if (re.test(x)) return true;
  return false;
}

function matchesAnyOf(list: readonly string[], res: readonly RegExp[]): boolean {
  for (const x of list) for (const re of res) if (re.test(x)) return true;
  return false;
}

/** `v.split(" ")[0]` without the array. */
function firstWord(v: string): string {
  const i = v.indexOf(" ");
  return i < 0 ? v : v.slice(0, i);
}

/**
 * `any`: true when one branch matches. A branch that names programs cannot match another program,
 * so each program is tested only against its own branches and the branches that name none.
 */
function anyOf(branches: readonly Matcher[]): Predicate {
  const compiled = branches.map((b) => ({ test: compileMatcher(b), programs: programsOf(b) }));
  const generic = compiled.filter((b) => b.programs === undefined).map((b) => b.test);
  const byProgram = new Map<string, Predicate[]>();
  for (const b of compiled) for (const p of b.programs ?? []) byProgram.set(p, []);
  // Branch order is kept (the result does not depend on it, but the work done should not surprise).
  for (const [p, list] of byProgram)
    for (const b of compiled)
      if (b.programs === undefined || b.programs.includes(p)) list.push(b.test);
  return (c) => {
    const list = byProgram.get(c.program) ?? generic;
    for (const t of list) if (t(c)) return true;
    return false;
  };
}

/** Compile a declarative matcher once; evaluation then does no parsing or allocation-heavy work. */
export function compileMatcher(m: Matcher): Predicate {
  const tests: Predicate[] = [];
  if (m.program) {
    const set = new Set(m.program.map((p) => p.toLowerCase()));
    tests.push((c) => set.has(c.program));
  }
  if (m.program_match) {
    const re = new RegExp(m.program_match);
    tests.push((c) => re.test(c.program));
  }
  if (m.subcommand) {
    const subs = m.subcommand.map((s) => s.toLowerCase().split(/\s+/));
    tests.push((c) => {
      for (const s of subs) if (startsWith(c.words, s)) return true;
      return false;
    });
  }
  if (m.words) {
    const set = new Set(m.words.map((w) => w.toLowerCase()));
    tests.push((c) => hasAny(c.words, set));
  }
  if (m.word_match) {
    const re = new RegExp(m.word_match, "i");
    tests.push((c) => matchesAny(c.words, re));
  }
  if (m.flags) {
    const set = new Set(m.flags);
    tests.push((c) => hasAny(c.flags, set));
  }
  if (m.all_flags) {
    const all = m.all_flags;
    tests.push((c) => all.every((f) => c.flags.includes(f)));
  }
  if (m.not_flags) {
    const set = new Set(m.not_flags);
    tests.push((c) => !hasAny(c.flags, set));
  }
  if (m.args) {
    const res = m.args.map((a) => new RegExp(a));
    tests.push((c) => matchesAnyOf(c.argv, res));
  }
  if (m.not_args) {
    const res = m.not_args.map((a) => new RegExp(a));
    tests.push((c) => !matchesAnyOf(c.argv, res));
  }
  if (m.option) {
    const names = m.option.names;
    const re = m.option.match === undefined ? undefined : new RegExp(m.option.match, "i");
    tests.push((c) => {
      for (const n of names) {
        const values = c.options[n];
        if (values === undefined) continue;
        if (re === undefined ? values.length > 0 : matchesAny(values, re)) return true;
      }
      return false;
    });
  }
  if (m.operands) {
    const { min, max } = m.operands;
    tests.push((c) => {
      const n = c.words.length - c.subcommand.length;
      return (min === undefined || n >= min) && (max === undefined || n <= max);
    });
  }
  if (m.paths) {
    const p = pathPredicate(m.paths);
    tests.push((c) => c.paths.some(p));
  }
  if (m.redirect) {
    const p = pathPredicate(m.redirect);
    tests.push((c) => {
      for (const r of c.redirects as readonly RedirectFact[])
        if (r.write && r.path !== undefined && p(r.path)) return true;
      return false;
    });
  }
  if (m.inputs) {
    const p = pathPredicate(m.inputs);
    tests.push((c) => c.inputs.some(p));
  }
  if (m.assigns) {
    const set = new Set(m.assigns);
    tests.push((c) => hasAny(c.assigns, set));
  }
  if (m.tags) {
    const set = new Set(m.tags);
    tests.push((c) => hasAny(c.tags, set));
  }
  if (m.not_tags) {
    const set = new Set(m.not_tags);
    tests.push((c) => !hasAny(c.tags, set));
  }
  if (m.texts) {
    const re = new RegExp(m.texts, "i");
    tests.push((c) => matchesAny(c.texts, re));
  }
  if (m.sql) {
    const re = new RegExp(m.sql.match, "i");
    const unless = m.sql.unless === undefined ? undefined : new RegExp(m.sql.unless, "i");
    tests.push((c) => c.sql.some((s) => re.test(s) && (unless === undefined || !unless.test(s))));
  }
  if (m.via) {
    const set = new Set(m.via);
    tests.push((c) => c.via.some((v) => set.has(firstWord(v))));
  }
  if (m.remote !== undefined) {
    const want = m.remote;
    tests.push((c) => c.remote === want);
  }
  if (m.privileged !== undefined) {
    const want = m.privileged;
    tests.push((c) => c.privileged === want);
  }
  if (m.wrapped !== undefined) {
    const want = m.wrapped;
    tests.push((c) => c.wrappers.length > 0 === want);
  }
  if (m.any) tests.push(anyOf(m.any));
  if (m.not) {
    const inner = compileMatcher(m.not);
    tests.push((c) => !inner(c));
  }
  return conjunction(tests);
}

/** `words` begins with `prefix`. */
function startsWith(words: readonly string[], prefix: readonly string[]): boolean {
  for (let i = 0; i < prefix.length; i++) if (words[i] !== prefix[i]) return false;
  return true;
}

/** All tests hold; the common short lists without a loop over closures. */
function conjunction(tests: readonly Predicate[]): Predicate {
  const [a, b, c] = tests;
  if (tests.length === 0) return () => true;
  if (tests.length === 1) return a!;
  if (tests.length === 2) return (x) => a!(x) && b!(x);
  if (tests.length === 3) return (x) => a!(x) && b!(x) && c!(x);
  return (x) => {
    for (const t of tests) if (!t(x)) return false;
    return true;
  };
}

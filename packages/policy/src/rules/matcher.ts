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

/** One clause of a matcher compiled to a test, or undefined when the matcher does not have it. */
type Clause = (m: Matcher) => Predicate | undefined;

const setOf = (xs: readonly string[], lower = false): Set<string> =>
  new Set(lower ? xs.map((x) => x.toLowerCase()) : xs);

/** Clauses on the program's name and its words. */
const WORD_CLAUSES: readonly Clause[] = [
  (m) => {
    if (!m.program) return undefined;
    const set = setOf(m.program, true);
    return (c) => set.has(c.program);
  },
  (m) => {
    if (!m.program_match) return undefined;
    const re = new RegExp(m.program_match);
    return (c) => re.test(c.program);
  },
  (m) => {
    if (!m.subcommand) return undefined;
    const subs = m.subcommand.map((s) => s.toLowerCase().split(/\s+/));
    return (c) => {
      for (const s of subs) if (startsWith(c.words, s)) return true;
      return false;
    };
  },
  (m) => {
    if (!m.words) return undefined;
    const set = setOf(m.words, true);
    return (c) => hasAny(c.words, set);
  },
  (m) => {
    if (!m.word_match) return undefined;
    const re = new RegExp(m.word_match, "i");
    return (c) => matchesAny(c.words, re);
  },
];

/** Clauses on the options and the raw arguments. */
const ARGUMENT_CLAUSES: readonly Clause[] = [
  (m) => {
    if (!m.flags) return undefined;
    const set = setOf(m.flags);
    return (c) => hasAny(c.flags, set);
  },
  (m) => {
    if (!m.all_flags) return undefined;
    const all = m.all_flags;
    return (c) => all.every((f) => c.flags.includes(f));
  },
  (m) => {
    if (!m.not_flags) return undefined;
    const set = setOf(m.not_flags);
    return (c) => !hasAny(c.flags, set);
  },
  (m) => {
    if (!m.args) return undefined;
    const res = m.args.map((a) => new RegExp(a));
    return (c) => matchesAnyOf(c.argv, res);
  },
  (m) => {
    if (!m.not_args) return undefined;
    const res = m.not_args.map((a) => new RegExp(a));
    return (c) => !matchesAnyOf(c.argv, res);
  },
  (m) => {
    if (!m.option) return undefined;
    const names = m.option.names;
    const re = m.option.match === undefined ? undefined : new RegExp(m.option.match, "i");
    return (c) => {
      for (const n of names) {
        const values = c.options[n];
        if (values === undefined) continue;
        if (re === undefined ? values.length > 0 : matchesAny(values, re)) return true;
      }
      return false;
    };
  },
  (m) => {
    if (!m.operands) return undefined;
    const { min, max } = m.operands;
    return (c) => {
      const n = c.words.length - c.subcommand.length;
      return (min === undefined || n >= min) && (max === undefined || n <= max);
    };
  },
];

/** Clauses on the paths the command names, writes by redirection, or reads as input. */
const PATH_CLAUSES: readonly Clause[] = [
  (m) => {
    if (!m.paths) return undefined;
    const p = pathPredicate(m.paths);
    return (c) => c.paths.some(p);
  },
  (m) => {
    if (!m.redirect) return undefined;
    const p = pathPredicate(m.redirect);
    return (c) => {
      for (const r of c.redirects as readonly RedirectFact[])
        if (r.write && r.path !== undefined && p(r.path)) return true;
      return false;
    };
  },
  (m) => {
    if (!m.inputs) return undefined;
    const p = pathPredicate(m.inputs);
    return (c) => c.inputs.some(p);
  },
];

/** Clauses on what the extractor derived: assignments, tags, texts, SQL, wrappers, targets. */
const FACT_CLAUSES: readonly Clause[] = [
  (m) => {
    if (!m.assigns) return undefined;
    const set = setOf(m.assigns);
    return (c) => hasAny(c.assigns, set);
  },
  (m) => {
    if (!m.tags) return undefined;
    const set = setOf(m.tags);
    return (c) => hasAny(c.tags, set);
  },
  (m) => {
    if (!m.not_tags) return undefined;
    const set = setOf(m.not_tags);
    return (c) => !hasAny(c.tags, set);
  },
  (m) => {
    if (!m.texts) return undefined;
    const re = new RegExp(m.texts, "i");
    return (c) => matchesAny(c.texts, re);
  },
  (m) => {
    if (!m.sql) return undefined;
    const re = new RegExp(m.sql.match, "i");
    const unless = m.sql.unless === undefined ? undefined : new RegExp(m.sql.unless, "i");
    return (c) => c.sql.some((s) => re.test(s) && (unless === undefined || !unless.test(s)));
  },
  (m) => {
    if (!m.via) return undefined;
    const set = setOf(m.via);
    return (c) => c.via.some((v) => set.has(firstWord(v)));
  },
  (m) => {
    if (m.remote === undefined) return undefined;
    const want = m.remote;
    return (c) => c.remote === want;
  },
  (m) => {
    if (m.privileged === undefined) return undefined;
    const want = m.privileged;
    return (c) => c.privileged === want;
  },
  (m) => {
    if (m.wrapped === undefined) return undefined;
    const want = m.wrapped;
    return (c) => c.wrappers.length > 0 === want;
  },
];

/** Nested matchers: any of several, or the negation of one. */
const NESTED_CLAUSES: readonly Clause[] = [
  (m) => (m.any ? anyOf(m.any) : undefined),
  (m) => {
    if (!m.not) return undefined;
    const inner = compileMatcher(m.not);
    return (c) => !inner(c);
  },
];

/** Every clause, cheapest first: a matcher's tests run in this order and stop at the first miss. */
const CLAUSES: readonly Clause[] = [
  ...WORD_CLAUSES,
  ...ARGUMENT_CLAUSES,
  ...PATH_CLAUSES,
  ...FACT_CLAUSES,
  ...NESTED_CLAUSES,
];

/** Compile a declarative matcher once; evaluation then does no parsing or allocation-heavy work. */
export function compileMatcher(m: Matcher): Predicate {
  const tests: Predicate[] = [];
  for (const clause of CLAUSES) {
    const t = clause(m);
    if (t !== undefined) tests.push(t);
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

import { z } from "zod";
import { EFFECT_KINDS, type EffectKind } from "../effects/table.js";
import { SHELLS, interpreterFlags } from "../facts/programs.js";
import type { CommandFacts } from "../types.js";
import { readGenerated } from "./read.js";

/**
 * Described effects generated from the one-line descriptions of fish's completion files by
 * `scripts/gen-described-effects.mjs` (`knowledge/described-effects.generated.json`): a subcommand
 * or an option whose description says it uploads, publishes, prints a token, shuts the system
 * down, … . Lower priority than every hand-written entry: the gate reads them only for a command
 * that no knowledge entry naming its program matched (src/explain.ts). Loaded on first use, and a
 * program's entries are compiled on its first look-up.
 */
const place = { after: z.array(z.string()).optional() };
const entry = z.union([
  z
    .object({
      words: z.array(z.string()),
      /** Documented among the options (`ifconfig IF down`): one of the first positional words. */
      among_options: z.literal(true).optional(),
      effect: z.enum(EFFECT_KINDS),
      rule: z.string(),
      ...place,
    })
    .strict(),
  z
    .object({
      flags: z.array(z.string()),
      effect: z.enum(EFFECT_KINDS),
      rule: z.string(),
      ...place,
    })
    .strict(),
  // The program's purpose from its manual page's NAME line: every run of it, unless inert.
  z
    .object({
      program: z.literal(true),
      /** Only a run with no operand (`tmux`, not `tmux new`): an interpreter with nothing to run. */
      bare: z.literal(true).optional(),
      /** Only a run given no command (`chroot DIR`, `sg GROUP`; not `… -c CMD`, `chroot DIR ls`). */
      runner: z.literal(true).optional(),
      effect: z.enum(EFFECT_KINDS),
      rule: z.string(),
    })
    .strict(),
]);
export const describedSchema = z.object({
  generated_by: z.string(),
  programs: z.record(z.string(), z.array(entry)),
  /** Per program, options described as a dry run: with one, no described effect applies. */
  dry_run: z.record(z.string(), z.array(z.string())),
  /**
   * Per program, subcommand words of the program-independent vocabulary (verbs.yaml) that its own
   * documentation describes as a local action (`publish` "for deployment"): read as documented.
   */
  plain: z.record(z.string(), z.array(z.string())).default({}),
  /**
   * Per program with a purpose entry, options described as only showing or cancelling (`chsh -l`
   * "Print the list of shells", `shutdown -c` "Cancel a pending shutdown"): with one, the purpose
   * does not apply.
   */
  inert: z.record(z.string(), z.array(z.string())).default({}),
});
export type DescribedEntry = z.infer<typeof entry>;
type Entry = DescribedEntry;

/** One described effect of a command: the effect, the lexical rule that read it, where it was. */
export interface Described {
  effect: EffectKind;
  rule: string;
  /** The subcommand word or option it was read for. */
  what: string;
}

type Test = (c: CommandFacts) => string | undefined;

/** How far into the positional words a nested subcommand is looked for (`PROG GROUP ACTION`). */
const DEPTH = 3;

/**
 * The lifecycle phases a `PLUGIN:GOAL` entry stands for, or undefined for other words. A build
 * tool run with a list of phases and plugin goals (mvn(1): `mvn clean deploy`) runs each of them,
 * so such a word counts wherever it stands; and a phase runs the goal of the plugin named like it
 * (`deploy` runs `deploy:deploy`, `install` runs `install:install`), so a described `G:G` is the
 * phase `G` too.
 */
function pluginGoals(ws: ReadonlySet<string>): ReadonlySet<string> | undefined {
  const goals = [...ws].filter((w) => /^[a-z][\w.-]*:[a-z][\w.-]*$/.test(w));
  if (goals.length === 0 || goals.length < ws.size) return undefined;
  return new Set(
    goals.filter((w) => w.split(":")[0] === w.split(":")[1]).map((w) => w.split(":")[0]!),
  );
}

/** The word of `words` at the entry's place: the first word, or one after a word it follows. */
function wordTest(e: Extract<Entry, { words: string[] }>): Test {
  const ws = new Set(e.words.map((w) => w.toLowerCase()));
  const after = e.after === undefined ? undefined : new Set(e.after.map((w) => w.toLowerCase()));
  if (e.among_options === true && after === undefined)
    return (c) => c.words.slice(0, DEPTH).find((w) => ws.has(w));
  const goals = after === undefined ? pluginGoals(ws) : undefined;
  if (goals !== undefined) return (c) => c.words.find((w) => ws.has(w) || goals.has(w));
  return (c) => {
    if (after === undefined) return ws.has(c.words[0] ?? "") ? c.words[0] : undefined;
    for (let i = 1; i < Math.min(c.words.length, DEPTH); i++) {
      if (!ws.has(c.words[i]!)) continue;
      for (let j = 0; j < i; j++) if (after.has(c.words[j]!)) return c.words[i];
    }
    return undefined;
  };
}

/** An option of the entry, given after one of the words it follows (anywhere, when none). */
function flagTest(e: Extract<Entry, { flags: string[] }>): Test {
  const fs = new Set(e.flags);
  const after = e.after === undefined ? undefined : new Set(e.after.map((w) => w.toLowerCase()));
  return (c) => {
    const f = c.flags.find((x) => fs.has(x));
    if (f === undefined) return undefined;
    if (after === undefined) return f;
    return c.words.slice(0, DEPTH).some((w) => after.has(w)) ? f : undefined;
  };
}

/**
 * The program itself, unless one of its inert options is given; `bare`: only with no operand and
 * no `<` input or here-document. An option's value is no operand where the program's grammar
 * says the option takes one (`tmux -S SOCKET`); with no grammar, every word not an option is.
 * The shells and interpreters the extractor knows are left to it: it reads what a pipe feeds them.
 */
function programTest(inert: ReadonlySet<string>, bare: boolean): Test {
  const fed = (c: CommandFacts) =>
    SHELLS.has(c.program) ||
    interpreterFlags(c.program) !== undefined ||
    c.tags.includes("heredoc") ||
    c.words.length > 0 ||
    c.endOfOptions ||
    c.inputs.length > 0 ||
    c.redirects.some((r) => r.operator.startsWith("<"));
  return (c) => (c.flags.some((f) => inert.has(f)) || (bare && fed(c)) ? undefined : c.program);
}

/** Options that hand a runner its command (`su -c CMD`, `sg GROUP -c CMD`). */
const COMMAND_OPTIONS: ReadonlySet<string> = new Set(["-c", "--command", "--"]);

/**
 * A runner given no command: at most one operand (the user, group or root directory it needs)
 * and no command option. The extractor unwraps the runners it knows when they are given one.
 */
function runnerTest(inert: ReadonlySet<string>): Test {
  return (c) =>
    c.words.length > 1 ||
    c.endOfOptions ||
    c.flags.some((f) => inert.has(f) || COMMAND_OPTIONS.has(f)) ||
    c.argv.some((a) => COMMAND_OPTIONS.has(a.split("=")[0]!))
      ? undefined
      : c.program;
}

let data: z.infer<typeof describedSchema> | undefined;
export interface CompiledDescribed {
  tests: { e: Entry; test: Test }[];
  dryRun: ReadonlySet<string>;
}
const compiled = new Map<string, CompiledDescribed>();

function described(): z.infer<typeof describedSchema> {
  data ??= readGenerated(
    "described-effects.generated.json",
    describedSchema,
    "gen-described-effects.mjs",
  );
  return data;
}

const NONE: ReadonlySet<string> = new Set();
const plain = new Map<string, ReadonlySet<string>>();

/** Words of the program-independent vocabulary the program's documentation describes as local. */
export function plainWords(program: string): ReadonlySet<string> {
  let hit = plain.get(program);
  if (hit === undefined) {
    const d = described();
    hit = Object.hasOwn(d.plain, program) ? new Set(d.plain[program]) : NONE;
    plain.set(program, hit);
  }
  return hit;
}

function entriesOf(program: string): CompiledDescribed {
  const hit = compiled.get(program);
  if (hit !== undefined) return hit;
  const data = described();
  const out = compileDescribed(
    Object.hasOwn(data.programs, program) ? data.programs[program]! : [],
    Object.hasOwn(data.dry_run, program) ? data.dry_run[program]! : [],
    Object.hasOwn(data.inert, program) ? data.inert[program]! : [],
  );
  compiled.set(program, out);
  return out;
}

/** One program's entries and dry-run options, compiled for {@link describedIn}. */
export function compileDescribed(
  list: readonly Entry[],
  dryRun: readonly string[],
  inert: readonly string[] = [],
): CompiledDescribed {
  const still = new Set(inert);
  return {
    tests: list.map((e) => ({
      e,
      test:
        "words" in e
          ? wordTest(e)
          : "flags" in e
            ? flagTest(e)
            : e.runner === true
              ? runnerTest(still)
              : programTest(still, e.bare === true),
    })),
    dryRun: new Set(dryRun),
  };
}

/** The described effects of one simple command, from its program's generated entries. */
export function describedEffects(c: CommandFacts): Described[] {
  return describedIn(entriesOf(c.program), c);
}

/**
 * Options that mean "do nothing, show what would be done" in every CLI that has them: with one,
 * neither a described effect nor a program-independent verb applies, whatever the program's own
 * documentation says about its options.
 */
export const UNIVERSAL_DRY_RUN: ReadonlySet<string> = new Set([
  "--dry-run",
  "--dryrun",
  "--simulate",
  "--what-if",
  "--whatif",
]);

/** The word up to its first `=` (`--opt=v` → `--opt`), the whole word without one. */
export function beforeEquals(a: string): string {
  const eq = a.indexOf("=");
  return eq < 0 ? a : a.slice(0, eq);
}

/** Whether the command carries a universal dry-run option. */
export function isDryRun(c: CommandFacts): boolean {
  for (const f of c.flags) if (UNIVERSAL_DRY_RUN.has(f)) return true;
  // Each of them starts with `--`: other words are not split at `=` (a per-word array).
  for (const a of c.argv)
    if (a.startsWith("--") && UNIVERSAL_DRY_RUN.has(beforeEquals(a))) return true;
  return false;
}

/** The described effects of one simple command against one program's compiled entries. */
export function describedIn({ tests, dryRun }: CompiledDescribed, c: CommandFacts): Described[] {
  const out: Described[] = [];
  if (tests.length === 0 || c.flags.some((f) => dryRun.has(f)) || isDryRun(c)) return out;
  for (const { e, test } of tests) {
    const what = test(c);
    if (what !== undefined) out.push({ effect: e.effect, rule: e.rule, what });
  }
  return out;
}

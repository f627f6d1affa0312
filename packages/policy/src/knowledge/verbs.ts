import type { CommandFacts, Effect } from "../types.js";
import { plainWords } from "./described.js";
import { readKnowledge } from "./read.js";
import { verbsFileSchema, type VerbSpec } from "./schema.js";

/**
 * Program-independent knowledge (`knowledge/verbs.yaml`): subcommand words and options whose effect
 * is the same for any CLI (`upload`, `publish`, `print-access-token`, `--show-secrets`, a delete
 * under a cloud-scope option). Read, like the described effects, only for a command that no
 * knowledge entry naming its program matched (src/explain.ts).
 */

/**
 * How far into the positional words a subcommand is looked for: cloud CLIs nest three deep before
 * the action (`az storage account keys list`).
 */
const DEPTH = 4;

/** One entry compiled: the word or option of a command it reads, or undefined. */
export type VerbTest = (c: CommandFacts) => string | undefined;

/**
 * Whether one of the options is given: as parsed, or as a whole word of the argv (a program with
 * no grammar has `-destroy` split as a bundle of short options), or before an `=`.
 */
function hasOption(c: CommandFacts, names: ReadonlySet<string>): boolean {
  for (const f of c.flags) if (names.has(f)) return true;
  for (const o in c.options) if (names.has(o)) return true;
  for (const a of c.argv) if (a.startsWith("-") && names.has(a.split("=")[0]!)) return true;
  return false;
}

/**
 * A copy to a remote location: the last operand names one and a local path operand comes before
 * it (`dup ./src sftp://h/backup`), or an option names it as the repository or destination and a
 * local path is an operand (`bk -r rest:http://h/x backup ./src`). A remote location first and a
 * local path last is a download.
 */
function remoteDestination(remote: readonly RegExp[]): VerbTest {
  const isRemote = (w: string) => remote.some((r) => r.test(w));
  return (c) => {
    const local = c.paths.filter(
      (p) => p.role === "operand" && p.remote !== true && !isRemote(p.raw),
    );
    if (local.length === 0) return undefined;
    const last = c.words[c.words.length - 1];
    if (last !== undefined && isRemote(last) && c.words.indexOf(local[0]!.raw.toLowerCase()) >= 0)
      return last;
    for (const o in c.options) for (const v of c.options[o]!) if (isRemote(v)) return v;
    // An option the gate has no grammar for: its value is the next word, or after `=`.
    for (let i = 0; i < c.argv.length; i++) {
      const a = c.argv[i]!;
      const eq = a.startsWith("-") ? a.indexOf("=") : -1;
      const v = eq > 0 ? a.slice(eq + 1) : a;
      if (isRemote(v) && (eq > 0 || (c.argv[i - 1] ?? "").startsWith("-"))) return v;
    }
    return undefined;
  };
}

/** Compile one entry of verbs.yaml (`remote`: the file's remote locations). */
export function compileVerb(v: VerbSpec, remote: readonly RegExp[] = []): VerbTest {
  if (v.remote_destination === true) return remoteDestination(remote);
  const words = v.words === undefined ? undefined : new Set(v.words);
  const re = v.word_match === undefined ? undefined : new RegExp(v.word_match);
  const flags = v.flags === undefined ? undefined : new Set(v.flags);
  const follows = v.follows === undefined ? undefined : new Set(v.follows);
  const before = v.before === undefined ? undefined : new Set(v.before);
  const withOpts = v.with_options === undefined ? undefined : new Set(v.with_options);
  const unless = new Set(v.unless_options ?? []);
  const operand = v.operand_match === undefined ? undefined : new RegExp(v.operand_match);
  const from = v.place === "nested" ? 1 : 0;
  const to = v.place === "first" ? 1 : DEPTH;
  return (c) => {
    if (unless.size > 0 && hasOption(c, unless)) return undefined;
    if (withOpts !== undefined && !hasOption(c, withOpts)) return undefined;
    if (flags !== undefined) {
      const f = c.flags.find((x) => flags.has(x));
      return f !== undefined && (operand === undefined || c.words.some((w) => operand.test(w)))
        ? f
        : undefined;
    }
    for (let i = from; i < Math.min(to, c.words.length); i++) {
      const w = c.words[i]!;
      if (words !== undefined ? !words.has(w) : !re!.test(w)) continue;
      if (follows !== undefined && (i === 0 || !follows.has(c.words[i - 1]!))) continue;
      if (before !== undefined && !before.has((c.words[i + 1] ?? "").split(",")[0]!)) continue;
      if (operand !== undefined && !c.words.slice(i + 1).some((x) => operand.test(x))) continue;
      return w;
    }
    return undefined;
  };
}

let compiled: { spec: VerbSpec; test: VerbTest }[] | undefined;

function verbs(): { spec: VerbSpec; test: VerbTest }[] {
  if (compiled !== undefined) return compiled;
  const file = readKnowledge("verbs.yaml", verbsFileSchema);
  const remote = file.remote_locations.map((r) => new RegExp(r, "i"));
  compiled = file.verbs.map((spec) => ({ spec, test: compileVerb(spec, remote) }));
  return compiled;
}

/**
 * The effects of one simple command read from the program-independent verbs; a word the program's
 * own documentation describes as something else (generated `plain` words) is left to it.
 */
export function verbEffects(c: CommandFacts, i: number): Effect[] {
  const out: Effect[] = [];
  for (const { spec, test } of verbs()) {
    const what = test(c);
    if (what === undefined || plainWords(c.program).has(what)) continue;
    out.push({
      kind: spec.effect,
      id: spec.id,
      reason: `${c.program} ${what}: ${spec.reason} (program-independent knowledge)`,
      remote: false,
      command: i,
    });
  }
  return out;
}

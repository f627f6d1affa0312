import type { CommandFacts, Effect } from "../types.js";
import { TARGETED } from "../effects/table.js";
import { hostOf, isLocalHost, isUrl, type Target } from "../effects/target.js";
import { beforeEquals, isDryRun, plainWords } from "./described.js";
import { generatedValued } from "./grammars.js";
import { captureFilter, interfaceAddress, objectCommand, rulePosition } from "./verb-forms.js";
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
  for (const a of c.argv) if (a.startsWith("-") && names.has(beforeEquals(a))) return true;
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

const HOST_OPTIONS = new Set(["-h", "--host", "--hostname", "--server"]);

/**
 * The hosts a host option or a URL names (`--host h`, `--host=h`, `http://h/x`). Whether a host is
 * the guest is target.ts's reading, the same as for the service clients: `localhost:6379`,
 * `x.localhost` and `unix:` sockets are the guest.
 */
function namedHosts(c: CommandFacts): string[] {
  const out: string[] = [];
  for (const o of HOST_OPTIONS) out.push(...(c.options[o] ?? []));
  for (let i = 0; i < c.argv.length; i++) {
    const a = c.argv[i]!;
    const [name, value] = a.includes("=")
      ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]
      : [a, c.argv[i + 1]];
    if (HOST_OPTIONS.has(name!) && value !== undefined) out.push(value);
    if (isUrl(a)) out.push(hostOf(a));
  }
  return out;
}

/** The host other than the guest that a host option or a URL names, if any. */
function remoteHost(c: CommandFacts): string | undefined {
  return namedHosts(c).find((v) => !isLocalHost(hostOf(v)));
}

/** Roles of a local path named as an operand (`with_path`). */
const LOCAL_ROLES: ReadonlySet<string> = new Set(["operand", "read", "write"]);

/**
 * A path of the guest the command names: an operand, read or written, and not on another host.
 * A program with no copier syntax has `host:/dir/x` read as a relative path (it has a slash):
 * the file's remote locations (`host:/path`, `user@host:path`) tell it apart.
 */
function namesLocalPath(c: CommandFacts, remote: readonly RegExp[]): boolean {
  return c.paths.some(
    (p) => LOCAL_ROLES.has(p.role) && p.remote !== true && !remote.some((r) => r.test(p.raw)),
  );
}

/**
 * Whether a positional word, or the option's own value (`--opt v`, `--opt=v`: as parsed, or from
 * the argv where the program has no grammar), matches.
 */
function operandOf(c: CommandFacts, option: string, operand: RegExp): boolean {
  if (c.words.some((w) => operand.test(w))) return true;
  if ((c.options[option] ?? []).some((v) => operand.test(v.toLowerCase()))) return true;
  const eq = `${option}=`;
  return c.argv.some((a) => a.startsWith(eq) && operand.test(a.slice(eq.length).toLowerCase()));
}

/**
 * The values the command gives an option: as parsed, after `=`, or the next word where the
 * program has no grammar (`-d "$(cat f)"`).
 */
function valuesOf(c: CommandFacts, option: string): string[] {
  const out = [...(c.options[option] ?? [])];
  const eq = `${option}=`;
  c.argv.forEach((a, i) => {
    if (a.startsWith(eq)) out.push(a.slice(eq.length));
    else if (a === option && i + 1 < c.argv.length) out.push(c.argv[i + 1]!);
  });
  return out;
}

/** Compile one entry of verbs.yaml (`remote`: the file's remote locations). */
export function compileVerb(v: VerbSpec, remote: readonly RegExp[] = []): VerbTest {
  if (v.remote_destination === true) return remoteDestination(remote);
  if (v.capture_filter === true) return captureFilter;
  if (v.object_commands !== undefined) return objectCommand(v.object_commands);
  if (v.interface_address === true) return interfaceAddress;
  if (v.rule_position === true) {
    const named = new RegExp(v.program_match ?? "");
    return (c) => (named.test(c.program) ? rulePosition(c) : undefined);
  }
  const words = v.words === undefined ? undefined : new Set(v.words);
  const re = v.word_match === undefined ? undefined : new RegExp(v.word_match);
  const flags = v.flags === undefined ? undefined : new Set(v.flags);
  const follows = v.follows === undefined ? undefined : new Set(v.follows);
  const after = v.after === undefined ? undefined : new Set(v.after);
  const before = v.before === undefined ? undefined : new Set(v.before);
  const withOpts = v.with_options === undefined ? undefined : new Set(v.with_options);
  const unless = new Set(v.unless_options ?? []);
  const operand = v.operand_match === undefined ? undefined : new RegExp(v.operand_match);
  const programRe = v.program_match === undefined ? undefined : new RegExp(v.program_match);
  const from = v.place === "nested" ? 1 : 0;
  const to = v.place === "first" ? 1 : DEPTH;
  // The entry's fields are read once here, not per command: the closures below are one piece of
  // code for every entry, and reading ~30 differently shaped spec objects in it made its property
  // loads megamorphic (the verbs' share of the bench's CPU profile doubled).
  const programToo = v.program_too === true;
  const withPath = v.with_path === true;
  const optionValues = v.option_values ?? [];
  const remoteHostOnly = v.remote_host === true;
  const value = v.value_match === undefined ? undefined : new RegExp(v.value_match);
  // local files flow into the command: a pipe from a command that read them, a `<` redirect
  const stdinLocal = v.stdin_local === true;
  const hasUnless = unless.size > 0;
  /** The word, flag or program the entry reads, before the option filters. */
  const match = (c: CommandFacts): string | undefined => {
    // a path the program's own syntax reads or writes counts too (`chmod MODE FILE` writes FILE)
    if (withPath && !namesLocalPath(c, remote)) return undefined;
    if (programToo && (words !== undefined ? words.has(c.program) : re!.test(c.program)))
      return c.program;
    if (flags !== undefined) {
      const f = c.flags.find(
        (x) => flags.has(x) && (value === undefined || valuesOf(c, x).some((y) => value.test(y))),
      );
      return f !== undefined && (operand === undefined || operandOf(c, f, operand)) ? f : undefined;
    }
    for (const o of optionValues)
      for (const x of c.options[o] ?? [])
        if (words !== undefined ? words.has(x) : re!.test(x)) return x;
    for (let i = from; i < Math.min(to, c.words.length); i++) {
      const w = c.words[i]!;
      if (words !== undefined ? !words.has(w) : !re!.test(w)) continue;
      if (follows !== undefined && (i === 0 || !follows.has(c.words[i - 1]!))) continue;
      if (after !== undefined && !c.words.slice(0, i).some((x) => after.has(x))) continue;
      if (before !== undefined && !before.has((c.words[i + 1] ?? "").split(",")[0]!)) continue;
      if (operand !== undefined && !c.words.slice(i + 1).some((x) => operand.test(x))) {
        // or the value of an option the entry needs (`delete -f app.yaml` where -f takes one)
        const values =
          withOpts === undefined ? [] : [...withOpts].flatMap((o) => c.options[o] ?? []);
        if (!values.some((x) => operand.test(x.toLowerCase()))) continue;
      }
      return w;
    }
    return undefined;
  };
  // The cheap word test first: most commands name none of the words, and the option filters walk
  // the whole argv. All of them must hold, so their order does not change the result.
  return (c) => {
    if (programRe !== undefined && !programRe.test(c.program)) return undefined;
    const m = match(c);
    if (m === undefined) return undefined;
    if (hasUnless && hasOption(c, unless)) return undefined;
    if (withOpts !== undefined && !hasOption(c, withOpts)) return undefined;
    if (remoteHostOnly && remoteHost(c) === undefined) return undefined;
    if (stdinLocal && c.inputs.length === 0) return undefined;
    return m;
  };
}

/**
 * Keys of an entry that only narrow a match the entry's `words` make: an entry with nothing else
 * needs one of its words among the command's first {@link DEPTH} words. Any other key (flags,
 * option values, the program itself, the special forms) can match without one: such an entry is
 * always tried, as is an entry with a key this list does not know.
 */
const WORD_FILTERS: ReadonlySet<string> = new Set([
  "id",
  "effect",
  "reason",
  "match",
  "not_match",
  "words",
  "place",
  "follows",
  "after",
  "before",
  "operand_match",
  "unless_options",
  "with_options",
  "with_path",
  "remote_host",
  "stdin_local",
  "program_match",
]);

/** The words one of which the entry needs among the command's first words, or undefined. */
function requiredWords(v: VerbSpec): readonly string[] | undefined {
  if (v.words === undefined) return undefined;
  for (const [key, value] of Object.entries(v))
    if (value !== undefined && !WORD_FILTERS.has(key)) return undefined;
  return v.words;
}

/**
 * The flags one of which an entry of `flags` needs among the command's flags (its test reads
 * nothing else unless `program_too` lets the program's name match), or undefined.
 */
function requiredFlags(v: VerbSpec): readonly string[] | undefined {
  return v.flags !== undefined && v.program_too !== true ? v.flags : undefined;
}

let remoteLocations: readonly RegExp[] = [];

interface CompiledVerbs {
  entries: { spec: VerbSpec; test: VerbTest; indexed: boolean }[];
  /** Word → the entries that require one of their words to be it (by position in `entries`). */
  byWord: Map<string, number[]>;
  /** Flag → the entries that require one of their flags to be given. */
  byFlag: Map<string, number[]>;
}

let compiled: CompiledVerbs | undefined;

function verbs(): CompiledVerbs {
  if (compiled !== undefined) return compiled;
  const file = readKnowledge("verbs.yaml", verbsFileSchema);
  remoteLocations = file.remote_locations.map((r) => new RegExp(r, "i"));
  const byWord = new Map<string, number[]>();
  const byFlag = new Map<string, number[]>();
  const entries = file.verbs.map((spec, k) => {
    const words = requiredWords(spec);
    const flags = requiredFlags(spec);
    for (const w of new Set(words)) byWord.set(w, [...(byWord.get(w) ?? []), k]);
    for (const f of new Set(flags)) byFlag.set(f, [...(byFlag.get(f) ?? []), k]);
    const indexed = words !== undefined || flags !== undefined;
    return { spec, test: compileVerb(spec, remoteLocations), indexed };
  });
  compiled = { entries, byWord, byFlag };
  return compiled;
}

/**
 * Which entries can apply to the command: every entry that needs no particular word or flag, those
 * whose words one of its first {@link DEPTH} words is, and those whose flags it gives (most
 * commands name none of them, and the entries are then not tried at all).
 */
function candidates(c: CommandFacts, v: CompiledVerbs): boolean[] {
  const out = v.entries.map((e) => !e.indexed);
  for (let i = 0; i < Math.min(DEPTH, c.words.length); i++)
    for (const k of v.byWord.get(c.words[i]!) ?? []) out[k] = true;
  for (const f of c.flags) for (const k of v.byFlag.get(f) ?? []) out[k] = true;
  return out;
}

/** Verbs that delete, revoke or disable a named object (not `stop`: a service or container). */
const UNPLACED_VERBS: ReadonlySet<string> = new Set([
  "delete",
  "del",
  "remove",
  "rm",
  "rm-all",
  "purge",
  "revoke",
  "disable",
  "taint",
  "untaint",
  "terminate",
  "deallocate",
  "deregister",
  "unregister",
]);

/**
 * Nouns that name an object of the machine the client runs on, whatever the program: a language
 * toolchain or its components (rustup, asdf, mise, nvm, pyenv), a plugin or extension installed
 * on it, a shell alias, a Jupyter kernel spec, a virtual environment. `PROG NOUN VERB x` with one
 * of them before the verb deletes a local object: the snapshot undoes it. Only nouns that mean a
 * local object for every client are here: `env`, `repo`, `cache`, `snapshot`, `key` are a
 * service's objects for some clients (a Pulumi ESC environment, a forge's repository or cache, a
 * cloud snapshot), so they stay unplaced.
 */
const LOCAL_NOUNS: ReadonlySet<string> = new Set([
  "toolchain",
  "toolchains",
  "component",
  "components",
  "plugin",
  "plugins",
  "extension",
  "extensions",
  "alias",
  "aliases",
  "kernelspec",
  "venv",
  "virtualenv",
  "virtualenvs",
  "shim",
  "shims",
]);

/**
 * Where a client's `NOUN VERB` delete acts when nothing places it (ADR 0018): the object lives on
 * the service the client talks to, so it is judged remote, unless the command places it on the
 * guest. Placed on the guest: a target read from knowledge or options (`target.known`), a program
 * hand-written knowledge names (`named`: its entries say which of its verbs are remote), a local
 * path operand (the object is a file; not `host:/dir/x`, a path on another host), a host option
 * naming the guest, a program this system documents (a generated option grammar from a Debian
 * completion file or manual page: a distribution's tool; the service clients ship their
 * completion through themselves), and the verb as the subcommand itself (`PROG rm x`: package
 * managers, file tools), or a noun of {@link LOCAL_NOUNS} before it.
 */
export function unplacedRemote(
  c: CommandFacts,
  what: string,
  target: Target,
  named: boolean,
): boolean {
  // a compound verb is read by its verb (`remove-value`, `delete-object`)
  if (target.known || named || !UNPLACED_VERBS.has(what.split("-", 1)[0]!)) return false;
  const at = c.words.indexOf(what);
  if (at < 1 || at >= DEPTH) return false;
  if (c.words.slice(0, at).some((w) => LOCAL_NOUNS.has(w))) return false;
  verbs();
  if (namesLocalPath(c, remoteLocations)) return false;
  // `--host localhost`: a host option the service reading does not know for this program
  if (namedHosts(c).some((h) => isLocalHost(hostOf(h)))) return false;
  return generatedValued(c.program) === undefined;
}

/**
 * The effects of one simple command read from the program-independent verbs; a word the program's
 * own documentation describes as something else (generated `plain` words) is left to it, and a
 * universal dry-run option (`--dry-run`) means none applies. `target`: where the command acts
 * (src/effects/target.ts), which a targeted effect takes; a destroy of an object nothing places on
 * the guest is remote ({@link unplacedRemote}); `named`: hand-written knowledge names the program.
 */
export function verbEffects(c: CommandFacts, i: number, target: Target, named = false): Effect[] {
  const out: Effect[] = [];
  // `ssh h rm x`: the words after the host are the remote command's, judged as that command.
  if (isDryRun(c) || c.tags.includes("remote-command")) return out;
  const v = verbs();
  const tried = candidates(c, v);
  for (let k = 0; k < v.entries.length; k++) {
    if (!tried[k]) continue;
    const { spec, test } = v.entries[k]!;
    const what = test(c);
    if (what === undefined || plainWords(c.program).has(what)) continue;
    const unplaced = spec.effect === "destroy" && unplacedRemote(c, what, target, named);
    // Sent to where the service knowledge places the client on the guest (the guest's docker:
    // `docker cp ./f web:/app/`): nothing leaves, as for a knowledge entry's send (explain.ts).
    const onGuest = spec.effect === "send" && target.known && !target.remote;
    out.push({
      kind: onGuest ? "write" : spec.effect,
      id: spec.id,
      reason: unplaced
        ? `${c.program} ${what}: ${spec.reason}; nothing places the object on the guest, so it is taken to be on the service the client talks to (program-independent knowledge)`
        : `${c.program} ${what}: ${spec.reason}${onGuest ? " (to the guest itself: the client acts on the guest)" : ""} (program-independent knowledge)`,
      remote: (target.remote || unplaced) && TARGETED.has(spec.effect),
      command: i,
    });
  }
  return out;
}

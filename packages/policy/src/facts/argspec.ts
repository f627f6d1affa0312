/**
 * Option syntax of the programs the gate looks inside: which options take a value, so that
 * `git checkout -bfeature` is not read as `-f`, and `git -C repo reset` finds `reset`.
 */
import { generatedValued } from "../knowledge/grammars.js";
import { FILE_SPECS } from "./specs/files.js";
import { GIT_SPECS } from "./specs/git.js";
import { SERVICE_SPECS } from "./specs/services.js";
import { SYSTEM_SPECS } from "./specs/system.js";
import { TRANSFER_SPECS } from "./specs/transfer.js";

export interface OptionSpec {
  /** Options whose value is the rest of the bundle or the next argument (`-C`, `--git-dir`). */
  valued?: readonly string[];
  /** Long options that consume the next word only when it is one of the listed values. */
  optional?: Readonly<Record<string, readonly string[]>>;
  /** Single-dash long options (`-name`, `-exec`) are whole words, not bundles. */
  longSingleDash?: boolean;
  /**
   * Options end at this operand: it and every word after it are operands (`ssh` = 2: OpenSSH's
   * ssh.c reads options again after the destination, with BSD getopt, which stops at the first
   * word that is not an option — the remote command's first word; `ssh h rm -rf y` runs `rm -rf y`).
   */
  optionsEndAt?: number;
  /** Number of leading positional words that form the subcommand (`git stash drop` = 2). */
  subcommands?: number;
  /** Specs of subcommands, keyed by the first positional word. */
  sub?: Readonly<Record<string, OptionSpec>>;
  /**
   * Generated from completion files, not written by hand: the values its options take are still
   * read as path operands when they look like paths (a wrong mark must not hide a path).
   */
  generated?: boolean;
}

/** The result of reading an argv with an {@link OptionSpec}. */
export interface ParsedArgs {
  flags: string[];
  options: Record<string, string[]>;
  /** Positional words, in order, including the subcommand words. */
  positionals: string[];
  /** Index in argv of each positional. */
  positionalIndex: number[];
  endOfOptions: boolean;
  /** How many leading positionals are subcommand words (per the spec). */
  subcommandLength: number;
}

/**
 * The hand-written option grammars, by program family (`specs/*.ts`); a program with none here may
 * have a generated one ({@link specOf}).
 */
export const PROGRAM_SPECS: Readonly<Record<string, OptionSpec>> = {
  ...GIT_SPECS,
  ...TRANSFER_SPECS,
  ...SERVICE_SPECS,
  ...FILE_SPECS,
  ...SYSTEM_SPECS,
};

const SPEC_MAP: ReadonlyMap<string, OptionSpec> = new Map(Object.entries(PROGRAM_SPECS));

const GENERATED = new Map<string, OptionSpec | null>();

/**
 * The spec of a program: the hand-written one, else the generated grammar's valued options
 * (`knowledge/option-grammars.generated.json`), else none (every option read as a flag). Looked
 * up in maps: no prototype keys (`constructor`), no keyed loads.
 */
export function specOf(program: string): OptionSpec | undefined {
  const hand = SPEC_MAP.get(program);
  if (hand !== undefined) return hand;
  let g = GENERATED.get(program);
  if (g === undefined) {
    const valued = generatedValued(program);
    g = valued === undefined ? null : { valued, generated: true };
    if (GENERATED.size >= 4096) GENERATED.clear();
    GENERATED.set(program, g);
  }
  return g ?? undefined;
}

const valuedSets = new WeakMap<OptionSpec, ReadonlySet<string>>();
const NO_VALUED: ReadonlySet<string> = new Set();
/** The spec of a program the gate has no option grammar for. */
const NO_SPEC: OptionSpec = {};

/** The valued-option set of a spec, built once per spec. */
function valuedOf(spec: OptionSpec): ReadonlySet<string> {
  // Most programs have no valued options: no set (and no weak-map entry) per call for them.
  if (spec.valued === undefined || spec.valued.length === 0) return NO_VALUED;
  let set = valuedSets.get(spec);
  if (set === undefined) {
    set = new Set(spec.valued ?? []);
    valuedSets.set(spec, set);
  }
  return set;
}

function addValue(options: Record<string, string[]>, name: string, value: string): void {
  (options[name] ??= []).push(value);
}

/**
 * Read argv with GNU conventions: options may follow operands, `--` ends them, short options
 * bundle (`-rf`) unless one takes a value (`-bfeature` is `-b feature`). Long option names are
 * lower-cased so `--HARD` matches `--hard`; short ones keep case (`-d` differs from `-D`).
 */
export function parseArgs(argv: readonly string[], spec: OptionSpec = NO_SPEC): ParsedArgs {
  const flags: string[] = [];
  const options: Record<string, string[]> = {};
  const positionals: string[] = [];
  const positionalIndex: number[] = [];
  let endOfOptions = false;
  let current = spec;
  let subLeft = spec.subcommands ?? 0;
  let valued = valuedOf(spec);
  let subcommandLength = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (endOfOptions || a === "-" || !a.startsWith("-") || /^-\d+$/.test(a)) {
      positionals.push(a);
      positionalIndex.push(i);
      if (subLeft > 0 && !endOfOptions) {
        subLeft--;
        subcommandLength++;
        const next = current.sub?.[a.toLowerCase()];
        if (next) {
          current = next;
          subLeft = next.subcommands ?? subLeft;
          valued = valuedOf(next);
        }
      }
      if (current.optionsEndAt !== undefined && positionals.length >= current.optionsEndAt)
        endOfOptions = true;
      continue;
    }
    if (a === "--") {
      // `git -- reset`: a `--` before the subcommand does not end the subcommand's options
      if (subLeft > 0 && positionals.length === 0) continue;
      endOfOptions = true;
      continue;
    }
    if (a.startsWith("--") || current.longSingleDash) {
      const eq = a.indexOf("=");
      const rawName = eq < 0 ? a : a.slice(0, eq);
      const name = rawName.startsWith("--") ? rawName.toLowerCase() : rawName;
      flags.push(name);
      if (eq >= 0) addValue(options, name, a.slice(eq + 1));
      else if (valued.has(name) || valued.has(rawName)) {
        if (i + 1 < argv.length) addValue(options, name, argv[++i]!);
      } else {
        const opt = current.optional?.[name];
        const next = argv[i + 1];
        if (opt && next !== undefined && opt.includes(next)) addValue(options, name, argv[++i]!);
      }
      continue;
    }
    // A bundle of short options; one that takes a value swallows the rest.
    for (let j = 1; j < a.length; j++) {
      const name = `-${a[j]!}`;
      flags.push(name);
      if (valued.has(name)) {
        const rest = a.slice(j + 1);
        if (rest !== "") addValue(options, name, rest);
        else if (i + 1 < argv.length) addValue(options, name, argv[++i]!);
        break;
      }
    }
  }
  return { flags, options, positionals, positionalIndex, endOfOptions, subcommandLength };
}

import type { CommandNode, CompoundList } from "unbash";
import type {
  CommandFacts,
  PathFact,
  PathRole,
  PolicyContext,
  RedirectFact,
  Uncertainty,
} from "../../types.js";
import type { ParsedArgs } from "../argspec.js";
import { SHELLS, basename } from "../programs.js";
import { normalizePath, type ArgValue, type PathScope } from "../paths.js";

export const MAX_DEPTH = 8;
export const MAX_COMMANDS = 400;

/** What the shell knows at a point of the script: cwd, variables, files written so far. */
export interface Scope {
  cwd: string | undefined;
  vars: Map<string, string | null>;
  /** Files written earlier in the same command line: their content when known. */
  files: Map<
    string,
    { content?: string; origin: "literal" | "network" | "unknown"; executable?: boolean }
  >;
  functions: Set<string>;
  /** Bodies of functions defined so far: a call is judged with its arguments bound. */
  bodies?: Map<string, { node: CompoundList | CommandNode; src: string }>;
  aliases: Map<string, string>;
  inFunction?: string;
  /** Mount points of remote filesystems mounted earlier on the line (shared like `files`). */
  mounts?: Set<string>;
}

/** How a command is reached. */
export interface Frame {
  depth: number;
  via: string[];
  wrappers: string[];
  remote: boolean;
  privileged: boolean;
  /** In a pipeline (not the last element) or in the background. */
  concurrent: boolean;
}

/** What a command writes to stdout, as seen by the next element of a pipeline. */
export type Output =
  | { kind: "none" }
  | { kind: "literal"; text: string }
  | { kind: "network" }
  | { kind: "decoded" }
  | { kind: "items"; items: ArgValue[]; paths: PathFact[] }
  | { kind: "unknown"; paths: PathFact[] };

export const NONE: Output = { kind: "none" };

export function lit(value: string): ArgValue {
  return { value, dynamic: false, glob: false };
}

/** Everything the per-program readers of {@link Extractor} share for one command. */
export interface EmitContext {
  program: string;
  rest: ArgValue[];
  argv: string[];
  env: CommandEnv;
  ps: PathScope;
  parsed: ParsedArgs;
  paths: PathFact[];
  texts: string[];
  sql: string[];
  at: (i: number) => ArgValue;
  pos: (k: number) => ArgValue | undefined;
  positionals: ArgValue[];
  addPath: (a: ArgValue | string | undefined, role: PathRole) => void;
  looksLikePath: (a: ArgValue) => boolean;
  optionValue: (...names: string[]) => string | undefined;
  valueArg: (name: string) => ArgValue;
  interp: string[] | undefined;
  output: Output;
}

export interface CommandEnv {
  scope: Scope;
  frame: Frame;
  stdin: Output;
  redirects: RedirectFact[];
  assigns: string[];
  inputs: PathFact[];
  text: string;
  tags: string[];
}

/** The state of one extraction: the facts gathered so far and the context they are judged in. */
export class Extractor {
  readonly commands: CommandFacts[] = [];
  readonly uncertain: Uncertainty[] = [];
  readonly seen = new Set<string>();
  /**
   * The script text after the statement being walked: a shell that reads its script from stdin
   * hands these lines to an interactive program of the statement, which reads them as typed input.
   */
  following = "";

  readonly home: string;
  readonly projects: string[];
  readonly protectedPaths: string[];

  constructor(readonly ctx: Required<PolicyContext>) {
    this.home = normalizePath(ctx.home);
    this.projects = ctx.projectPaths.map(normalizePath);
    this.protectedPaths = ctx.protectedPaths.map(normalizePath);
  }

  unsure(tag: string, reason: string): void {
    const key = `${tag}\u0000${reason}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.uncertain.push({ tag, reason });
  }
  pathScope(scope: Scope): PathScope {
    return {
      cwd: scope.cwd,
      home: this.home,
      projectPaths: this.projects,
      protectedPaths: this.protectedPaths,
      normalized: true,
    };
  }
}

export function isShellC(template: ArgValue[]): "missing" | "present" | "no" {
  const first = template[0];
  if (!first || !SHELLS.has(basename(first.value).toLowerCase())) return "no";
  const c = template.findIndex((t, k) => k > 0 && /^-[a-z]*c[a-z]*$/.test(t.value));
  if (c < 0) return "no";
  return c === template.length - 1 ? "missing" : "present";
}

/** The items a command reading stdin (`xargs`, `parallel`) gets, or undefined when unknown. */
export function stdinItems(stdin: Output, lines: boolean): ArgValue[] | undefined {
  switch (stdin.kind) {
    case "none":
      return undefined;
    case "literal": {
      const parts = lines ? stdin.text.split("\n") : stdin.text.split("\n");
      return parts.filter((p) => p.trim() !== "").map((p) => lit(lines ? p : p.trim()));
    }
    case "items":
      return stdin.items;
    default:
      return undefined;
  }
}

export function cloneScope(s: Scope): Scope {
  return {
    cwd: s.cwd,
    vars: new Map(s.vars),
    // The filesystem is shared by subshells and pipeline elements.
    files: s.files,
    functions: new Set(s.functions),
    bodies: new Map(s.bodies),
    aliases: new Map(s.aliases),
    inFunction: s.inFunction,
    mounts: s.mounts,
  };
}

import {
  parse,
  type Command,
  type CommandNode,
  type CompoundList,
  type PipelineNode,
  type Redirection,
  type Statement,
  type Word,
  type WordPart,
  type ArithmeticExpression,
  type AndOr,
  type TestExpression,
} from "unbash";
import type {
  CommandFacts,
  CommandLineFacts,
  PathFact,
  PathRole,
  PolicyContext,
  RedirectFact,
  Uncertainty,
} from "../types.js";
import { PROGRAM_SPECS, parseArgs, type ParsedArgs } from "./argspec.js";
import { codeEffects } from "./interpreters.js";
import {
  SHELLS,
  INTERPRETERS,
  NETCATS,
  AWKS,
  DECODERS,
  PASS_THROUGH,
  READERS,
  PATTERN_FIRST,
  DELETERS,
  WRITERS,
  PATH_VAR_DEFAULTS,
  COMMAND_VARS,
  basename,
  family,
  firstCommandIndex,
} from "./programs.js";
import { normalizeLookalikes, expandBraces, splitSed, splitWords } from "./text.js";

import { absolutize, normalizePath, pathFact, type ArgValue, type PathScope } from "./paths.js";

const MAX_DEPTH = 8;
const MAX_COMMANDS = 400;

/** What the shell knows at a point of the script: cwd, variables, files written so far. */
interface Scope {
  cwd: string | undefined;
  vars: Map<string, string | null>;
  /** Files written earlier in the same command line: their content when known. */
  files: Map<string, { content?: string; origin: "literal" | "network" | "unknown" }>;
  functions: Set<string>;
  aliases: Map<string, string>;
  inFunction?: string;
}

/** How a command is reached. */
interface Frame {
  depth: number;
  via: string[];
  wrappers: string[];
  remote: boolean;
  privileged: boolean;
  /** In a pipeline (not the last element) or in the background. */
  concurrent: boolean;
}

/** What a command writes to stdout, as seen by the next element of a pipeline. */
type Output =
  | { kind: "none" }
  | { kind: "literal"; text: string }
  | { kind: "network" }
  | { kind: "decoded" }
  | { kind: "items"; items: ArgValue[]; paths: PathFact[] }
  | { kind: "unknown"; paths: PathFact[] };

const NONE: Output = { kind: "none" };

function lit(value: string): ArgValue {
  return { value, dynamic: false, glob: false };
}

export { expandBraces, normalizeLookalikes } from "./text.js";

/** Extract the facts of a command line. Pure: reads nothing but its arguments. */
export function extractFacts(command: string, context: Required<PolicyContext>): CommandLineFacts {
  const ex = new Extractor(context);
  const normalized = normalizeLookalikes(command);
  const scope: Scope = {
    cwd: context.cwd,
    vars: new Map(),
    files: new Map(),
    functions: new Set(),
    aliases: new Map(),
  };
  try {
    ex.script(normalized, scope, {
      depth: 0,
      via: [],
      wrappers: [],
      remote: false,
      privileged: false,
      concurrent: false,
    });
  } catch (cause) {
    // A parser or extractor failure must never let a command through.
    ex.uncertain.push({
      tag: "parse-error",
      reason: `the command could not be analysed: ${String(cause)}`,
    });
  }
  return { commands: ex.commands, uncertain: ex.uncertain };
}

/** Everything the per-program readers of {@link Extractor} share for one command. */
interface EmitContext {
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

interface CommandEnv {
  scope: Scope;
  frame: Frame;
  stdin: Output;
  redirects: RedirectFact[];
  assigns: string[];
  inputs: PathFact[];
  text: string;
  tags: string[];
}

class Extractor {
  readonly commands: CommandFacts[] = [];
  readonly uncertain: Uncertainty[] = [];
  private readonly seen = new Set<string>();

  private readonly home: string;
  private readonly projects: string[];
  private readonly protectedPaths: string[];

  constructor(private readonly ctx: Required<PolicyContext>) {
    this.home = normalizePath(ctx.home);
    this.projects = ctx.projectPaths.map(normalizePath);
    this.protectedPaths = ctx.protectedPaths.map(normalizePath);
  }

  private unsure(tag: string, reason: string): void {
    const key = `${tag}\u0000${reason}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.uncertain.push({ tag, reason });
  }

  private pathScope(scope: Scope): PathScope {
    return {
      cwd: scope.cwd,
      home: this.home,
      projectPaths: this.projects,
      protectedPaths: this.protectedPaths,
      normalized: true,
    };
  }

  script(source: string, scope: Scope, frame: Frame): void {
    if (frame.depth > MAX_DEPTH) {
      this.unsure("too-deep", `nesting deeper than ${MAX_DEPTH} levels`);
      return;
    }
    const ast = parse(source);
    if (ast.errors && ast.errors.length > 0) {
      const e = ast.errors[0]!;
      this.unsure("parse-error", `shell syntax error at offset ${e.pos}: ${e.message}`);
    }
    this.list(ast.commands, scope, frame, source);
  }

  private list(statements: readonly Statement[], scope: Scope, frame: Frame, src: string): Output {
    let out: Output = NONE;
    for (const st of statements) {
      out = this.pipelineNode(
        st.command,
        scope,
        st.background ? { ...frame, concurrent: true } : frame,
        NONE,
        src,
      );
    }
    return out;
  }

  private compound(list: CompoundList, scope: Scope, frame: Frame, src: string): void {
    this.list(list.commands, scope, frame, src);
  }

  private pipelineNode(
    node: PipelineNode | AndOr,
    scope: Scope,
    frame: Frame,
    stdin: Output,
    src: string,
  ): Output {
    if (this.commands.length > MAX_COMMANDS) {
      this.unsure("too-large", `more than ${MAX_COMMANDS} simple commands`);
      return NONE;
    }
    switch (node.type) {
      case "AndOr": {
        let out: Output = NONE;
        for (const c of node.commands) out = this.pipelineNode(c, scope, frame, NONE, src);
        return out;
      }
      case "Pipeline": {
        let out = stdin;
        const n = node.commands.length;
        const first = this.commands.length;
        node.commands.forEach((c, i) => {
          const sub = n > 1 ? cloneScope(scope) : scope;
          out = this.commandNode(
            c,
            sub,
            i < n - 1 ? { ...frame, concurrent: true } : frame,
            out,
            src,
          );
        });
        // A shell wired to a network tool in one pipeline is a reverse shell (mkfifo/nc idiom).
        if (n > 1) {
          const here = this.commands.slice(first).filter((c) => c.depth === frame.depth);
          if (
            here.some((c) => NETCATS.has(c.program)) &&
            here.some((c) => SHELLS.has(c.program) && !c.argv.some((a) => /^-[a-z]*c/.test(a)))
          )
            for (const c of here) c.tags.push("reverse-shell");
        }
        return out;
      }
      default:
        return this.commandNode(node, scope, frame, stdin, src);
    }
  }

  private commandNode(
    node: CommandNode,
    scope: Scope,
    frame: Frame,
    stdin: Output,
    src: string,
  ): Output {
    switch (node.type) {
      case "Command":
        return this.simple(node, scope, frame, stdin, src);
      case "Subshell":
        this.compound(node.body, cloneScope(scope), frame, src);
        return { kind: "unknown", paths: [] };
      case "BraceGroup":
        this.compound(node.body, scope, frame, src);
        return { kind: "unknown", paths: [] };
      case "If":
        this.compound(node.clause, scope, frame, src);
        this.compound(node.then, scope, frame, src);
        for (const e of node.elif) {
          this.compound(e.clause, scope, frame, src);
          this.compound(e.then, scope, frame, src);
        }
        if (node.else) this.compound(node.else, scope, frame, src);
        return { kind: "unknown", paths: [] };
      case "While":
        this.compound(node.clause, scope, frame, src);
        this.compound(node.body, scope, frame, src);
        return { kind: "unknown", paths: [] };
      case "For":
      case "Select":
        for (const w of node.wordlist ?? []) this.word(w, scope, frame);
        scope.vars.set(node.name.value, null);
        this.compound(node.body, scope, frame, src);
        return { kind: "unknown", paths: [] };
      case "ArithmeticFor":
        for (const e of [node.initialize, node.test, node.update])
          if (e) this.arith(e, scope, frame);
        this.compound(node.body, scope, frame, src);
        return { kind: "unknown", paths: [] };
      case "Case":
        this.word(node.word, scope, frame);
        for (const item of node.items) this.compound(item.body, scope, frame, src);
        return { kind: "unknown", paths: [] };
      case "TestCommand":
        this.testExpr(node.expression, scope, frame);
        return NONE;
      case "ArithmeticCommand":
        if (node.expression) this.arith(node.expression, scope, frame);
        return NONE;
      case "Function": {
        const name = node.name.value;
        scope.functions.add(name);
        const inner: Scope = { ...scope, inFunction: name };
        if (node.body.type === "CompoundList") this.compound(node.body, inner, frame, src);
        else this.commandNode(node.body, inner, frame, NONE, src);
        return NONE;
      }
      case "Coproc":
        if (node.body.type === "CompoundList") this.compound(node.body, scope, frame, src);
        else this.commandNode(node.body, scope, { ...frame, concurrent: true }, NONE, src);
        return NONE;
      case "Redirected": {
        const out = this.commandNode(node.command, scope, frame, stdin, src);
        const env = this.newEnv(scope, frame, stdin, src.slice(node.pos, node.end));
        this.redirections(node.redirects, env);
        if (env.redirects.length > 0) this.push(env, "", "", [], null, []);
        return out;
      }
    }
  }

  private testExpr(e: TestExpression, scope: Scope, frame: Frame): void {
    switch (e.type) {
      case "TestUnary":
        this.word(e.operand, scope, frame);
        break;
      case "TestBinary":
        this.word(e.left, scope, frame);
        this.word(e.right, scope, frame);
        break;
      case "TestLogical":
        for (const o of e.operands) this.testExpr(o, scope, frame);
        break;
      case "TestNot":
        this.testExpr(e.operand, scope, frame);
        break;
      case "TestGroup":
        this.testExpr(e.expression, scope, frame);
        break;
    }
  }

  private arith(e: ArithmeticExpression, scope: Scope, frame: Frame): void {
    switch (e.type) {
      case "ArithmeticBinary":
        this.arith(e.left, scope, frame);
        this.arith(e.right, scope, frame);
        break;
      case "ArithmeticUnary":
        this.arith(e.operand, scope, frame);
        break;
      case "ArithmeticTernary":
        this.arith(e.test, scope, frame);
        this.arith(e.consequent, scope, frame);
        this.arith(e.alternate, scope, frame);
        break;
      case "ArithmeticGroup":
        this.arith(e.expression, scope, frame);
        break;
      case "ArithmeticWord":
        for (const p of e.parts ?? []) this.part(p, scope, frame, false);
        break;
      case "ArithmeticCommandExpansion":
        if (e.script) this.nested(e.script.commands, e.text, scope, frame, "substitution");
        break;
    }
  }

  private nested(
    statements: readonly Statement[],
    text: string,
    scope: Scope,
    frame: Frame,
    via: string,
  ): Output {
    if (frame.depth + 1 > MAX_DEPTH) {
      this.unsure("too-deep", `nesting deeper than ${MAX_DEPTH} levels`);
      return NONE;
    }
    const inner = cloneScope(scope);
    return this.list(
      statements,
      inner,
      { ...frame, depth: frame.depth + 1, via: [...frame.via, via] },
      text,
    );
  }

  /** Evaluate one word part; returns its static value (or undefined when unknown). */
  private part(
    p: WordPart,
    scope: Scope,
    frame: Frame,
    quoted: boolean,
  ): { value: string | undefined; glob: boolean; expanded?: boolean; stream?: ArgValue["stream"] } {
    switch (p.type) {
      case "Literal":
        return { value: p.value, glob: false };
      case "SingleQuoted":
      case "AnsiCQuoted":
        return { value: p.value, glob: false };
      case "Glob":
        return { value: p.text, glob: !quoted };
      case "ExtendedGlob":
        return { value: p.text, glob: !quoted };
      case "BraceExpansion":
        return { value: p.text, glob: true };
      case "DoubleQuoted":
      case "LocaleString": {
        let v = "";
        let known = true;
        let expanded = false;
        for (const c of p.parts) {
          const r = this.part(c, scope, frame, true);
          expanded ||= c.type !== "Literal";
          if (r.value === undefined) known = false;
          else v += r.value;
        }
        return { value: known ? v : undefined, glob: false, expanded };
      }
      case "SimpleExpansion":
        return { value: this.variable(p.text.slice(1), scope), glob: false, expanded: true };
      case "ParameterExpansion": {
        const op = p.operation;
        if (op?.type === "Transform" && /P|E|A/.test(op.operand.value)) {
          this.unsure(
            "prompt-expansion",
            `\${…@${op.operand.value}} re-evaluates text at run time: ${p.text}`,
          );
        }
        if (op && "operand" in op && op.operand) this.word(op.operand, scope, frame);
        if (op?.type === "Replace") {
          this.word(op.pattern, scope, frame);
          this.word(op.replacement, scope, frame);
        }
        if (p.prefix === "!") {
          this.unsure(
            "indirect-expansion",
            `indirect expansion ${p.text} names a variable at run time`,
          );
          return { value: undefined, glob: false };
        }
        let value = p.index ? undefined : this.variable(p.parameter, scope);
        if (op?.type === "Default" && (op.operator === ":-" || op.operator === "-")) {
          // ${X:-/tmp}: the default when X is unknown and the default is static
          if (value === undefined && !(p.parameter in PATH_VAR_DEFAULTS)) value = undefined;
        } else if (op) value = undefined;
        return { value, glob: false, expanded: true };
      }
      case "CommandExpansion": {
        if (!p.script) return { value: undefined, glob: false, expanded: true };
        const known = this.substitutionValue(p.script.commands, scope);
        this.nested(p.script.commands, p.text, scope, frame, "substitution");
        return { value: known, glob: false, expanded: true };
      }
      case "ProcessSubstitution": {
        const out = p.script
          ? this.nested(p.script.commands, p.text, scope, frame, "substitution")
          : NONE;
        const stream: ArgValue["stream"] =
          out.kind === "literal" || out.kind === "network" || out.kind === "decoded"
            ? out
            : { kind: "unknown" };
        return { value: undefined, glob: false, expanded: true, stream };
      }
      case "ArithmeticExpansion":
        if (p.expression) this.arith(p.expression, scope, frame);
        return { value: "0", glob: false };
    }
  }

  /** The output of `$(pwd)` and similar substitutions whose value is known statically. */
  private substitutionValue(statements: readonly Statement[], scope: Scope): string | undefined {
    if (statements.length !== 1) return undefined;
    const c = statements[0]!.command;
    if (c.type !== "Command" || !c.name) return undefined;
    if (c.name.value === "pwd" && c.suffix.length === 0) return scope.cwd;
    return undefined;
  }

  private variable(name: string, scope: Scope): string | undefined {
    if (scope.vars.has(name)) return scope.vars.get(name) ?? undefined;
    const def = PATH_VAR_DEFAULTS[name];
    if (def) return def(this.ctx);
    return undefined;
  }

  /** Evaluate a word: its value after quote removal and known expansions. */
  word(w: Word, scope: Scope, frame: Frame): ArgValue {
    if (!w.parts) return { value: w.value, dynamic: false, glob: false };
    let value = "";
    let dynamic = false;
    let glob = false;
    let expanded = false;
    let stream: ArgValue["stream"];
    for (const p of w.parts) {
      const r = this.part(p, scope, frame, false);
      if (r.value === undefined) {
        dynamic = true;
        value += p.text;
      } else value += r.value;
      glob ||= r.glob;
      expanded ||= r.expanded ?? false;
      stream ??= r.stream;
    }
    return {
      value,
      dynamic,
      glob,
      ...(expanded ? { expanded } : {}),
      ...(stream && w.parts.length === 1 ? { stream } : {}),
    };
  }

  private newEnv(scope: Scope, frame: Frame, stdin: Output, text: string): CommandEnv {
    return { scope, frame, stdin, redirects: [], assigns: [], inputs: [], text, tags: [] };
  }

  private redirections(redirects: readonly Redirection[], env: CommandEnv): void {
    const ps = this.pathScope(env.scope);
    for (const r of redirects) {
      if (r.type === "HereDoc") {
        const parts = r.body.parts;
        let text = r.body.text;
        let dynamic = false;
        if (parts && !r.delimiter?.quoted) {
          const v = this.word(
            { type: "Word", text, value: text, pos: r.body.pos, end: r.body.end, parts } as Word,
            env.scope,
            env.frame,
          );
          text = v.value;
          dynamic = v.dynamic;
        }
        env.stdin = dynamic ? { kind: "unknown", paths: [] } : { kind: "literal", text };
        env.tags.push("heredoc");
        continue;
      }
      if (!r.target) continue;
      const t = this.word(r.target, env.scope, env.frame);
      if (r.type === "HereString") {
        env.stdin = t.dynamic
          ? { kind: "unknown", paths: [] }
          : { kind: "literal", text: t.value + "\n" };
        env.tags.push("herestring");
        continue;
      }
      const op = r.operator;
      if ((op === ">&" || op === "<&") && /^\d+$|^-$/.test(t.value)) continue;
      const write =
        op === ">" ||
        op === ">>" ||
        op === ">|" ||
        op === "&>" ||
        op === "&>>" ||
        op === "<>" ||
        op === ">&";
      const path = pathFact(t, write ? "write" : "read", ps);
      env.redirects.push({ operator: op, target: t.value, write, path });
      if (!write && t.stream) {
        env.stdin = t.stream.kind === "unknown" ? { kind: "unknown", paths: [] } : t.stream;
        continue;
      }
      if (!write) {
        env.inputs.push(path);
        const known = path.classes.includes("unknown") ? undefined : env.scope.files.get(path.path);
        env.stdin =
          known?.content !== undefined
            ? { kind: "literal", text: known.content }
            : known?.origin === "network"
              ? { kind: "network" }
              : { kind: "unknown", paths: [path] };
      }
    }
  }

  private simple(cmd: Command, scope: Scope, frame: Frame, stdin: Output, src: string): Output {
    const text = src.slice(cmd.pos, cmd.end);
    const env = this.newEnv(scope, frame, stdin, text);
    const assignments: { name: string; value: ArgValue }[] = [];
    for (const a of cmd.prefix) {
      if (a.type !== "Assignment") continue;
      const value =
        a.value.type === "ArrayValue"
          ? { value: "", dynamic: true, glob: false }
          : this.word(a.value, scope, frame);
      assignments.push({ name: a.name, value });
      env.assigns.push(a.name);
    }
    const args: ArgValue[] = [];
    if (cmd.name) args.push(this.word(cmd.name, scope, frame));
    for (const s of cmd.suffix) {
      if (s.type === "Word") {
        const v = this.word(s, scope, frame);
        if (s.parts?.some((p) => p.type === "BraceExpansion"))
          args.push(
            ...expandBraces(v.value).map((e) => ({ ...v, value: e, glob: /[*?[]/.test(e) })),
          );
        else args.push(v);
      } else if (s.type === "Assignment") {
        const v = s.value.type === "ArrayValue" ? "" : this.word(s.value, scope, frame).value;
        args.push(lit(`${s.name}${s.append ? "+=" : "="}${v}`));
      }
    }
    this.redirections(cmd.redirects, env);
    // A prefix assignment is not visible to expansions of the same command: fail closed on it.
    for (const a of assignments) {
      {
        const used = cmd.suffix.some(
          (s) =>
            s.type === "Word" && (s.text.includes("$" + a.name) || s.text.includes("${" + a.name)),
        );
        if (used) {
          env.tags.push("prefix-assignment-shadow");
          for (const [i, s] of cmd.suffix.entries()) {
            if (
              s.type === "Word" &&
              (s.text.includes("$" + a.name) || s.text.includes("${" + a.name))
            ) {
              const arg = args[i + (cmd.name ? 1 : 0)];
              if (arg) arg.dynamic = true;
            }
          }
        }
      }
      if (COMMAND_VARS.has(a.name)) this.shellText(a.value, env, `env ${a.name}`);
    }
    if (args.length === 0) {
      for (const a of assignments) scope.vars.set(a.name, a.value.dynamic ? null : a.value.value);
      this.push(env, "", "", [], null, []);
      return NONE;
    }
    return this.run(args, env);
  }

  /** Analyse shell text found inside another command (`sh -c`, `eval`, `ssh host …`). */
  private shellText(
    v: ArgValue | string,
    env: CommandEnv,
    via: string,
    remote = env.frame.remote,
  ): void {
    const value = typeof v === "string" ? lit(v) : v;
    if (value.dynamic) {
      this.unsure(
        "dynamic-shell-text",
        `shell text built at run time is executed (${via}): ${value.value.slice(0, 80)}`,
      );
      return;
    }
    const inner = cloneScope(env.scope);
    if (remote && !env.frame.remote) {
      inner.cwd = this.ctx.home;
    }
    this.script(value.value, inner, {
      ...env.frame,
      depth: env.frame.depth + 1,
      via: [...env.frame.via, via],
      remote,
      concurrent: false,
    });
  }

  /** Run stdin as shell or interpreter code. */
  private stdinAsCode(env: CommandEnv, kind: "shell" | "code", program: string): void {
    const s = env.stdin;
    if (s.kind === "literal") {
      if (kind === "shell") this.shellText(s.text, env, `${program} stdin`);
      else this.code(s.text, env, `${program} stdin`);
    } else if (s.kind === "network") env.tags.push("pipe-from-network");
    else if (s.kind === "decoded")
      this.unsure("decoded-payload", `a payload decoded at run time is fed to ${program}`);
    else if (s.kind === "unknown" && s.paths.length === 0)
      this.unsure("computed-script", `${program} runs text computed at run time from its stdin`);
    else env.tags.push("stdin-script");
  }

  /** Analyse interpreter code: deletions become synthetic `rm` commands, exec calls nested shell. */
  private code(code: string, env: CommandEnv, via: string): void {
    const fx = codeEffects(code);
    const frame: Frame = { ...env.frame, depth: env.frame.depth + 1, via: [...env.frame.via, via] };
    const sub = {
      ...env,
      frame,
      redirects: [],
      inputs: [],
      assigns: [],
      tags: [],
      stdin: NONE as Output,
    };
    for (const s of fx.shell) this.shellText(s, env, via);
    for (const argv of fx.spawn) this.run(argv.map(lit), { ...sub, text: argv.join(" ") });
    for (const p of fx.deletes) {
      const glob = /[*?[]/.test(p);
      this.run([lit("rm"), lit("-rf"), { value: p, dynamic: false, glob }], {
        ...sub,
        text: `rm -rf ${p}`,
      });
    }
    for (const d of fx.dynamic)
      this.unsure("dynamic-interpreter-exec", `interpreter call with a run-time argument: ${d}`);
    if (fx.reverseShell) env.tags.push("reverse-shell");
    env.tags.push("interpreter-code");
  }

  private push(
    env: CommandEnv,
    program: string,
    programPath: string,
    argv: string[],
    parsed: ParsedArgs | null,
    paths: PathFact[],
    extra: Partial<CommandFacts> = {},
  ): CommandFacts {
    const stdinFrom: string[] = [];
    if (env.stdin.kind === "network") stdinFrom.push("network");
    if (env.stdin.kind === "unknown") env.inputs.push(...env.stdin.paths);
    const facts: CommandFacts = {
      text: env.text,
      program,
      programPath,
      argv,
      words: parsed ? parsed.positionals.map((p) => p.toLowerCase()) : [],
      subcommand: parsed
        ? parsed.positionals.slice(0, parsed.subcommandLength).map((p) => p.toLowerCase())
        : [],
      flags: parsed?.flags ?? [],
      options: parsed?.options ?? {},
      endOfOptions: parsed?.endOfOptions ?? false,
      wrappers: env.frame.wrappers,
      depth: env.frame.depth,
      via: env.frame.via,
      remote: env.frame.remote,
      privileged: env.frame.privileged,
      paths,
      redirects: env.redirects,
      assigns: env.assigns,
      inputs: env.inputs,
      stdinFrom,
      texts: [],
      sql: [],
      tags: env.tags,
      ...extra,
    };
    this.commands.push(facts);
    return facts;
  }

  /** Peel wrappers and analyse the effective command. */
  private run(args: ArgValue[], env: CommandEnv): Output {
    const head = args[0];
    if (!head) return NONE;
    if (head.dynamic || head.expanded) {
      this.unsure(
        "dynamic-program",
        `the command name is produced by expansion or substitution: ${head.value}`,
      );
    }
    const alias = env.scope.aliases.get(head.value);
    if (alias !== undefined && !env.frame.wrappers.includes(`alias ${head.value}`)) {
      return this.run([...splitWords(alias), ...args.slice(1)], {
        ...env,
        frame: { ...env.frame, wrappers: [...env.frame.wrappers, `alias ${head.value}`] },
      });
    }
    const name = family(basename(head.value).toLowerCase());
    const rest = args.slice(1);
    const wrap = (by: string, inner: ArgValue[], patch: Partial<Frame> = {}): Output => {
      if (inner.length === 0) return this.emit(args, env);
      return this.run(inner, {
        ...env,
        frame: { ...env.frame, ...patch, wrappers: [...env.frame.wrappers, by] },
      });
    };
    const values = rest.map((a) => a.value);
    switch (name) {
      case "sudo":
      case "doas":
      case "pkexec":
      case "run0": {
        const spec = {
          valued: [
            "-u",
            "--user",
            "-g",
            "--group",
            "-C",
            "--close-from",
            "-D",
            "--chdir",
            "-h",
            "--host",
            "-p",
            "--prompt",
            "-r",
            "--role",
            "-t",
            "--type",
            "-T",
            "--command-timeout",
            "-U",
            "--other-user",
            "-a",
          ],
        };
        const i = firstCommandIndex(values, spec);
        const flags = parseArgs(values.slice(0, i), spec).flags;
        if (
          i >= rest.length &&
          (flags.includes("-i") ||
            flags.includes("-s") ||
            flags.includes("--login") ||
            flags.includes("--shell"))
        ) {
          env.tags.push("root-shell");
          return this.emit(args, env);
        }
        if (
          flags.includes("-e") ||
          flags.includes("--edit") ||
          flags.includes("-l") ||
          flags.includes("--list") ||
          flags.includes("-v") ||
          flags.includes("-k") ||
          flags.includes("-K")
        )
          return this.emit(args, env);
        return wrap(name, rest.slice(i), { privileged: true });
      }
      case "su":
      case "runuser": {
        const p = parseArgs(values, PROGRAM_SPECS[name]);
        const c = p.options["-c"]?.[0] ?? p.options["--command"]?.[0];
        if (c !== undefined) {
          env.frame = { ...env.frame, privileged: true, wrappers: [...env.frame.wrappers, name] };
          this.shellText(c, env, name);
          return this.emit(args, env);
        }
        if (name === "runuser" && (p.options["-u"] || p.options["--user"])) {
          const i = firstCommandIndex(values, {
            valued: ["-u", "--user", "-g", "--group", "-G", "--supp-group", "-s", "--shell", "-w"],
          });
          return wrap(name, rest.slice(i), { privileged: true });
        }
        env.tags.push("root-shell");
        return this.emit(args, env);
      }
      case "env": {
        let i = 0;
        const extra: ArgValue[] = [];
        while (i < rest.length) {
          const a = rest[i]!.value;
          if (a === "--") {
            i++;
            break;
          }
          if (
            a === "-" ||
            a === "-i" ||
            a === "--ignore-environment" ||
            a === "-0" ||
            a === "--null" ||
            a === "-v" ||
            a === "--debug"
          ) {
            i++;
            continue;
          }
          if (/^(-u|--unset|-C|--chdir|-P|-S|--split-string)$/.test(a)) {
            if (a === "-S" || a === "--split-string")
              extra.push(...splitWords(rest[i + 1]?.value ?? ""));
            if (a === "-C" || a === "--chdir")
              env.scope = {
                ...env.scope,
                cwd: absolutize(rest[i + 1]?.value ?? "", this.pathScope(env.scope)),
              };
            i += 2;
            continue;
          }
          if (a.startsWith("--chdir=")) {
            env.scope = { ...env.scope, cwd: absolutize(a.slice(8), this.pathScope(env.scope)) };
            i++;
            continue;
          }
          if (/^(-u|-C|-P)./.test(a) || /^--(unset|chdir)=/.test(a)) {
            if (a.startsWith("-C"))
              env.scope = { ...env.scope, cwd: absolutize(a.slice(2), this.pathScope(env.scope)) };
            i++;
            continue;
          }
          if (/^-S./.test(a) || a.startsWith("--split-string=")) {
            extra.push(...splitWords(a.startsWith("-S") ? a.slice(2) : a.slice(15)));
            i++;
            continue;
          }
          if (a.startsWith("-")) {
            i++;
            continue;
          }
          break;
        }
        const tail = [...extra, ...rest.slice(i)];
        let j = 0;
        while (j < tail.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(tail[j]!.value)) {
          const [k, ...v] = tail[j]!.value.split("=");
          env.assigns.push(k!);
          if (COMMAND_VARS.has(k!)) this.shellText(v.join("="), env, `env ${k!}`);
          j++;
        }
        return wrap("env", tail.slice(j));
      }
      case "command":
      case "builtin": {
        let i = 0;
        let lookup = false;
        while (i < values.length && values[i]!.startsWith("-")) {
          if (values[i] === "--") {
            i++;
            break;
          }
          if (/[vV]/.test(values[i]!)) lookup = true;
          i++;
        }
        if (lookup) return this.emit(args, env);
        return wrap(name, rest.slice(i));
      }
      case "exec": {
        let i = 0;
        while (i < values.length && values[i]!.startsWith("-")) {
          if (values[i] === "-a") i++;
          i++;
        }
        return wrap("exec", rest.slice(i));
      }
      case "nice":
      case "nohup":
      case "time":
      case "stdbuf":
      case "ionice":
      case "setsid":
      case "noglob":
      case "unbuffer":
      case "caffeinate":
      case "catchsegv":
      case "strace":
      case "ltrace":
      case "valgrind":
      case "firejail":
      case "proxychains":
      case "proxychains4":
      case "torsocks":
      case "tsocks":
      case "xvfb-run":
      case "dbus-launch":
      case "systemd-run":
      case "unshare":
      case "prlimit":
      case "numactl":
      case "cgexec":
      case "eatmydata":
      case "fakeroot":
      case "aa-exec":
      case "sg":
      case "chronic":
      case "ifne": {
        const valued: Record<string, string[]> = {
          nice: ["-n", "--adjustment"],
          time: ["-f", "--format", "-o", "--output"],
          stdbuf: ["-i", "-o", "-e", "--input", "--output", "--error"],
          ionice: ["-c", "--class", "-n", "--classdata", "-p", "-P", "-u"],
          strace: ["-o", "-e", "-p", "-s", "-u", "-E", "-P", "-I", "-b", "-a", "-X", "-O", "-S"],
          ltrace: ["-o", "-e", "-p", "-s", "-u", "-n", "-a"],
          valgrind: [],
          "systemd-run": [
            "-p",
            "--property",
            "-u",
            "--unit",
            "-M",
            "--machine",
            "--description",
            "--slice",
            "-E",
            "--setenv",
            "--uid",
            "--gid",
            "--on-calendar",
            "--on-active",
            "--working-directory",
          ],
          prlimit: ["-p", "--pid"],
          cgexec: ["-g"],
          sg: [],
          numactl: [
            "-C",
            "--physcpubind",
            "-N",
            "--cpunodebind",
            "-m",
            "--membind",
            "-i",
            "--interleave",
            "-p",
            "--preferred",
          ],
          firejail: [],
          "aa-exec": ["-p", "--profile", "-n", "--namespace"],
          "xvfb-run": [
            "-n",
            "--server-num",
            "-s",
            "--server-args",
            "-f",
            "--auth-file",
            "-e",
            "--error-file",
            "-p",
            "--xauth-protocol",
          ],
        };
        const i = firstCommandIndex(values, { valued: valued[name] ?? [] }, name === "sg" ? 1 : 0);
        if (name === "systemd-run") env.tags.push("transient-unit");
        return wrap(name, rest.slice(i));
      }
      case "timeout": {
        const i = firstCommandIndex(
          values,
          { valued: ["-s", "--signal", "-k", "--kill-after"] },
          1,
        );
        return wrap("timeout", rest.slice(i));
      }
      case "chrt":
      case "taskset": {
        const i = firstCommandIndex(values, { valued: ["-p"] }, 1);
        return wrap(name, rest.slice(i));
      }
      case "flock": {
        const p = parseArgs(values, {
          valued: ["-w", "--timeout", "-E", "--conflict-exit-code", "-c", "--command"],
        });
        const c = p.options["-c"]?.[0] ?? p.options["--command"]?.[0];
        if (c !== undefined) {
          this.shellText(c, env, "flock");
          return this.emit(args, env);
        }
        const i = firstCommandIndex(
          values,
          { valued: ["-w", "--timeout", "-E", "--conflict-exit-code"] },
          1,
        );
        return wrap("flock", rest.slice(i));
      }
      case "chroot": {
        const i = firstCommandIndex(values, { valued: ["--userspec", "--groups"] }, 1);
        if (i >= rest.length) {
          env.tags.push("root-shell");
          return this.emit(args, env);
        }
        return wrap("chroot", rest.slice(i), { privileged: true });
      }
      case "nsenter": {
        const i = firstCommandIndex(values, {
          valued: [
            "-t",
            "--target",
            "-S",
            "--setuid",
            "-G",
            "--setgid",
            "-r",
            "--root",
            "-w",
            "--wd",
          ],
        });
        env.tags.push("namespace-enter");
        if (i >= rest.length) {
          env.tags.push("root-shell");
          return this.emit(args, env);
        }
        return wrap("nsenter", rest.slice(i), { privileged: true });
      }
      case "watch": {
        const i = firstCommandIndex(values, {
          valued: ["-n", "--interval", "-d", "-q", "--equexit"],
        });
        const words = rest.slice(i);
        if (values.includes("-x") || values.includes("--exec")) return wrap("watch", words);
        this.shellText(
          {
            value: words.map((w) => w.value).join(" "),
            dynamic: words.some((w) => w.dynamic),
            glob: false,
          },
          env,
          "watch",
        );
        return this.emit(args, env);
      }
      case "busybox":
      case "toybox":
        return wrap(name, rest);
      case "eval": {
        this.shellText(
          { value: values.join(" "), dynamic: rest.some((r) => r.dynamic), glob: false },
          env,
          "eval",
        );
        return this.emit(args, env);
      }
      case "xargs":
        return this.xargs(args, env);
      case "parallel":
        return this.parallel(args, env);
    }
    return this.emit(args, env);
  }

  private xargs(args: ArgValue[], env: CommandEnv): Output {
    const rest = args.slice(1);
    const values = rest.map((a) => a.value);
    const spec = {
      valued: [
        "-I",
        "-J",
        "-L",
        "-n",
        "--max-args",
        "-P",
        "--max-procs",
        "-s",
        "--max-chars",
        "-d",
        "--delimiter",
        "-a",
        "--arg-file",
        "-E",
        "--eof",
        "-R",
        "-S",
        "--process-slot-var",
      ],
    };
    let i = 0;
    let replace: string | undefined;
    let fromFile = false;
    while (i < values.length && values[i]!.startsWith("-")) {
      const a = values[i]!;
      if (a === "--") {
        i++;
        break;
      }
      if (a === "-i" || a === "--replace") replace = "{}";
      else if (/^-i./.test(a)) replace = a.slice(2);
      else if (a.startsWith("--replace=")) replace = a.slice(10) || "{}";
      else if (a === "-I" || a === "-J") replace = values[i + 1];
      else if (/^-[IJ]./.test(a)) replace = a.slice(2);
      if (a === "-a" || a === "--arg-file" || a.startsWith("--arg-file=") || /^-a./.test(a))
        fromFile = true;
      if (spec.valued.includes(a)) i++;
      i++;
    }
    const template = rest.slice(i);
    if (template.length === 0) template.push(lit("echo"));
    const items = fromFile ? undefined : stdinItems(env.stdin, false);
    return this.fanOut("xargs", template, replace, items, env, args);
  }

  private parallel(args: ArgValue[], env: CommandEnv): Output {
    const rest = args.slice(1);
    const values = rest.map((a) => a.value);
    const valued = new Set([
      "-j",
      "--jobs",
      "-S",
      "--sshlogin",
      "--results",
      "--res",
      "-a",
      "--arg-file",
      "-d",
      "--delimiter",
      "-I",
      "--joblog",
      "--tmpdir",
      "--workdir",
      "--wd",
      "-n",
      "--max-args",
      "--colsep",
      "-C",
      "--basefile",
      "--env",
      "--memfree",
      "--load",
      "--delay",
      "--timeout",
      "--retries",
      "--tag-string",
      "--halt",
    ]);
    let i = 0;
    let replace = "{}";
    while (
      i < values.length &&
      values[i]!.startsWith("-") &&
      values[i] !== ":::" &&
      values[i] !== "::::"
    ) {
      const a = values[i]!;
      if (a === "--") {
        i++;
        break;
      }
      if (a === "-I") replace = values[i + 1] ?? "{}";
      if (a === "-S" || a.startsWith("-S") || a.startsWith("--sshlogin"))
        env.frame = { ...env.frame, remote: true };
      if (valued.has(a)) i++;
      i++;
    }
    const sep = values.findIndex(
      (v, k) => k >= i && (v === ":::" || v === "::::" || v === ":::+" || v === "::::+"),
    );
    const template = rest.slice(i, sep < 0 ? undefined : sep);
    let items: ArgValue[] | undefined;
    if (sep >= 0) {
      items = rest.slice(sep + 1).filter((a) => !/^::::?\+?$/.test(a.value));
      if (values[sep] === "::::") items = undefined;
    } else items = stdinItems(env.stdin, true);
    if (template.length === 0) {
      // No command: every input is a command line of its own.
      if (items === undefined) {
        env.tags.push("stdin-script");
        return this.emit(args, env);
      }
      for (const it of items.slice(0, 16)) this.shellText(it, env, "parallel");
      return this.emit(args, env);
    }
    return this.fanOut("parallel", template, replace, items, env, args);
  }

  /** Run a template once per input item (or once with an unknown item). */
  private fanOut(
    by: string,
    template: ArgValue[],
    replace: string | undefined,
    items: ArgValue[] | undefined,
    env: CommandEnv,
    whole: ArgValue[],
  ): Output {
    const unknown: ArgValue = { value: "${input}", dynamic: true, glob: false };
    const list = items === undefined ? [unknown] : items.length === 0 ? [] : items.slice(0, 16);
    const usesReplace = replace !== undefined && template.some((t) => t.value.includes(replace));
    const frame: Frame = {
      ...env.frame,
      wrappers: [...env.frame.wrappers, by],
      via: [...env.frame.via, by],
    };
    const shellScript = isShellC(template);
    if (list.length === 0) {
      this.run(template, { ...env, frame, stdin: NONE });
    }
    for (const item of list) {
      let argv: ArgValue[];
      if (usesReplace) {
        argv = template.map((t) =>
          t.value.includes(replace!)
            ? {
                value: t.value.split(replace!).join(item.value),
                dynamic: t.dynamic || item.dynamic,
                glob: t.glob || item.glob,
              }
            : t,
        );
      } else if (shellScript === "missing") {
        // `xargs sh -c` with no script: the input becomes the script.
        argv = [...template, item];
      } else {
        const words = item.dynamic ? [item] : by === "xargs" ? splitWords(item.value) : [item];
        argv = [...template, ...words];
      }
      this.run(argv, { ...env, frame, stdin: NONE, redirects: [], tags: [...env.tags] });
    }
    void whole;
    return { kind: "unknown", paths: [] };
  }

  private emit(args: ArgValue[], env: CommandEnv): Output {
    const head = args[0]!;
    const programPath = head.value;
    const program = family(basename(programPath).toLowerCase());
    const rest = args.slice(1);
    const argv = rest.map((a) => a.value);
    const ps = this.pathScope(env.scope);
    const spec = PROGRAM_SPECS[program];
    const parsed =
      program === "find" || program === "dd" ? parseArgs([], {}) : parseArgs(argv, spec);
    const paths: PathFact[] = [];
    const texts: string[] = [];
    const sql: string[] = [];
    const at = (i: number): ArgValue => rest[i] ?? lit("");
    const pos = (k: number): ArgValue | undefined => {
      const idx = parsed.positionalIndex[k];
      return idx === undefined ? undefined : rest[idx];
    };
    const positionals = parsed.positionalIndex.map((i) => at(i));
    const addPath = (a: ArgValue | string | undefined, role: PathRole): void => {
      if (a === undefined) return;
      const v = typeof a === "string" ? lit(a) : a;
      if (v.value === "" && !v.dynamic) return;
      paths.push(pathFact(v, role, ps));
    };
    const looksLikePath = (a: ArgValue): boolean =>
      a.dynamic ||
      a.glob ||
      /^(\/|~|\.\.?(\/|$))/.test(a.value) ||
      (a.value.includes("/") && !/^[a-z]+:\/\//i.test(a.value) && !/^[\w.-]+@/.test(a.value));
    const optionValue = (...names: string[]): string | undefined => {
      for (const n of names) {
        const v = parsed.options[n]?.[0];
        if (v !== undefined) return v;
      }
      return undefined;
    };
    const valueArg = (name: string): ArgValue => {
      // Find the ArgValue of an option's value to keep its dynamic flag.
      const v = parsed.options[name]?.[0] ?? "";
      const found = rest.find(
        (r) => r.value === v || r.value.endsWith("=" + v) || r.value.endsWith(v),
      );
      return found && found.value === v ? found : lit(v);
    };
    let output: Output = { kind: "unknown", paths: [] };
    const interp = INTERPRETERS[program];

    if (head.dynamic) env.tags.push("dynamic-program");
    if (rest.some((a) => a.dynamic)) env.tags.push("dynamic-args");
    if (env.scope.inFunction && program === env.scope.inFunction && env.frame.concurrent)
      env.tags.push("fork-bomb");

    if (program === "cd" || program === "pushd") {
      const target = positionals[0];
      if (!target) env.scope.cwd = this.ctx.home;
      else if (target.dynamic || target.value === "-") env.scope.cwd = undefined;
      else env.scope.cwd = absolutize(target.value, ps);
      return NONE;
    }
    const x: EmitContext = {
      program,
      rest,
      argv,
      env,
      ps,
      parsed,
      paths,
      texts,
      sql,
      at,
      pos,
      positionals,
      addPath,
      looksLikePath,
      optionValue,
      valueArg,
      interp,
      output,
    };
    if (!this.emitExec(x)) this.emitData(x);
    output = x.output;

    // Decoders turn data into something no one has read: a shell must not run it.
    if (
      (DECODERS.has(program) && env.stdin.kind !== "none") ||
      (program === "openssl" && parsed.positionals[0] !== undefined)
    ) {
      const decode = parsed.flags.some(
        (f) => f === "-d" || f === "--decode" || f === "-D" || f === "-r" || f === "--decompress",
      );
      if (
        decode ||
        program === "tr" ||
        program === "rev" ||
        program === "zcat" ||
        program === "gunzip" ||
        program === "uudecode"
      )
        output = { kind: "decoded" };
    }
    if (
      program === "env" ||
      program === "printenv" ||
      program === "set" ||
      (program === "export" && argv.includes("-p")) ||
      (program === "declare" && argv.includes("-p"))
    ) {
      output = {
        kind: "unknown",
        paths: [
          {
            raw: "(environment)",
            path: "/proc/self/environ",
            role: "read",
            classes: ["credential", "proc"],
          },
        ],
      };
    }
    // Generic reading for the rest: path-looking operands.
    if (
      paths.length === 0 &&
      !SHELLS.has(program) &&
      interp === undefined &&
      program !== "echo" &&
      program !== "printf"
    ) {
      for (const a of positionals) if (looksLikePath(a)) addPath(a, "operand");
    }
    // Options whose value is a path (`-v /:/host`, `--output=/etc/x`).
    if (program === "docker" || program === "podman") {
      for (const v of [...(parsed.options["-v"] ?? []), ...(parsed.options["--volume"] ?? [])]) {
        const src = v.split(":")[0]!;
        if (src.startsWith("/") || src.startsWith("~") || src.startsWith("."))
          addPath(src, "mount");
      }
      for (const v of parsed.options["--mount"] ?? []) {
        const m = /(?:source|src)=([^,]+)/.exec(v);
        if (m) addPath(m[1]!, "mount");
      }
    }
    if (program === "find") {
      // find records its own paths
    }
    // Literal output written by a redirect is remembered for write-then-execute.
    for (const r of env.redirects) {
      if (!r.write || !r.path || r.path.classes.includes("unknown")) continue;
      const content = output.kind === "literal" ? output.text : undefined;
      env.scope.files.set(
        r.path.path,
        content !== undefined
          ? { content, origin: "literal" }
          : { origin: output.kind === "network" ? "network" : "unknown" },
      );
    }
    if (env.redirects.some((r) => r.write && r.operator !== ">&")) output = NONE;
    // Executing a file written earlier in the same command line.
    if (head.value.includes("/") && !head.dynamic) {
      const abs = absolutize(head.value, ps);
      const f = abs ? env.scope.files.get(abs) : undefined;
      if (f) this.fileRun(f, env, head.value);
    }
    const facts = this.push(env, program, programPath, argv, parsed, paths, { texts, sql });
    void facts;
    return output;
  }

  /** Programs that run other code or change the shell: shells, interpreters, find, git, deletes, copies. */
  private emitExec(x: EmitContext): boolean {
    const {
      program,
      rest,
      argv,
      env,
      ps,
      parsed,
      paths,
      texts,
      at,
      pos,
      positionals,
      addPath,
      looksLikePath,
      optionValue,
      valueArg,
      interp,
    } = x;
    if (
      program === "export" ||
      program === "declare" ||
      program === "typeset" ||
      program === "local" ||
      program === "readonly"
    ) {
      for (const a of rest) {
        const m = /^([A-Za-z_][A-Za-z0-9_]*)\+?=(.*)$/s.exec(a.value);
        if (m) {
          env.assigns.push(m[1]!);
          env.scope.vars.set(m[1]!, a.dynamic ? null : m[2]!);
          if (COMMAND_VARS.has(m[1]!))
            this.shellText(
              { value: m[2]!, dynamic: a.dynamic, glob: false },
              env,
              `export ${m[1]!}`,
            );
        }
      }
    } else if (program === "unset") {
      for (const a of positionals) env.assigns.push(a.value);
    } else if (program === "alias") {
      for (const a of rest) {
        const m = /^([^=]+)=(.*)$/s.exec(a.value);
        if (m) {
          env.scope.aliases.set(m[1]!, m[2]!);
          this.shellText({ value: m[2]!, dynamic: a.dynamic, glob: false }, env, "alias");
        }
      }
    } else if (program === "trap") {
      const first = positionals[0];
      if (first) this.shellText(first, env, "trap");
    } else if (SHELLS.has(program) || program === "su") {
      const p = parseArgs(argv, { valued: ["-o", "+o", "-O", "--rcfile", "--init-file"] });
      if (p.flags.includes("-c")) {
        const script = pos(0);
        texts.push(script?.value ?? "");
        if (script) this.shellText(script, env, `${program} -c`);
      } else if (p.flags.includes("-i") && positionals.length === 0 && env.stdin.kind === "none") {
        env.tags.push("interactive-shell");
        if (env.frame.privileged) env.tags.push("root-shell");
      } else if (
        positionals.length > 0 &&
        positionals[0]!.value !== "-" &&
        !p.flags.includes("-s")
      ) {
        this.scriptFile(positionals[0]!, env, program, paths);
      } else if (env.stdin.kind !== "none") {
        this.stdinAsCode(env, "shell", program);
      } else {
        if (env.frame.privileged) env.tags.push("root-shell");
        env.tags.push("interactive-shell");
      }
    } else if (interp !== undefined || AWKS.has(program)) {
      this.interpreter(program, rest, argv, env, paths, texts);
    } else if (program === "source" || program === ".") {
      const f = positionals[0];
      if (f) this.scriptFile(f, env, program, paths);
    } else if (program === "sed") {
      this.sed(parsed, rest, env, paths);
    } else if (program === "find") {
      x.output = this.find(rest, env, paths);
    } else if (program === "dd") {
      for (const a of rest) {
        const m = /^(if|of)=(.*)$/.exec(a.value);
        if (m) addPath({ ...a, value: m[2]! }, m[1] === "of" ? "write" : "read");
      }
      if (!rest.some((a) => a.value.startsWith("if="))) x.output = env.stdin;
    } else if (program === "git") {
      this.git(parsed, env, positionals, addPath, looksLikePath);
    } else if (
      /^(mkfs(\..+)?|mke2fs|mkswap|wipefs|fdisk|sfdisk|cfdisk|gdisk|sgdisk|parted|blkdiscard|badblocks|mkntfs|mkdosfs|mkfs\.\w+)$/.test(
        program,
      )
    ) {
      for (const a of positionals) if (!/^\d+$/.test(a.value)) addPath(a, "write");
    } else if (DELETERS.has(program)) {
      for (const a of positionals) addPath(a, "delete");
    } else if (program === "mv") {
      const t = optionValue("-t", "--target-directory");
      if (t !== undefined) {
        addPath(valueArg(parsed.options["-t"] ? "-t" : "--target-directory"), "write");
        for (const a of positionals) addPath(a, "delete");
      } else {
        positionals.forEach((a, k) =>
          addPath(a, k === positionals.length - 1 && positionals.length > 1 ? "write" : "delete"),
        );
      }
    } else if (
      program === "cp" ||
      program === "install" ||
      program === "ln" ||
      program === "rsync" ||
      program === "scp" ||
      program === "rclone"
    ) {
      const t = optionValue("-t", "--target-directory");
      const ops = program === "rclone" ? positionals.slice(1) : positionals;
      if (t !== undefined) {
        addPath(t, "write");
        for (const a of ops) addPath(a, "read");
      } else {
        ops.forEach((a, k) => {
          const role: PathRole = k === ops.length - 1 && ops.length > 1 ? "write" : "read";
          const remote = /^(?:[\w.-]+@)?[\w.-]+:(?!\/\/)(.*)$/.exec(a.value);
          const daemon = /::/.test(a.value) || /^rsync:\/\//.test(a.value);
          if ((program === "scp" || program === "rsync") && (remote || daemon)) {
            const rp = daemon ? "/" : remote![1]! || "~";
            const f = pathFact({ value: rp, dynamic: a.dynamic, glob: a.glob }, role, {
              ...ps,
              cwd: this.ctx.home,
              projectPaths: [],
            });
            paths.push({ ...f, raw: a.value, remote: true });
            if (role === "write") env.tags.push("upload");
          } else addPath(a, role);
        });
      }
      if (program === "rsync") {
        const e = optionValue("-e", "--rsh");
        if (e !== undefined) this.shellText(e, env, "rsync -e");
      }
    } else if (program === "tee") {
      for (const a of positionals) {
        addPath(a, "write");
        // remember what tee wrote, for write-then-execute
        const abs = a.dynamic ? undefined : absolutize(a.value, ps);
        const s = env.stdin;
        if (abs !== undefined && !parsed.flags.includes("-a"))
          env.scope.files.set(
            abs,
            s.kind === "literal"
              ? { content: s.text, origin: "literal" }
              : { origin: s.kind === "network" ? "network" : "unknown" },
          );
      }
      x.output = env.stdin;
    } else if (WRITERS.has(program)) {
      const skip =
        program === "chmod" || program === "chown" || program === "chgrp" || program === "setfacl"
          ? optionValue("--reference") !== undefined
            ? 0
            : 1
          : 0;
      positionals.slice(skip).forEach((a) => addPath(a, "write"));
    } else if (program === "tar") {
      const extract =
        parsed.flags.some((f) => f === "-x" || f === "--extract" || f === "--get") ||
        /^[a-z]*x/.test(argv[0] ?? "");
      const create =
        parsed.flags.some((f) => f === "-c" || f === "--create" || f === "-r" || f === "-u") ||
        /^[a-z]*[cru]/.test(argv[0] ?? "");
      const dir = optionValue("-C", "--directory");
      if (extract) addPath(dir ?? ".", "write");
      const removes = parsed.flags.includes("--remove-files");
      const file =
        optionValue("-f", "--file") ??
        (/^[a-z]*f/.test(argv[0] ?? "") ? positionals[1]?.value : undefined);
      if (file !== undefined) {
        if (/^[\w.-]+@[\w.-]+:/.test(file)) env.tags.push("upload");
        else addPath(file, create ? "write" : "read");
      }
      for (const a of /^[a-z]*f/.test(argv[0] ?? "") ? positionals.slice(2) : positionals)
        addPath(a, removes ? "delete" : create ? "read" : "operand");
      for (const o of [
        "--checkpoint-action",
        "--to-command",
        "--info-script",
        "--new-volume-script",
        "--rsh-command",
        "-I",
        "--use-compress-program",
        "-F",
      ]) {
        for (const v of parsed.options[o] ?? [])
          this.shellText(v.replace(/^exec=/, ""), env, `tar ${o}`);
      }
    } else if (program === "unzip") {
      addPath(optionValue("-d") ?? ".", "write");
      addPath(positionals[0], "read");
    } else if (program === "7z" || program === "7za" || program === "7zr") {
      const o = argv.find((a) => a.startsWith("-o"));
      if ((positionals[0]?.value ?? "").startsWith("x") || positionals[0]?.value === "e")
        addPath(o ? o.slice(2) : ".", "write");
    } else if (program === "zip") {
      addPath(positionals[0], "write");
      positionals.slice(1).forEach((a) => addPath(a, "read"));
      const tt = optionValue("-TT", "--unzip-command");
      if (tt !== undefined) this.shellText(tt, env, "zip -TT");
      if (argv.includes("-TT")) {
        const k = argv.indexOf("-TT");
        this.shellText(at(k + 1), env, "zip -TT");
      }
    } else return false;
    return true;
  }

  /** Programs that read, print, fetch or talk to services. */
  private emitData(x: EmitContext): void {
    const {
      program,
      rest,
      argv,
      env,
      ps,
      parsed,
      paths,
      texts,
      sql,
      pos,
      positionals,
      addPath,
      optionValue,
    } = x;
    if (READERS.has(program) || PATTERN_FIRST.has(program)) {
      const hasPattern =
        PATTERN_FIRST.has(program) && optionValue("-e", "--regexp", "-f", "--file") === undefined;
      positionals.slice(hasPattern ? 1 : 0).forEach((a) => addPath(a, "read"));
      if (PASS_THROUGH.has(program)) {
        if (positionals.length === 0) x.output = env.stdin;
        else {
          const files = positionals.map((a) =>
            a.dynamic ? undefined : env.scope.files.get(absolutize(a.value, ps) ?? ""),
          );
          const only = files.length === 1 ? files[0] : undefined;
          x.output =
            only?.content !== undefined
              ? { kind: "literal", text: only.content }
              : only?.origin === "network"
                ? { kind: "network" }
                : { kind: "unknown", paths: paths.filter((p) => p.role === "read") };
        }
      } else x.output = { kind: "unknown", paths: paths.filter((p) => p.role === "read") };
      if (program === "base64" || program === "base32" || program === "basenc") {
        if (parsed.flags.some((f) => f === "-d" || f === "--decode" || f === "-D"))
          x.output = { kind: "decoded" };
      }
      if (program === "xxd" && parsed.flags.includes("-r")) x.output = { kind: "decoded" };
    } else if (program === "echo" || program === "printf") {
      const words =
        program === "echo"
          ? rest.filter(
              (a, k) =>
                !(k === rest.findIndex((x) => !/^-[neE]+$/.test(x.value))
                  ? false
                  : /^-[neE]+$/.test(a.value) &&
                    k < rest.findIndex((x) => !/^-[neE]+$/.test(x.value))),
            )
          : rest;
      const flags =
        program === "echo"
          ? rest
              .filter((a) => /^-[neE]+$/.test(a.value))
              .map((a) => a.value)
              .join("")
          : "";
      const payload = words.map((a) => a.value).join(" ");
      const escapes = /\\(x[0-9a-fA-F]|u[0-9a-fA-F]|[0-7]{1,3}|0[0-7])/.test(payload);
      if (words.some((a) => a.dynamic)) x.output = { kind: "unknown", paths: [] };
      else if ((program === "printf" || flags.includes("e")) && escapes)
        x.output = { kind: "decoded" };
      else x.output = { kind: "literal", text: program === "printf" ? payload : payload + "\n" };
    } else if (
      program === "curl" ||
      program === "wget" ||
      program === "fetch" ||
      program === "aria2c" ||
      program === "http" ||
      program === "xh"
    ) {
      const out = optionValue("-o", "--output", "-O", "--output-document");
      const toStdout =
        program === "curl" || program === "fetch"
          ? (out === undefined || out === "-") &&
            !parsed.flags.includes("-O") &&
            !parsed.flags.includes("--remote-name")
          : out === "-" || program === "http" || program === "xh";
      if (toStdout) x.output = { kind: "network" };
      else {
        const url = positionals.find((a) => /^[a-z]+:\/\//i.test(a.value) || /\./.test(a.value));
        const file =
          out ?? (url ? basename(url.value.replace(/[?#].*$/, "")) || "index.html" : undefined);
        if (file !== undefined) {
          const abs = absolutize(file, ps);
          if (abs) env.scope.files.set(abs, { origin: "network" });
          addPath(file, "write");
        }
      }
      for (const o of [
        "-d",
        "--data",
        "--data-binary",
        "--data-raw",
        "--data-ascii",
        "--data-urlencode",
        "-F",
        "--form",
        "-T",
        "--upload-file",
        "--post-file",
        "--body-file",
        "--json",
      ]) {
        for (const v of parsed.options[o] ?? []) {
          const m = /^(?:[^=@]*=)?[@<](.+)$/.exec(v);
          const file =
            o === "-T" || o === "--upload-file" || o === "--post-file" || o === "--body-file"
              ? v
              : m?.[1];
          if (file !== undefined && file !== "-") {
            const f = pathFact(lit(file), "read", ps);
            paths.push(f);
            env.inputs.push(f);
          }
          env.tags.push("upload");
        }
      }
      if (parsed.options["--post-data"] || parsed.options["--body-data"]) env.tags.push("upload");
    } else if (program === "ssh") {
      const host = pos(0);
      for (const o of parsed.options["-o"] ?? []) {
        const m =
          /^(ProxyCommand|LocalCommand|KnownHostsCommand|RemoteCommand)\s*[= ]\s*(.*)$/is.exec(o);
        if (m) this.shellText(m[2]!, env, `ssh -o ${m[1]!}`, /^remote/i.test(m[1]!));
      }
      const remote = positionals.slice(1);
      if (host && remote.length > 0) {
        env.tags.push("remote-command");
        const cmd = {
          value: remote.map((r) => r.value).join(" "),
          dynamic: remote.some((r) => r.dynamic),
          glob: false,
        };
        texts.push(cmd.value);
        this.shellText(cmd, env, "ssh", true);
      } else if (host && env.stdin.kind !== "none") {
        env.tags.push("remote-command");
        const saved = env.frame;
        env.frame = { ...env.frame, remote: true };
        this.stdinAsCode(env, "shell", "ssh");
        env.frame = saved;
      }
    } else if (
      program === "nc" ||
      program === "ncat" ||
      program === "netcat" ||
      program === "socat" ||
      program === "telnet"
    ) {
      const e = optionValue("-e", "-c", "--exec", "--sh-exec", "--lua-exec");
      if (e !== undefined) env.tags.push("reverse-shell");
      if (program === "socat" && argv.some((a) => /(^|,|\s)(exec|system):/i.test(a)))
        env.tags.push("reverse-shell");
      if (program === "socat") {
        for (const a of argv) {
          const m = /^(?:file|open|gopen|create):([^,]+)/i.exec(a);
          if (m) {
            const f = pathFact(lit(m[1]!), "read", ps);
            paths.push(f);
            env.inputs.push(f);
          }
        }
      }
      x.output = { kind: "network" };
    } else if (program === "compgen" || program === "complete") {
      const c = optionValue("-C");
      if (c !== undefined) this.shellText(c, env, "compgen -C");
    } else if (program === "split") {
      const f = optionValue("--filter");
      if (f !== undefined) this.shellText(f, env, "split --filter");
    } else if (program === "make" || program === "gmake") {
      for (const e of parsed.options["--eval"] ?? []) {
        texts.push(e);
        for (const m of e.matchAll(/\$\(shell\s+([^)]*)\)/g))
          this.shellText(m[1]!, env, "make --eval");
      }
    } else if (
      program === "vim" ||
      program === "vi" ||
      program === "nvim" ||
      program === "ex" ||
      program === "view"
    ) {
      for (const c of [
        ...(parsed.options["-c"] ?? []),
        ...(parsed.options["--cmd"] ?? []),
        ...argv.filter((a) => a.startsWith("+")).map((a) => a.slice(1)),
      ]) {
        const m = /^:?\s*!(.*)$/s.exec(c);
        if (m) this.shellText(m[1]!, env, "vim !");
      }
    } else if (program === "apt-get" || program === "apt" || program === "aptitude") {
      for (const o of parsed.options["-o"] ?? []) {
        const m = /(Pre-Invoke|Post-Invoke|Pre-Install-Pkgs|Post-Invoke-Success)[^=]*=(.*)$/i.exec(
          o,
        );
        if (m) this.shellText(m[2]!, env, "apt -o hook");
      }
    } else if (program === "script") {
      const c = optionValue("-c", "--command");
      if (c !== undefined) this.shellText(c, env, "script -c");
    } else if (
      program === "sqlite3" ||
      program === "psql" ||
      program === "mysql" ||
      program === "mariadb" ||
      program === "clickhouse-client" ||
      program === "cockroach" ||
      program === "mongosh" ||
      program === "mongo" ||
      program === "redis-cli"
    ) {
      const payloads: string[] = [];
      if (program === "sqlite3")
        payloads.push(
          ...positionals.slice(1).map((a) => a.value),
          ...(parsed.options["-cmd"] ?? []),
        );
      else
        payloads.push(
          ...(parsed.options["-c"] ?? []),
          ...(parsed.options["--command"] ?? []),
          ...(parsed.options["-e"] ?? []),
          ...(parsed.options["--execute"] ?? []),
          ...(parsed.options["--eval"] ?? []),
          ...(parsed.options["-q"] ?? []),
        );
      if (env.stdin.kind === "literal") payloads.push(env.stdin.text);
      for (const p of payloads) {
        texts.push(p);
        for (const m of p.matchAll(/^\s*\.(shell|system)\s+(.*)$/gm))
          this.shellText(m[2]!, env, `${program} .${m[1]!}`);
        for (const st of p.split(";"))
          if (st.trim() !== "") sql.push(st.trim().replace(/\s+/g, " "));
      }
      if (program === "redis-cli") sql.push(argv.join(" "));
    } else if (program === "git-lfs") {
      // nothing beyond the generic reading
    }
  }

  private fileRun(f: { content?: string; origin: string }, env: CommandEnv, name: string): void {
    if (f.content !== undefined) this.shellText(f.content, env, `script-file ${name}`);
    else if (f.origin === "network") env.tags.push("exec-downloaded");
    else env.tags.push("exec-written");
  }

  private scriptFile(arg: ArgValue, env: CommandEnv, program: string, paths: PathFact[]): void {
    const ps = this.pathScope(env.scope);
    if (arg.stream) {
      // bash <(curl …): the script is what the substitution prints
      const saved = env.stdin;
      env.stdin = arg.stream.kind === "unknown" ? { kind: "unknown", paths: [] } : arg.stream;
      this.stdinAsCode(
        env,
        program === "source" || program === "." || SHELLS.has(program) ? "shell" : "code",
        program,
      );
      env.stdin = saved;
      return;
    }
    if (/^(\/dev\/stdin|\/dev\/fd\/0|\/proc\/self\/fd\/0)$/.test(arg.value)) {
      this.stdinAsCode(
        env,
        SHELLS.has(program) || program === "source" || program === "." ? "shell" : "code",
        program,
      );
      return;
    }
    if (arg.dynamic) {
      paths.push(pathFact(arg, "exec", ps));
      return;
    }
    const f = pathFact(arg, "exec", ps);
    paths.push(f);
    const known = env.scope.files.get(f.path);
    if (known) this.fileRun(known, env, `${program} ${arg.value}`);
  }

  private interpreter(
    program: string,
    rest: ArgValue[],
    argv: string[],
    env: CommandEnv,
    paths: PathFact[],
    texts: string[],
  ): void {
    const ps = this.pathScope(env.scope);
    const codeFlags = INTERPRETERS[program] ?? [];
    if (AWKS.has(program)) {
      const p = parseArgs(argv, {
        valued: ["-F", "-v", "-f", "--file", "--assign", "--field-separator"],
      });
      const prog = p.options["-f"] ? undefined : rest[p.positionalIndex[0] ?? -1];
      if (prog) {
        texts.push(prog.value);
        if (prog.dynamic) this.unsure("dynamic-interpreter-exec", `awk program built at run time`);
        else {
          this.code(prog.value, env, "awk");
          for (const m of prog.value.matchAll(
            /print[^|;}]*\|\s*"([^"]*)"|"([^"]*)"\s*\|\s*getline/g,
          ))
            this.shellText(m[1] ?? m[2]!, env, "awk pipe");
        }
        for (const a of p.positionalIndex.slice(1).map((i) => rest[i]!))
          paths.push(pathFact(a, "read", ps));
      }
      return;
    }
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      const short = codeFlags.find(
        (f) =>
          f.length === 2 &&
          a.startsWith(f) &&
          a.length > 2 &&
          !a.startsWith("--") &&
          program !== "deno",
      );
      const bundle = (program === "perl" || program === "ruby") && /^-[a-zA-Z]*[eE]$/.test(a);
      if (codeFlags.includes(a) || short || bundle) {
        const value = short && !bundle ? lit(a.slice(2)) : rest[i + 1];
        if (!value) return;
        texts.push(value.value);
        if (value.dynamic)
          this.unsure(
            "dynamic-interpreter-exec",
            `${program} code built at run time: ${value.value.slice(0, 60)}`,
          );
        else this.code(value.value, env, `${program} ${short && !bundle ? a.slice(0, 2) : a}`);
        return;
      }
      if (a === "-m" && program === "python") return;
      if (!a.startsWith("-") || a === "-") {
        if (a === "-") break;
        this.scriptFile(rest[i]!, env, program, paths);
        return;
      }
    }
    if (env.stdin.kind !== "none") this.stdinAsCode(env, "code", program);
  }

  private sed(parsed: ParsedArgs, rest: ArgValue[], env: CommandEnv, paths: PathFact[]): void {
    const ps = this.pathScope(env.scope);
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
          if (shell) this.shellText(shell, env, "sed e");
          else this.unsure("dynamic-shell-text", "sed e executes the pattern space");
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
              this.unsure("dynamic-shell-text", "sed s///e executes the result as a command");
          }
        }
      }
    }
  }

  private git(
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
        this.shellText(value.slice(1), env, `git -c ${key}`);
      else if (
        /^(core\.(pager|editor|sshcommand|fsmonitor|hookspath|gitproxy|askpass)|pager\..*|diff\..*\.(command|textconv)|sequence\.editor|credential\.helper|filter\..*\.(clean|smudge|process)|merge\..*\.driver|gpg\.program|uploadpack\.packobjectshook)$/.test(
          key,
        )
      ) {
        if (key === "core.hookspath") env.tags.push("git-hooks-override");
        else this.shellText(value.replace(/^!/, ""), env, `git -c ${key}`);
      }
    }
    for (const a of positionals.slice(1)) if (looksLikePath(a)) addPath(a, "operand");
    for (const o of ["--output", "-o"])
      for (const v of parsed.options[o] ?? []) addPath(v, "write");
  }

  /** `find`: tests, actions, and the command of `-exec`; returns its output as path items. */
  private find(rest: ArgValue[], env: CommandEnv, paths: PathFact[]): Output {
    const ps = this.pathScope(env.scope);
    const values = rest.map((a) => a.value);
    let i = 0;
    while (i < values.length && /^-[HLP]$|^-O\d$|^-D$/.test(values[i]!))
      i += values[i] === "-D" ? 2 : 1;
    const starts: ArgValue[] = [];
    while (i < values.length && !/^[-!(),]/.test(values[i]!)) starts.push(rest[i++]!);
    if (starts.length === 0) starts.push(lit("."));
    let filtered = false;
    const NON_FILTERS = new Set([
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
    const VALUED = new Set([
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
    const startItems = (): ArgValue[] =>
      filtered
        ? starts.map((s) => ({
            value: `${s.value.replace(/\/$/, "")}/<match>`,
            dynamic: s.dynamic,
            glob: false,
          }))
        : starts;
    let acted = false;
    for (; i < values.length; i++) {
      const a = values[i]!;
      if (a === "-exec" || a === "-execdir" || a === "-ok" || a === "-okdir") {
        let j = i + 1;
        while (j < values.length && values[j] !== ";" && values[j] !== "+") j++;
        const template = rest.slice(i + 1, j);
        acted = true;
        const frame: Frame = {
          ...env.frame,
          wrappers: [...env.frame.wrappers, `find ${a}`],
          via: [...env.frame.via, "find-exec"],
        };
        for (const item of startItems()) {
          const argv = template.map((t) =>
            t.value.includes("{}")
              ? {
                  value: t.value.split("{}").join(item.value),
                  dynamic: t.dynamic || item.dynamic,
                  glob: t.glob || item.glob,
                }
              : t,
          );
          if (argv.length > 0)
            this.run(argv, {
              ...env,
              frame,
              stdin: NONE,
              redirects: [],
              inputs: [],
              assigns: [],
              tags: [],
              text: template.map((t) => t.value).join(" "),
            });
        }
        i = j;
        continue;
      }
      if (a === "-delete") {
        acted = true;
        for (const item of startItems()) {
          const frame: Frame = {
            ...env.frame,
            wrappers: [...env.frame.wrappers, "find -delete"],
            via: [...env.frame.via, "find-exec"],
          };
          this.run([lit("rm"), lit("-r"), item], {
            ...env,
            frame,
            stdin: NONE,
            redirects: [],
            inputs: [],
            assigns: [],
            tags: [],
            text: `find -delete ${item.value}`,
          });
        }
        continue;
      }
      if (a === "-fprint" || a === "-fprint0" || a === "-fls" || a === "-fprintf") {
        paths.push(pathFact(rest[i + 1] ?? lit(""), "write", ps));
        i += a === "-fprintf" ? 2 : 1;
        continue;
      }
      if (
        a.startsWith("-") &&
        !NON_FILTERS.has(a) &&
        a !== "-o" &&
        a !== "-or" &&
        a !== "-a" &&
        a !== "-and" &&
        a !== "-not"
      )
        filtered = true;
      if (VALUED.has(a)) i++;
    }
    for (const s of starts) paths.push(pathFact(s, "read", ps));
    void acted;
    return { kind: "items", items: startItems(), paths: [] };
  }
}

function isShellC(template: ArgValue[]): "missing" | "present" | "no" {
  const first = template[0];
  if (!first || !SHELLS.has(basename(first.value).toLowerCase())) return "no";
  const c = template.findIndex((t, k) => k > 0 && /^-[a-z]*c[a-z]*$/.test(t.value));
  if (c < 0) return "no";
  return c === template.length - 1 ? "missing" : "present";
}

/** The items a command reading stdin (`xargs`, `parallel`) gets, or undefined when unknown. */
function stdinItems(stdin: Output, lines: boolean): ArgValue[] | undefined {
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

function cloneScope(s: Scope): Scope {
  return {
    cwd: s.cwd,
    vars: new Map(s.vars),
    // The filesystem is shared by subshells and pipeline elements.
    files: s.files,
    functions: new Set(s.functions),
    aliases: new Map(s.aliases),
    inFunction: s.inFunction,
  };
}

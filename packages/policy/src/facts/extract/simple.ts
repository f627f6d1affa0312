import type { Command, CommandNode, CompoundList, Redirection, Word } from "unbash";
import type { CommandFacts, PathFact } from "../../types.js";
import type { ParsedArgs } from "../argspec.js";
import { codeEffects } from "../interpreters.js";
import { codeSinks } from "../code-sinks.js";
import { COMMAND_VARS } from "../programs.js";
import { expandBraces } from "../text.js";
import { globPrograms } from "./program-glob.js";
import { pathFact, type ArgValue } from "../paths.js";
import {
  type Scope,
  type Frame,
  type Output,
  NONE,
  lit,
  type CommandEnv,
  Extractor,
  cloneScope,
  MAX_DEPTH,
} from "./state.js";
import { commandNode, compound, script } from "./walk.js";
import { word } from "./words.js";
import { run } from "./run.js";

/**
 * Variables whose value a program runs as a command, by their name (RESTIC_PASSWORD_COMMAND,
 * BORG_PASSCOMMAND, GIT_SSH_COMMAND, SUDO_ASKPASS-style helpers): the value is judged as shell text.
 */
const COMMAND_VAR_NAME = /^[A-Z][A-Z0-9_]*_(COMMAND|CMD|PASSCOMMAND)$/;

export function newEnv(
  ex: Extractor,
  scope: Scope,
  frame: Frame,
  stdin: Output,
  text: string,
): CommandEnv {
  return { scope, frame, stdin, redirects: [], assigns: [], inputs: [], text, tags: [] };
}

export function redirections(
  ex: Extractor,
  redirects: readonly Redirection[],
  env: CommandEnv,
): void {
  const ps = ex.pathScope(env.scope);
  for (const r of redirects) {
    if (r.type === "HereDoc") {
      const parts = r.body.parts;
      let text = r.body.text;
      let dynamic = false;
      if (parts && !r.delimiter?.quoted) {
        const v = word(
          ex,
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
    const t = word(ex, r.target, env.scope, env.frame);
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

export function simple(
  ex: Extractor,
  cmd: Command,
  scope: Scope,
  frame: Frame,
  stdin: Output,
  src: string,
): Output {
  const text = src.slice(cmd.pos, cmd.end);
  const env = newEnv(ex, scope, frame, stdin, text);
  const assignments: { name: string; value: ArgValue }[] = [];
  for (const a of cmd.prefix) {
    if (a.type !== "Assignment") continue;
    const value =
      a.value.type === "ArrayValue"
        ? { value: "", dynamic: true, glob: false }
        : word(ex, a.value, scope, frame);
    assignments.push({ name: a.name, value });
    env.assigns.push(a.name);
  }
  const args: ArgValue[] = [];
  const positional = scope.vars.get("\u0000argv");
  for (const s of cmd.name ? [cmd.name, ...cmd.suffix] : cmd.suffix) {
    // "$@" in a function called with known arguments is those arguments, one word each.
    if (s.type === "Word" && positional != null && /^"?\$(@|\{@\})"?$/.test(s.text)) {
      args.push(...(JSON.parse(positional) as string[]).map((v) => lit(v)));
      continue;
    }
    if (s.type === "Word") {
      const v = word(ex, s, scope, frame);
      // `{rm,-rf,~}` is three words: the command word expands like any other.
      if (s.parts?.some((p) => p.type === "BraceExpansion"))
        args.push(...expandBraces(v.value).map((e) => ({ ...v, value: e, glob: /[*?[]/.test(e) })));
      else args.push(v);
    } else if (s.type === "Assignment") {
      // `export X=$(cat f)`: the value's dynamic flag goes with it, or the variable would be
      // taken as the text `$(cat f)` by every later expansion.
      const v = s.value.type === "ArrayValue" ? lit("") : word(ex, s.value, scope, frame);
      args.push({ ...v, value: `${s.name}${s.append ? "+=" : "="}${v.value}`, glob: false });
    }
  }
  redirections(ex, cmd.redirects, env);
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
    if (COMMAND_VARS.has(a.name) || COMMAND_VAR_NAME.test(a.name))
      shellText(ex, a.value, env, `env ${a.name}`);
  }
  if (args.length === 0) {
    for (const a of assignments) scope.vars.set(a.name, a.value.dynamic ? null : a.value.value);
    push(ex, env, "", "", [], null, []);
    return NONE;
  }
  const head = args[0]!;
  if (head.glob && !head.dynamic) return globCommand(ex, head, args, env);
  const body = scope.bodies?.get(head.value);
  if (body !== undefined && !frame.wrappers.includes(`function ${head.value}`)) {
    // The call's redirections apply to the whole body, as a compound command's do (walk.ts,
    // "Redirected"): `f > /etc/passwd` writes that file whatever the body prints.
    if (env.redirects.length > 0) push(ex, env, "", "", [], null, []);
    return callFunction(ex, head.value, body, args.slice(1), scope, frame);
  }
  return run(ex, args, env);
}

/** A call of a function defined in the same line: its body, with the call's arguments bound. */
function callFunction(
  ex: Extractor,
  name: string,
  body: { node: CompoundList | CommandNode; src: string },
  args: ArgValue[],
  scope: Scope,
  frame: Frame,
): Output {
  const inner = cloneScope(scope);
  args.forEach((a, i) => inner.vars.set(String(i + 1), a.dynamic ? null : a.value));
  const known = args.every((a) => !a.dynamic);
  inner.vars.set("@", known ? args.map((a) => a.value).join(" ") : null);
  inner.vars.set("*", known ? args.map((a) => a.value).join(" ") : null);
  inner.vars.set("#", String(args.length));
  if (known) inner.vars.set("\u0000argv", JSON.stringify(args.map((a) => a.value)));
  const called: Frame = {
    ...frame,
    depth: frame.depth + 1,
    via: [...frame.via, `function ${name}`],
    wrappers: [...frame.wrappers, `function ${name}`],
  };
  if (called.depth > MAX_DEPTH) return NONE;
  if (body.node.type === "CompoundList") compound(ex, body.node, inner, called, body.src);
  else commandNode(ex, body.node, inner, called, NONE, body.src);
  return { kind: "unknown", paths: [] };
}

/** A command word that is a glob runs whichever program it matches: judge every candidate. */
function globCommand(ex: Extractor, head: ArgValue, args: ArgValue[], env: CommandEnv): Output {
  const candidates = globPrograms(head.value);
  if (candidates.length === 0) {
    ex.unsure("glob-program", `the command word is a glob the gate cannot resolve: ${head.value}`);
    return run(ex, args, env);
  }
  let out: Output = NONE;
  const dir = head.value.slice(0, head.value.lastIndexOf("/") + 1);
  for (const c of candidates)
    out = run(ex, [{ ...head, value: dir + c, glob: false }, ...args.slice(1)], env);
  return out;
}

/** Analyse shell text found inside another command (`sh -c`, `eval`, `ssh host …`). */
export function shellText(
  ex: Extractor,
  v: ArgValue | string,
  env: CommandEnv,
  via: string,
  remote = env.frame.remote,
): void {
  const value = typeof v === "string" ? lit(v) : v;
  if (value.dynamic) {
    ex.unsure(
      "dynamic-shell-text",
      `shell text built at run time is executed (${via}): ${value.value.slice(0, 80)}`,
    );
    return;
  }
  const inner = cloneScope(env.scope);
  if (remote && !env.frame.remote) {
    inner.cwd = ex.ctx.home;
  }
  script(ex, value.value, inner, {
    ...env.frame,
    depth: env.frame.depth + 1,
    via: [...env.frame.via, via],
    remote,
    concurrent: false,
  });
}

/** Run stdin as shell or interpreter code. */
export function stdinAsCode(
  ex: Extractor,
  env: CommandEnv,
  kind: "shell" | "code",
  program: string,
): void {
  const s = env.stdin;
  if (s.kind === "literal") {
    if (kind === "shell") shellText(ex, s.text, env, `${program} stdin`);
    else code(ex, s.text, env, `${program} stdin`);
  } else if (s.kind === "network") env.tags.push("pipe-from-network");
  else if (s.kind === "decoded")
    ex.unsure("decoded-payload", `a payload decoded at run time is fed to ${program}`);
  else if (s.kind === "unknown" && s.paths.length === 0)
    ex.unsure("computed-script", `${program} runs text computed at run time from its stdin`);
  else env.tags.push("stdin-script");
}

/** Analyse interpreter code: deletions become synthetic `rm` commands, exec calls nested shell. */
export function code(ex: Extractor, code: string, env: CommandEnv, via: string): void {
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
  for (const s of fx.shell) shellText(ex, s, env, via);
  for (const argv of fx.spawn) run(ex, argv.map(lit), { ...sub, text: argv.join(" ") });
  for (const p of fx.deletes) {
    const glob = /[*?[]/.test(p);
    run(ex, [lit("rm"), lit("-rf"), { value: p, dynamic: false, glob }], {
      ...sub,
      text: `rm -rf ${p}`,
    });
  }
  for (const d of fx.dynamic)
    ex.unsure("dynamic-interpreter-exec", `interpreter call with a run-time argument: ${d}`);
  if (fx.reverseShell) env.tags.push("reverse-shell");
  const sinks = codeSinks(code);
  const ps = ex.pathScope(env.scope);
  for (const r of sinks.reads) {
    const f = pathFact(lit(r), "read", ps);
    env.inputs.push(f);
  }
  // Local data the code read, sent by the same code: an upload.
  if ((sinks.sends && sinks.reads.length > 0) || sinks.serves) env.tags.push("upload");
  if (sinks.fetchExec) env.tags.push("exec-downloaded");
  if (sinks.forkLoop) env.tags.push("fork-bomb");
  env.tags.push("interpreter-code");
}

/** A path under a remote filesystem mounted earlier on the line is classed `remote-mount`. */
function underMount(p: PathFact, mounts: ReadonlySet<string>): void {
  if (p.classes.includes("remote-mount")) return;
  for (const m of mounts)
    if (p.path === m || p.path.startsWith(m + "/")) {
      p.classes = [...p.classes, "remote-mount"];
      return;
    }
}

export function push(
  ex: Extractor,
  env: CommandEnv,
  program: string,
  programPath: string,
  argv: string[],
  parsed: ParsedArgs | null,
  paths: PathFact[],
  extra: Partial<CommandFacts> = {},
): CommandFacts {
  const mounts = env.scope.mounts;
  if (mounts !== undefined && mounts.size > 0) {
    for (const p of paths) underMount(p, mounts);
    for (const r of env.redirects) if (r.path !== undefined) underMount(r.path, mounts);
  }
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
  ex.commands.push(facts);
  return facts;
}

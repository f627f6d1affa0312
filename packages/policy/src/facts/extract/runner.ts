/**
 * Programs that run another command, read from `knowledge/runners.yaml`: the command in their
 * operands, in an option's value (a shell line, a program, code, or the program's own command
 * language with a shell escape), or an interactive shell the gate never sees.
 */
import type { RunnerSpec } from "../../knowledge/schema.js";
import { parseArgs, type OptionSpec } from "../argspec.js";
import { firstCommandIndex } from "../programs.js";
import { absolutize, pathFact, type ArgValue } from "../paths.js";
import { type Output, type CommandEnv, type Frame, Extractor, lit } from "./state.js";
import { shellText, code } from "./simple.js";
import { emit } from "./emit.js";

/** Judge `inner` as run by the wrapper `by` (or the wrapper itself when `inner` is empty). */
export type Wrap = (by: string, inner: ArgValue[], patch?: Partial<Frame>) => Output;

const optionSpecs = new WeakMap<RunnerSpec, OptionSpec>();

/** The option grammar of an entry: its own valued options and every option that carries a value. */
function optionSpec(spec: RunnerSpec): OptionSpec {
  let s = optionSpecs.get(spec);
  if (s === undefined) {
    s = {
      valued: [
        ...spec.valued,
        ...spec.command_options,
        ...spec.program_options,
        ...spec.code_options,
        ...spec.escape_options,
        ...spec.embedded.flatMap((e) => [
          ...e.from.filter((f) => f.startsWith("-")),
          ...e.in_files,
        ]),
      ],
      longSingleDash: spec.long_single_dash,
    };
    optionSpecs.set(spec, s);
  }
  return s;
}

/** The argument a parsed option value came from, to keep its dynamic flag. */
function argOf(rest: readonly ArgValue[], v: string): ArgValue {
  const from = rest.find((r) => r.value === v || r.value.endsWith(v));
  return from === undefined ? lit(v) : { ...from, value: v };
}

/** Mark an interactive shell: whatever it runs comes from the terminal, never from the gate. */
export function interactiveShell(env: CommandEnv, privileged: boolean): void {
  env.tags.push("interactive-shell");
  if (privileged || env.frame.privileged) env.tags.push("root-shell");
}

/** Lines of a program's command language (`vi -c`, `gdb -ex`): shell escapes and shell commands. */
function escapeLines(
  ex: Extractor,
  spec: RunnerSpec,
  value: ArgValue,
  env: CommandEnv,
  via: string,
): void {
  for (const raw of value.value.split("\n")) {
    const line = raw.trim().replace(/^:+\s*/, "");
    const prefix = spec.escapes.find((p) => line.startsWith(p));
    if (prefix !== undefined) {
      const cmd = line.slice(prefix.length).trim();
      if (cmd === "") interactiveShell(env, spec.privileged);
      else shellText(ex, { ...value, value: cmd }, env, via);
      continue;
    }
    const verb = line.split(/\s+/)[0] ?? "";
    if (spec.upload_commands.includes(verb) && line.length > verb.length) env.tags.push("upload");
    for (const part of line.split("|")) {
      const word =
        part
          .trim()
          .replace(/^:+\s*/, "")
          .split(/\s+/)[0] ?? "";
      if (spec.shell_commands.includes(word)) interactiveShell(env, spec.privileged);
    }
  }
}

/**
 * An interactive program run with no command of its own reads its command language from stdin:
 * the text piped or redirected into it (`echo 'put f' | ftp h`, a heredoc), or, with nothing on
 * stdin, the lines after it when the shell reads its script from stdin (`ssh host sh < script`,
 * a piped heredoc), which the program reads as typed input.
 */
function typedLines(
  ex: Extractor,
  spec: RunnerSpec,
  name: string,
  env: CommandEnv,
  ran: boolean,
): void {
  if (!spec.typed || ran) return;
  if (env.stdin.kind === "literal")
    escapeLines(ex, spec, lit(env.stdin.text), env, `${name} stdin`);
  else if (env.stdin.kind === "none" && ex.following.trim() !== "")
    escapeLines(ex, spec, lit(ex.following), env, `${name} typed input`);
}

/**
 * The text of the configuration files a daemon is handed (`rsyslogd -f F`, `fail2ban-client -c
 * DIR`) that this line wrote (or the chain memory read back from the guest): the file itself, or
 * every file under the directory. Each is also named as an input the program runs, so that
 * `scriptsToRead` asks for it when an earlier command wrote it.
 */
function configTexts(
  ex: Extractor,
  optionNames: readonly string[],
  options: Record<string, string[]>,
  env: CommandEnv,
): string[] {
  const out: string[] = [];
  const ps = ex.pathScope(env.scope);
  for (const o of optionNames)
    for (const v of options[o] ?? []) {
      const abs = absolutize(v.replace(/\/+$/, "") || v, ps);
      if (abs === undefined) continue;
      env.inputs.push({ ...pathFact(lit(abs), "read", ps), runs: true });
      for (const [path, f] of env.scope.files)
        if ((path === abs || path.startsWith(abs + "/")) && f.content !== undefined)
          out.push(f.content);
    }
  return out;
}

const embeddedPatterns = new WeakMap<RunnerSpec, RegExp[]>();

/** Shell commands embedded in the program's language: in its operands, stdin or option values. */
function embeddedCommands(
  ex: Extractor,
  spec: RunnerSpec,
  name: string,
  p: { flags: string[]; options: Record<string, string[]>; positionals: string[] },
  env: CommandEnv,
): boolean {
  if (spec.embedded.length === 0) return false;
  let res = embeddedPatterns.get(spec);
  if (res === undefined) {
    res = spec.embedded.map((e) => new RegExp(e.pattern, "g"));
    embeddedPatterns.set(spec, res);
  }
  let ran = false;
  spec.embedded.forEach((e, k) => {
    if (e.requires.length > 0 && !e.requires.some((f) => p.flags.includes(f))) return;
    const texts = [
      ...configTexts(ex, e.in_files, p.options, env),
      ...e.from.flatMap((f) =>
        f === "operands"
          ? p.positionals
          : f === "stdin"
            ? env.stdin.kind === "literal"
              ? [env.stdin.text]
              : []
            : (p.options[f] ?? []),
      ),
    ];
    for (const t of texts)
      for (const m of t.matchAll(res[k]!)) {
        ran = true;
        if (e.later) env.tags.push("daemon-command");
        shellText(ex, m[1] ?? "", env, `${name} embedded`);
      }
  });
  return ran;
}

/** The commands an entry's options carry; true when any option carried one. */
function optionCommands(
  ex: Extractor,
  spec: RunnerSpec,
  name: string,
  rest: readonly ArgValue[],
  options: Record<string, string[]>,
  env: CommandEnv,
  wrap: Wrap,
): boolean {
  let ran = false;
  const each = (names: readonly string[], f: (v: ArgValue, via: string) => void): void => {
    for (const o of names)
      for (const v of options[o] ?? []) {
        ran = true;
        f(argOf(rest, v), `${name} ${o}`);
      }
  };
  each(spec.command_options, (v, via) => shellText(ex, v, env, via));
  each(spec.program_options, (v) => void wrap(name, [v]));
  each(spec.code_options, (v, via) => {
    if (v.dynamic) ex.unsure("dynamic-interpreter-exec", `${via}: code built at run time`);
    else code(ex, v.value, env, via);
  });
  each(spec.escape_options, (v, via) => escapeLines(ex, spec, v, env, via));
  return ran;
}

/**
 * Index of the command in a runner's words: after its options and `skip` operands, and after
 * options that follow those operands (`flock FILE -c LINE`, `setarch ARCH -R CMD`).
 */
function commandStart(words: readonly string[], grammar: OptionSpec, skip: number): number {
  const valued = grammar.valued ?? [];
  let i = firstCommandIndex(words, grammar as { valued: readonly string[] }, skip);
  while (skip > 0 && i < words.length && words[i]!.startsWith("-") && words[i] !== "-") {
    if (words[i] === "--") return i + 1;
    i += valued.includes(words[i]!) ? 2 : 1;
  }
  return Math.min(i, words.length);
}

/** Judge a command run by a runner entry; `consumed` words after the program are its subcommand. */
export function runRunner(
  ex: Extractor,
  spec: RunnerSpec,
  consumed: number,
  args: ArgValue[],
  env: CommandEnv,
  wrap: Wrap,
): Output {
  const name = [args[0]!.value, ...(spec.subcommand ?? [])].join(" ");
  const rest = args.slice(1 + consumed);
  const values = rest.map((a) => a.value);
  const restAt = values.findIndex(
    (v) => spec.rest_options.includes(v) || spec.shell_rest_options.includes(v),
  );
  const own = restAt < 0 ? values : values.slice(0, restAt);
  const grammar = optionSpec(spec);
  // Only the words before the command are the runner's own (`sudo -u bob ls -l`).
  const at = spec.operands === "command" ? commandStart(own, grammar, spec.skip) : own.length;
  const p = parseArgs(own.slice(0, at), grammar);
  env.tags.push(...spec.tags);
  const patch: Partial<Frame> = spec.privileged ? { privileged: true } : {};
  const fromOptions = optionCommands(ex, spec, name, rest, p.options, env, wrap);
  const ran = embeddedCommands(ex, spec, name, p, env) || fromOptions;
  if (restAt >= 0) {
    const after = rest.slice(restAt + 1);
    const shell = spec.shell_rest_options.includes(values[restAt]!);
    if (after.length > 0 || shell) return wrap(name, shell ? [lit("sh"), ...after] : after, patch);
  }
  if (spec.own_flags.some((f) => p.flags.includes(f))) return emit(ex, args, env);
  if (spec.operands === "command") {
    const inner = rest.slice(at, restAt < 0 ? undefined : restAt);
    if (inner.length > 0) {
      if (spec.join && !spec.join_unless.some((f) => p.flags.includes(f))) {
        const line = inner.map((w) => w.value).join(" ");
        shellText(
          ex,
          { value: line, dynamic: inner.some((w) => w.dynamic), glob: false },
          env,
          name,
        );
        return emit(ex, args, env);
      }
      return wrap(name, inner, patch);
    }
  }
  typedLines(ex, spec, name, env, ran);
  const shellFlag = spec.shell_flags.some((f) => p.flags.includes(f));
  const empty = !ran && (spec.operands !== "none" || p.positionals.length === 0);
  if (shellFlag || (empty && spec.when_empty === "shell")) interactiveShell(env, spec.privileged);
  return emit(ex, args, env);
}

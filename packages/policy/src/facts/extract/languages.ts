/**
 * Command languages several programs read from the text they are handed
 * (`knowledge/languages.yaml`): a program no runner entry names that is given m4's `esyscmd(CMD)`,
 * or fed a script of file-transfer commands (`put FILE`, `!CMD`) on stdin or as typed lines, runs
 * what that text says whatever its name. The language decides, not the program.
 */
import type { LanguageSpec } from "../../knowledge/schema.js";
import { runnerLanguages } from "../../knowledge/runners.js";
import { absolutize, type ArgValue } from "../paths.js";
import { type CommandEnv, Extractor } from "./state.js";
import { shellText } from "./simple.js";
import { interactiveShell } from "./runner.js";
import { inert } from "./handed.js";

interface Patterns {
  embedded: RegExp[];
  config: RegExp[];
  settings: RegExp[];
  /**
   * One expression matching where any of `embedded` (or `settings`) does, without `g`: every
   * program without a runner entry passes here, and nearly no text holds any of them, so a text
   * is searched pattern by pattern only when this finds something in it.
   */
  anyEmbedded: RegExp | undefined;
  anySetting: RegExp | undefined;
}
const compiled = new WeakMap<LanguageSpec, Patterns>();

function patterns(spec: LanguageSpec): Patterns {
  let res = compiled.get(spec);
  if (res === undefined) {
    const all = (list: readonly string[]): RegExp[] => list.map((p) => new RegExp(p, "g"));
    const any = (list: readonly string[]): RegExp | undefined =>
      list.length === 0 ? undefined : new RegExp(list.map((p) => `(?:${p})`).join("|"));
    res = {
      embedded: all(spec.embedded),
      config: all(spec.config),
      settings: all(spec.settings),
      anyEmbedded: any(spec.embedded),
      anySetting: any(spec.settings),
    };
    compiled.set(spec, res);
  }
  return res;
}

/**
 * The content of the files this line wrote that an option's value names, by path or by a
 * directory above them (`-f /tmp/r.conf`, `--config=/tmp/r.conf`, `-c /tmp/f2b/`): what the
 * program reads as its configuration. An operand is a file the program works on (`cp u.service
 * /srv/`, `systemd-analyze verify u.service`).
 */
function handedTexts(
  ex: Extractor,
  name: string,
  args: readonly ArgValue[],
  env: CommandEnv,
): string[] {
  const files = env.scope.files;
  if (files.size === 0) return [];
  const ps = ex.pathScope(env.scope);
  const named: string[] = [];
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    const attached = /^--?[\w-]+=/.test(a.value);
    if (a.dynamic || a.value.startsWith("-") !== attached) continue;
    if (!attached && !(args[i - 1]?.value.startsWith("-") ?? false)) continue;
    const value = a.value.slice(a.value.indexOf("=") + 1);
    const abs = absolutize(value.replace(/\/+$/, "") || value, ps);
    if (abs !== undefined) named.push(abs);
  }
  const out: string[] = [];
  for (const [path, f] of files)
    if (f.content !== undefined && named.some((n) => path === n || path.startsWith(n + "/")))
      out.push(f.content);
  return out;
}

const firstWord = (line: string): string => line.split(/\s+/)[0] ?? "";

/**
 * The lines of `text` when it is written in the language's line commands: every non-empty line
 * is one of its commands or an escape, and at least one is a command (a lone `!x` line is too
 * little to tell an ftp session from any text), else undefined.
 */
function languageLines(spec: LanguageSpec, text: string): string[] | undefined {
  if (spec.commands.length === 0) return undefined;
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  const escape = (l: string): boolean => spec.escapes.some((p) => l.startsWith(p));
  const command = (l: string): boolean => spec.commands.includes(firstWord(l));
  if (!lines.every((l) => escape(l) || command(l)) || !lines.some(command)) return undefined;
  return lines;
}

/** A local path as an upload command's operand (not a quoted list of values: hbase's `put 't','r'`). */
const LOCAL_OPERAND = /^[\w.~/*?[-][^\s,'"]*$/;

function judgeLines(
  ex: Extractor,
  spec: LanguageSpec,
  lines: readonly string[],
  env: CommandEnv,
  via: string,
): void {
  for (const line of lines) {
    const prefix = spec.escapes.find((p) => line.startsWith(p));
    if (prefix !== undefined) {
      const cmd = line.slice(prefix.length).trim();
      if (cmd === "") interactiveShell(env, false);
      else shellText(ex, cmd, env, via);
      continue;
    }
    const [verb = "", operand = ""] = line.split(/\s+/);
    if (spec.upload_commands.includes(verb) && LOCAL_OPERAND.test(operand)) env.tags.push("upload");
  }
}

/**
 * A client of a line language names the host it talks to (`ftp host`, `tftp 10.0.0.1`,
 * `sftp -b - u@h`) and prints the session: a program given only paths, or whose output goes to a
 * file (`cat > batch.txt <<EOF`), is handling the text as data.
 */
function namesPeer(args: readonly ArgValue[], env: CommandEnv): boolean {
  if (env.redirects.some((r) => r.write && !r.operator.startsWith("2"))) return false;
  return args.slice(1).some((a) => !a.value.startsWith("-") && !/[/*?[]/.test(a.value));
}

/**
 * Judge what the text a program is handed runs, by the languages of `languages.yaml`: embedded
 * shell commands in its stdin text and arguments, commands of a configuration this line wrote and
 * handed to it, and line commands on its stdin or typed after it (a script the shell reads from
 * stdin types its later lines into the program).
 */
export function languageCommands(
  ex: Extractor,
  name: string,
  args: readonly ArgValue[],
  env: CommandEnv,
): void {
  // Programs that only print, copy, search or inspect text handle it as data (cat, grep, git).
  if (inert(name)) return;
  const stdin = env.stdin.kind === "literal" ? env.stdin.text : undefined;
  let texts: string[] | undefined;
  let line: string | undefined;
  let handed: string[] | undefined;
  // A session needs text to read: stdin's, or lines typed after the program (not blank ones).
  const typed =
    env.stdin.kind === "none" && ex.following !== "" && /\S/.test(ex.following)
      ? ex.following
      : undefined;
  const peer = (stdin !== undefined || typed !== undefined) && namesPeer(args, env);
  for (const spec of runnerLanguages()) {
    const res = patterns(spec);
    if (res.anyEmbedded !== undefined) {
      texts ??= [...(stdin === undefined ? [] : [stdin]), ...args.slice(1).map((a) => a.value)];
      const hits = texts.filter((t) => res.anyEmbedded!.test(t));
      for (const re of res.embedded)
        for (const t of hits)
          for (const m of t.matchAll(re))
            shellText(ex, m[1] ?? "", env, `${name} ${spec.language}`);
    }
    if (res.config.length > 0) {
      handed ??= handedTexts(ex, name, args, env);
      for (const re of res.config)
        for (const t of handed)
          daemonCommands(ex, t, re, env, `${name} configuration (${spec.language})`);
    }
    if (res.anySetting !== undefined) {
      line ??= args
        .slice(1)
        .map((a) => a.value)
        .join(" ");
      if (res.anySetting.test(line))
        for (const re of res.settings)
          daemonCommands(ex, line, re, env, `${name} setting (${spec.language})`);
    }
    if (peer) sessionLines(ex, spec, name, stdin, typed, env);
  }
}

/** The commands a service runs on its own events, after this transaction: persistence. */
function daemonCommands(
  ex: Extractor,
  text: string,
  re: RegExp,
  env: CommandEnv,
  via: string,
): void {
  for (const m of text.matchAll(re)) {
    env.tags.push("daemon-command");
    shellText(ex, m[1] ?? "", env, via);
  }
}

/** A session of the language's line commands on stdin, or typed after the program. */
function sessionLines(
  ex: Extractor,
  spec: LanguageSpec,
  name: string,
  stdin: string | undefined,
  typed: string | undefined,
  env: CommandEnv,
): void {
  for (const [text, how] of [
    [stdin, "stdin"],
    [typed, "typed input"],
  ] as const) {
    const lines = text === undefined ? undefined : languageLines(spec, text);
    if (lines !== undefined) judgeLines(ex, spec, lines, env, `${name} ${how} (${spec.language})`);
  }
}

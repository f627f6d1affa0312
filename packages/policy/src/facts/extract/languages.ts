/**
 * Command languages several programs read from the text they are handed
 * (`knowledge/languages.yaml`): a program no runner entry names that is given m4's `esyscmd(CMD)`,
 * or fed a script of file-transfer commands (`put FILE`, `!CMD`) on stdin or as typed lines, runs
 * what that text says whatever its name. The language decides, not the program.
 */
import type { LanguageSpec } from "../../knowledge/schema.js";
import { runnerLanguages } from "../../knowledge/runners.js";
import type { ArgValue } from "../paths.js";
import { type CommandEnv, Extractor } from "./state.js";
import { shellText } from "./simple.js";
import { interactiveShell } from "./runner.js";

const compiled = new WeakMap<LanguageSpec, RegExp[]>();

function patterns(spec: LanguageSpec): RegExp[] {
  let res = compiled.get(spec);
  if (res === undefined) {
    res = spec.embedded.map((p) => new RegExp(p, "g"));
    compiled.set(spec, res);
  }
  return res;
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
 * shell commands in its stdin text and arguments, and line commands on its stdin or typed after it
 * (a script the shell reads from stdin types its later lines into the program).
 */
export function languageCommands(
  ex: Extractor,
  name: string,
  args: readonly ArgValue[],
  env: CommandEnv,
): void {
  const stdin = env.stdin.kind === "literal" ? env.stdin.text : undefined;
  for (const spec of runnerLanguages()) {
    const texts = [...(stdin === undefined ? [] : [stdin]), ...args.slice(1).map((a) => a.value)];
    for (const re of patterns(spec))
      for (const t of texts)
        for (const m of t.matchAll(re)) shellText(ex, m[1] ?? "", env, `${name} ${spec.language}`);
    if (!namesPeer(args, env)) continue;
    const typed = env.stdin.kind === "none" ? ex.following : undefined;
    for (const [text, how] of [
      [stdin, "stdin"],
      [typed, "typed input"],
    ] as const) {
      const lines = text === undefined ? undefined : languageLines(spec, text);
      if (lines !== undefined)
        judgeLines(ex, spec, lines, env, `${name} ${how} (${spec.language})`);
    }
  }
}

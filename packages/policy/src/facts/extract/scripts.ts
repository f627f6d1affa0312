import type { PathFact } from "../../types.js";
import { parseArgs, type OptionSpec } from "../argspec.js";
import { SHELLS, AWKS, interpreterFlags } from "../programs.js";
import { pathFact, type ArgValue } from "../paths.js";
import { lit, type CommandEnv, Extractor } from "./state.js";
import { shellText, stdinAsCode, code } from "./simple.js";

export function fileRun(
  ex: Extractor,
  f: { content?: string; origin: string },
  env: CommandEnv,
  name: string,
  kind: "shell" | "code" = "shell",
): void {
  if (f.content !== undefined && kind === "code") code(ex, f.content, env, `script-file ${name}`);
  else if (f.content !== undefined) shellText(ex, f.content, env, `script-file ${name}`);
  else if (f.origin === "network") env.tags.push("exec-downloaded");
  else env.tags.push("exec-written");
}

export function scriptFile(
  ex: Extractor,
  arg: ArgValue,
  env: CommandEnv,
  program: string,
  paths: PathFact[],
): void {
  const ps = ex.pathScope(env.scope);
  if (arg.stream) {
    // bash <(curl …): the script is what the substitution prints
    const saved = env.stdin;
    env.stdin = arg.stream.kind === "unknown" ? { kind: "unknown", paths: [] } : arg.stream;
    stdinAsCode(
      ex,
      env,
      program === "source" || program === "." || SHELLS.has(program) ? "shell" : "code",
      program,
    );
    env.stdin = saved;
    return;
  }
  if (/^(\/dev\/stdin|\/dev\/fd\/0|\/proc\/self\/fd\/0)$/.test(arg.value)) {
    stdinAsCode(
      ex,
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
  const known = env.scope.files.get(f.path);
  // A file whose content the gate has judged is read by the interpreter, not run blind.
  paths.push(known?.content !== undefined ? { ...f, role: "read" } : f);
  const kind = SHELLS.has(program) || program === "source" || program === "." ? "shell" : "code";
  if (known) fileRun(ex, known, env, arg.value, kind);
}

/** awk's options that take a value (`-F :`, `-f prog.awk`), shared by every call. */
const AWK_OPTIONS: OptionSpec = {
  valued: ["-F", "-v", "-f", "--file", "--assign", "--field-separator"],
};

/**
 * gawk(1)'s special files `/inet/tcp/LPORT/HOST/RPORT` (also /inet4, /inet6, udp) connect to a
 * host or listen on a port. With one, a command read into a variable and run through a pipe or a
 * coprocess (`c |& getline`, `c | getline`: not the socket's own variable) is a remote shell.
 */
const AWK_INET = /"\/inet[46]?\/(?:tcp|udp)\//;
const AWK_SOCKET_VAR = /\b([A-Za-z_]\w*)\s*=\s*"\/inet/;
const AWK_VAR_PIPE = /\b([A-Za-z_]\w*)\s*\|&?\s*getline\b/g;

function awkRemoteShell(text: string): boolean {
  if (!AWK_INET.test(text)) return false;
  const socket = AWK_SOCKET_VAR.exec(text)?.[1];
  for (const m of text.matchAll(AWK_VAR_PIPE)) if (m[1] !== socket) return true;
  return false;
}

/** An awk program's text: its code, the commands it pipes to or from, a remote shell. */
function awkText(ex: Extractor, text: string, env: CommandEnv, via: string): void {
  code(ex, text, env, via);
  for (const m of text.matchAll(/print[^|;}]*\|\s*"([^"]*)"|"([^"]*)"\s*\|\s*getline/g))
    shellText(ex, m[1] ?? m[2]!, env, "awk pipe");
  if (awkRemoteShell(text)) env.tags.push("reverse-shell");
}

/**
 * awk: the program is the first operand, or the file of `-f FILE` (read; its text judged when an
 * earlier command of the line wrote it, as for a script file); the other operands are read.
 */
function awk(
  ex: Extractor,
  env: CommandEnv,
  cmd: { rest: ArgValue[]; argv: string[]; paths: PathFact[]; texts: string[] },
): void {
  const { rest, argv, paths, texts } = cmd;
  const ps = ex.pathScope(env.scope);
  const p = parseArgs(argv, AWK_OPTIONS);
  const file = p.options["-f"]?.[0] ?? p.options["--file"]?.[0];
  const prog = file !== undefined ? undefined : rest[p.positionalIndex[0] ?? -1];
  if (file !== undefined) {
    const arg = rest.find((r) => r.value === file) ?? lit(file);
    const f = pathFact(arg, "read", ps);
    paths.push(f);
    const known = arg.dynamic ? undefined : env.scope.files.get(f.path);
    if (known?.content !== undefined) awkText(ex, known.content, env, `awk -f ${file}`);
    else if (known) fileRun(ex, known, env, file, "code");
  } else if (prog) {
    texts.push(prog.value);
    if (prog.dynamic) ex.unsure("dynamic-interpreter-exec", `awk program built at run time`);
    else awkText(ex, prog.value, env, "awk");
  } else return;
  for (const a of p.positionalIndex.slice(prog ? 1 : 0).map((i) => rest[i]!))
    paths.push(pathFact(a, "read", ps));
}

export function interpreter(
  ex: Extractor,
  program: string,
  rest: ArgValue[],
  argv: string[],
  env: CommandEnv,
  paths: PathFact[],
  texts: string[],
): void {
  const codeFlags = interpreterFlags(program) ?? [];
  if (AWKS.has(program)) {
    awk(ex, env, { rest, argv, paths, texts });
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
        ex.unsure(
          "dynamic-interpreter-exec",
          `${program} code built at run time: ${value.value.slice(0, 60)}`,
        );
      else code(ex, value.value, env, `${program} ${short && !bundle ? a.slice(0, 2) : a}`);
      return;
    }
    if (a === "-m" && program === "python") {
      if (servesFiles(program, argv, argv[i + 1])) env.tags.push("upload");
      return;
    }
    if (SERVER_OPTIONS_OF[program]?.includes(a) === true) {
      if (servesFiles(program, argv, argv[i + 1])) env.tags.push("upload");
      return;
    }
    if (!a.startsWith("-") || a === "-") {
      if (a === "-") break;
      scriptFile(ex, rest[i]!, env, program, paths);
      return;
    }
  }
  if (env.stdin.kind !== "none") stdinAsCode(ex, env, "code", program);
  else if (!argv.some((a) => INFO_FLAGS.has(a) || (INFO_FLAGS_OF[program]?.includes(a) ?? false))) {
    // No code, no script, no stdin: a REPL reading from the terminal, which the gate never sees.
    env.tags.push("interactive-shell");
  }
}

/**
 * An interpreter's own file server, started from its command line rather than from code: a
 * standard module that serves the working directory (Python's `-m http.server`, Python 2's
 * `SimpleHTTPServer`, pyftpdlib, uploadserver) or the language's built-in web server option
 * (php(1) `-S ADDR:PORT`, `--server`). Whoever reaches the port reads the guest's files: local
 * data leaves the guest, as for code that serves them (code-sinks.ts SERVE). A server bound to
 * the loopback address (`--bind 127.0.0.1`, `-S localhost:8000`) is reached from the guest only.
 */
const SERVER_MODULES = /^(?:http\.server|SimpleHTTPServer|pyftpdlib|uploadserver)$/;
const SERVER_OPTIONS_OF: Record<string, readonly string[]> = { php: ["-S", "--server"] };
const LOOPBACK = /^(?:--?[\w-]+=)?(?:127(?:\.\d{1,3}){3}|localhost|::1|\[::1\])(?::\d+)?$/i;

/** Whether the server started by `what` (the module, or the server option's value) is exposed. */
function servesFiles(program: string, argv: readonly string[], what: string | undefined): boolean {
  if (what === undefined) return false;
  if (program === "python" && !SERVER_MODULES.test(what)) return false;
  return !argv.some((a) => LOOPBACK.test(a));
}

/** Flags under which an interpreter prints something and exits. */
const INFO_FLAGS = new Set(["-v", "-V", "--version", "-h", "--help", "-help", "-version"]);
/** Per language: php(1) -i prints phpinfo(), -m the compiled modules, --ini the ini files. */
const INFO_FLAGS_OF: Record<string, readonly string[]> = { php: ["-i", "-m", "--ini", "--info"] };

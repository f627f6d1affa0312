import { parseArgs, type OptionSpec } from "../argspec.js";
import { SHELLS, AWKS, DELETERS, WRITERS, COMMAND_VARS, interpreterFlags } from "../programs.js";
import type { CommandEnv, EmitContext, Extractor } from "./state.js";
import { shellText, stdinAsCode } from "./simple.js";
import { scriptFile, interpreter } from "./scripts.js";
import { sed, git, find } from "./tools.js";
import { branchTable, named, runFirst, type BranchTable } from "./branches.js";
import * as files from "./emit-files.js";

/** The options of a shell that take a value (`-o pipefail`), shared by every call. */
const SHELL_OPTIONS: OptionSpec = { valued: ["-o", "+o", "-O", "--rcfile", "--init-file"] };

/**
 * A shell's `+x`, `+o opt`, `+O opt` (unset an option, bash(1) "SHELL BUILTIN COMMANDS", set)
 * read as their `-` forms, before the first operand only: the grammar then knows which word is
 * the script (`bash +x -c 'rm …'` runs its -c text; `+x` is not a script file).
 */
function plusAsMinus(argv: readonly string[]): string[] {
  const out = [...argv];
  for (let i = 0; i < out.length; i++) {
    const a = out[i]!;
    if (/^\+[A-Za-z]+$/.test(a)) out[i] = `-${a.slice(1)}`;
    else if (a === "--" || !a.startsWith("-")) break;
    if (SHELL_OPTIONS.valued?.includes(out[i]!)) i++;
  }
  return out;
}

/** export and kin: each `NAME=value` sets a variable; a command variable's value is run. */
function declare(ex: Extractor, x: EmitContext): void {
  const { rest, env } = x;
  for (const a of rest) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\+?=(.*)$/s.exec(a.value);
    if (m) {
      env.assigns.push(m[1]!);
      env.scope.vars.set(m[1]!, a.dynamic ? null : m[2]!);
      if (COMMAND_VARS.has(m[1]!))
        shellText(ex, { value: m[2]!, dynamic: a.dynamic, glob: false }, env, `export ${m[1]!}`);
    }
  }
}

/** unset: its operands are assignments (to nothing). */
function unset(_ex: Extractor, x: EmitContext): void {
  for (const a of x.positionals) x.env.assigns.push(a.value);
}

/** alias: each `name=text` is remembered, and its text judged as a command. */
function alias(ex: Extractor, x: EmitContext): void {
  const { rest, env } = x;
  for (const a of rest) {
    const m = /^([^=]+)=(.*)$/s.exec(a.value);
    if (m) {
      env.scope.aliases.set(m[1]!, m[2]!);
      shellText(ex, { value: m[2]!, dynamic: a.dynamic, glob: false }, env, "alias");
    }
  }
}

/** trap: its first operand is a command run later. */
function trap(ex: Extractor, x: EmitContext): void {
  const first = x.positionals[0];
  if (first) shellText(ex, first, x.env, "trap");
}

/** A shell: `-c` text, a script file, stdin as code, or an interactive (root) shell. */
function shell(ex: Extractor, x: EmitContext): void {
  const { program, argv, env, paths, texts } = x;
  const p = parseArgs(SHELLS.has(program) ? plusAsMinus(argv) : argv, SHELL_OPTIONS);
  // A shell's own grammar says which words are operands: `-o pipefail`, `-O extglob` take a
  // value, so the script of `bash -o pipefail -c SCRIPT` is SCRIPT, not `pipefail`. su(1) is not
  // a shell: its grammar gives -c a value, which the wrappers run.
  const positionals = SHELLS.has(program) ? p.positionalIndex.map((i) => x.at(i)) : x.positionals;
  if (p.flags.includes("-c")) {
    const script = positionals[0];
    texts.push(script?.value ?? "");
    if (script) shellText(ex, script, env, `${program} -c`);
  } else if (p.flags.includes("-i") && positionals.length === 0 && env.stdin.kind === "none") {
    env.tags.push("interactive-shell");
    if (env.frame.privileged) env.tags.push("root-shell");
  } else if (positionals.length > 0 && positionals[0]!.value !== "-" && !p.flags.includes("-s")) {
    scriptFile(ex, positionals[0]!, env, program, paths);
  } else if (env.stdin.kind !== "none" && !fromTerminal(env)) {
    stdinAsCode(ex, env, "shell", program);
  } else {
    if (env.frame.privileged) env.tags.push("root-shell");
    env.tags.push("interactive-shell");
  }
}

/** Stdin redirected from the terminal (`sh </dev/tty`): what it reads is typed, never gated. */
function fromTerminal(env: CommandEnv): boolean {
  const s = env.stdin;
  return s.kind === "unknown" && s.paths.length > 0 && s.paths.every((p) => p.path === "/dev/tty");
}

/** The exec programs, tried in order: the first whose test holds is the one that runs. */
const EXEC_BRANCHES: BranchTable = branchTable([
  { when: named("export", "declare", "typeset", "local", "readonly"), run: declare },
  { when: named("unset"), run: unset },
  { when: named("alias"), run: alias },
  { when: named("trap"), run: trap },
  { when: (p) => SHELLS.has(p) || p === "su", run: shell },
  {
    when: (p) => interpreterFlags(p) !== undefined || AWKS.has(p),
    run: (ex, x) => interpreter(ex, x.program, x.rest, x.argv, x.env, x.paths, x.texts),
  },
  {
    when: named("source", "."),
    run: (ex, x) => {
      const f = x.positionals[0];
      if (f) scriptFile(ex, f, x.env, x.program, x.paths);
    },
  },
  { when: named("sed"), run: (ex, x) => sed(ex, x.parsed, x.rest, x.env, x.paths) },
  {
    when: named("find"),
    run: (ex, x) => {
      x.output = find(ex, x.rest, x.env, x.paths);
    },
  },
  { when: named("dd"), run: files.dd },
  {
    when: named("git"),
    run: (ex, x) => git(ex, x.parsed, x.env, x.positionals, x.addPath, x.looksLikePath),
  },
  { when: (p) => files.DISK_TOOLS.test(p), run: files.diskTool },
  { when: (p) => DELETERS.has(p), run: files.deleteAll },
  { when: named("mv"), run: files.move },
  { when: named("cp", "install", "ln", "rsync", "scp", "rclone"), run: files.copy },
  { when: named("tee"), run: files.tee },
  { when: (p) => WRITERS.has(p), run: files.writeAll },
  { when: named("tar"), run: files.tar },
  { when: named("unzip"), run: files.unzip },
  { when: named("7z", "7za", "7zr"), run: files.sevenZip },
  { when: named("zip"), run: files.zip },
]);

/** Programs that run other code or change the shell: shells, interpreters, find, git, deletes, copies. */
export function emitExec(ex: Extractor, x: EmitContext): boolean {
  return runFirst(EXEC_BRANCHES, ex, x);
}

import { READERS, WRITERS, DELETERS, SHELLS, PASS_THROUGH, PATTERN_FIRST } from "../programs.js";
import { absolutize, type ArgValue, type PathScope } from "../paths.js";
import type { CommandEnv, Scope } from "./state.js";

/**
 * A shell program named as a command inside text: `/bin/sh`, `/usr/bin/bash -i`. A bare word that
 * is only the path (`chsh -s /bin/bash`, `ls -l /bin/sh`) names a file; the same path inside a
 * longer argument or a file's content is something the program will run.
 */
const SHELL_PATH =
  /(?<![\w./-])(?:\/usr)?(?:\/local)?\/bin\/(?:ba|da|z|k|mk|c|tc|a|y|fi|r)?sh(?![\w.-])/;
/** Calls that start a shell from other languages' text (`system("sh")`, `popen('bash -i')`). */
const SPAWN_CALL =
  /\b(system|popen|exec[lv]?p?e?|spawn|os\.execute|shell_exec|passthru)\s*\(\s*["'](?:ba|da|z|k)?sh\b/;

/** Programs that only print, copy or inspect their arguments: a shell path in them runs nothing. */
const INERT = new Set([
  "echo",
  "printf",
  "print",
  "export",
  "declare",
  "local",
  "alias",
  "sed",
  "awk",
  "gawk",
  "mawk",
  "git",
  "ssh",
  "su",
  "sudo",
  "doas",
]);

/** Text that starts a shell or runs a shell command when a program interprets it. */
export function spawnsShell(text: string): boolean {
  // A shebang names the interpreter of a script that is judged when run; `SHELL := /bin/bash`
  // picks make's shell for recipes that are judged like any other.
  const body = text.replace(/^#!.*$/gm, "").replace(/^\s*SHELL\s*:?=.*$/gm, "");
  return SHELL_PATH.test(body) || SPAWN_CALL.test(body);
}

const BUILDERS = new Set(["docker", "podman", "buildah", "nerdctl", "kaniko", "chmod"]);

/** A program that only prints, copies, moves, deletes, searches or inspects its arguments and files. */
export function inert(program: string): boolean {
  return (
    INERT.has(program) ||
    READERS.has(program) ||
    WRITERS.has(program) ||
    DELETERS.has(program) ||
    SHELLS.has(program) ||
    PASS_THROUGH.has(program) ||
    // a search's pattern is text it matches (`grep -r '/bin/sh -i' .`), not a command it runs
    PATTERN_FIRST.has(program)
  );
}

/**
 * Arguments that hand a program a shell to run without the gate knowing the program's grammar:
 * a shell path inside a longer argument (`--bind 'enter:execute(/bin/sh)'`, `'}; /bin/sh #'`,
 * `socket -p '/bin/sh -i'`). Tagged `embedded-shell`; the program's own knowledge, where the
 * gate has it, already parsed such values as commands.
 */
export function embeddedShell(program: string, rest: readonly ArgValue[], env: CommandEnv): void {
  if (inert(program)) return;
  for (const a of rest) {
    const value = a.value.replace(/^--?[\w-]+=|^[A-Za-z_][\w]*=/, "");
    if (SHELL_PATH.test(value) && !/^(?:\/usr)?(?:\/local)?\/bin\/\w*sh$/.test(value)) {
      env.tags.push("embedded-shell");
      return;
    }
  }
}

/**
 * Files this command line wrote whose content starts a shell, handed to a later program: named
 * in an argument (`--kubeconfig=f`, `-c f`, `-S f`), by their directory (`cmake dir/`, `-c dir/`),
 * or left where a program looks for its configuration (the working directory: `Gemfile`,
 * `CMakeLists.txt`; a dotfile in the home directory: `~/.rtorrent.rc`). The program reads them as
 * configuration or code and runs the shell: tagged `handed-shell-file`.
 */
export function handedShellFiles(
  program: string,
  rest: readonly ArgValue[],
  env: CommandEnv,
  ps: PathScope,
  home: string,
): void {
  const files = env.scope.files;
  // Container builds run their files' commands inside the build container, not on the guest.
  if (files.size === 0 || inert(program) || BUILDERS.has(program)) return;
  const spawning = [...files].filter(([, f]) => f.content !== undefined && spawnsShell(f.content));
  if (spawning.length === 0) return;
  const named = new Set<string>();
  for (const a of rest) {
    if (a.dynamic) continue;
    const value = a.value.slice(a.value.lastIndexOf("=") + 1);
    const abs = absolutize(value.replace(/\/+$/, "") || value, ps);
    if (abs !== undefined) named.add(abs);
  }
  const cwd = (env.scope as Scope).cwd;
  for (const [path] of spawning) {
    const dir = path.slice(0, path.lastIndexOf("/")) || "/";
    const implicit =
      (cwd !== undefined && dir === cwd) || (dir === home && /\/\.[^/]+$/.test(path));
    if (named.has(path) || [...named].some((n) => path.startsWith(n + "/")) || implicit) {
      env.tags.push("handed-shell-file");
      return;
    }
  }
}

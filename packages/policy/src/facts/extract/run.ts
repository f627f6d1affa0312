import { specOf, parseArgs } from "../argspec.js";
import {
  COMMAND_VARS,
  SHELLS,
  firstCommandIndex,
  interpreterFlags,
  programName,
} from "../programs.js";
import { splitWords } from "../text.js";
import { absolutize, type ArgValue } from "../paths.js";
import { findRunner, runnerIndex } from "../../knowledge/runners.js";
import { abbreviationsOf, expandAbbreviations } from "../../knowledge/abbreviations.js";
import { type Output, NONE, type CommandEnv, Extractor } from "./state.js";
import { shellText } from "./simple.js";
import { xargs, parallel } from "./fanout.js";
import { emit } from "./emit.js";
import { runRunner, type Wrap } from "./runner.js";
import { manifestScripts } from "./manifests.js";
import { languageCommands } from "./languages.js";

/** Peel wrappers and analyse the effective command. */
export function run(ex: Extractor, args: ArgValue[], env: CommandEnv): Output {
  const head = args[0];
  if (!head) return NONE;
  checkCommandWord(ex, head, env);
  const alias = env.scope.aliases.get(head.value);
  if (alias !== undefined && !env.frame.wrappers.includes(`alias ${head.value}`)) {
    return run(ex, [...splitWords(alias), ...args.slice(1)], {
      ...env,
      frame: { ...env.frame, wrappers: [...env.frame.wrappers, `alias ${head.value}`] },
    });
  }
  const name = programName(head.value);
  const wrap: Wrap = (by, inner, patch = {}) => {
    if (inner.length === 0) return emit(ex, args, env);
    return run(ex, inner, {
      ...env,
      frame: { ...env.frame, ...patch, wrappers: [...env.frame.wrappers, by] },
    });
  };
  const abbreviations = abbreviationsOf(name);
  if (abbreviations !== undefined) {
    const words = expandAbbreviations(
      abbreviations,
      args.slice(1).map((a) => a.value),
    );
    args = [args[0]!, ...args.slice(1).map((a, k) => ({ ...a, value: words[k]! }))];
  }
  const rest = args.slice(1);
  const runners = runnerIndex();
  const runner = runners.has(name)
    ? findRunner(
        runners,
        name,
        rest.map((a) => a.value),
      )
    : undefined;
  if (runner !== undefined) return runRunner(ex, runner.spec, runner.consumed, args, env, wrap);
  manifestScripts(ex, name, args, env);
  switch (name) {
    case "su":
    case "runuser":
      return su(ex, name, args, env, wrap);
    case "env":
      return envCommand(ex, rest, env, wrap);
    case "command":
    case "builtin":
      return commandBuiltin(ex, name, args, env, wrap);
    case "exec": {
      const values = rest.map((a) => a.value);
      let i = 0;
      while (i < values.length && values[i]!.startsWith("-")) i += values[i] === "-a" ? 2 : 1;
      return wrap("exec", rest.slice(i));
    }
    case "eval":
      shellText(ex, joined(rest), env, "eval");
      return emit(ex, args, env);
    case "xargs":
      return xargs(ex, args, env);
    case "parallel":
      return parallel(ex, args, env);
  }
  // Shells and interpreters read their stdin as their own code (judged by emit).
  if (!SHELLS.has(name) && interpreterFlags(name) === undefined)
    languageCommands(ex, name, args, env);
  return emit(ex, args, env);
}

/**
 * A command word whose expansion is known statically is judged as the program it names (and
 * never allowed: see the `expanded-program` tag); one known only at run time fails closed.
 */
function checkCommandWord(ex: Extractor, head: ArgValue, env: CommandEnv): void {
  if (head.dynamic) {
    ex.unsure(
      "dynamic-program",
      `the command name is produced by expansion or substitution: ${head.value}`,
    );
  } else if (head.expanded && (env.scope.vars.has("IFS") || /[\s,:;]/.test(head.value))) {
    // Word splitting (a changed IFS) can turn one expanded word into a whole command line.
    ex.unsure("dynamic-program", `the command name is split at run time: ${head.value}`);
  } else if (head.expanded) env.tags.push("expanded-program");
}

/** Words joined into one shell line, dynamic when any of them is. */
function joined(words: readonly ArgValue[]): ArgValue {
  return {
    value: words.map((w) => w.value).join(" "),
    dynamic: words.some((w) => w.dynamic),
    glob: false,
  };
}

/** `su -c LINE`, `runuser -u USER CMD`, or an interactive root shell. */
function su(
  ex: Extractor,
  name: "su" | "runuser",
  args: ArgValue[],
  env: CommandEnv,
  wrap: Wrap,
): Output {
  const rest = args.slice(1);
  const values = rest.map((a) => a.value);
  const p = parseArgs(values, specOf(name));
  const c = p.options["-c"]?.[0] ?? p.options["--command"]?.[0];
  if (c !== undefined) {
    env.frame = { ...env.frame, privileged: true, wrappers: [...env.frame.wrappers, name] };
    shellText(ex, c, env, name);
    return emit(ex, args, env);
  }
  if (name === "runuser" && (p.options["-u"] || p.options["--user"])) {
    const i = firstCommandIndex(values, {
      valued: ["-u", "--user", "-g", "--group", "-G", "--supp-group", "-s", "--shell", "-w"],
    });
    return wrap(name, rest.slice(i), { privileged: true });
  }
  env.tags.push("root-shell");
  return emit(ex, args, env);
}

/** `command CMD` and `builtin CMD` run CMD; `command -v CMD` only looks it up. */
function commandBuiltin(
  ex: Extractor,
  name: string,
  args: ArgValue[],
  env: CommandEnv,
  wrap: Wrap,
): Output {
  const rest = args.slice(1);
  let i = 0;
  let lookup = false;
  while (i < rest.length && rest[i]!.value.startsWith("-")) {
    const a = rest[i]!.value;
    i++;
    if (a === "--") break;
    if (/[vV]/.test(a)) lookup = true;
  }
  if (lookup) return emit(ex, args, env);
  return wrap(name, rest.slice(i));
}

const ENV_FLAGS = new Set(["-", "-i", "--ignore-environment", "-0", "--null", "-v", "--debug"]);

/** `env [OPTION]... [NAME=VALUE]... [COMMAND [ARG]...]`: assignments, then the command. */
function envCommand(ex: Extractor, rest: ArgValue[], env: CommandEnv, wrap: Wrap): Output {
  const extra: ArgValue[] = [];
  const chdir = (dir: string): void => {
    env.scope = { ...env.scope, cwd: absolutize(dir, ex.pathScope(env.scope)) };
  };
  let i = 0;
  while (i < rest.length) {
    const a = rest[i]!.value;
    if (a === "--") {
      i++;
      break;
    }
    if (/^(-u|--unset|-C|--chdir|-P|-S|--split-string)$/.test(a)) {
      const v = rest[i + 1]?.value ?? "";
      if (a === "-S" || a === "--split-string") extra.push(...splitWords(v));
      if (a === "-C" || a === "--chdir") chdir(v);
      i += 2;
      continue;
    }
    if (a.startsWith("--chdir=")) chdir(a.slice(8));
    else if (a.startsWith("-C") && a.length > 2) chdir(a.slice(2));
    else if (/^-S./.test(a) || a.startsWith("--split-string="))
      extra.push(...splitWords(a.startsWith("-S") ? a.slice(2) : a.slice(15)));
    else if (!ENV_FLAGS.has(a) && !a.startsWith("-")) break;
    i++;
  }
  const tail = [...extra, ...rest.slice(i)];
  let j = 0;
  while (j < tail.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(tail[j]!.value)) {
    const [k, ...v] = tail[j]!.value.split("=");
    env.assigns.push(k!);
    if (COMMAND_VARS.has(k!)) shellText(ex, v.join("="), env, `env ${k!}`);
    j++;
  }
  return wrap("env", tail.slice(j));
}

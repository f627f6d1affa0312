import type { PathRole } from "../../types.js";
import { parseArgs, type OptionSpec } from "../argspec.js";
import { SHELLS, AWKS, DELETERS, WRITERS, COMMAND_VARS } from "../programs.js";
import { absolutize, pathFact } from "../paths.js";
import type { CommandEnv, EmitContext, Extractor } from "./state.js";
import { shellText, stdinAsCode } from "./simple.js";
import { scriptFile, interpreter } from "./scripts.js";
import { sed, git, find } from "./tools.js";
import { edScript } from "./emit-data.js";

/** The options of a shell that take a value (`-o pipefail`), shared by every call. */
const SHELL_OPTIONS: OptionSpec = { valued: ["-o", "+o", "-O", "--rcfile", "--init-file"] };

/** Programs that run other code or change the shell: shells, interpreters, find, git, deletes, copies. */
export function emitExec(ex: Extractor, x: EmitContext): boolean {
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
          shellText(ex, { value: m[2]!, dynamic: a.dynamic, glob: false }, env, `export ${m[1]!}`);
      }
    }
  } else if (program === "unset") {
    for (const a of positionals) env.assigns.push(a.value);
  } else if (program === "alias") {
    for (const a of rest) {
      const m = /^([^=]+)=(.*)$/s.exec(a.value);
      if (m) {
        env.scope.aliases.set(m[1]!, m[2]!);
        shellText(ex, { value: m[2]!, dynamic: a.dynamic, glob: false }, env, "alias");
      }
    }
  } else if (program === "trap") {
    const first = positionals[0];
    if (first) shellText(ex, first, env, "trap");
  } else if (SHELLS.has(program) || program === "su") {
    const p = parseArgs(argv, SHELL_OPTIONS);
    if (p.flags.includes("-c")) {
      const script = pos(0);
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
  } else if (interp !== undefined || AWKS.has(program)) {
    interpreter(ex, program, rest, argv, env, paths, texts);
  } else if (program === "source" || program === ".") {
    const f = positionals[0];
    if (f) scriptFile(ex, f, env, program, paths);
  } else if (program === "sed") {
    sed(ex, parsed, rest, env, paths);
  } else if (program === "find") {
    x.output = find(ex, rest, env, paths);
  } else if (program === "dd") {
    for (const a of rest) {
      const m = /^(if|of)=(.*)$/.exec(a.value);
      if (m) addPath({ ...a, value: m[2]! }, m[1] === "of" ? "write" : "read");
    }
    if (!rest.some((a) => a.value.startsWith("if="))) x.output = env.stdin;
  } else if (program === "git") {
    git(ex, parsed, env, positionals, addPath, looksLikePath);
  } else if (
    /^(mkfs(\..+)?|mke2fs|mkswap|wipefs|fdisk|sfdisk|cfdisk|gdisk|sgdisk|parted|blkdiscard|badblocks|mkntfs|mkdosfs|mkfs\.\w+)$/.test(
      program,
    )
  ) {
    // Listing or printing a partition table reads the disk.
    const lists =
      parsed.flags.some((f) =>
        /^(-l|--list|-d|--dump|-p|--print|-s|--show-size|--help|-V|--version)$/.test(f),
      ) ||
      (program === "parted" &&
        positionals.slice(1).length > 0 &&
        positionals
          .slice(1)
          .every((a) =>
            /^(print|p|unit|[kmgt]i?b|s|%|cyl|chs|compact|free|list|all|help)$/i.test(a.value),
          ));
    for (const a of positionals)
      if (!/^\d+$/.test(a.value) && !(lists && /^(print|p|unit|free|list|all)$/i.test(a.value)))
        addPath(a, lists ? "read" : "write");
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
        if (
          (program === "scp" || program === "rsync" || program === "rclone") &&
          (remote || daemon)
        ) {
          const rp = daemon ? "/" : remote![1]! || "~";
          const f = pathFact({ value: rp, dynamic: a.dynamic, glob: a.glob }, role, {
            ...ps,
            cwd: ex.ctx.home,
            projectPaths: [],
          });
          paths.push({ ...f, raw: a.value, remote: true });
          if (role === "write") env.tags.push("upload");
        } else addPath(a, role);
      });
    }
    if (program === "rsync") {
      const e = optionValue("-e", "--rsh");
      if (e !== undefined) shellText(ex, e, env, "rsync -e");
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
    if (program === "ed") edScript(ex, x);
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
        shellText(ex, v.replace(/^exec=/, ""), env, `tar ${o}`);
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
    if (tt !== undefined) shellText(ex, tt, env, "zip -TT");
    if (argv.includes("-TT")) {
      const k = argv.indexOf("-TT");
      shellText(ex, at(k + 1), env, "zip -TT");
    }
  } else return false;
  return true;
}

/** Stdin redirected from the terminal (`sh </dev/tty`): what it reads is typed, never gated. */
function fromTerminal(env: CommandEnv): boolean {
  const s = env.stdin;
  return s.kind === "unknown" && s.paths.length > 0 && s.paths.every((p) => p.path === "/dev/tty");
}

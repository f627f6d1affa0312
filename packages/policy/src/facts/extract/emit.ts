import { embeddedShell, handedShellFiles } from "./handed.js";
import { transferSends } from "./senders.js";
import type { PathFact, PathRole } from "../../types.js";
import { specOf, parseArgs, type OptionSpec, type ParsedArgs } from "../argspec.js";
import { SHELLS, interpreterFlags, DECODERS, READERS, DELETERS, programName } from "../programs.js";
import { absolutize, pathFact, type ArgValue, type PathScope } from "../paths.js";
import { type Output, NONE, lit, type EmitContext, type CommandEnv, Extractor } from "./state.js";
import { push } from "./simple.js";
import { emitExec } from "./emit-exec.js";
import { emitData } from "./emit-data.js";
import { fileRun } from "./scripts.js";
import { remoteMounters } from "../../knowledge/abbreviations.js";
import { knownOutputs } from "./outputs.js";

/** The facts of one simple command (`args` after expansion): what it reads, writes and runs. */
export function emit(ex: Extractor, args: ArgValue[], env: CommandEnv): Output {
  const head = args[0]!;
  const programPath = head.value;
  const program = programName(programPath);
  const spec = specOf(program);
  const x = contextOf(ex, program, args.slice(1), env, spec);
  const { rest, argv, ps, parsed, paths, texts, sql, positionals } = x;
  if (head.dynamic) env.tags.push("dynamic-program");
  if (rest.some((a) => a.dynamic)) env.tags.push("dynamic-args");
  if (env.scope.inFunction && program === env.scope.inFunction && env.frame.concurrent)
    env.tags.push("fork-bomb");
  if (program === "cd" || program === "pushd") return changeDir(ex, x);

  if (!emitExec(ex, x)) emitData(ex, x);
  let output = environmentOutput(x, decodedOutput(x, x.output));
  genericOperands(x, spec);
  knownOutputs(x);
  mountOptions(x);
  // Literal output written by a redirect is remembered for write-then-execute.
  rememberRedirects(env, output);
  if (env.redirects.some((r) => r.write && r.operator !== ">&")) output = NONE;
  runWrittenProgram(ex, head, env, ps, paths);
  downloadedOperands(ex, positionals, env);
  handedExecutables(ex, program, rest, env);
  embeddedShell(program, rest, env);
  handedShellFiles(program, rest, env, ps, ex.home);
  transferSends(program, parsed, env);
  push(ex, env, program, programPath, argv, parsed, paths, { texts, sql });
  // After its own facts: the mount point of the mounting command is not yet remote to it.
  remoteMount(ex, program, parsed, positionals, env);
  return output;
}

/** The parsed words of a command and the helpers every emitter reads them with. */
function contextOf(
  ex: Extractor,
  program: string,
  rest: ArgValue[],
  env: CommandEnv,
  spec: OptionSpec | undefined,
): EmitContext {
  const argv = rest.map((a) => a.value);
  const ps = ex.pathScope(env.scope);
  const parsed = program === "find" || program === "dd" ? parseArgs([]) : parseArgs(argv, spec);
  const paths: PathFact[] = [];
  const at = (i: number): ArgValue => rest[i] ?? lit("");
  const pos = (k: number): ArgValue | undefined => {
    const idx = parsed.positionalIndex[k];
    return idx === undefined ? undefined : rest[idx];
  };
  const addPath = (a: ArgValue | string | undefined, role: PathRole): void => {
    if (a === undefined) return;
    const v = typeof a === "string" ? lit(a) : a;
    if (v.value === "" && !v.dynamic) return;
    paths.push(pathFact(v, role, ps));
  };
  const optionValue = (...names: string[]): string | undefined => {
    for (const n of names) {
      const v = parsed.options[n]?.[0];
      if (v !== undefined) return v;
    }
    return undefined;
  };
  return {
    program,
    rest,
    argv,
    env,
    ps,
    parsed,
    paths,
    texts: [],
    sql: [],
    at,
    pos,
    positionals: parsed.positionalIndex.map((i) => at(i)),
    addPath,
    looksLikePath,
    optionValue,
    valueArg: (name) => valueArg(rest, parsed, name),
    interp: interpreterFlags(program),
    output: { kind: "unknown", paths: [] },
  };
}

/** A word that names a path: dynamic, a glob, rooted or relative, or with a slash but no URL. */
function looksLikePath(a: ArgValue): boolean {
  return (
    a.dynamic ||
    a.glob ||
    /^(\/|~|\.\.?(\/|$))/.test(a.value) ||
    (a.value.includes("/") && !/^[a-z]+:\/\//i.test(a.value) && !/^[\w.-]+@/.test(a.value))
  );
}

/** The word of an option's value, to keep its dynamic flag (a literal when none matches). */
function valueArg(rest: readonly ArgValue[], parsed: ParsedArgs, name: string): ArgValue {
  const v = parsed.options[name]?.[0] ?? "";
  const found = rest.find((r) => r.value === v || r.value.endsWith("=" + v) || r.value.endsWith(v));
  return found && found.value === v ? found : lit(v);
}

/** cd and pushd: the new working directory (unknown when dynamic or `-`); they output nothing. */
function changeDir(ex: Extractor, x: EmitContext): Output {
  const { env, ps, positionals } = x;
  const target = positionals[0];
  if (!target) env.scope.cwd = ex.ctx.home;
  else if (target.dynamic || target.value === "-") env.scope.cwd = undefined;
  else env.scope.cwd = absolutize(target.value, ps);
  return NONE;
}

/** Decoders turn data into something no one has read: a shell must not run it. */
function decodedOutput(x: EmitContext, output: Output): Output {
  const { program, env, parsed } = x;
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
      return { kind: "decoded" };
  }
  return output;
}

/** Programs that print the environment output its credentials (`/proc/self/environ`). */
function environmentOutput(x: EmitContext, output: Output): Output {
  const { program, argv } = x;
  if (
    program === "env" ||
    program === "printenv" ||
    program === "set" ||
    (program === "export" && argv.includes("-p")) ||
    (program === "declare" && argv.includes("-p"))
  ) {
    return {
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
  return output;
}

/** Output options of downloaders (`-o FILE`, `--output FILE`, wget's `-O FILE`). */
const OUTPUT_OPTIONS: ReadonlySet<string> = new Set(["-o", "--output", "-O", "--output-document"]);
const FETCHED_URL = /^(?:https?|ftps?):\/\//i;

/**
 * A program nobody named, given a URL and an output option (`PROG -o FILE URL`: curlie, an
 * httpie-like client, a media downloader): the file holds what came from the network, as curl's
 * does, so running it later runs fetched code.
 */
function downloadedOutput(x: EmitContext): void {
  const { argv, env, ps, addPath } = x;
  if (!argv.some((a) => FETCHED_URL.test(a))) return;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.startsWith("--") ? a.indexOf("=") : -1;
    if (!OUTPUT_OPTIONS.has(eq > 0 ? a.slice(0, eq) : a)) continue;
    const file = eq > 0 ? a.slice(eq + 1) : argv[i + 1];
    if (file === undefined || file === "-" || file.startsWith("-") || FETCHED_URL.test(file))
      continue;
    const abs = absolutize(file, ps);
    if (abs !== undefined) env.scope.files.set(abs, { origin: "network" });
    addPath(file, "write");
    return;
  }
}

/** Generic reading for the rest: path-looking operands of a program no emitter named paths for. */
function genericOperands(x: EmitContext, spec: OptionSpec | undefined): void {
  const { program, rest, parsed, paths, positionals, addPath, interp } = x;
  if (
    paths.length === 0 &&
    !SHELLS.has(program) &&
    interp === undefined &&
    program !== "echo" &&
    program !== "printf"
  ) {
    downloadedOutput(x);
    for (const a of positionals) if (looksLikePath(a)) addPath(a, "operand");
    // A generated grammar's option values: read as they were before the grammar knew them.
    if (spec?.generated === true)
      for (const a of optionWords(rest, parsed)) if (looksLikePath(a)) addPath(a, "operand");
  }
}

/** Options whose value is a path mounted into a container (`-v /:/host`, `--mount src=/x`). */
const VOLUME_OPTIONS = new Set(["-v", "--volume"]);
const MOUNT_SOURCE = /(?:^|,)(?:source|src)=([^,]+)/;

/**
 * Options whose value is a path mounted into a container (`-v /:/host`, `--volume=/:/h`, `--mount
 * type=bind,src=/`), whatever the runtime (docker, podman, nerdctl, ctr, …): as parsed, or from
 * the argv for a program with no grammar for them. A `-v` value counts only as `SRC:/DST` with a
 * path as its source (elsewhere `-v` is "verbose").
 */
function mountOptions(x: EmitContext): void {
  const { parsed, argv, addPath } = x;
  const volume = (v: string): void => {
    const colon = v.indexOf(":");
    const src = v.slice(0, colon);
    if (colon > 0 && v[colon + 1] === "/" && /^[/~.]/.test(src)) addPath(src, "mount");
  };
  const mount = (v: string): void => {
    const m = MOUNT_SOURCE.exec(v);
    if (m) addPath(m[1]!, "mount");
  };
  for (const o of VOLUME_OPTIONS) for (const v of parsed.options[o] ?? []) volume(v);
  for (const v of parsed.options["--mount"] ?? []) mount(v);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    // Every name read below starts with `-`: the other words (most of them) are skipped unsplit.
    if (a.charCodeAt(0) !== 45) continue;
    const eq = a.indexOf("=");
    const name = a.startsWith("--") && eq > 0 ? a.slice(0, eq) : a;
    const value = name === a ? argv[i + 1] : a.slice(eq + 1);
    if (value === undefined || parsed.options[name] !== undefined) continue;
    if (VOLUME_OPTIONS.has(name)) volume(value);
    else if (name === "--mount") mount(value);
  }
}

/** A redirect's file now holds the command's output: its text when literal, else its origin. */
function rememberRedirects(env: CommandEnv, output: Output): void {
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
}

/** Executing a file written earlier in the same command line runs its content. */
function runWrittenProgram(
  ex: Extractor,
  head: ArgValue,
  env: CommandEnv,
  ps: PathScope,
  paths: PathFact[],
): void {
  if (!head.value.includes("/") || head.dynamic) return;
  const abs = absolutize(head.value, ps);
  const f = abs ? env.scope.files.get(abs) : undefined;
  // The program file itself is executed: named for the chain memory (unless judged here).
  if (abs !== undefined && f?.content === undefined) paths.push(pathFact(head, "exec", ps));
  if (f)
    fileRun(
      ex,
      f,
      env,
      head.value,
      /^#!.*\b(python|node|ruby|perl|php)/.test(f.content ?? "") ? "code" : "shell",
    );
}

/**
 * An operand naming a file downloaded earlier on the line (`wget URL && dpkg -i x.deb`): what the
 * program does with it, it does with data from the network (`downloaded-operand`).
 */
function downloadedOperands(
  ex: Extractor,
  positionals: readonly ArgValue[],
  env: CommandEnv,
): void {
  if (env.scope.files.size === 0) return;
  const ps = ex.pathScope(env.scope);
  const fetched = (a: ArgValue): boolean => {
    const abs = a.dynamic ? undefined : absolutize(a.value, ps);
    return abs !== undefined && env.scope.files.get(abs)?.origin === "network";
  };
  if (positionals.some(fetched)) env.tags.push("downloaded-operand");
}

/**
 * `host:path`, rclone's `remote:path`, a URL, or an SMB share `//host/share` (mount.cifs(8)): a
 * filesystem on another host.
 */
const REMOTE_FS = /^(?:[\w.@-]*[\w-]:(?!\/\/)|[a-z][\w+.-]*:\/\/|\/\/[\w.-]+\/)/i;
/**
 * Names of FUSE filesystems' mounters (`sshfs`, `curlftpfs`, `httpdirfs`, `gcsfuse`, `mount.davfs`):
 * with a remote-looking source (`u@h:/`, `scheme://`, `//h/share`) they mount another host.
 */
const FUSE_NAME = /fs$|fuse|^mount\./;
/** Mounters for any filesystem: only a remote-looking source makes the mount remote. */
const GENERAL_MOUNTERS: ReadonlySet<string> = new Set(["mount", "rclone"]);

/**
 * A remote filesystem mounted on the last operand (`sshfs u@h:/ dir`, `rclone mount r: dir`,
 * `mount -t nfs h:/x /mnt`, `mount -t cifs //h/share /mnt`, `s3fs bucket /mnt`): later writes
 * under the mount point leave the guest.
 */
function remoteMount(
  ex: Extractor,
  program: string,
  parsed: ParsedArgs,
  positionals: readonly ArgValue[],
  env: CommandEnv,
): void {
  if (positionals.length < 2) return;
  // a mounter knowledge names, or one whose name says it is a FUSE filesystem (`*fs`, `*fuse*`,
  // `mount.*`) given a source and a mount point, the source remote-looking
  const named = remoteMounters().has(program);
  if (!named && (!FUSE_NAME.test(program) || positionals.length !== 2)) return;
  if (program === "rclone" && parsed.positionals[0] !== "mount") return;
  const target = positionals[positionals.length - 1]!;
  // a remote filesystem's own mounter (s3fs BUCKET DIR, gcsfuse BUCKET DIR): a source that is not
  // a local path names the remote one
  const remote = positionals
    .slice(0, -1)
    .some(
      (a) =>
        REMOTE_FS.test(a.value) ||
        (named && !GENERAL_MOUNTERS.has(program) && !/^[/.~]/.test(a.value)),
    );
  if (!remote || target.dynamic) return;
  const abs = absolutize(target.value.replace(/\/+$/, "") || target.value, ex.pathScope(env.scope));
  if (abs !== undefined) env.scope.mounts?.add(abs);
}

/** The words an option took as its value (`-o FILE`), in argv order. */
function optionWords(rest: readonly ArgValue[], parsed: ParsedArgs): ArgValue[] {
  const positional = new Set(parsed.positionalIndex);
  return rest.filter((a, i) => !positional.has(i) && !a.value.startsWith("-"));
}

/** A mode that sets an execute bit: `+x`, `u+x`, `a+rx`, `755`, `0700`. */
const EXEC_MODE =
  /^(?:[ugoa]*[+=][rwxXst]*x[rwxXst]*(?:,.*)?|0?[0-7]?[1357][0-7]{2}|0?[0-7]?[0-7][1357][0-7]|0?[0-7]?[0-7]{2}[1357])$/;

/**
 * Files written on this line and made executable (`chmod +x f`) are meant to be run: handed to
 * another program (`--grep-bin f`, `-o ssh_command=f`, `--use f`), that program runs them, so
 * their content is judged as run. Programs that only read or inspect them are not running them.
 */
function handedExecutables(
  ex: Extractor,
  program: string,
  rest: readonly ArgValue[],
  env: CommandEnv,
): void {
  const files = env.scope.files;
  if (files.size === 0) return;
  const ps = ex.pathScope(env.scope);
  if (program === "chmod") {
    const mode = rest.find((a) => !a.value.startsWith("-") || /^-[rwxXst]+$/.test(a.value));
    if (mode === undefined || !EXEC_MODE.test(mode.value)) return;
    for (const a of rest) {
      const abs = a === mode || a.dynamic ? undefined : absolutize(a.value, ps);
      const f = abs === undefined ? undefined : files.get(abs);
      if (f !== undefined) files.set(abs!, { ...f, executable: true });
    }
    return;
  }
  if (READERS.has(program) || DELETERS.has(program) || SHELLS.has(program)) return;
  for (const a of rest) {
    if (a.dynamic) continue;
    const value = a.value.slice(a.value.lastIndexOf("=") + 1);
    const abs = value.includes("/") ? absolutize(value, ps) : undefined;
    const f = abs === undefined ? undefined : files.get(abs);
    if (f?.executable === true) fileRun(ex, f, env, value);
  }
}

import type { PathRole } from "../../types.js";
import { absolutize, pathFact, type ArgValue } from "../paths.js";
import type { EmitContext, Extractor } from "./state.js";
import { shellText } from "./simple.js";
import { edScript } from "./emit-data.js";

/** dd: `if=` is read, `of=` written; without `if=` it passes its stdin on. */
export function dd(_ex: Extractor, x: EmitContext): void {
  const { rest, env, addPath } = x;
  for (const a of rest) {
    // `s`: a value may hold a newline ($'of=/srv/x\ny'): dd writes the file of that whole name
    const m = /^(if|of)=(.*)/s.exec(a.value);
    if (m) addPath({ ...a, value: m[2]! }, m[1] === "of" ? "write" : "read");
  }
  if (!rest.some((a) => a.value.startsWith("if="))) x.output = env.stdin;
}

/** Filesystem and partition tools. */
export const DISK_TOOLS =
  /^(mkfs(\..+)?|mke2fs|mkswap|wipefs|fdisk|sfdisk|cfdisk|gdisk|sgdisk|parted|blkdiscard|badblocks|mkntfs|mkdosfs|mkfs\.\w+)$/;

/** Disk tools write their devices, except when they only list or print a partition table. */
export function diskTool(_ex: Extractor, x: EmitContext): void {
  const { program, parsed, positionals, addPath } = x;
  // parted(8): the device, then commands (`mklabel gpt`, `mkpart …`), and `-s` is --script
  if (program === "parted") return partedTool(x);
  // Listing or printing a partition table reads the disk.
  const lists = parsed.flags.some((f) =>
    /^(-l|--list|-d|--dump|-p|--print|-s|--show-size|--help|-V|--version)$/.test(f),
  );
  for (const a of positionals)
    if (!/^\d+$/.test(a.value) && !(lists && /^(print|p|unit|free|list|all)$/i.test(a.value)))
      addPath(a, lists ? "read" : "write");
}

/** parted(8): `parted [-s] DEVICE [COMMAND …]`; only print-like commands (or none) read it. */
function partedTool(x: EmitContext): void {
  const { parsed, positionals, addPath } = x;
  const commands = positionals.slice(1);
  const lists =
    parsed.flags.some((f) => /^(-l|--list|--help|-h|-v|--version)$/.test(f)) ||
    (commands.length > 0 &&
      commands.every((a) =>
        /^(print|p|unit|[kmgt]i?b|s|%|cyl|chs|compact|free|list|all|help)$/i.test(a.value),
      ));
  // with no command parted is interactive: what is typed into it is not seen, so it may write
  if (positionals[0] !== undefined) addPath(positionals[0], lists ? "read" : "write");
}

/** Deleters delete every operand. */
export function deleteAll(_ex: Extractor, x: EmitContext): void {
  for (const a of x.positionals) x.addPath(a, "delete");
}

/** mv: the sources are deleted, the target (`-t` or the last operand) written. */
export function move(_ex: Extractor, x: EmitContext): void {
  const { parsed, positionals, addPath, optionValue, valueArg } = x;
  const t = optionValue("-t", "--target-directory");
  if (t !== undefined) {
    addPath(valueArg(parsed.options["-t"] ? "-t" : "--target-directory"), "write");
    for (const a of positionals) addPath(a, "delete");
  } else {
    positionals.forEach((a, k) =>
      addPath(a, k === positionals.length - 1 && positionals.length > 1 ? "write" : "delete"),
    );
  }
}

/** Copiers: the sources are read, the target written; rsync's `-e` is a command it runs. */
export function copy(ex: Extractor, x: EmitContext): void {
  const { program, env, positionals, addPath, optionValue } = x;
  const t = optionValue("-t", "--target-directory");
  const ops = program === "rclone" ? positionals.slice(1) : positionals;
  if (t !== undefined) {
    addPath(t, "write");
    for (const a of ops) addPath(a, "read");
  } else {
    ops.forEach((a, k) =>
      copyOperand(ex, x, a, k === ops.length - 1 && ops.length > 1 ? "write" : "read"),
    );
  }
  if (program === "rsync") {
    const e = optionValue("-e", "--rsh");
    if (e !== undefined) shellText(ex, e, env, "rsync -e");
  }
}

/** One operand of a copier: a remote one (`h:path`, `rsync://`) is a remote path, written = upload. */
function copyOperand(ex: Extractor, x: EmitContext, a: ArgValue, role: PathRole): void {
  const { program, env, ps, paths, addPath } = x;
  const remote = /^(?:[\w.-]+@)?[\w.-]+:(?!\/\/)(.*)$/.exec(a.value);
  const daemon = /::/.test(a.value) || /^rsync:\/\//.test(a.value);
  if ((program === "scp" || program === "rsync" || program === "rclone") && (remote || daemon)) {
    const rp = daemon ? "/" : remote![1]! || "~";
    const f = pathFact({ value: rp, dynamic: a.dynamic, glob: a.glob }, role, {
      ...ps,
      cwd: ex.ctx.home,
      projectPaths: [],
    });
    paths.push({ ...f, raw: a.value, remote: true });
    if (role === "write") env.tags.push("upload");
  } else addPath(a, role);
}

/** tee writes its files (remembered for write-then-execute) and passes its stdin on. */
export function tee(_ex: Extractor, x: EmitContext): void {
  const { env, ps, parsed, positionals, addPath } = x;
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
}

/** chattr(1)'s mode operand: `+i`, `-a`, `=ie`. */
const CHATTR_MODE = /^[-+=][aAcCdDeFijmPsStTux]+$/;
/** An ACL entry of setfacl(1) where its grammar did not take it as `-m`'s value: `u:x:rw`. */
const ACL_ENTRY = String.raw`(?:d(?:efault)?:)?(?:u|g|o|m|user|group|other|mask)?:[^/:,]*(?::[rwxX-]*)?`;
const ACL = new RegExp(`^${ACL_ENTRY}(?:,${ACL_ENTRY})*$`);

/** Writers write their operands, after the mode or owner of chmod and kin; ed runs its script. */
export function writeAll(ex: Extractor, x: EmitContext): void {
  const { program, positionals, addPath, optionValue } = x;
  if (program === "ed") edScript(ex, x);
  // setfacl's ACL is always an option's value (`-m`, `--set`); chattr's `+i`/`=i` is a mode
  // (chattr(1)), mknod's operands after the name are its type and numbers (mknod(1))
  const skip =
    program === "chmod" || program === "chown" || program === "chgrp"
      ? optionValue("--reference") !== undefined
        ? 0
        : 1
      : 0;
  const files = program === "mknod" ? positionals.slice(0, 1) : positionals.slice(skip);
  for (const a of files)
    if (
      !(program === "chattr" && CHATTR_MODE.test(a.value)) &&
      !(program === "setfacl" && ACL.test(a.value))
    )
      addPath(a, "write");
}

/** tar's options whose value is a command it runs. */
const TAR_COMMANDS = [
  "--checkpoint-action",
  "--to-command",
  "--info-script",
  "--new-volume-script",
  "--rsh-command",
  "-I",
  "--use-compress-program",
  "-F",
];

/** tar: extracting writes the directory, creating writes the archive; some options run commands. */
export function tar(ex: Extractor, x: EmitContext): void {
  const { argv, env, parsed, positionals, addPath, optionValue } = x;
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
  for (const o of TAR_COMMANDS) {
    for (const v of parsed.options[o] ?? [])
      shellText(ex, v.replace(/^exec=/, ""), env, `tar ${o}`);
  }
}

/** unzip writes its directory (`-d`, else here) and reads the archive. */
export function unzip(_ex: Extractor, x: EmitContext): void {
  x.addPath(x.optionValue("-d") ?? ".", "write");
  x.addPath(x.positionals[0], "read");
}

/** 7z: extracting (`x`, `e`) writes the `-o` directory, else here. */
export function sevenZip(_ex: Extractor, x: EmitContext): void {
  const { argv, positionals, addPath } = x;
  const o = argv.find((a) => a.startsWith("-o"));
  if ((positionals[0]?.value ?? "").startsWith("x") || positionals[0]?.value === "e")
    addPath(o ? o.slice(2) : ".", "write");
}

/** zip writes the archive, reads the rest; `-TT` is a command it runs. */
export function zip(ex: Extractor, x: EmitContext): void {
  const { argv, env, at, positionals, addPath, optionValue } = x;
  // `-TT CMD` is parsed as the bundle `-T -T`, so CMD is among the positionals: not the archive
  const cmd = argv.includes("-TT") ? argv[argv.indexOf("-TT") + 1] : undefined;
  const files = positionals.filter((a) => a.value !== cmd);
  addPath(files[0], "write");
  files.slice(1).forEach((a) => addPath(a, "read"));
  const tt = optionValue("-TT", "--unzip-command");
  if (tt !== undefined) shellText(ex, tt, env, "zip -TT");
  if (argv.includes("-TT")) {
    const k = argv.indexOf("-TT");
    shellText(ex, at(k + 1), env, "zip -TT");
  }
}

/** What the gate knows about programs by name: families, readers, writers, wrappers. */
import type { PolicyContext } from "../types.js";
export const SHELLS = new Set([
  "sh",
  "bash",
  "zsh",
  "dash",
  "ksh",
  "ash",
  "mksh",
  "yash",
  "fish",
  "tcsh",
  "csh",
  "rbash",
  "busybox-sh",
  // Further POSIX shells Debian packages register in /etc/shells (add-shell in their postinst):
  // each runs `-c TEXT` as sh would and is interactive without it. Shells with their own
  // languages (elvish, rc, xonsh, nu, ysh) are runners (knowledge/runners.yaml).
  "lksh",
  "posh",
  "sash",
  "hush",
  "osh",
]);
export const INTERPRETERS: Record<string, string[]> = {
  python: ["-c"],
  node: ["-e", "--eval", "-p", "--print"],
  nodejs: ["-e", "--eval", "-p", "--print"],
  deno: ["eval"],
  bun: ["-e", "--eval"],
  perl: ["-e", "-E"],
  ruby: ["-e"],
  php: ["-r"],
  lua: ["-e"],
  luajit: ["-e"],
  rscript: ["-e"],
  tclsh: [],
  // R(1) -e, guile(1) -c, ghc(1) -e (evaluate an expression), jrunscript(1) -e; ghci and jjs are REPLs
  r: ["-e"],
  guile: ["-c"],
  ghc: ["-e"],
  ghci: [],
  jrunscript: ["-e"],
  jjs: [],
  osascript: ["-e"],
  pwsh: ["-c", "-command"],
  powershell: ["-c", "-command"],
};

const INTERPRETER_MAP: ReadonlyMap<string, readonly string[]> = new Map(
  Object.entries(INTERPRETERS),
);

/** The code-taking options of an interpreter (`python` → `-c`), or undefined for other programs. */
export function interpreterFlags(program: string): string[] | undefined {
  return INTERPRETER_MAP.get(program) as string[] | undefined;
}
export const NETCATS = new Set([
  "nc",
  "ncat",
  "netcat",
  "socat",
  "telnet",
  "openssl",
  "cryptcat",
  "pwncat",
]);
export const AWKS = new Set(["awk", "gawk", "mawk", "nawk"]);
export const DECODERS = new Set([
  "base64",
  "base32",
  "xxd",
  "uudecode",
  "openssl",
  "gunzip",
  "zcat",
  "gzip",
  "bzip2",
  "bunzip2",
  "xz",
  "unxz",
  "zstd",
  "rev",
  "tr",
  "basenc",
  "python",
  "perl",
]);
export const PASS_THROUGH = new Set([
  "cat",
  "tee",
  "head",
  "tail",
  "sort",
  "uniq",
  "dd",
  "stdbuf",
  "cut",
]);
export const READERS = new Set([
  "cat",
  "tac",
  "less",
  "more",
  "head",
  "tail",
  "nl",
  "od",
  "xxd",
  "hexdump",
  "hd",
  "base64",
  "base32",
  "strings",
  "wc",
  "md5sum",
  "sha1sum",
  "sha256sum",
  "sha512sum",
  "cksum",
  "sum",
  "file",
  "stat",
  "diff",
  "cmp",
  "sort",
  "uniq",
  "cut",
  "paste",
  "column",
  "fold",
  "fmt",
  "pr",
  "expand",
  "iconv",
  "bat",
  "batcat",
  "view",
  "jq",
  "yq",
  "gpg",
  "source",
  ".",
]);
export const PATTERN_FIRST = new Set(["grep", "egrep", "fgrep", "rg", "ag", "ack", "zgrep"]);
export const DELETERS = new Set([
  "rm",
  "rmdir",
  "unlink",
  "shred",
  "srm",
  "wipe",
  "trash",
  "trash-put",
  "gio",
  "rimraf",
  "del-cli",
  "trash-cli",
]);
export const WRITERS = new Set([
  "tee",
  "touch",
  "truncate",
  "mkdir",
  "chmod",
  "chown",
  "chgrp",
  "chattr",
  "setfacl",
  "mkfifo",
  "mknod",
  "fallocate",
  "sponge",
  "ed",
  "nano",
  "emacs",
  "patch",
]);
export const PATH_VAR_DEFAULTS: Record<string, (ctx: Required<PolicyContext>) => string> = {
  HOME: (c) => c.home,
  TMPDIR: () => "/tmp",
  TMP: () => "/tmp",
  TEMP: () => "/tmp",
  PWD: (c) => c.cwd,
  OLDPWD: (c) => c.cwd,
};
/** Environment variables whose value is run as a command line by common programs. */
export const COMMAND_VARS = new Set([
  "PAGER",
  "GIT_PAGER",
  "MANPAGER",
  "SYSTEMD_PAGER",
  "EDITOR",
  "VISUAL",
  "GIT_EDITOR",
  "SVN_EDITOR",
  "GIT_SSH_COMMAND",
  "GIT_SSH",
  "GIT_EXTERNAL_DIFF",
  "GIT_PROXY_COMMAND",
  "LESSOPEN",
  "LESSCLOSE",
  "BROWSER",
  "PROMPT_COMMAND",
  "SUDO_ASKPASS",
  "SSH_ASKPASS",
  "RSYNC_RSH",
  "CVS_RSH",
  "BASH_ENV",
  "ENV",
]);

export function basename(p: string): string {
  if (p.charCodeAt(p.length - 1) !== 47) return p.slice(p.lastIndexOf("/") + 1);
  const s = p.replace(/\/+$/, "");
  return s.slice(s.lastIndexOf("/") + 1);
}

const PROGRAM_NAMES = new Map<string, string>();

/**
 * The program a command word names: its last path segment, lower-cased, by family
 * (`/usr/bin/Python3.11` → `python`). Asked for every simple command (by the wrapper peeling and
 * again by the emitters), so remembered per word; bounded: cleared when full.
 */
export function programName(word: string): string {
  let name = PROGRAM_NAMES.get(word);
  if (name === undefined) {
    if (PROGRAM_NAMES.size >= 4096) PROGRAM_NAMES.clear();
    name = family(basename(word).toLowerCase());
    PROGRAM_NAMES.set(word, name);
  }
  return name;
}

/** Normalise programs named by version (`python3.11`, `pip3`) to the family name. */
export function family(name: string): string {
  // Only a name ending in a version (a digit or a dot) can differ from its family.
  const last = name.charCodeAt(name.length - 1);
  if (last !== 46 && !(last >= 48 && last <= 57)) return intern(name);
  if (/^python[0-9.]*$/.test(name)) return "python";
  if (/^(perl|ruby|php|lua|node)[0-9.]*$/.test(name)) return intern(name.replace(/[0-9.]+$/, ""));
  return intern(name);
}

const INTERNED = new Map<string, string>();

/**
 * The program name as the engine's one shared copy: a property key is kept once per process by
 * the JavaScript engine, and the many comparisons of a program with literal names (and table
 * look-ups by it) then compare references instead of characters. Bounded: cleared when full.
 */
function intern(name: string): string {
  let v = INTERNED.get(name);
  if (v === undefined) {
    if (INTERNED.size >= 4096) INTERNED.clear();
    v = Object.keys({ [name]: 0 })[0] ?? name;
    INTERNED.set(v, v);
  }
  return v;
}

const valuedSets = new WeakMap<readonly string[], ReadonlySet<string>>();

/** The set of a valued-option list, built once per list. */
function valuedSet(list: readonly string[]): ReadonlySet<string> {
  let set = valuedSets.get(list);
  if (set === undefined) {
    set = new Set(list);
    valuedSets.set(list, set);
  }
  return set;
}

/** Index of the wrapped command in a wrapper's argv: after its options and `skip` operands. */
export function firstCommandIndex(
  values: readonly string[],
  spec: { valued: readonly string[] },
  skip = 0,
): number {
  let i = 0;
  const valued = valuedSet(spec.valued);
  while (i < values.length) {
    const a = values[i]!;
    if (a === "--") {
      i++;
      break;
    }
    if (/^-\d+$/.test(a) && skip === 0) {
      i++;
      continue;
    }
    if (!a.startsWith("-") || a === "-") break;
    if (a.startsWith("--")) {
      if (!a.includes("=") && valued.has(a)) i++;
      i++;
      continue;
    }
    // short bundle: a valued letter takes the rest or the next word
    for (let j = 1; j < a.length; j++) {
      if (valued.has(`-${a[j]!}`)) {
        if (j === a.length - 1) i++;
        break;
      }
    }
    i++;
  }
  return Math.min(i + skip, values.length + skip);
}

import type { PathClass, PathFact, PathRole } from "../types.js";

/** A word after expansion: its text and whether parts of it are unknown until run time. */
export interface ArgValue {
  value: string;
  /** Contains an expansion or substitution whose value is not known statically. */
  dynamic: boolean;
  /** Contains an unquoted glob (`*`, `?`, `[…]`). */
  glob: boolean;
  /** Built by an expansion or substitution, even when its value is known. */
  expanded?: boolean;
  /** For a process substitution `<(…)`: what reading it yields. */
  stream?:
    | { kind: "literal"; text: string }
    | { kind: "network" }
    | { kind: "decoded" }
    | { kind: "unknown" };
}

const SAFE_DEVICES = new Set([
  "/dev/null",
  "/dev/zero",
  "/dev/stdout",
  "/dev/stderr",
  "/dev/stdin",
  "/dev/tty",
  "/dev/random",
  "/dev/urandom",
  "/dev/full",
]);

const SYSTEM_TOP = new Set([
  "bin",
  "boot",
  "dev",
  "etc",
  "lib",
  "lib32",
  "lib64",
  "libx32",
  "opt",
  "proc",
  "run",
  "sbin",
  "srv",
  "sys",
  "usr",
  "var",
  "snap",
  "mnt",
  "media",
  "lost+found",
  "efi",
  "System",
  "Library",
  "Applications",
  "private",
  "nix",
]);

const CREDENTIAL_HOME = [
  /^\.ssh(\/|$)(?!.*\.pub$)(?!known_hosts)(?!config$)/,
  /^\.aws\/(credentials|config)/,
  /^\.azure(\/|$)/,
  /^\.config\/gcloud(\/|$)/,
  /^\.config\/gh\/hosts\.yml$/,
  /^\.docker\/config\.json$/,
  /^\.gem\/credentials$/,
  /^\.git-credentials$/,
  /^\.kube\/config/,
  /^\.npmrc$/,
  /^\.pypirc$/,
  /^\.netrc$/,
  /^\.pgpass$/,
  /^\.my\.cnf$/,
  /^\.gnupg(\/|$)/,
  /^\.vault-token$/,
  /^\.terraform\.d\/credentials/,
  /^\.cargo\/credentials/,
  /^\.password-store(\/|$)/,
  // Browser profiles: saved passwords, their keys and session cookies (Firefox, Thunderbird,
  // Chromium-based browsers), and desktop keyrings.
  /^\.(mozilla\/firefox|thunderbird|librewolf|waterfox)\/.*\/(logins\.json|key[34]\.db|signons\.sqlite|cookies\.sqlite)$/,
  /^\.config\/(google-chrome[^/]*|chromium|BraveSoftware\/[^/]+|microsoft-edge[^/]*|vivaldi|opera)\/.*\/?(Login Data|Cookies|Web Data|Local State)$/,
  /^\.local\/share\/(keyrings|kwalletd)(\/|$)/,
  // Cloud, storage and registry clients' saved credentials.
  /^\.config\/rclone\/rclone\.conf$/,
  /^\.s3cfg$/,
  /^\.boto$/,
  /^\.oci\/config$/,
  /^\.databrickscfg$/,
  /^\.pulumi\/credentials\.json$/,
  /^\.config\/(doctl\/config\.yaml|hub|glab-cli\/config\.yml|composer\/auth\.json)$/,
  /^\.composer\/auth\.json$/,
  /^\.m2\/settings-security\.xml$/,
  /^\.config\/keybase(\/|$)/,
];
const CREDENTIAL_SYSTEM = [
  /^\/etc\/(shadow|gshadow|sudoers|master\.passwd|spwd\.db)(-|$|\.)/,
  // Security logs record typed passwords as user names and every login: read as secrets.
  /^\/var\/log\/(auth\.log|secure|ufw\.log|audit(\/|$)|btmp|faillog)/,
  /^\/etc\/ssh\/ssh_host_.*_key$/,
  /^\/etc\/ssl\/private(\/|$)/,
  /^\/root\/\.ssh\/id_[^.]*$/,
  /^\/proc\/[^/]+\/environ$/,
  // VPN, PPP, IPsec and Kerberos secrets; saved Wi-Fi and VPN connections.
  /^\/etc\/(ipsec\.secrets|krb5\.keytab|ppp\/(chap|pap)-secrets|security\/opasswd)$/,
  /^\/etc\/(wireguard|NetworkManager\/system-connections)(\/|$)/,
  // Service-account tokens mounted into pods and secrets mounted into containers.
  /^\/(var\/)?run\/secrets(\/|$)/,
  // Memory of processes and of the kernel: keys, tokens and passwords in the clear.
  /^\/proc\/[^/]+\/(mem|maps)$/,
  /^\/proc\/kcore$/,
  /^\/dev\/(k?mem|crash)$/,
];
/**
 * Each list as one alternation: a path is tested once instead of once per pattern (every pattern
 * is anchored and has no flags or back-references, so the union matches exactly when one does).
 */
const anyOf = (res: readonly RegExp[]): RegExp =>
  new RegExp(res.map((r) => `(?:${r.source})`).join("|"));
const CREDENTIAL_HOME_ANY = anyOf(CREDENTIAL_HOME);
const CREDENTIAL_SYSTEM_ANY = anyOf(CREDENTIAL_SYSTEM);
const CREDENTIAL_NAME =
  /(^id_(rsa|dsa|ecdsa|ed25519)(_sk)?$)|\.(pem|key|p12|pfx|jks|keystore|ppk|kdbx|keytab)$/i;
const SHELL_RC =
  /^(\.shrc|\.mkshrc|\.bashrc|\.bash_profile|\.bash_login|\.bash_logout|\.profile|\.zshrc|\.zshenv|\.zprofile|\.zlogin|\.kshrc|\.cshrc|\.tcshrc|\.inputrc|\.config\/fish\/config\.fish)$/;

const HISTORY =
  /^(\.(bash|zsh|sh|ksh|python|node_repl|psql|mysql|sqlite|irb|rediscli|lesshst)_history|\.history|\.zhistory|\.histfile|\.local\/share\/fish\/fish_history|\.lesshst)$/;

/** Resolution inputs: the context plus shell variables known so far. */
export interface PathScope {
  cwd: string | undefined;
  home: string;
  projectPaths: readonly string[];
  protectedPaths: readonly string[];
  /** `home`, `projectPaths` and `protectedPaths` are already normalised. */
  normalized?: boolean;
}

/** Collapse `//`, `/.` and `..` segments of an absolute path (purely textual, like `realpath -m`). */
export function normalizePath(path: string): string {
  // Already normal (absolute; no `//`, `.` or `..` segment, no trailing `/`, not under /proc):
  // most paths are, and they come out unchanged. A `/.` anywhere (`/.ssh`) takes the long way.
  if (
    path.length > 1 &&
    path.charCodeAt(0) === 47 &&
    path.charCodeAt(path.length - 1) !== 47 &&
    !path.includes("//") &&
    !path.includes("/.") &&
    !path.startsWith("/proc/")
  )
    return path;
  const out: string[] = [];
  // `/proc/<pid>/root` is the process's view of `/`: `/proc/self/root/etc/shadow` is `/etc/shadow`.
  const alias = /^\/+proc\/+(self|thread-self|\d+)\/+root(\/.*)?$/.exec(path);
  if (alias) path = alias[2] ?? "/";
  for (const seg of path.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return "/" + out.join("/");
}

function under(path: string, base: string): boolean {
  return base === "/" ? true : path === base || path.startsWith(base + "/");
}

function strictlyUnder(path: string, base: string): boolean {
  return base === "/" ? path !== "/" : path.startsWith(base + "/");
}

/** Make a path argument absolute. `undefined` when it depends on an unknown cwd. */
export function absolutize(raw: string, scope: PathScope): string | undefined {
  let p = raw;
  if (p === "~" || p.startsWith("~/")) p = scope.home + p.slice(1);
  else if (p.startsWith("~")) {
    // ~user: another user's home directory
    const slash = p.indexOf("/");
    const user = slash < 0 ? p.slice(1) : p.slice(1, slash);
    const rest = slash < 0 ? "" : p.slice(slash);
    p = (user === "root" ? "/root" : `/home/${user}`) + rest;
  }
  if (!p.startsWith("/")) {
    if (scope.cwd === undefined) return undefined;
    p = `${scope.cwd}/${p}`;
  }
  return normalizePath(p);
}

const GLOB = /[*?[]/;

type Classes = Set<PathClass>;

/** The directory a glob expands in (its first globbed segment's parent), or the path itself. */
function globBase(path: string, glob: boolean): { literal: string; globbed: boolean } {
  if (!glob || !GLOB.test(path)) return { literal: path, globbed: false };
  const segs = path.split("/");
  const idx = segs.findIndex((s) => GLOB.test(s));
  return { literal: normalizePath(segs.slice(0, idx).join("/") || "/"), globbed: true };
}

/** A path inside a git directory, and whether git later runs or obeys it as code. */
function vcsClasses(classes: Classes, literal: string): void {
  if (!/(^|\/)\.git(\/|$)/.test(literal)) return;
  classes.add("vcs");
  // What git later runs or obeys as code: hooks, config (hooksPath, fsmonitor, aliases, filter
  // drivers), attributes, submodules' own git dirs, and `.git` itself (a gitdir: file). A write
  // to HEAD, refs or the index only corrupts state, which a transaction undoes.
  if (
    /(^|\/)\.git$|\/\.git\/(.*\/)?(hooks|config|info\/attributes|modules|commondir)(\/|$)/.test(
      literal,
    )
  )
    classes.add("vcs-exec");
}

/** Inside a project, or a project's root or one of its ancestors. */
function projectClasses(
  classes: Classes,
  path: string,
  literal: string,
  globbed: boolean,
  projects: readonly string[],
): void {
  // `*.o` in the project root matches some files; a bare `*` matches all of them.
  const wholeDir =
    globbed &&
    /\/(\.?\*+|\*\.\*|\?\*|\.\[!.\]\*)(\/|$)/.test(
      path.slice(literal.length === 1 ? 0 : literal.length),
    );
  if (projects.some((np) => strictlyUnder(literal, np))) classes.add("project");
  else if (globbed && !wholeDir && projects.some((np) => literal === np)) classes.add("project");
  else if (projects.some((np) => literal === np || strictlyUnder(np, literal)))
    classes.add("project-root");
}

/** `path.split("/")[1] ?? ""` (`/usr/bin` → `usr`) without splitting the whole path. */
function secondField(path: string): string {
  const a = path.indexOf("/");
  if (a < 0) return "";
  const b = path.indexOf("/", a + 1);
  return path.slice(a + 1, b < 0 ? undefined : b);
}

/** The file system area: devices, temp, proc/sys, system trees and their logs. */
function areaClasses(classes: Classes, literal: string, globbed: boolean): void {
  const top = secondField(literal);
  if (literal.startsWith("/dev/")) {
    if (literal.startsWith("/dev/tcp/") || literal.startsWith("/dev/udp/")) classes.add("network");
    else if (SAFE_DEVICES.has(literal) || literal.startsWith("/dev/fd/")) classes.add("devnull");
    else if (literal.startsWith("/dev/shm/")) classes.add("temp");
    else classes.add("device");
  } else if (literal === "/tmp" || literal === "/var/tmp" || literal === "/dev/shm") {
    classes.add(globbed ? "temp" : "temp-root");
  } else if (strictlyUnder(literal, "/tmp") || strictlyUnder(literal, "/var/tmp")) {
    classes.add("temp");
  } else if (top === "proc" || top === "sys") {
    classes.add("proc");
    classes.add("system");
  } else if (SYSTEM_TOP.has(top) && !classes.has("project")) {
    classes.add("system");
    if (under(literal, "/var/log") || /^\/var\/(spool|account|audit)/.test(literal))
      classes.add("log");
  }
}

/** Files that matter in a home directory wherever the project is: credentials, rc files, persistence. */
function homeFileClasses(classes: Classes, literal: string, home: string): void {
  const rel = under(literal, home)
    ? literal.slice(home.length + 1)
    : /^\/(home\/[^/]+|root|Users\/[^/]+)\/(.*)$/.exec(literal)?.[2];
  if (rel === undefined || rel === "") return;
  if (CREDENTIAL_HOME_ANY.test(rel)) classes.add("credential");
  if (SHELL_RC.test(rel)) classes.add("shell-rc");
  // Shell and REPL history is the record of what ran: emptying it is covering tracks.
  if (HISTORY.test(rel)) {
    classes.add("log");
    // History holds what was typed: passwords on command lines, tokens in exports.
    classes.add("credential");
  }
  if (/^\.ssh\/(authorized_keys2?|rc|environment)$/.test(rel)) classes.add("ssh-config");
  if (/^\.config\/systemd(\/|$)/.test(rel)) classes.add("systemd");
  if (/^\.config\/autostart(\/|$)/.test(rel)) classes.add("systemd");
}

/** Credentials by system path, by a home-relative name under any directory, or by file name. */
function credentialClasses(classes: Classes, path: string, literal: string, globbed: boolean) {
  const base = literal.slice(literal.lastIndexOf("/") + 1);
  if (CREDENTIAL_SYSTEM_ANY.test(literal)) classes.add("credential");
  // `.aws/credentials`, `.ssh/id_rsa` under any directory (another user's home, `//.aws`, a copy).
  for (let i = literal.indexOf("/."); i >= 0; i = literal.indexOf("/.", i + 1)) {
    const tail = literal.slice(i + 1);
    if (CREDENTIAL_HOME_ANY.test(tail)) classes.add("credential");
  }
  if (CREDENTIAL_NAME.test(base) && !globbed) classes.add("credential");
  if (globbed && /\.(pem|key)$/.test(path)) classes.add("credential");
}

/** System files that run code or grant access later: shell rc, sshd, cron, systemd, preloads. */
function persistenceClasses(classes: Classes, literal: string): void {
  if (/^\/etc\/(profile|bash\.bashrc|zsh\/|environment$|profile\.d)/.test(literal))
    classes.add("shell-rc");
  if (/^\/etc\/ssh(\/|$)/.test(literal) || literal.endsWith("/authorized_keys"))
    classes.add("ssh-config");
  if (/^\/(etc\/(cron|anacrontab)|var\/spool\/cron)/.test(literal)) classes.add("cron");
  if (/^\/(etc|lib|usr\/lib)\/systemd(\/|$)|^\/etc\/(init\.d|rc\.local)/.test(literal))
    classes.add("systemd");
  if (/^\/etc\/ld\.so\.(preload|conf)/.test(literal)) classes.add("ld-preload");
}

/** The classes that place a path somewhere known; a path with none of them is `outside`. */
const PLACED: readonly PathClass[] = [
  "root",
  "system",
  "device",
  "devnull",
  "network",
  "proc",
  "home",
  "temp",
  "temp-root",
  "project",
  "project-root",
];

/** Classify an absolute, normalised path. Globs are judged by the directory they expand in. */
export function classifyPath(path: string, scope: PathScope, glob: boolean): PathClass[] {
  const classes: Classes = new Set<PathClass>();
  // A glob segment can match anything at its level: judge it at its parent directory.
  const { literal, globbed } = globBase(path, glob);
  for (const p of scope.protectedPaths) {
    const np = scope.normalized ? p : normalizePath(p);
    if (under(literal, np) || under(np, literal)) classes.add("protected");
  }
  if (literal === "/") {
    classes.add("root");
    if (!globbed) return [...classes];
  }
  const home = scope.normalized ? scope.home : normalizePath(scope.home);
  const projects = scope.normalized ? scope.projectPaths : scope.projectPaths.map(normalizePath);
  vcsClasses(classes, literal);
  projectClasses(classes, path, literal, globbed, projects);
  areaClasses(classes, literal, globbed);
  const inHome =
    under(literal, "/home") ||
    under(literal, "/Users") ||
    under(literal, "/root") ||
    under(literal, home);
  if (inHome && !classes.has("project")) classes.add("home");
  homeFileClasses(classes, literal, home);
  credentialClasses(classes, path, literal, globbed);
  persistenceClasses(classes, literal);
  if (!PLACED.some((k) => classes.has(k))) classes.add("outside");
  return [...classes];
}

/** Build the fact for one path argument. */
export function pathFact(arg: ArgValue, role: PathRole, scope: PathScope): PathFact {
  if (arg.dynamic) {
    return { raw: arg.value, path: arg.value, role, classes: ["unknown"] };
  }
  const abs = absolutize(arg.value, scope);
  if (abs === undefined) return { raw: arg.value, path: arg.value, role, classes: ["unknown"] };
  return { raw: arg.value, path: abs, role, classes: classifyPath(abs, scope, arg.glob) };
}

/**
 * The argument vectors that confine a guest: pure functions, so the safety model can be read (and
 * tested) in one place. A guest is `bwrap` run in the guest's network namespace (`nsenter`), with
 * its own mount, PID, UTS, IPC and cgroup namespaces, its subvolume as `/`, a private `/dev`, a
 * fresh `/proc` whose global knobs are read-only and whose kernel-wide files are masked, no `/sys`,
 * a reduced capability set and a seccomp filter (seccomp.ts). testbed/README.md lists the measures.
 */

/**
 * Capabilities a guest's root keeps: Docker's default set without CAP_MKNOD (a guest's /dev is
 * fixed). Never CAP_DAC_READ_SEARCH: with it, open_by_handle_at opens any inode of the storage.
 */
export const GUEST_CAPABILITIES = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_SETFCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_RAW",
  "CAP_SYS_CHROOT",
  "CAP_AUDIT_WRITE",
] as const;

/** Capabilities of the short-lived helper that writes keys into a guest's root file system. */
const HELPER_CAPABILITIES = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER"] as const;

const GUEST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

const BOUNDING_SET = GUEST_CAPABILITIES.map((c) => `+${c.slice(4).toLowerCase()}`).join(",");

/**
 * The guest's main program: host keys if none were injected, then sshd in the foreground. bwrap
 * (without a user namespace) leaves the bounding set full; no_new_privs already stops execve from
 * regaining capabilities, and setpriv narrows the bounding set as a second wall.
 */
export const GUEST_INIT =
  "[ -e /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -A >/dev/null 2>&1; " +
  "mkdir -p /run/sshd && chmod 0755 /run/sshd; " +
  `command -v setpriv >/dev/null && exec setpriv --bounding-set -all,${BOUNDING_SET} -- /usr/sbin/sshd -D -e; ` +
  "exec /usr/sbin/sshd -D -e";

function caps(keep: readonly string[]): string[] {
  return ["--cap-drop", "ALL", ...keep.flatMap((c) => ["--cap-add", c])];
}

/**
 * /proc files Docker and LXC hide from containers (kernel-wide state, memory maps of the host,
 * keys, timers of every process), plus the kpage* maps, key-users, slabinfo and vmallocinfo.
 * Masked by binding /dev/null over them.
 */
export const PROC_MASKED_FILES = [
  "/proc/kcore",
  "/proc/keys",
  "/proc/key-users",
  "/proc/kpageflags",
  "/proc/kpagecount",
  "/proc/kpagecgroup",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/latency_stats",
  "/proc/interrupts",
  "/proc/slabinfo",
  "/proc/vmallocinfo",
] as const;

/** /proc directories masked by an empty read-only tmpfs (as Docker does). */
export const PROC_MASKED_DIRS = ["/proc/acpi", "/proc/asound", "/proc/scsi"] as const;

/** /proc parts that stay visible but read-only (bwrap already covers /proc/{irq,bus}). */
export const PROC_READ_ONLY = ["/proc/sys", "/proc/sysrq-trigger", "/proc/fs"] as const;

/** The masks that apply on this kernel: bwrap cannot mount over a /proc entry that is absent. */
export interface ProcMasks {
  files: readonly string[];
  dirs: readonly string[];
}

/** Masks of the entries `exists` reports present (the guest's /proc shows the host kernel's). */
export function procMasks(exists: (path: string) => boolean): ProcMasks {
  return { files: PROC_MASKED_FILES.filter(exists), dirs: PROC_MASKED_DIRS.filter(exists) };
}

/** Mounts common to the guest and the helper: root, /dev, /proc with read-only global parts. */
function fsArgs(root: string, masks: ProcMasks = { files: [], dirs: [] }): string[] {
  // prettier-ignore
  return [
    "--bind", root, "/",
    "--dev", "/dev",
    "--proc", "/proc",
    // Writable by uid 0 without any capability.
    ...PROC_READ_ONLY.flatMap((p) => ["--ro-bind-try", p, p]),
    ...masks.files.flatMap((f) => ["--ro-bind", "/dev/null", f]),
    ...masks.dirs.flatMap((d) => ["--tmpfs", d, "--remount-ro", d]),
    "--tmpfs", "/run",
  ];
}

/**
 * What confines one sandbox. The guest gets all of it; the escape suite's positive controls
 * build the same sandbox with one measure removed.
 */
export interface SandboxOptions {
  root: string;
  hostname: string;
  /** Network namespace to join; absent = the caller's (controls run in a scratch namespace). */
  netnsPath?: string;
  capabilities: readonly string[];
  masks: ProcMasks;
  /** File descriptor (inherited by bwrap) holding the compiled seccomp program; absent = none. */
  seccompFd?: number;
  /** Unshare the PID namespace (default true). */
  unsharePid?: boolean;
}

/** argv of a confined program: bwrap with the given measures, then `command`. */
export function sandboxArgv(o: SandboxOptions, command: readonly string[]): string[] {
  // prettier-ignore
  return [
    ...(o.netnsPath === undefined ? [] : ["nsenter", `--net=${o.netnsPath}`, "--"]),
    "bwrap",
    ...fsArgs(o.root, o.masks),
    ...(o.unsharePid === false ? [] : ["--unshare-pid"]),
    "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
    "--hostname", o.hostname,
    "--new-session",
    ...caps(o.capabilities),
    ...(o.seccompFd === undefined ? [] : ["--seccomp", String(o.seccompFd)]),
    "--clearenv",
    "--setenv", "PATH", GUEST_PATH,
    "--setenv", "HOME", "/root",
    "--setenv", "LANG", "C.UTF-8",
    "--chdir", "/",
    ...command,
  ];
}

export interface GuestArgvOptions {
  root: string;
  hostname: string;
  netnsPath: string;
  masks: ProcMasks;
  /** The seccomp program's descriptor in the launcher (see {@link GUEST_SECCOMP_FD}). */
  seccompFd: number;
}

/** The launcher receives the seccomp program on this descriptor (after stdin, stdout, stderr). */
export const GUEST_SECCOMP_FD = 3;

/** argv of a guest's launcher; its process (pid on the host) is the guest's "main process". */
export function guestArgv(o: GuestArgvOptions): string[] {
  return sandboxArgv({ ...o, capabilities: GUEST_CAPABILITIES }, ["/bin/sh", "-c", GUEST_INIT]);
}

/**
 * argv of a helper that runs a script (standard input) as root *inside* a guest's root file system
 * and confinement, with no network: so that symlinks a guest planted resolve inside the guest,
 * never on the host.
 */
export function helperArgv(root: string): string[] {
  // prettier-ignore
  return [
    "bwrap",
    ...fsArgs(root),
    "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net", "--unshare-cgroup-try",
    "--new-session", "--die-with-parent",
    ...caps(HELPER_CAPABILITIES),
    "--clearenv",
    "--setenv", "PATH", GUEST_PATH,
    "--chdir", "/",
    "/bin/sh", "-s",
  ];
}

/**
 * Wraps argv so that the process joins its cgroups before it execs (children inherit them), and
 * the cgroup is in force before the guest's first instruction.
 */
export function inCgroupsArgv(procsFiles: readonly string[], argv: readonly string[]): string[] {
  const script = 'for f in $TXBOX_CGROUP_PROCS; do echo $$ > "$f" || exit 97; done; exec "$@"';
  return [
    "env",
    `TXBOX_CGROUP_PROCS=${procsFiles.join(" ")}`,
    "/bin/sh",
    "-c",
    script,
    "sh",
    ...argv,
  ];
}

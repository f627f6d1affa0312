/**
 * The argument vectors that confine a guest: pure functions, so the safety model can be read (and
 * tested) in one place. A guest is `bwrap` run in the guest's network namespace (`nsenter`), with
 * its own mount, PID, UTS, IPC and cgroup namespaces, its subvolume as `/`, a private `/dev`, a
 * fresh `/proc` whose global knobs are read-only, no `/sys`, and a reduced capability set.
 */

/** Capabilities a guest's root keeps: enough for sshd, package installs and file ownership. */
export const GUEST_CAPABILITIES = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_DAC_READ_SEARCH",
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

/** Mounts common to the guest and the helper: root, /dev, /proc with read-only global parts. */
function fsArgs(root: string): string[] {
  // prettier-ignore
  return [
    "--bind", root, "/",
    "--dev", "/dev",
    "--proc", "/proc",
    // bwrap covers /proc/{irq,bus}; these are writable by uid 0 without any capability.
    "--ro-bind", "/proc/sys", "/proc/sys",
    "--ro-bind-try", "/proc/sysrq-trigger", "/proc/sysrq-trigger",
    "--tmpfs", "/run",
  ];
}

export interface GuestArgvOptions {
  root: string;
  hostname: string;
  netnsPath: string;
}

/** argv of a guest's launcher; its process (pid on the host) is the guest's "main process". */
export function guestArgv(o: GuestArgvOptions): string[] {
  // prettier-ignore
  return [
    "nsenter", `--net=${o.netnsPath}`, "--",
    "bwrap",
    ...fsArgs(o.root),
    "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
    "--hostname", o.hostname,
    "--new-session",
    ...caps(GUEST_CAPABILITIES),
    "--clearenv",
    "--setenv", "PATH", GUEST_PATH,
    "--setenv", "HOME", "/root",
    "--setenv", "LANG", "C.UTF-8",
    "--chdir", "/",
    "/bin/sh", "-c", GUEST_INIT,
  ];
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

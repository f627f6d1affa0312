import type { CommandFacts, Effect, PathFact } from "../types.js";
import type { EffectKind } from "./table.js";

/**
 * What touching a path does, by the path's class and the role the command gives it. A write is
 * `transact` wherever it lands in the guest, except where the write is an attack: disks, kernel
 * controls, the orchestrator's SSH access, persistence points, logs and operator-protected paths.
 * A delete is `transact` except of a whole tree the guest depends on (`/`, `~`, system trees).
 */

/** Account, authentication and privilege databases: writing them grants access, deleting locks out. */
const AUTH =
  /^\/etc\/(passwd|shadow|group|gshadow|sudoers|sudoers\.d|pam\.d|security|login\.defs|nsswitch\.conf|doas\.conf)(\/|$|-|\.)/;
/** Configuration of logging, auditing, firewalls and trust: changing it blinds or opens the guest. */
const SECURITY_CONFIG =
  /^\/etc\/(audit|audisp|auditd\.conf|rsyslog\.conf|rsyslog\.d|syslog\.conf|syslog-ng|ufw|default\/ufw|iptables|nftables\.conf|apparmor|apparmor\.d|selinux|logrotate\.conf|logrotate\.d|ca-certificates|pki\/ca-trust|ssl\/certs|fail2ban|newsyslog\.conf|pf\.conf)(\/|$)|^\/usr\/(local\/)?share\/(ca-certificates|certs)(\/|$)/;
/** Places whose files run later by themselves: init scripts, hooks, module and udev rules, startup hooks. */
const PERSIST_PATHS =
  /^\/etc\/(rc\.common|rc\.d|rc\.local|init|init\.d|update-motd\.d|xdg\/autostart|modules-load\.d|modprobe\.d|modules|udev\/rules\.d|NetworkManager\/dispatcher\.d|apt\/apt\.conf\.d|dpkg\/dpkg\.cfg\.d|environment|ld\.so\.conf\.d)(\/|$)|^\/usr\/local\/etc\/rc\.d(\/|$)|^\/lib\/modules\/|\/site-packages\/[^/]*\.pth$|\/(sitecustomize|usercustomize)\.py$/;
/** Directories on every user's PATH: a file written there runs in place of a real program. */
const PATH_DIRS = /^\/(usr\/(local\/)?)?s?bin(\/|$)/;

/**
 * `/`, a system tree (up to two levels: `/etc`, `/usr/lib`, `/srv/data`), `/tmp` itself, `/home`,
 * a home directory or another user's files, or a glob over one. `.*` also names the parent (`..`).
 */
export function isWholeTree(p: PathFact, home: string, recursive: boolean): boolean {
  let literal = globParent(p.path);
  if (/(^|\/)\.\*$/.test(p.path)) literal = literal.slice(0, literal.lastIndexOf("/")) || "/";
  // `find / -name '*.conf' -exec rm {} +`: the files find selects anywhere under its start.
  if (p.path.endsWith("/<match>")) {
    const start = p.path.slice(0, -"/<match>".length) || "/";
    return start === "/" || (/^\/[^/]+(\/[^/]+)?$/.test(start) && p.classes.includes("system"));
  }
  const c = p.classes;
  if (literal === "/" || literal === "/home" || literal === "/root" || literal === home)
    return true;
  if (/^\/home\/[^/]+$/.test(literal)) return true;
  if (c.includes("temp-root") && (recursive || literal !== p.path)) return true;
  if (!recursive && literal === p.path) return false;
  // Another user's files are theirs, whatever the snapshot would do for the agent's own.
  if (
    /^\/(home\/[^/]+|root)(\/|$)/.test(literal) &&
    !under(literal, home) &&
    !c.includes("project")
  )
    return true;
  if (c.includes("system") && !c.includes("project") && !c.includes("temp")) {
    const depth = literal.split("/").length - 1;
    if (depth <= 2) return true;
  }
  return false;
}

function under(path: string, base: string): boolean {
  return path === base || path.startsWith(base + "/");
}

function globParent(path: string): string {
  const i = path.search(/[*?[]/);
  if (i < 0) return path;
  const cut = path.lastIndexOf("/", i);
  return cut <= 0 ? "/" : path.slice(0, cut);
}

/** Programs that name paths without reading their content (metadata, ownership, transport). */
export interface PathKnowledge {
  metadataOnly: ReadonlySet<string>;
  /** Programs that unpack or copy whole trees. */
  extractors: ReadonlySet<string>;
}

/** Files whose mere presence or content decides who may log in or whether the guest boots. */
const LOCKOUT_FILES = /^\/etc\/(nologin|hosts\.deny|securetty)$|^\/run\/nologin$/;
const PERMS = new Set(["chmod", "chown", "chgrp", "chattr", "setfacl"]);

function writeKind(
  p: PathFact,
  extractor: boolean,
  perms?: { recursive: boolean; home: string },
): { kind: EffectKind; why: string } {
  const c = p.classes;
  if (AUTH.test(p.path))
    return { kind: "escalate", why: "writes the account or privilege database" };
  if (LOCKOUT_FILES.test(p.path)) return { kind: "lockout", why: "blocks logins" };
  if (/^\/boot(\/|$)/.test(p.path))
    return { kind: "availability", why: "changes what the guest boots" };
  if (perms !== undefined) {
    // sshd ignores keys whose directory others can write: the orchestrator's access is gone.
    if (/\/\.ssh(\/|$)/.test(p.path))
      return { kind: "lockout", why: "changes permissions of SSH keys" };
    if (perms.recursive && isWholeTree(p, perms.home, true))
      return { kind: "destroy-tree", why: "changes permissions or owners of a whole tree" };
  }
  if (c.includes("protected")) return { kind: "tamper", why: "writes an operator-protected path" };
  if (c.includes("device")) return { kind: "disk", why: "writes a raw device" };
  if (c.includes("network")) return { kind: "send", why: "writes to a network socket" };
  if (c.includes("proc"))
    return { kind: "availability", why: "writes kernel controls under /proc or /sys" };
  if (c.includes("ssh-config"))
    return { kind: "lockout", why: "changes SSH server config or authorized keys" };
  if (c.includes("ld-preload"))
    return { kind: "persist", why: "injects a library into every process" };
  if (c.includes("cron") || c.includes("systemd") || c.includes("shell-rc"))
    return { kind: "persist", why: "installs code that runs later (cron, unit, shell rc)" };
  if (c.includes("vcs-exec"))
    return { kind: "persist", why: "writes git hooks or config that git later runs" };
  if (c.includes("log")) return { kind: "tamper", why: "rewrites logs" };
  if (SECURITY_CONFIG.test(p.path))
    return { kind: "tamper", why: "changes logging, audit, firewall or trust configuration" };
  if (PERSIST_PATHS.test(p.path))
    return { kind: "persist", why: "installs something that runs later by itself" };
  if (PATH_DIRS.test(p.path))
    return { kind: "persist", why: "plants a program in a directory on every user's PATH" };
  const top = globParent(p.path);
  if (extractor && (top === "/" || (c.includes("system") && top.split("/").length === 2)))
    return { kind: "persist", why: "writes over a whole system tree" };
  return { kind: "write", why: "writes a file" };
}

function deleteKind(
  p: PathFact,
  home: string,
  recursive: boolean,
  program: string,
): { kind: EffectKind; why: string } {
  const c = p.classes;
  if (c.includes("protected")) return { kind: "tamper", why: "deletes an operator-protected path" };
  if (c.includes("device")) return { kind: "disk", why: "wipes a device" };
  if (c.includes("log")) return { kind: "tamper", why: "deletes logs" };
  if (c.includes("ssh-config"))
    return { kind: "lockout", why: "deletes SSH server config or authorized keys" };
  if (c.includes("ld-preload")) return { kind: "persist", why: "changes the preload list" };
  if (AUTH.test(p.path))
    return { kind: "lockout", why: "deletes the account or privilege database" };
  if (c.includes("credential"))
    return { kind: "lockout", why: "destroys a credential (keys are access)" };
  if (c.includes("unknown") && recursive && (program === "rm" || program === "find"))
    return {
      kind: "destroy-tree",
      why: "recursive delete of a path known only at run time (an empty value reaches / or ~)",
    };
  if (isWholeTree(p, home, recursive))
    return { kind: "destroy-tree", why: "deletes a whole tree the guest depends on" };
  return { kind: "delete", why: "deletes files" };
}

function readKind(
  p: PathFact,
  program: string,
  k: PathKnowledge,
): { kind: EffectKind; why: string } {
  const c = p.classes;
  if (c.includes("network")) return { kind: "send", why: "opens a network socket as a file" };
  if (c.includes("credential") && !k.metadataOnly.has(program))
    return { kind: "read-secret", why: "reads a credential" };
  return { kind: "read", why: "reads a file" };
}

const MOUNT_WHY = "writes into a remote filesystem mounted on this line: the data leaves the guest";
/** Trees of the host that a container or sandbox must not get: mounting one is an escape. */
const HOST_TREES: ReadonlySet<string> = new Set(["root", "system", "home", "device", "credential"]);
const MOUNT_HOST_WHY =
  "mounts a tree of the host into a container or sandbox, which can then change it outside any transaction";

/** Effects of the paths, redirects and inputs of one simple command. */
export function pathEffects(
  c: CommandFacts,
  index: number,
  home: string,
  k: PathKnowledge,
): Effect[] {
  const out: Effect[] = [];
  // rm without -r and unlink/shred remove single files; mv, tar --remove-files, find take trees.
  const recursive =
    c.program === "rm"
      ? c.flags.some((f) => f === "-r" || f === "-R" || f === "--recursive")
      : !["unlink", "shred", "rmdir", "srm"].includes(c.program);
  const add = (kind: EffectKind, id: string, why: string, p: PathFact): void => {
    out.push({
      kind,
      id,
      reason: `${why}: ${p.raw}`,
      remote: false,
      command: index,
      target: p.path,
    });
  };
  for (const p of c.paths) {
    if (p.remote === true) continue; // the other host's side of scp/rsync: judged as a send or a download
    if ((p.role === "write" || p.role === "delete") && p.classes.includes("remote-mount")) {
      add(p.role === "write" ? "send" : "remote-change", "path.remote-mount", MOUNT_WHY, p);
      continue;
    }
    if (p.role === "write") {
      if (p.classes.includes("devnull")) continue;
      const w = writeKind(
        p,
        k.extractors.has(c.program),
        PERMS.has(c.program)
          ? { recursive: c.flags.includes("-R") || c.flags.includes("--recursive"), home }
          : undefined,
      );
      add(w.kind, `path.${w.kind}`, w.why, p);
    } else if (p.role === "delete") {
      const d = deleteKind(p, home, recursive, c.program);
      add(d.kind, `path.${d.kind === "delete" ? "delete" : d.kind}`, d.why, p);
    } else if (
      p.role === "exec" &&
      (p.classes.includes("temp") || p.classes.includes("temp-root"))
    ) {
      add(
        "exec-untrusted",
        "path.exec-temp",
        "runs a file from a temporary directory whose origin the gate does not know",
        p,
      );
    } else if (p.role === "read" || p.role === "operand" || p.role === "exec") {
      const r = readKind(p, c.program, k);
      if (r.kind !== "read") add(r.kind, `path.${r.kind}`, r.why, p);
    } else if (p.role === "mount" && p.classes.some((x) => HOST_TREES.has(x)))
      // `-v /:/host`, `--mount src=/etc`: the container or sandbox gets the host's own tree
      add("escape", "path.mount-host", MOUNT_HOST_WHY, p);
  }
  // A program run from a temporary directory: staged there by someone, never reviewed.
  if (/^\/(tmp|var\/tmp|dev\/shm)\//.test(c.programPath))
    out.push({
      kind: "exec-untrusted",
      id: "path.exec-temp",
      reason: `runs a program from a temporary directory whose origin the gate does not know: ${c.programPath}`,
      remote: false,
      command: index,
      target: c.programPath,
    });
  for (const r of c.redirects) {
    if (!r.write || r.path === undefined || r.path.classes.includes("devnull")) continue;
    if (r.path.classes.includes("remote-mount")) {
      add("send", "redirect.remote-mount", MOUNT_WHY, r.path);
      continue;
    }
    const w = writeKind(r.path, false);
    add(w.kind, `redirect.${w.kind}`, w.why, r.path);
  }
  for (const p of c.inputs) {
    const r = readKind(p, "", k);
    if (r.kind !== "read") add(r.kind, `input.${r.kind}`, r.why, p);
  }
  return out;
}

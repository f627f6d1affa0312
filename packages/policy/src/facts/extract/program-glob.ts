import { PROGRAM_SPECS } from "../argspec.js";
import { DELETERS, INTERPRETERS, NETCATS, READERS, SHELLS, WRITERS } from "../programs.js";

/**
 * Programs a glob in the command word (`/???/?m`, `/usr/bin/[r]m`) is matched against, the ones
 * that destroy or run code first: the gate judges every candidate, so the order only decides which
 * are kept when a pattern matches very many.
 */
const CANDIDATES: readonly string[] = [
  ...new Set([
    ...DELETERS,
    "dd",
    "mkfs",
    "shred",
    "wipefs",
    "shutdown",
    "reboot",
    "halt",
    "poweroff",
    "kill",
    "pkill",
    "killall",
    "chmod",
    "chown",
    "mv",
    "cp",
    "curl",
    "wget",
    "scp",
    "rsync",
    "iptables",
    "nft",
    "crontab",
    "passwd",
    "useradd",
    "systemctl",
    ...SHELLS,
    ...Object.keys(INTERPRETERS),
    ...NETCATS,
    ...WRITERS,
    ...Object.keys(PROGRAM_SPECS),
    ...READERS,
  ]),
];

const MAX_CANDIDATES = 12;

function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end < 0) re += "\\[";
      else {
        const body = glob
          .slice(i + 1, end)
          .replace(/^!/, "^")
          .replace(/\\/g, "\\\\");
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** Known programs whose name the last segment of a glob command word can match. */
export function globPrograms(word: string): string[] {
  const base = word.slice(word.lastIndexOf("/") + 1);
  if (base === "") return [];
  const re = globToRegExp(base);
  return CANDIDATES.filter((p) => re.test(p)).slice(0, MAX_CANDIDATES);
}

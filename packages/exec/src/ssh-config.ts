/**
 * A pure reader of OpenSSH client configuration (`~/.ssh/config`), for the options txbox uses:
 * Host, HostName, User, Port, IdentityFile, ProxyJump, UserKnownHostsFile.
 *
 * Semantics follow ssh_config(5): keywords are case-insensitive; a keyword and its arguments are
 * separated by whitespace or one `=`; arguments may be double-quoted; options before the first
 * `Host` apply to every host; for each option the FIRST value obtained wins, except IdentityFile,
 * whose values accumulate in order; a Host line holds patterns (`*`, `?`, `!negation`) matched
 * against the name given (never against HostName), and one matching negated pattern makes the
 * whole line not match. `Match` blocks and `Include` are not read: they are reported in
 * {@link SshConfig.ignored} so that a caller can say so.
 */

/** One `Host` block (or the options before any: patterns `["*"]`). */
export interface SshConfigBlock {
  patterns: string[];
  /** Line number of the `Host` line (0 for the options before any). */
  line: number;
  options: { key: string; args: string[]; line: number }[];
}

export interface SshConfig {
  file: string;
  blocks: SshConfigBlock[];
  /** Lines txbox does not interpret that may change what OpenSSH would do (Match, Include, ProxyCommand). */
  ignored: { line: number; text: string }[];
}

/** What the config says for one host, before defaults. */
export interface SshHostOptions {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  /** Hops in order, `[]` for `ProxyJump none`, undefined when no block says. */
  proxyJump?: string[];
  userKnownHostsFiles?: string[];
}

/** Raised for a line the parser cannot read; `line` is 1-based. */
export class SshConfigSyntaxError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: ${message}`);
  }
}

/** Split arguments: whitespace-separated, double quotes group (ssh's argv_split). */
function splitArgs(text: string, file: string, line: number): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (const m of text.matchAll(re)) {
    if (m[2]?.includes('"')) throw new SshConfigSyntaxError(file, line, "unbalanced quote");
    out.push(m[1] ?? m[2] ?? "");
  }
  return out;
}

const IGNORED_WITH_EFFECT = new Set(["match", "include", "proxycommand", "canonicalizehostname"]);

/** Parse the text of an ssh_config file. */
export function parseSshConfig(text: string, file = "ssh_config"): SshConfig {
  const blocks: SshConfigBlock[] = [{ patterns: ["*"], line: 0, options: [] }];
  const ignored: SshConfig["ignored"] = [];
  let inMatch = false;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(trimmed);
    if (!m) throw new SshConfigSyntaxError(file, line, `missing argument for ${trimmed}`);
    const key = (m[1] ?? "").toLowerCase();
    const args = splitArgs(m[2] ?? "", file, line);
    if (args.length === 0)
      throw new SshConfigSyntaxError(file, line, `missing argument for ${key}`);
    if (key === "host") {
      inMatch = false;
      blocks.push({ patterns: args, line, options: [] });
      return;
    }
    if (key === "match") {
      // Its options apply under conditions txbox does not evaluate: skip the whole block.
      inMatch = true;
      ignored.push({ line, text: trimmed });
      return;
    }
    if (inMatch) return;
    // Checked here, not when a host is resolved: a bad line is reported whichever host is asked for.
    if (key === "port") parsePort(args[0] ?? "", file, line);
    if (IGNORED_WITH_EFFECT.has(key)) ignored.push({ line, text: trimmed });
    blocks[blocks.length - 1]?.options.push({ key, args, line });
  });
  return { file, blocks, ignored };
}

/** ssh's match_pattern: `*` any run, `?` one character, whole string, case-insensitive for hosts. */
export function matchPattern(name: string, pattern: string): boolean {
  const re = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${re}$`, "i").test(name);
}

/** A Host line matches when some pattern matches and no negated one does (ssh's match_pattern_list). */
export function hostLineMatches(name: string, patterns: readonly string[]): boolean {
  let matched = false;
  for (const p of patterns) {
    const negated = p.startsWith("!");
    if (matchPattern(name, negated ? p.slice(1) : p)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

function parsePort(value: string, file: string, line: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535)
    throw new SshConfigSyntaxError(file, line, `bad Port ${JSON.stringify(value)}`);
  return n;
}

/** The options of every block matching `host`, first value wins (IdentityFile accumulates). */
export function optionsFor(config: SshConfig, host: string): SshHostOptions {
  const out: SshHostOptions = { identityFiles: [] };
  for (const block of config.blocks) {
    if (block.line !== 0 && !hostLineMatches(host, block.patterns)) continue;
    for (const { key, args, line } of block.options) {
      const first = args[0] ?? "";
      switch (key) {
        case "hostname":
          out.hostName ??= first;
          break;
        case "user":
          out.user ??= first;
          break;
        case "port":
          out.port ??= parsePort(first, config.file, line);
          break;
        case "identityfile":
          out.identityFiles.push(first);
          break;
        case "proxyjump":
          out.proxyJump ??= first.toLowerCase() === "none" ? [] : first.split(",");
          break;
        case "userknownhostsfile":
          out.userKnownHostsFiles ??= first.toLowerCase() === "none" ? [] : args;
          break;
      }
    }
  }
  return out;
}

/** `[user@]host[:port]` or `ssh://[user@]host[:port]` of a ProxyJump hop; `[v6]:port` allowed. */
export function parseJumpSpec(spec: string): { user?: string; host: string; port?: number } {
  const s = spec.replace(/^ssh:\/\//, "");
  const at = s.lastIndexOf("@");
  const user = at >= 0 ? s.slice(0, at) : undefined;
  const rest = at >= 0 ? s.slice(at + 1) : s;
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest) ?? /^([^:]+)(?::(\d+))?$/.exec(rest);
  if (!m || m[1] === undefined || m[1] === "")
    throw new RangeError(`ProxyJump: cannot read ${JSON.stringify(spec)}`);
  const port = m[2] === undefined ? undefined : parsePort(m[2], "ProxyJump", 0);
  return {
    host: m[1],
    ...(user === undefined || user === "" ? {} : { user }),
    ...(port === undefined ? {} : { port }),
  };
}

/** Tokens of IdentityFile, UserKnownHostsFile and HostName (ssh_config TOKENS), plus a leading `~`. */
export interface TokenValues {
  home: string;
  /** %h: the remote host name (after HostName). */
  host: string;
  /** %r: the remote user. */
  remoteUser: string;
  /** %u: the local user. */
  localUser: string;
  /** %p: the remote port. */
  port: number;
  /** %n: the name as given, before HostName. */
  original: string;
}

/** Expand `~` and %d %h %r %u %p %n %%; an unknown token is an error, as in ssh. */
export function expandTokens(value: string, t: TokenValues): string {
  const withHome = value === "~" ? t.home : value.replace(/^~\//, `${t.home}/`);
  return withHome.replace(/%(.)/g, (_all, c: string) => {
    switch (c) {
      case "%":
        return "%";
      case "d":
        return t.home;
      case "h":
        return t.host;
      case "r":
        return t.remoteUser;
      case "u":
        return t.localUser;
      case "p":
        return String(t.port);
      case "n":
        return t.original;
      default:
        throw new RangeError(`unknown token %${c} in ${JSON.stringify(value)}`);
    }
  });
}

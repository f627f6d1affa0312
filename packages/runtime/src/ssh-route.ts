/**
 * From a guest's entry (txbox.yaml, else the testbed) and the operator's OpenSSH client config to
 * the route a connection takes: HostName, User, Port, IdentityFile, known_hosts files and the
 * ProxyJump hops. txbox.yaml's own values win over ssh_config, as ssh's command-line options win
 * over its config. Pure: the config text, home directory and file existence are passed in.
 */
import { ConfigError } from "@txbox/core";
import {
  expandTokens,
  optionsFor,
  parseJumpSpec,
  type SshConfig,
  type SshHop,
  type TokenValues,
} from "@txbox/exec";

/** What the route is resolved from, besides the guest's entry. */
export interface RouteContext {
  /** The parsed ssh_config, when one is read. */
  config?: SshConfig;
  home: string;
  localUser: string;
  /** known_hosts files of txbox.yaml (`ssh.knownHosts`): they replace ssh_config's and the defaults. */
  knownHosts?: string[];
  /** Whether a file exists (only for OpenSSH's default identities, which are tried when present). */
  exists: (file: string) => boolean;
}

/** A guest's entry: the name it is reached by and what txbox.yaml or the testbed says. */
export interface GuestEntry {
  /** `guests[].host` or the testbed's address: matched against Host patterns. */
  name: string;
  port?: number;
  user?: string;
  keyFile?: string;
  /** `guests[].proxyJump`: hops, or `none`. */
  proxyJump?: string;
}

export interface Route extends SshHop {
  host: string;
  port: number;
  user: string;
  identityFiles: string[];
  knownHostsFiles: string[];
  jump: SshHop[];
}

const DEFAULT_IDENTITIES = ["id_rsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk"];
const MAX_JUMP_DEPTH = 8;

function tokenError(err: unknown, name: string, origin: string): ConfigError {
  return new ConfigError(`${origin}: ${(err as Error).message} (resolving ${name})`, {
    details: { host: name },
    hint: "ssh_config tokens txbox expands: %d %h %r %u %p %n %% and a leading ~",
  });
}

/** One hop: config options for `name`, explicit values over them, tokens expanded. */
function hop(entry: GuestEntry, ctx: RouteContext, depth: number): Route {
  const origin = ctx.config?.file ?? "ssh_config";
  if (depth > MAX_JUMP_DEPTH)
    throw new ConfigError(
      `ProxyJump nests deeper than ${MAX_JUMP_DEPTH} hops at ${entry.name} (a loop?)`,
      {
        details: { host: entry.name, file: origin },
      },
    );
  const o = ctx.config === undefined ? { identityFiles: [] } : optionsFor(ctx.config, entry.name);
  const user = entry.user ?? o.user ?? "root";
  const port = entry.port ?? o.port ?? 22;
  const base: TokenValues = {
    home: ctx.home,
    host: entry.name,
    remoteUser: user,
    localUser: ctx.localUser,
    port,
    original: entry.name,
  };
  let t: TokenValues;
  let identityFiles: string[];
  let knownHostsFiles: string[];
  try {
    t = { ...base, host: o.hostName === undefined ? entry.name : expandTokens(o.hostName, base) };
    identityFiles = o.identityFiles.map((f) => expandTokens(f, t));
    knownHostsFiles = ctx.knownHosts ?? [
      ...(o.userKnownHostsFiles?.map((f) => expandTokens(f, t)) ?? [
        `${ctx.home}/.ssh/known_hosts`,
        `${ctx.home}/.ssh/known_hosts2`,
      ]),
      "/etc/ssh/ssh_known_hosts",
    ];
  } catch (err) {
    throw tokenError(err, entry.name, origin);
  }
  // OpenSSH's default identities are tried only when no IdentityFile (nor -i) names one.
  if (identityFiles.length === 0 && entry.keyFile === undefined)
    identityFiles = DEFAULT_IDENTITIES.map((n) => `${ctx.home}/.ssh/${n}`).filter(ctx.exists);
  const specs =
    entry.proxyJump !== undefined
      ? entry.proxyJump === "none"
        ? []
        : entry.proxyJump.split(",")
      : (o.proxyJump ?? []);
  const jump = jumpHops(specs, ctx, depth, origin);
  return { host: t.host, port, user, identityFiles, knownHostsFiles, jump };
}

/**
 * `ProxyJump a,b`: ssh reaches b through a, and a as its own config says (a's ProxyJump too);
 * b's own ProxyJump is overridden by the list. No hop has a pinned key: known_hosts decides.
 */
function jumpHops(specs: string[], ctx: RouteContext, depth: number, origin: string): SshHop[] {
  const hops: SshHop[] = [];
  for (const [i, spec] of specs.entries()) {
    let parsed;
    try {
      parsed = parseJumpSpec(spec.trim());
    } catch (err) {
      throw new ConfigError(`${origin}: ${(err as Error).message}`, {
        details: { proxyJump: spec },
      });
    }
    const r = hop(
      {
        name: parsed.host,
        ...(parsed.user === undefined ? {} : { user: parsed.user }),
        ...(parsed.port === undefined ? {} : { port: parsed.port }),
        ...(i === 0 ? {} : { proxyJump: "none" }),
      },
      ctx,
      depth + 1,
    );
    if (i === 0) hops.push(...r.jump);
    hops.push({
      host: r.host,
      port: r.port,
      user: r.user,
      identityFiles: r.identityFiles,
      knownHostsFiles: r.knownHostsFiles,
    });
  }
  return hops;
}

/** The route to a guest. */
export function resolveRoute(entry: GuestEntry, ctx: RouteContext): Route {
  return hop(entry, ctx, 0);
}

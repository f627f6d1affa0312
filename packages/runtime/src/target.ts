import { homedir } from "node:os";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { ConfigError, type LoadedConfig } from "@txbox/core";
import {
  connectionFromConfig,
  connectionFromTestbed,
  type ProxmoxConnection,
} from "@txbox/proxmox";
import type { SshHop } from "@txbox/exec";
import type { RuntimeEnv } from "./environment.js";
import { sshSettings } from "./ssh-settings.js";
import { resolveRoute, type RouteContext } from "./ssh-route.js";
import {
  fetchTestbedGuests,
  findTestbedState,
  operatorKeyFile,
  readTestbedState,
  type TestbedGuest,
  type TestbedState,
} from "./testbed-state.js";

/**
 * How to reach one guest over SSH, with ssh_config applied. Several host keys: a guest has one per
 * key type; none pinned: known_hosts decides.
 */
export interface GuestSsh {
  host: string;
  port: number;
  user: string;
  /** guests[].keyFile, or the testbed's operator key. */
  keyFile?: string;
  /** IdentityFile of the ssh config (or OpenSSH's default identities), tried after keyFile. */
  identityFiles: string[];
  hostKeys: string[];
  knownHostsFiles: string[];
  /** ProxyJump hops, first connected first. */
  jump: SshHop[];
  /** ssh-agent socket, when ssh.agent is on and $SSH_AUTH_SOCK set. */
  agent?: string;
}

/** A guest's SSH endpoint as far as it is known: what `txbox net` needs to wait for sshd. */
export interface GuestSshLookup {
  host: string;
  port: number;
  user: string;
  keyFile?: string;
  hostKeys: string[];
}

/** Where commands go: a Proxmox API plus the SSH endpoints of its guests. */
export interface Target {
  /** `config` (txbox.yaml's proxmox section) or `testbed` (a local testbed that is up). */
  source: "config" | "testbed";
  /** The file the target came from (txbox.yaml or the testbed state), for messages. */
  origin: string;
  connection: ProxmoxConnection;
  /** SSH endpoint of a guest, complete; `ConfigError` naming what is missing otherwise. */
  ssh(vmid: number): Promise<GuestSsh>;
  /**
   * What is known of a guest's endpoint, `undefined` when it has no address; with `fresh`, the
   * testbed's guest list is read again (guests appear during `txbox net apply`).
   */
  sshEndpoint(vmid: number, options?: { fresh?: boolean }): Promise<GuestSshLookup | undefined>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Testbed guest listing, memoised (or read again when `fresh`), retried briefly (the API may be restarting). */
function testbedGuests(state: TestbedState): (fresh?: boolean) => Promise<TestbedGuest[]> {
  let cached: Promise<TestbedGuest[]> | undefined;
  const load = async (): Promise<TestbedGuest[]> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fetchTestbedGuests(state);
      } catch (error) {
        if (attempt >= 20) throw error;
        await sleep(250);
      }
    }
  };
  return (fresh = false) => {
    if (fresh) cached = undefined;
    cached ??= load().catch((error: unknown) => {
      cached = undefined;
      throw error;
    });
    return cached;
  };
}

/** The one lookup of a guest's SSH endpoint: txbox.yaml's `guests` entry over the testbed's. */
interface Found {
  listed: boolean;
  testbed?: TestbedGuest;
  endpoint?: GuestSshLookup;
}

function lookupFor(
  loaded: LoadedConfig,
  guests: ((fresh?: boolean) => Promise<TestbedGuest[]>) | undefined,
  tbKey: string | undefined,
): (vmid: number, fresh: boolean) => Promise<Found> {
  return async (vmid, fresh) => {
    const g = loaded.config.guests.find((x) => x.vmid === vmid);
    const complete = g?.host !== undefined && g.hostKey !== undefined && g.keyFile !== undefined;
    const tb =
      complete || guests === undefined
        ? undefined
        : (await guests(fresh)).find((x) => x.vmid === vmid);
    const host = g?.host ?? tb?.mgmtAddress;
    const keyFile =
      g?.keyFile !== undefined
        ? resolve(loaded.baseDir, g.keyFile)
        : tb === undefined
          ? undefined
          : tbKey;
    const found: Found = { listed: g !== undefined, ...(tb === undefined ? {} : { testbed: tb }) };
    if (host === undefined) return found;
    return {
      ...found,
      endpoint: {
        host,
        port: g?.port ?? 22,
        user: g?.user ?? "root",
        ...(keyFile === undefined ? {} : { keyFile }),
        hostKeys: g?.hostKey !== undefined ? [g.hostKey] : (tb?.hostKeyFingerprints ?? []),
      },
    };
  };
}

/** {@link Target.ssh} over the lookup: the route to the guest, or the error that says what is missing. */
function strict(
  loaded: LoadedConfig,
  lookup: (vmid: number, fresh: boolean) => Promise<Found>,
  source: Target["source"],
  origin: string,
  ssh: () => { ctx: RouteContext; agent?: string },
): (vmid: number) => Promise<GuestSsh> {
  return async (vmid) => {
    const { listed, testbed, endpoint } = await lookup(vmid, false);
    if (!listed && testbed === undefined) {
      throw source === "testbed"
        ? new ConfigError(`guest ${vmid} is not a guest of the testbed (${origin})`, {
            details: { vmid },
            hint: "list guests with `txbox testbed status`",
          })
        : new ConfigError(`guest ${vmid} is not listed under guests: in ${origin}`, {
            details: { key: "guests", vmid },
            hint: "add {vmid, host, keyFile, hostKey} for it to txbox.yaml",
          });
    }
    if (endpoint === undefined) {
      throw testbed !== undefined
        ? new ConfigError(`guest ${vmid} has no management address (is it running?)`, {
            details: { vmid, status: testbed.status },
          })
        : new ConfigError(`guests[vmid=${vmid}].host is missing in ${origin}`, {
            details: { key: "guests.host", vmid },
          });
    }
    const g = loaded.config.guests.find((x) => x.vmid === vmid);
    const { ctx, agent } = ssh();
    const route = resolveRoute(
      {
        name: endpoint.host,
        ...(g?.port === undefined ? {} : { port: g.port }),
        ...(g?.user === undefined ? {} : { user: g.user }),
        ...(endpoint.keyFile === undefined ? {} : { keyFile: endpoint.keyFile }),
        ...(g?.proxyJump === undefined ? {} : { proxyJump: g.proxyJump }),
      },
      ctx,
    );
    return {
      ...route,
      ...(endpoint.keyFile === undefined ? {} : { keyFile: endpoint.keyFile }),
      hostKeys: endpoint.hostKeys,
      ...(agent === undefined ? {} : { agent }),
    };
  };
}

/**
 * Resolve where `txbox run`, `txbox tx` and `txbox net` act: the `proxmox` section of txbox.yaml
 * with its `guests` list; without one, a testbed that is up (`$TXBOX_TESTBED_STATE` or the nearest
 * `.txbox/testbed.json`). Guests of txbox.yaml missing `host`/`hostKey`/`keyFile` take them from a
 * testbed.
 */
export function resolveTarget(io: Pick<RuntimeEnv, "env" | "cwd">, loaded: LoadedConfig): Target {
  const stateFile = findTestbedState(io);
  const state = stateFile === undefined ? undefined : readTestbedState(stateFile);
  const tbGuests = state === undefined ? undefined : testbedGuests(state);
  const tbKey =
    state === undefined || stateFile === undefined ? undefined : operatorKeyFile(state, stateFile);
  const section = loaded.config.proxmox;
  if (section === undefined && (state === undefined || stateFile === undefined)) {
    throw new ConfigError(
      "no Proxmox target: txbox.yaml has no proxmox section and no testbed is up",
      {
        details: { cwd: io.cwd, config: loaded.file ?? null },
        hint: "add a proxmox: section to txbox.yaml, or start the local testbed with `txbox testbed up`",
      },
    );
  }
  const lookup = lookupFor(loaded, tbGuests, tbKey);
  const source = section === undefined ? "testbed" : "config";
  const origin = section === undefined ? (stateFile as string) : (loaded.file ?? "txbox.yaml");
  return {
    source,
    origin,
    connection:
      section === undefined
        ? connectionFromTestbed(state as TestbedState)
        : connectionFromConfig(section, { baseDir: loaded.baseDir, env: io.env }),
    ssh: strict(loaded, lookup, source, origin, sshSettings(io, loaded)),
    sshEndpoint: async (vmid, options = {}) =>
      (await lookup(vmid, options.fresh === true)).endpoint,
  };
}

/**
 * The journal file, first found of: `$TXBOX_JOURNAL`; `tx.journal` of txbox.yaml, relative to the
 * config's directory; without a txbox.yaml, `tx.journal` relative to the project that holds the
 * testbed state (found upwards, like the target), so that every command run anywhere in one
 * project shares one journal; with neither, the user's own journal,
 * `$XDG_STATE_HOME/txbox/journal.db` (`~/.local/state/txbox/journal.db`) — never the working
 * directory, so what an operator sees does not depend on where they stand.
 */
export function journalPath(io: Pick<RuntimeEnv, "cwd" | "env">, loaded: LoadedConfig): string {
  const explicit = io.env.TXBOX_JOURNAL;
  if (explicit !== undefined && explicit !== "") return resolve(io.cwd, explicit);
  if (loaded.file !== undefined) return resolve(dirname(loaded.file), loaded.config.tx.journal);
  const state = findTestbedState(io);
  if (state === undefined) return userJournal(io.env);
  // …/<project>/.txbox/testbed.json → <project>; an explicit state file elsewhere → its directory.
  const base = basename(dirname(state)) === ".txbox" ? dirname(dirname(state)) : dirname(state);
  return resolve(base, loaded.config.tx.journal);
}

/** The user's default journal: `$XDG_STATE_HOME/txbox/journal.db`, else under `~/.local/state`. */
export function userJournal(env: NodeJS.ProcessEnv): string {
  const state = env.XDG_STATE_HOME;
  const base =
    state !== undefined && state !== "" && isAbsolute(state)
      ? state
      : join(env.HOME !== undefined && env.HOME !== "" ? env.HOME : homedir(), ".local/state");
  return join(base, "txbox", "journal.db");
}

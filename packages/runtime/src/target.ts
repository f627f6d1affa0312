import { basename, dirname, resolve } from "node:path";
import { ConfigError, type LoadedConfig } from "@txbox/core";
import {
  connectionFromConfig,
  connectionFromTestbed,
  type ProxmoxConnection,
} from "@txbox/proxmox";
import type { RuntimeEnv } from "./environment.js";
import {
  fetchTestbedGuests,
  findTestbedState,
  operatorKeyFile,
  readTestbedState,
  type TestbedGuest,
  type TestbedState,
} from "./testbed-state.js";

/** How to reach one guest over SSH. Several host keys: a guest has one per key type. */
export interface GuestSsh {
  host: string;
  port: number;
  user: string;
  keyFile: string;
  hostKeys: string[];
}

/** Where commands go: a Proxmox API plus the SSH endpoints of its guests. */
export interface Target {
  /** `config` (txbox.yaml's proxmox section) or `testbed` (a local testbed that is up). */
  source: "config" | "testbed";
  /** The file the target came from (txbox.yaml or the testbed state), for messages. */
  origin: string;
  connection: ProxmoxConnection;
  /** SSH endpoint of a guest; `ConfigError` when the guest is unknown. */
  ssh(vmid: number): Promise<GuestSsh>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Memoised testbed guest listing, retried briefly (the API may be restarting). */
function testbedGuests(state: TestbedState): () => Promise<TestbedGuest[]> {
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
  return () => {
    cached ??= load().catch((error: unknown) => {
      cached = undefined;
      throw error;
    });
    return cached;
  };
}

function fromTestbed(
  guests: () => Promise<TestbedGuest[]>,
  keyFile: string | undefined,
  origin: string,
): (vmid: number) => Promise<GuestSsh> {
  return async (vmid) => {
    const g = (await guests()).find((x) => x.vmid === vmid);
    if (g === undefined) {
      throw new ConfigError(`guest ${vmid} is not a guest of the testbed (${origin})`, {
        details: { vmid },
        hint: "list guests with `txbox testbed status`",
      });
    }
    if (g.mgmtAddress === undefined) {
      throw new ConfigError(`guest ${vmid} has no management address (is it running?)`, {
        details: { vmid, status: g.status },
      });
    }
    if (keyFile === undefined) {
      throw new ConfigError(`no operator SSH key found for the testbed (${origin})`, {
        details: { origin },
        hint: "the testbed keeps operator_ed25519 in its state directory",
      });
    }
    return {
      host: g.mgmtAddress,
      port: 22,
      user: "root",
      keyFile,
      hostKeys: g.hostKeyFingerprints,
    };
  };
}

/**
 * Resolve where `txbox run` and `txbox tx` act: the `proxmox` section of txbox.yaml with its
 * `guests` list; without one, a testbed that is up (`$TXBOX_TESTBED_STATE` or the nearest
 * `.txbox/testbed.json`). Guests of txbox.yaml missing `host`/`hostKey` take them from a testbed.
 */
export function resolveTarget(io: Pick<RuntimeEnv, "env" | "cwd">, loaded: LoadedConfig): Target {
  const stateFile = findTestbedState(io);
  const state = stateFile === undefined ? undefined : readTestbedState(stateFile);
  const tbGuests = state === undefined ? undefined : testbedGuests(state);
  const tbKey =
    state === undefined || stateFile === undefined ? undefined : operatorKeyFile(state, stateFile);
  const section = loaded.config.proxmox;
  if (section !== undefined) {
    const origin = loaded.file ?? "txbox.yaml";
    const connection = connectionFromConfig(section, { baseDir: loaded.baseDir, env: io.env });
    const fallback =
      tbGuests === undefined || stateFile === undefined
        ? undefined
        : fromTestbed(tbGuests, tbKey, stateFile);
    return {
      source: "config",
      origin,
      connection,
      ssh: async (vmid) => {
        const g = loaded.config.guests.find((x) => x.vmid === vmid);
        const tb =
          g?.host === undefined || g.hostKey === undefined || g.keyFile === undefined
            ? fallback
            : undefined;
        const base = tb === undefined ? undefined : await tb(vmid);
        if (g === undefined && base === undefined) {
          throw new ConfigError(`guest ${vmid} is not listed under guests: in ${origin}`, {
            details: { key: "guests", vmid },
            hint: "add {vmid, host, keyFile, hostKey} for it to txbox.yaml",
          });
        }
        const host = g?.host ?? base?.host;
        const keyFile =
          g?.keyFile === undefined ? base?.keyFile : resolve(loaded.baseDir, g.keyFile);
        const hostKeys = g?.hostKey !== undefined ? [g.hostKey] : (base?.hostKeys ?? []);
        for (const [key, value] of [
          ["host", host],
          ["keyFile", keyFile],
        ] as const) {
          if (value === undefined) {
            throw new ConfigError(`guests[vmid=${vmid}].${key} is missing in ${origin}`, {
              details: { key: `guests.${key}`, vmid },
            });
          }
        }
        if (hostKeys.length === 0) {
          throw new ConfigError(`guests[vmid=${vmid}].hostKey is missing in ${origin}`, {
            details: { key: "guests.hostKey", vmid },
            hint: "pin it: ssh-keyscan HOST | ssh-keygen -lf -",
          });
        }
        return {
          host: host as string,
          port: g?.port ?? base?.port ?? 22,
          user: g?.user ?? base?.user ?? "root",
          keyFile: keyFile as string,
          hostKeys,
        };
      },
    };
  }
  if (state === undefined || stateFile === undefined || tbGuests === undefined) {
    throw new ConfigError(
      "no Proxmox target: txbox.yaml has no proxmox section and no testbed is up",
      {
        details: { cwd: io.cwd, config: loaded.file ?? null },
        hint: "add a proxmox: section to txbox.yaml, or start the local testbed with `txbox testbed up`",
      },
    );
  }
  return {
    source: "testbed",
    origin: stateFile,
    connection: connectionFromTestbed(state),
    ssh: fromTestbed(tbGuests, tbKey, stateFile),
  };
}

/**
 * The journal file: `tx.journal` of txbox.yaml, relative to the config's directory. Without a
 * txbox.yaml, relative to the project that holds the testbed state (found upwards, like the
 * target), so that every command run anywhere in one project shares one journal — and with it the
 * guest locks that serialise transactions. Only with neither is it relative to the cwd.
 */
export function journalPath(io: Pick<RuntimeEnv, "cwd" | "env">, loaded: LoadedConfig): string {
  if (loaded.file !== undefined) return resolve(dirname(loaded.file), loaded.config.tx.journal);
  const state = findTestbedState(io);
  // …/<project>/.txbox/testbed.json → <project>; an explicit state file elsewhere → its directory.
  const base =
    state === undefined
      ? io.cwd
      : basename(dirname(state)) === ".txbox"
        ? dirname(dirname(state))
        : dirname(state);
  return resolve(base, loaded.config.tx.journal);
}

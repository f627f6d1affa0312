import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { createLogger, durationMs, type LoadedConfig, type Logger } from "@txbox/core";
import { SshExecutor } from "@txbox/exec";
import { decide, type Policy } from "@txbox/policy";
import { ProxmoxClient } from "@txbox/proxmox";
import {
  engineOptionsFromConfig,
  openJournal,
  TxEngine,
  type EngineOptions,
  type GuestRef,
  type Journal,
} from "@txbox/tx";
import { configFor, guestPolicies, policyContext } from "../context.js";
import type { Io } from "../output.js";
import { SshExecPort } from "./exec.js";
import { ProxmoxSnapshotPort } from "./snapshots.js";
import { journalPath, resolveTarget, type Target } from "./target.js";

/** Options of {@link openSession}; each maps to a CLI flag. */
export interface SessionOptions {
  /** txbox.yaml to use (`--config`). */
  config?: string;
  /** Extra rule packs (`--policy`). */
  policy?: string[];
  /** Keep committed snapshots whatever `tx.retention` says (`--keep-snapshot`). */
  keepSnapshot?: boolean;
  /** Budget of the command (`--timeout`), overriding `tx.execTimeout`. */
  execTimeoutMs?: number;
  /** The guest directory commands run in: also the policy's `cwd`. */
  cwd?: string;
  /** Engine options beyond the config (tests: shorter waits). */
  engine?: Partial<Omit<EngineOptions, "journal" | "snapshots" | "exec">>;
}

/** Everything a transaction command needs, opened once and closed once. */
export interface Session {
  loaded: LoadedConfig;
  target: Target;
  journal: Journal;
  client: ProxmoxClient;
  executor: SshExecutor;
  snapshots: ProxmoxSnapshotPort;
  exec: SshExecPort;
  engine: TxEngine;
  /** The compiled policy that gates a guest's commands (the engine asks the same one). */
  policyOf(vmid: number): Policy;
  /** The `verify` checks of a guest from txbox.yaml. */
  checksFor(guest: GuestRef): string[];
  close(): Promise<void>;
}

/** Parse a `--timeout` value (`90s`, `5m`, `1500` ms). */
export function parseDuration(value: string, flag: string): number {
  const text = /^\d+$/.test(value) ? Number(value) : value;
  try {
    return durationMs(text);
  } catch {
    throw new RangeError(`${flag}: not a duration: ${JSON.stringify(value)} (e.g. 30s, 5m, 1500)`);
  }
}

/**
 * Open config, policy, journal, the Proxmox client and the SSH pool, and build the engine from
 * them — the wiring shared by `txbox run`, `txbox tx …`, `txbox snapshot …` and the e2e tests.
 */
export async function openSession(io: Io, options: SessionOptions = {}): Promise<Session> {
  const loaded = configFor(io, options.config);
  const target = resolveTarget(io, loaded);
  const policyOf = guestPolicies(loaded, options.policy);
  // Compile every pack now: a bad pack fails the command before anything runs.
  policyOf(undefined);
  for (const g of loaded.config.guests) policyOf(g.vmid);
  const ctx = policyContext(loaded, options.cwd);
  const file = journalPath(io, loaded);
  mkdirSync(dirname(file), { recursive: true });
  const journal = openJournal(file);
  let client: ProxmoxClient;
  try {
    client = await ProxmoxClient.connect(target.connection);
  } catch (error) {
    journal.close();
    throw error;
  }
  const executor = new SshExecutor();
  const snapshots = new ProxmoxSnapshotPort(client);
  const logger = loggerFor(io, loaded);
  const exec = new SshExecPort(
    executor,
    (vmid) => target.ssh(vmid),
    (message) => logger.debug(message),
  );
  const fromConfig = engineOptionsFromConfig(loaded.config.tx);
  const actor = io.env.TXBOX_ACTOR ?? io.env.USER;
  const engine = new TxEngine({
    ...fromConfig,
    journal,
    snapshots,
    exec,
    decide: (command, guest) => decide(policyOf(guest.vmid), command, ctx),
    ...(options.keepSnapshot ? { retention: "keep" as const } : {}),
    ...(options.execTimeoutMs === undefined ? {} : { execTimeoutMs: options.execTimeoutMs }),
    ...(actor === undefined || actor === "" ? {} : { actor }),
    log: (level, message, meta) => logger.log(level, message, meta ?? {}),
    ...options.engine,
  });
  return {
    loaded,
    target,
    journal,
    client,
    executor,
    snapshots,
    exec,
    engine,
    policyOf,
    checksFor: (guest) => loaded.config.guests.find((g) => g.vmid === guest.vmid)?.verify ?? [],
    close: async () => {
      await executor.close();
      await client.close();
      journal.close();
      logger.close();
    },
  };
}

/**
 * The `log:` section of txbox.yaml as a winston logger on stderr (stdout stays for results and
 * --json), plus a JSON file when `log.file` is set (relative to txbox.yaml); `TXBOX_DEBUG` turns
 * the level to debug. Secrets are redacted by the logger itself.
 */
export function loggerFor(io: Pick<Io, "env" | "stderr" | "cwd">, loaded: LoadedConfig): Logger {
  const { level, format, file } = loaded.config.log;
  const debug = io.env.TXBOX_DEBUG !== undefined && io.env.TXBOX_DEBUG !== "";
  const base = loaded.file === undefined ? io.cwd : dirname(loaded.file);
  return createLogger({
    level: debug ? "debug" : level,
    format,
    stream: io.stderr,
    ...(file === undefined ? {} : { file: resolve(base, file) }),
  });
}

/** Only the journal (for commands that read history and need no Proxmox connection). */
export function openJournalFor(io: Io, options: Pick<SessionOptions, "config"> = {}): Journal {
  const loaded = configFor(io, options.config);
  const file = journalPath(io, loaded);
  mkdirSync(dirname(file), { recursive: true });
  return openJournal(file);
}

/** Open a session, run `fn`, and close the session whatever happens. */
export async function withSession<T>(
  io: Io,
  options: SessionOptions,
  fn: (session: Session) => Promise<T>,
): Promise<T> {
  const session = await openSession(io, options);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}

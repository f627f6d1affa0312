import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { durationMs, type Logger } from "@txbox/core";
import { SshExecutor } from "@txbox/exec";
import type { Decision, PolicyContext } from "@txbox/policy";
import { ProxmoxClient } from "@txbox/proxmox";
import {
  engineOptionsFromConfig,
  guestKey,
  isTerminal,
  openJournal,
  ownerAlive,
  TX_STATES,
  TxEngine,
  type GuestRef,
  type Journal,
  type RecoveryReport,
} from "@txbox/tx";
import { ChainMemory } from "./chain.js";
import { GuestLeases, localOrchestrator } from "./cluster-lease.js";
import type { RuntimeEnv } from "./environment.js";
import { makeExecute } from "./execute.js";
import { gate as gateCommand } from "./gate.js";
import { LeaseKeeper } from "./lease-keeper.js";
import { makeWithLease } from "./lease-runner.js";
import { loggerFor } from "./logger.js";
import { DEFAULT_OUTPUT_BYTES, OutputStore } from "./output-store.js";
import { configFor, guestPolicies, policyContext } from "./policy.js";
import type { Session, SessionOptions } from "./session-types.js";
import { ProxmoxSnapshotPort } from "./snapshot-port.js";
import { SshExecPort } from "./ssh-port.js";
import { passphraseSource } from "./ssh-settings.js";
import { journalPath, resolveTarget } from "./target.js";

export type {
  ExecuteInput,
  ExecuteResult,
  LeaseUse,
  Session,
  SessionOptions,
  Timings,
} from "./session-types.js";

const OPEN_STATES = TX_STATES.filter((s) => !isTerminal(s));

/** Config, policies, journal and the API session: what a session opens before anything else. */
async function openBase(io: RuntimeEnv, options: SessionOptions) {
  const loaded = configFor(io, options.config);
  const target = resolveTarget(io, loaded);
  const policyOf = guestPolicies(loaded, options.policy);
  // Compile every pack now: a bad pack fails the command before anything runs.
  policyOf(undefined);
  for (const g of loaded.config.guests) policyOf(g.vmid);
  const journalFile = journalPath(io, loaded);
  mkdirSync(dirname(journalFile), { recursive: true });
  const journal = openJournal(journalFile);
  try {
    const client = await ProxmoxClient.connect(target.connection, {
      onWarning: (m) => void io.stderr.write(`txbox: warning: ${m}\n`),
    });
    return { loaded, target, policyOf, journalFile, journal, client };
  } catch (error) {
    journal.close();
    throw error;
  }
}

type Base = Awaited<ReturnType<typeof openBase>>;

/** The gate on a command's text, and the one that also judges scripts earlier commands wrote. */
function gates(base: Base, options: SessionOptions, exec: SshExecPort) {
  const baseCtx = policyContext(base.loaded, options.cwd);
  const ctxFor = (cwd: string | undefined): Partial<PolicyContext> =>
    cwd === undefined ? baseCtx : { ...baseCtx, cwd };
  const chain = new ChainMemory(base.journal);
  return {
    gate: (command: string, guest: GuestRef | undefined, cwd?: string): Decision =>
      gateCommand(base.policyOf(guest?.vmid), command, ctxFor(cwd)),
    gateWithScripts: async (
      command: string,
      guest: GuestRef,
      cwd: string | undefined,
      timeoutMs: number,
    ): Promise<Decision> => {
      const ctx = ctxFor(cwd);
      const policy = base.policyOf(guest.vmid);
      const scripts = await chain.scriptsFor(exec, guest, policy, command, ctx, timeoutMs);
      return gateCommand(policy, command, ctx, { scripts });
    },
  };
}

/** The guests' cluster leases, and the keeper that holds them between transactions. */
function leasesFor(
  io: RuntimeEnv,
  base: Base,
  options: SessionOptions,
  snapshots: ProxmoxSnapshotPort,
  logger: Logger,
  settled: () => Promise<void>,
) {
  const { tx } = base.loaded.config;
  const orchestrator = localOrchestrator(io.env, base.journalFile);
  const leases = new GuestLeases({
    me: orchestrator,
    ttlMs: durationMs(tx.leaseTtl),
    maxSkewMs: durationMs(tx.maxClockSkew),
    guest: (ref) => snapshots.guest(ref),
    log: (level, message) => logger.log(level, message),
  });
  const keeper = new LeaseKeeper(leases, {
    idleMs: options.leaseIdleMs ?? durationMs(tx.leaseIdle),
    ttlMs: durationMs(tx.leaseTtl),
    // The window's snapshot deletes after a commit are work on the guest: under its lease.
    beforeIdleRelease: settled,
    log: (level, message) => logger.log(level, message),
  });
  return { orchestrator, leases, keeper };
}

/**
 * Open config, policy, journal, the Proxmox client and the SSH pool, and build the engine from
 * them: the composition root of every command that touches guests.
 */
export async function openSession(io: RuntimeEnv, options: SessionOptions = {}): Promise<Session> {
  const base = await openBase(io, options);
  const { loaded, target, journal, journalFile, client } = base;
  const executor = new SshExecutor({ passphrase: passphraseSource(io, loaded) });
  const snapshots = new ProxmoxSnapshotPort(
    client,
    (vmid) => loaded.config.guests.find((g) => g.vmid === vmid)?.vmstate === true,
  );
  const logger = loggerFor(io, loaded);
  const engineConfig = engineOptionsFromConfig(loaded.config.tx);
  const output = new OutputStore(join(dirname(journalFile), "output"), {
    maxAgeMs: engineConfig.window?.keepForMs ?? 0,
    maxBytes: DEFAULT_OUTPUT_BYTES,
  });
  const exec = new SshExecPort(
    executor,
    (vmid) => target.ssh(vmid),
    (message) => logger.debug(message),
    output,
  );
  const { gate, gateWithScripts } = gates(base, options, exec);
  const actor = io.env.TXBOX_ACTOR ?? io.env.USER;
  const { orchestrator, leases, keeper } = leasesFor(io, base, options, snapshots, logger, () =>
    engine.settled(),
  );
  const engine = new TxEngine({
    ...engineConfig,
    // A commit's result does not wait for the deletes of snapshots that left the window.
    pruneInBackground: true,
    journal,
    snapshots,
    exec,
    decide: (command, guest) => gate(command, guest),
    ...(options.keepSnapshot ? { retention: "keep" as const } : {}),
    ...(options.execTimeoutMs === undefined ? {} : { execTimeoutMs: options.execTimeoutMs }),
    ...(actor === undefined || actor === "" ? {} : { actor }),
    log: (level, message, meta) => logger.log(level, message, meta ?? {}),
    record: { orchestrator, leaseUntil: (g) => keeper.holding(g)?.lease.until },
    ...options.engine,
  });
  const checksFor = (guest: GuestRef): string[] =>
    loaded.config.guests.find((g) => g.vmid === guest.vmid)?.verify ?? [];
  const withLease = makeWithLease({ keeper, snapshots, journal, engine: () => engine, options });
  const recoverIfNeeded = async (guest: GuestRef): Promise<RecoveryReport | undefined> => {
    const key = guestKey(guest);
    const open = journal.listTxs({ guest, states: OPEN_STATES, limit: 1 }).length > 0;
    const stale = journal.locks().some((l) => l.guestKey === key && !ownerAlive(l.owner));
    if (!open && !stale) return undefined;
    // Under the guest's cluster lease: another orchestrator may be running on the guest now.
    return await withLease(guest, () => engine.recover({ guest }), { takeover: false });
  };
  const execute = makeExecute({
    ...{ options, journal, engine, exec, gate, gateWithScripts, recoverIfNeeded },
    ...{ withLease, checksFor, actor },
  });
  return {
    ...{ loaded, target, journal, journalFile, client, executor, snapshots, exec, engine },
    policyOf: base.policyOf,
    ...{ checksFor, gate, recoverIfNeeded, execute, orchestrator, leases, withLease },
    releaseLeases: async () => {
      // The window's snapshot deletes after a commit are work on the guest: under its lease.
      await engine.settled();
      await keeper.releaseIdle();
    },
    close: async () => {
      await engine.settled();
      await keeper.close();
      await executor.close();
      await client.close();
      journal.close();
      logger.close();
    },
  };
}

/**
 * Only the journal, for commands that read history and need no Proxmox connection. It is never
 * created: where the configuration puts none, `JournalNotFound` (E_NO_JOURNAL) says where it looked.
 */
export function openJournalFor(
  io: Pick<RuntimeEnv, "cwd" | "env">,
  options: Pick<SessionOptions, "config"> = {},
): Journal {
  const loaded = configFor(io, options.config);
  return openJournal(journalPath(io, loaded), { create: false });
}

/** Open a session, run `fn`, and close the session whatever happens. */
export async function withSession<T>(
  io: RuntimeEnv,
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

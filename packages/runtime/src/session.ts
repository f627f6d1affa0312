import { mkdirSync } from "node:fs";
import { durationMs } from "@txbox/core";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import type { LoadedConfig } from "@txbox/core";
import { SshExecutor } from "@txbox/exec";
import type { Decision, Policy, PolicyContext } from "@txbox/policy";
import { ProxmoxClient } from "@txbox/proxmox";
import {
  engineOptionsFromConfig,
  guestKey,
  isTerminal,
  openJournal,
  ownerAlive,
  TX_STATES,
  TxEngine,
  type EngineOptions,
  type Orchestrator,
  type GuestRef,
  type Journal,
  type RecoveryReport,
  type RunResult,
  type RunTimings,
} from "@txbox/tx";
import { ChainMemory } from "./chain.js";
import { commandTextProblem } from "./command-text.js";
import { gate as gateCommand } from "./gate.js";
import type { RuntimeEnv } from "./environment.js";
import { loggerFor } from "./logger.js";
import { configFor, guestPolicies, policyContext } from "./policy.js";
import { DEFAULT_OUTPUT_BYTES, OutputStore } from "./output-store.js";
import { SshExecPort } from "./ssh-port.js";
import { passphraseSource } from "./ssh-settings.js";
import { ProxmoxSnapshotPort } from "./snapshot-port.js";
import { journalPath, resolveTarget, type Target } from "./target.js";
import { GuestLeases, localOrchestrator, type Holding } from "./cluster-lease.js";
import { LeaseKeeper } from "./lease-keeper.js";
import { auditUnreached } from "./unreached.js";
import { adoptRecords, guestRecords, hasOpenRecords } from "./cluster.js";

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
  /** How long a guest's cluster lease is kept after its last transaction (default `tx.leaseIdle`). */
  leaseIdleMs?: number;
  /** Engine options beyond the config (tests: shorter waits). */
  engine?: Partial<Omit<EngineOptions, "journal" | "snapshots" | "exec">>;
}

/**
 * Milliseconds per phase of one command, laid end to end: their sum is the wall time of the call
 * that measured them (within the rounding of the clock). The engine's phases plus the runtime's
 * own; `startMs`, `sessionMs`, `daemonMs`, `closeMs` are filled in by the caller that knows them.
 */
export interface Timings extends RunTimings {
  /** Process start until the command was parsed (Node start and module loading). */
  startMs?: number;
  /** Parsing the command line (without the daemon). */
  parseMs?: number;
  /** Reaching the daemon: socket connect (and starting it when it was not running). */
  daemonMs?: number;
  /** Opening config, policy, journal and the API session (0 when the session was warm). */
  sessionMs?: number;
  /** Checking the journal for abandoned work on the guest, and recovering it when there is some. */
  recoverMs: number;
  /** Waiting for the guest's SSH connection (0 when it was pooled). */
  connectMs: number;
  /** Engine time outside its named phases: journal writes, guest lock, audit. */
  bookkeepingMs: number;
  /**
   * Taking and releasing the guest's cluster lease (a transaction only): a config read and a
   * digest-checked write each way, around the engine's run; ≈ 0 while the session keeps the
   * lease from an earlier transaction (`tx.leaseIdle`). Taking includes looking at what an
   * abandoned previous holder left on the guest.
   */
  leaseMs?: number;
  /** Closing what the command opened (0 in the daemon). */
  closeMs?: number;
  /** The request's way to the daemon, and its parsing there. */
  transferMs?: number;
}

/** The result of {@link Session.execute}: the engine's result with the whole timeline. */
export interface ExecuteResult extends RunResult {
  timings: Timings;
  /** What recovery did first, when the journal showed abandoned work on the guest. */
  recovery?: RecoveryReport;
}

/** One command for {@link Session.execute}. */
export interface ExecuteInput {
  guest: GuestRef;
  command: string;
  /** Guest directory to run in (default: the session's `cwd`). */
  cwd?: string;
  /** Checks beyond the guest's `verify` list in txbox.yaml. */
  checks?: string[];
  /** Budget of the command (default: the session's). */
  timeoutMs?: number;
  /** Who asked, for the audit record. */
  actor?: string;
}

/** How {@link Session.withLease} takes a lease. */
export interface LeaseUse {
  /** Take it even while it looks held. */
  force?: boolean;
  /** How long to wait for it (default: the engine's lock timeout, 60 s). */
  timeoutMs?: number;
  /** Recover what an abandoned holder left open first (default true). */
  takeover?: boolean;
}

/** Everything a command needs, opened once: per CLI process, or held warm by `txbox serve`. */
export interface Session {
  loaded: LoadedConfig;
  target: Target;
  journal: Journal;
  /** The journal file (the daemon serves one journal). */
  journalFile: string;
  client: ProxmoxClient;
  executor: SshExecutor;
  snapshots: ProxmoxSnapshotPort;
  exec: SshExecPort;
  engine: TxEngine;
  /** The compiled policy that gates a guest's commands. */
  policyOf(vmid: number | undefined): Policy;
  /** The `verify` checks of a guest from txbox.yaml. */
  checksFor(guest: GuestRef): string[];
  /** The gate: the one place a command of this session is decided. */
  gate(command: string, guest: GuestRef | undefined, cwd?: string): Decision;
  /** Recover the guest when the journal shows abandoned work on it (open transaction, dead lock). */
  recoverIfNeeded(guest: GuestRef): Promise<RecoveryReport | undefined>;
  /** Recover if needed, gate, run, verify, record: the one call behind CLI, agent, MCP and bench. */
  execute(input: ExecuteInput): Promise<ExecuteResult>;
  /** This session as an orchestrator: host, user, journal (the records and leases name it). */
  orchestrator: Orchestrator;
  /** The guests' cluster leases. */
  leases: GuestLeases;
  /**
   * Run `fn` holding the guest's cluster lease; a lease found abandoned (holder gone or expired)
   * is taken over and what its holder left open on the guest is recovered first. `force` takes
   * a lease that still looks held (the operator confirmed its holder is gone).
   */
  withLease<T>(guest: GuestRef, fn: () => Promise<T>, options?: LeaseUse): Promise<T>;
  /** Release the cluster leases this session keeps between transactions (`tx.leaseIdle`). */
  releaseLeases(): Promise<void>;
  close(): Promise<void>;
}

const OPEN_STATES = TX_STATES.filter((s) => !isTerminal(s));

/**
 * Open config, policy, journal, the Proxmox client and the SSH pool, and build the engine from
 * them: the composition root of every command that touches guests.
 */
export async function openSession(io: RuntimeEnv, options: SessionOptions = {}): Promise<Session> {
  const loaded = configFor(io, options.config);
  const target = resolveTarget(io, loaded);
  const policyOf = guestPolicies(loaded, options.policy);
  // Compile every pack now: a bad pack fails the command before anything runs.
  policyOf(undefined);
  for (const g of loaded.config.guests) policyOf(g.vmid);
  const baseCtx = policyContext(loaded, options.cwd);
  const journalFile = journalPath(io, loaded);
  mkdirSync(dirname(journalFile), { recursive: true });
  const journal = openJournal(journalFile);
  let client: ProxmoxClient;
  try {
    client = await ProxmoxClient.connect(target.connection, {
      onWarning: (m) => void io.stderr.write(`txbox: warning: ${m}\n`),
    });
  } catch (error) {
    journal.close();
    throw error;
  }
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
  const gate = (command: string, guest: GuestRef | undefined, cwd?: string): Decision => {
    const ctx: Partial<PolicyContext> = cwd === undefined ? baseCtx : { ...baseCtx, cwd };
    return gateCommand(policyOf(guest?.vmid), command, ctx);
  };
  const chain = new ChainMemory(journal);
  /** The gate with write-then-run chains: scripts earlier commands wrote are read and judged. */
  const gateWithScripts = async (
    command: string,
    guest: GuestRef,
    cwd: string | undefined,
    timeoutMs: number,
  ): Promise<Decision> => {
    const ctx: Partial<PolicyContext> = cwd === undefined ? baseCtx : { ...baseCtx, cwd };
    const policy = policyOf(guest.vmid);
    const scripts = await chain.scriptsFor(exec, guest, policy, command, ctx, timeoutMs);
    return gateCommand(policy, command, ctx, { scripts });
  };
  const actor = io.env.TXBOX_ACTOR ?? io.env.USER;
  const orchestrator = localOrchestrator(io.env, journalFile);
  const leases = new GuestLeases({
    me: orchestrator,
    ttlMs: durationMs(loaded.config.tx.leaseTtl),
    maxSkewMs: durationMs(loaded.config.tx.maxClockSkew),
    guest: (ref) => snapshots.guest(ref),
    log: (level, message) => logger.log(level, message),
  });
  const keeper: LeaseKeeper = new LeaseKeeper(leases, {
    idleMs: options.leaseIdleMs ?? durationMs(loaded.config.tx.leaseIdle),
    ttlMs: durationMs(loaded.config.tx.leaseTtl),
    // The window's snapshot deletes after a commit are work on the guest: under its lease.
    beforeIdleRelease: (): Promise<void> => engine.settled(),
    log: (level, message) => logger.log(level, message),
  });
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

  const recoverIfNeeded = async (guest: GuestRef): Promise<RecoveryReport | undefined> => {
    const key = guestKey(guest);
    const open = journal.listTxs({ guest, states: OPEN_STATES, limit: 1 }).length > 0;
    const stale = journal.locks().some((l) => l.guestKey === key && !ownerAlive(l.owner));
    if (!open && !stale) return undefined;
    // Under the guest's cluster lease: another orchestrator may be running on the guest now.
    return await withLease(guest, () => engine.recover({ guest }), { takeover: false });
  };

  const withLease = async <T>(
    guest: GuestRef,
    fn: () => Promise<T>,
    opts: LeaseUse = {},
    spent?: { ms: number },
  ): Promise<T> => {
    const ta = performance.now();
    // The previous holder stopped before releasing: what it left open is ours to recover first.
    // The lease's verdict was read with the lease; the records are on the guest's snapshots.
    const takeover = async (h: Holding): Promise<void> => {
      if (h.found.kind === "mine") return;
      const view = { records: await guestRecords(snapshots, guest) };
      if (hasOpenRecords(view, journal)) {
        adoptRecords(journal, guest, view);
        await engine.recover({ guest });
      }
    };
    const use = await keeper.take(
      guest,
      {
        timeoutMs: opts.timeoutMs ?? options.engine?.lockTimeoutMs ?? 60_000,
        ...(opts.force === undefined ? {} : { force: opts.force }),
      },
      opts.takeover === false ? undefined : takeover,
    );
    if (spent !== undefined) spent.ms += performance.now() - ta;
    try {
      return await fn();
    } finally {
      const tr = performance.now();
      await use.done();
      if (spent !== undefined) spent.ms += performance.now() - tr;
    }
  };

  const execute = async (input: ExecuteInput): Promise<ExecuteResult> => {
    const { guest, command } = input;
    const cwd = input.cwd ?? options.cwd;
    const run = {
      guest,
      command,
      ...(cwd === undefined ? {} : { cwd }),
      ...(input.timeoutMs === undefined ? {} : { timeoutMs: input.timeoutMs }),
      ...(input.actor === undefined ? {} : { actor: input.actor }),
      checks: [...checksFor(guest), ...(input.checks ?? [])],
    };
    if (commandTextProblem(command) !== undefined) {
      // Refused on its text alone: no recovery, no connection, no snapshot; still audited.
      const t = performance.now();
      const decision = gate(command, guest, cwd);
      const t1 = performance.now();
      const r = await engine.run({ ...run, decision });
      const engineMs = performance.now() - t1;
      return {
        ...r,
        timings: withRuntime({ ...r.timings, totalMs: engineMs, policyMs: t1 - t }, 0, 0),
      };
    }
    // The SSH handshake overlaps recovery check and gate. It is a precondition of any snapshot:
    // a guest that cannot be reached, authenticated to or verified ends the command here, with
    // nothing journaled and nothing to undo.
    const warm = exec.warm(guest).then(
      () => undefined,
      (error: unknown) => error,
    );
    const t0 = performance.now();
    const recovery = await recoverIfNeeded(guest);
    const t1 = performance.now();
    let decision = gate(command, guest, cwd);
    // A command that runs a file an earlier command wrote is judged with that file's content.
    if (decision.decision !== "deny") {
      const read = await gateWithScripts(command, guest, cwd, input.timeoutMs ?? 30_000).catch(
        () => undefined,
      );
      if (read !== undefined) decision = read;
    }
    const t2 = performance.now();
    if (decision.decision !== "deny") {
      const failed = await warm;
      if (failed !== undefined) {
        const who = input.actor ?? (actor === undefined || actor === "" ? null : actor);
        auditUnreached(journal, { guest, command, actor: who }, decision, failed, t2 - t1);
        throw failed;
      }
    }
    const t3 = performance.now();
    // A transaction holds the guest's cluster lease: no other orchestrator's runs meanwhile.
    const lease = { ms: 0 };
    const r =
      decision.decision === "transact"
        ? await withLease(guest, () => engine.run({ ...run, decision }), {}, lease)
        : await engine.run({ ...run, decision });
    // The engine's own total may be taken before its last journal write: time the call here.
    const engineMs = performance.now() - t3;
    const timings = withRuntime(
      { ...r.timings, totalMs: engineMs, policyMs: t2 - t1 },
      t1 - t0,
      t3 - t2,
      decision.decision === "transact" ? lease.ms : undefined,
    );
    return { ...r, timings, ...(recovery === undefined ? {} : { recovery }) };
  };

  return {
    loaded,
    target,
    journal,
    journalFile,
    client,
    executor,
    snapshots,
    exec,
    engine,
    policyOf,
    checksFor,
    gate,
    recoverIfNeeded,
    execute,
    orchestrator,
    leases,
    withLease,
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

/** The engine's timings plus the runtime's phases; `totalMs` spans them all. Pure. */
function withRuntime(
  t: RunTimings,
  recoverMs: number,
  connectMs: number,
  leaseMs?: number,
): Timings {
  const named =
    t.snapshotMs + t.execMs + t.verifyMs + (t.commitMs ?? 0) + (t.rollbackMs ?? 0) + t.policyMs;
  // The engine's policyMs was ~0 (the decision was passed in); its total is the engine's own span,
  // which for a transaction also holds the lease's taking and release.
  const engineTotal = t.totalMs;
  const bookkeepingMs = Math.max(0, engineTotal - (named - t.policyMs) - (leaseMs ?? 0));
  return {
    ...t,
    recoverMs,
    connectMs,
    bookkeepingMs,
    ...(leaseMs === undefined ? {} : { leaseMs }),
    totalMs: recoverMs + t.policyMs + connectMs + engineTotal,
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

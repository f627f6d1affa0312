import { createHash } from "node:crypto";
import type { Client } from "ssh2";
import { errorMessage } from "@txbox/core";
import { connectChain, describe, type Chain } from "./connect.js";
import { runOnChannel, type OpenChannel } from "./channel-run.js";
import { ExecError } from "./errors.js";
import type { PassphraseSource } from "./keys.js";
import { GATE_LINE, remoteScript } from "./shell.js";
import {
  type ExecResult,
  type Executor,
  type PreparedRun,
  type RunOptions,
  type SshHop,
  type SshTarget,
  validateRunOptions,
} from "./types.js";

/** Options of {@link SshExecutor}. */
export interface SshExecutorOptions {
  /** Interval of SSH keepalives on idle pooled connections (default 5 s). */
  keepaliveIntervalMs?: number;
  /** Unanswered keepalives before a connection counts as dead (default 3). */
  keepaliveCountMax?: number;
  /** How long a killed command may take to report its exit before the channel is dropped (default 5 s). */
  killGraceMs?: number;
  /** Passphrases of encrypted key files, asked for only when such a key is reached. */
  passphrase?: PassphraseSource;
}

/** Counters of an {@link SshExecutor}, for tests and benchmarks. */
export interface SshStats {
  /** Completed SSH handshakes. */
  connects: number;
  /** Connections currently pooled. */
  open: number;
}

interface Pooled {
  /** Set once connected: the guest's client and the jump clients under it. */
  chain?: Chain;
  ready: Promise<Client>;
  dead: boolean;
}

/** A channel could not be opened because the connection was already gone: safe to redo. */
class StaleConnection extends Error {}

/**
 * An exec channel with its exit status recorded from the moment it opened. ssh2 emits "exit"
 * synchronously while parsing the exit-status packet, which for a fast command often arrives in the
 * same TCP read as the channel-open confirmation: a listener attached one await later misses it,
 * and the command would look as if the connection died under it (about 3 % of runs, measured).
 */

/** Everything that decides where a connection goes and whom it trusts: one pooled connection each. */
function targetKey(t: SshTarget): string {
  const hop = (h: SshHop): unknown[] => [
    h.user,
    h.host,
    h.port ?? 22,
    h.hostKey ?? null,
    h.identityFiles ?? [],
    h.knownHostsFiles ?? [],
  ];
  const text =
    t.privateKey === undefined ? null : createHash("sha256").update(t.privateKey).digest("hex");
  return JSON.stringify([
    hop(t),
    t.keyFile ?? null,
    text,
    t.agent ?? null,
    (t.jump ?? []).map(hop),
  ]);
}

/**
 * Runs commands on guests over SSH (ssh2), with one pooled connection per target, pinned host
 * keys, per-command timeouts that kill the remote process group, and capped output.
 */
export class SshExecutor implements Executor<SshTarget> {
  private readonly pool = new Map<string, Pooled>();
  private readonly options: Required<Omit<SshExecutorOptions, "passphrase">> &
    Pick<SshExecutorOptions, "passphrase">;
  private connects = 0;
  private closed = false;

  constructor(options: SshExecutorOptions = {}) {
    this.options = {
      keepaliveIntervalMs: options.keepaliveIntervalMs ?? 5000,
      keepaliveCountMax: options.keepaliveCountMax ?? 3,
      killGraceMs: options.killGraceMs ?? 5000,
      ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
    };
  }

  stats(): SshStats {
    return { connects: this.connects, open: this.pool.size };
  }

  async run(target: SshTarget, command: string, options: RunOptions): Promise<ExecResult> {
    validateRunOptions(options);
    const script = remoteScript(command, options);
    const started = performance.now();
    // A stale pooled connection fails before the channel opens, so the command never ran: redo once.
    for (let attempt = 0; ; attempt++) {
      const client = await this.connection(target);
      try {
        return await this.runOn(client, target, script, options, started);
      } catch (err) {
        if (err instanceof StaleConnection && attempt === 0) {
          this.drop(target);
          continue;
        }
        if (err instanceof StaleConnection) {
          throw new ExecError(
            "E_UNREACHABLE",
            `${describe(target)}: connection lost: ${err.message}`,
            {
              details: { target: describe(target) },
              cause: err,
            },
          );
        }
        throw err;
      }
    }
  }

  /**
   * Set up the session of a command without running it: the channel opens and its script waits
   * for a go line on stdin (`remoteScript`'s gate), which `start()` sends; until then nothing of
   * the command has run, and `cancel()`, a lost connection or the end of this process make the
   * script exit without running it. The timeout counts from `start()`.
   */
  prepare(target: SshTarget, command: string, options: RunOptions): PreparedRun {
    validateRunOptions(options);
    const script = remoteScript(command, options, true);
    let closed = false;
    let used = false;
    const opened = this.connection(target).then(async (client) => {
      const open = await this.openExec(client, script);
      open.channel.once("close", () => (closed = true));
      return { client, open };
    });
    opened.catch(() => undefined);
    return {
      start: async () => {
        if (used) throw new ExecError("E_EXEC", "a prepared command runs at most once");
        used = true;
        const o = await opened.catch(() => undefined);
        // The session went with its connection (closed, dropped as dead, or this executor closed).
        const live = this.pool.get(targetKey(target))?.chain?.client === o?.client;
        if (o === undefined || closed || !live) return undefined;
        return await runOnChannel({
          open: o.open,
          openExec: (s) => this.openExec(o.client, s),
          target,
          options,
          started: performance.now(),
          killGraceMs: this.options.killGraceMs,
          go: GATE_LINE,
        });
      },
      cancel: () => {
        if (used) return;
        used = true;
        void opened.then(
          ({ open }) => open.channel.end(),
          () => undefined,
        );
      },
    };
  }

  /** Open the pooled connection to `target` (or reuse it) without running a command. */
  async open(target: SshTarget): Promise<void> {
    await this.connection(target);
  }

  async ping(target: SshTarget, options: { timeoutMs: number }): Promise<boolean> {
    const deadline = AbortSignal.timeout(options.timeoutMs);
    try {
      const res = await Promise.race([
        this.run({ ...target, connectTimeoutMs: options.timeoutMs }, "true", {
          timeoutMs: options.timeoutMs,
          signal: deadline,
        }),
        new Promise<never>((_, reject) =>
          deadline.addEventListener("abort", () => reject(new Error("ping timeout")), {
            once: true,
          }),
        ),
      ]);
      return res.exitCode === 0;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.pool.values()];
    this.pool.clear();
    await Promise.all(
      all.map(
        (p) =>
          new Promise<void>((resolve) => {
            const client = p.chain?.client;
            if (p.dead || client === undefined) return resolve();
            client.once("close", () => resolve());
            client.end();
            setTimeout(resolve, 2000).unref();
          }),
      ),
    );
  }

  private drop(target: SshTarget): void {
    const key = targetKey(target);
    const p = this.pool.get(key);
    if (!p) return;
    this.pool.delete(key);
    p.dead = true;
    p.chain?.client.end();
  }

  private connection(target: SshTarget): Promise<Client> {
    if (this.closed) {
      return Promise.reject(new ExecError("E_EXEC", "the SSH executor is closed"));
    }
    const key = targetKey(target);
    const existing = this.pool.get(key);
    if (existing && !existing.dead) return existing.ready;
    const entry: Pooled = { dead: false, ready: Promise.resolve(undefined as never) };
    const forget = (): void => {
      entry.dead = true;
      if (this.pool.get(key) === entry) this.pool.delete(key);
    };
    entry.ready = connectChain(target, this.options).then(
      (chain) => {
        entry.chain = chain;
        chain.client.on("close", forget);
        chain.client.on("end", forget);
        // Closed while the handshake ran: do not keep it.
        if (this.closed || entry.dead) chain.client.end();
        this.connects++;
        return chain.client;
      },
      (err: unknown) => {
        forget();
        throw err;
      },
    );
    this.pool.set(key, entry);
    return entry.ready;
  }

  private openExec(client: Client, script: string): Promise<OpenChannel> {
    return new Promise((resolve, reject) => {
      try {
        client.exec(script, (err, channel) => {
          if (err) return reject(new StaleConnection(err.message));
          const exit: OpenChannel["exit"] = { code: null, signal: null };
          channel.on("exit", (code: number | null, signal?: string) => {
            exit.code = code ?? null;
            exit.signal = signal ?? null;
          });
          resolve({ channel, exit });
        });
      } catch (err) {
        // ssh2 throws synchronously when the socket is already gone.
        reject(new StaleConnection(errorMessage(err)));
      }
    });
  }

  private async runOn(
    client: Client,
    target: SshTarget,
    script: string,
    options: RunOptions,
    started: number,
  ): Promise<ExecResult> {
    return runOnChannel({
      open: await this.openExec(client, script),
      openExec: (s) => this.openExec(client, s),
      target,
      options,
      started,
      killGraceMs: this.options.killGraceMs,
    });
  }
}

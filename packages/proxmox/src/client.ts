import { proxmoxApi, type Proxmox } from "proxmox-api";
import type { Agent } from "undici";
import { sleep, type Logger, type ProxmoxConfig } from "@txbox/core";
import { Locked, NotFound, TaskFailed, Unsupported } from "./errors.js";
import { connectionFromConfig, type ProxmoxConnection } from "./connection.js";
import { Firewall } from "./firewall.js";
import { Guest, type GuestType } from "./guest.js";
import { RETRY, backoffDelay, withRetry, type RetryHooks, type RetryPolicy } from "./retry.js";
import { Sdn } from "./sdn.js";
import { TaskPace } from "./task-pace.js";
import { waitTask, type TaskPoll, type TaskResult, type WaitTaskOptions } from "./tasks.js";
import { createDispatcher } from "./tls.js";
import { Transport } from "./transport.js";
import { parseUpid } from "./upid.js";
import { SUPPORTED_PVE_MAJORS, checkPveVersion } from "./version.js";

/** An entry of `GET /cluster/resources`. */
export interface ClusterResource {
  id: string;
  type: string;
  node?: string;
  vmid?: number;
  name?: string;
  status?: string;
  template?: number;
  lock?: string;
  [key: string]: unknown;
}

/** Options of effects (calls that start a task). */
export interface EffectOptions {
  /** Wait for the task to finish (default true). */
  wait?: boolean;
  /** Task wait budget; the connection's `taskTimeoutMs` by default. */
  timeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: WaitTaskOptions["onProgress"];
  /** How the task is polled (default {@link POLL.long}); each Guest method picks its operation's. */
  poll?: TaskPoll;
}

export interface ConnectOptions {
  logger?: Logger;
  /** Skip the `GET /version` probe that fails fast on a wrong URL, certificate or secret. */
  skipProbe?: boolean;
  /** Told when the cluster runs a PVE newer than txbox supports (default: the logger's warn). */
  onWarning?: (message: string) => void;
}

/**
 * The middle layer: a connected PVE API client. `api` is proxmox-api's typed path tree running on
 * txbox's transport; the methods below add retries, task waiting and idempotency.
 */
export class ProxmoxClient {
  /** proxmox-api's typed proxy (`api.cluster.nextid.$get()`), without retries. */
  readonly api: Proxmox.Api;
  readonly sdn: Sdn;
  readonly firewall: Firewall;
  readonly taskTimeoutMs: number;
  private readonly transport: Transport;
  private readonly dispatcher: Agent;
  private defaultNodeName: string | undefined;
  /** Recent task durations, per node, type and guest: what a finely polled wait aims at. */
  private readonly pace = new TaskPace();

  private constructor(connection: ProxmoxConnection, options: ConnectOptions) {
    this.dispatcher = createDispatcher({
      ...(connection.fingerprint ? { fingerprint: connection.fingerprint } : {}),
      ...(connection.caFile ? { caFile: connection.caFile } : {}),
    });
    this.transport = new Transport({
      baseUrl: connection.url,
      credentials: connection.credentials,
      dispatcher: this.dispatcher,
      timeoutMs: connection.timeoutMs ?? 30_000,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    this.api = proxmoxApi(this.transport);
    this.taskTimeoutMs = connection.taskTimeoutMs ?? 600_000;
    this.defaultNodeName = connection.node;
    this.sdn = new Sdn(this);
    this.firewall = new Firewall(this);
  }

  /**
   * Connect and (unless `skipProbe`) check URL, certificate and credentials with `GET /version`.
   * Takes a resolved {@link ProxmoxConnection} or the `proxmox` section of `txbox.yaml` (secrets
   * are then read from `secretFile` relative to `options.baseDir`, or from the environment).
   */
  static async connect(
    config: ProxmoxConnection | ProxmoxConfig,
    options: ConnectOptions & { baseDir?: string; env?: NodeJS.ProcessEnv } = {},
  ): Promise<ProxmoxClient> {
    const connection =
      "credentials" in config
        ? config
        : connectionFromConfig(config, {
            ...(options.baseDir !== undefined ? { baseDir: options.baseDir } : {}),
            ...(options.env !== undefined ? { env: options.env } : {}),
          });
    const client = new ProxmoxClient(connection, options);
    if (!options.skipProbe) {
      try {
        const v = await client.get<{ version?: unknown }>("/version");
        client.checkVersion(v.version, options);
      } catch (err) {
        await client.close();
        throw err;
      }
    }
    return client;
  }

  /** The PVE version the probe read (`9.1.1`), when it ran. */
  pveVersion: string | undefined;

  /**
   * Hold the cluster's version against the supported range: older than its first major is refused
   * (its API lacks calls txbox makes), newer or unrecognised only warned about.
   */
  private checkVersion(version: unknown, options: ConnectOptions): void {
    this.pveVersion = typeof version === "string" ? version : undefined;
    const verdict = checkPveVersion(version);
    if (verdict.ok) return;
    if (verdict.major !== undefined && verdict.major < SUPPORTED_PVE_MAJORS[0]!)
      throw new Unsupported(verdict.reason, {
        hint: "upgrade the cluster to a supported PVE release (see the README's supported range)",
        context: { path: "/version" },
      });
    const warn = options.onWarning ?? ((m: string) => options.logger?.warn(m));
    warn(verdict.reason);
  }

  /** One request under a retry policy (default: `RETRY.read` for GET, `RETRY.none` otherwise). */
  async request<T = unknown>(
    method: string,
    path: string,
    params?: Record<string, unknown>,
    policy?: RetryPolicy,
    hooks?: RetryHooks<T>,
  ): Promise<T> {
    const p = policy ?? (method.toUpperCase() === "GET" ? RETRY.read : RETRY.none);
    return await withRetry(
      p,
      () => this.transport.request(method, path, params) as Promise<T>,
      hooks,
    );
  }

  get<T = unknown>(path: string, params?: Record<string, unknown>): Promise<T> {
    return this.request<T>("GET", path, params, RETRY.read);
  }

  /** The raw single-attempt sender, for {@link waitTask} and custom policies. */
  readonly send = (
    method: string,
    path: string,
    params?: Record<string, unknown>,
  ): Promise<unknown> => this.transport.request(method, path, params);

  /** Wait for a task with this client's default budget. */
  waitTask(
    node: string,
    upid: string,
    options: Partial<WaitTaskOptions> = {},
  ): Promise<TaskResult> {
    return waitTask(this.send, node, upid, {
      timeoutMs: this.taskTimeoutMs,
      pace: this.pace,
      ...options,
    });
  }

  /**
   * Start a task and wait for it. The POST is retried only when it provably did not run; an unknown
   * outcome is resolved by `alreadyDone` (or rethrown). A task that failed at the lock check or on
   * the config-file lock changed nothing and is started again while the lock budget lasts. A failed
   * or timed-out *wait* is never answered by re-sending.
   */
  async effect(
    method: string,
    path: string,
    params: Record<string, unknown> | undefined,
    options: EffectOptions & {
      alreadyDone?: () => Promise<TaskResult | undefined>;
      /** Decide after a transient task failure (`got timeout`): send again, or the result. */
      afterTransient?: (err: TaskFailed) => Promise<"resend" | TaskResult>;
    } = {},
  ): Promise<TaskResult> {
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      const sent = Date.now();
      const upidOrDone = await this.request<string | TaskResult>(
        method,
        path,
        params,
        RETRY.effect,
        {
          ...(options.alreadyDone ? { alreadyDone: options.alreadyDone } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        },
      );
      if (typeof upidOrDone !== "string") return upidOrDone;
      const upid = upidOrDone;
      if (options.wait === false)
        return { upid, exitstatus: "started", durationMs: Date.now() - sent };
      const node = parseUpid(upid)?.node ?? (await this.defaultNode());
      try {
        const r = await this.waitTask(node, upid, {
          timeoutMs: options.timeoutMs ?? this.taskTimeoutMs,
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
          ...(options.poll ? { poll: options.poll } : {}),
        });
        return { ...r, durationMs: Date.now() - sent };
      } catch (err) {
        // A config-lock timeout may come from a task's late phase, after its effect: the caller
        // reads the state to say whether sending again is safe, or the effect is done.
        if (err instanceof TaskFailed && err.retryable && options.afterTransient) {
          const verdict = await options.afterTransient(err);
          if (verdict !== "resend") return verdict;
        }
        const nothingChanged =
          err instanceof Locked || (err instanceof TaskFailed && err.retryable);
        if (!nothingChanged || Date.now() - started > RETRY.effect.lockWaitMs) throw err;
        await sleep(backoffDelay(RETRY.effect, Math.min(attempt, 10)), options.signal);
      }
    }
  }

  /** Nodes of the cluster. */
  nodes(): Promise<{ node: string; status: string; [k: string]: unknown }[]> {
    return this.get("/nodes");
  }

  /** The configured node, else the first online node. */
  async defaultNode(): Promise<string> {
    if (this.defaultNodeName) return this.defaultNodeName;
    const nodes = await this.nodes();
    const online = nodes.find((n) => n.status === "online") ?? nodes[0];
    if (!online)
      throw new NotFound("the cluster reports no nodes", { context: { path: "/nodes" } });
    this.defaultNodeName = online.node;
    return online.node;
  }

  /** A free vmid (`GET /cluster/nextid`). */
  async nextId(): Promise<number> {
    return Number(await this.get("/cluster/nextid"));
  }

  /** `GET /cluster/resources`, optionally of one type. */
  resources(type?: "vm" | "storage" | "node" | "sdn"): Promise<ClusterResource[]> {
    return this.get("/cluster/resources", type ? { type } : undefined);
  }

  /** Resolve a guest's type and node through `/cluster/resources`; {@link NotFound} when it does not exist. */
  async guest(vmid: number, options: { node?: string } = {}): Promise<Guest> {
    const all = await this.resources("vm");
    const r = all.find((x) => Number(x.vmid) === vmid && (x.type === "qemu" || x.type === "lxc"));
    if (!r) {
      throw new NotFound(`guest ${vmid} does not exist`, {
        context: { vmid, path: "/cluster/resources" },
      });
    }
    return new Guest(
      this,
      vmid,
      options.node ?? r.node ?? (await this.defaultNode()),
      r.type as GuestType,
    );
  }

  /** Close pooled connections. */
  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

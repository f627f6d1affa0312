import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { join, resolve } from "node:path";
import { loadYamlFile, TxboxError } from "@txbox/core";
import { Cluster } from "./api/cluster.js";
import type { Caller } from "./api/context.js";
import { ApiError } from "./api/errors.js";
import { Store } from "./api/store.js";
import { ensureCertificate, type TlsIdentity } from "./cert.js";
import {
  faultsSchema,
  parseTestbedConfig,
  testbedConfigSchema,
  type Faults,
  type TestbedConfig,
} from "./config.js";
import { seedLab } from "./lab.js";
import { MemoryRealiser } from "./realise/memory.js";
import type { Realiser } from "./realise/types.js";
import { loadApiSchema } from "./schema/apidata.js";
import { createHandler } from "./server.js";

/** Options of {@link startTestbed}. */
export interface StartTestbedOptions {
  /** Directory for all persistent state (created). */
  stateDir: string;
  /** The configuration as an object (defaults applied), or … */
  config?: unknown;
  /** … a YAML file to load it from. */
  configFile?: string;
  /** Use this realiser instead of the one the config names. */
  realiser?: Realiser;
  /** Override `api.port` (0 = any free port). */
  port?: number;
  /** Extra lab guests beyond the configured ones. */
  guests?: number;
  /** Random source for fault fractions. */
  random?: () => number;
  /** Receives one JSON-able record per request and per lab event. */
  log?: (line: Record<string, unknown>) => void;
}

/** Run-time control of fault injection. */
export interface FaultControl {
  get(): Faults;
  /** Merge `patch` into the current faults (validated); one-shot actions (locks) start now. */
  set(patch: unknown): Faults;
  /** Back to no faults at all. */
  clear(): Faults;
}

/** A running testbed. */
export interface TestbedHandle {
  url: string;
  port: number;
  host: string;
  /** SHA-256 fingerprint of the API certificate, colon-separated uppercase hex. */
  fingerprint: string;
  /** The certificate (PEM), for clients that pin by CA. */
  certPem: string;
  tokenId: string;
  secret: string;
  node: string;
  stateDir: string;
  realiser: Realiser;
  faults: FaultControl;
  /** The current cluster (replaced by every restart). */
  cluster(): Cluster;
  /** Close every socket and the listener, reload all state from disk, listen again after `downMs`. */
  restart(downMs?: number): Promise<void>;
  /** Stop serving; with `teardown`, ask the realiser to undo everything. */
  stop(options?: { teardown?: boolean }): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Load the testbed configuration from a YAML file (ConfigError names file, line, key, value). */
export function loadTestbedConfig(file: string): TestbedConfig {
  return loadYamlFile(file, testbedConfigSchema);
}

/** The operator's SSH key pair (generated with ssh-keygen on first start); undefined without ssh-keygen. */
export function ensureOperatorKey(
  stateDir: string,
): { privateKeyFile: string; publicKey: string } | undefined {
  const file = join(stateDir, "operator_ed25519");
  if (!existsSync(file)) {
    try {
      execFileSync(
        "ssh-keygen",
        ["-q", "-t", "ed25519", "-N", "", "-C", "txbox-testbed-operator", "-f", file],
        {
          stdio: "ignore",
          timeout: 30000,
        },
      );
    } catch {
      return undefined;
    }
  }
  return { privateKeyFile: file, publicKey: readFileSync(`${file}.pub`, "utf8").trim() };
}

/** The options the host realiser takes (structural: the API layer builds without it). */
interface HostRealiserCtorOptions {
  stateDir: string;
  storages: TestbedConfig["storages"];
  mgmt: { cidr: string };
  logger: {
    info(message: string, meta?: Record<string, unknown>): unknown;
    warn(message: string, meta?: Record<string, unknown>): unknown;
  };
  sdn?: { nodes: { name: string; underlay: string }[] };
}

async function makeRealiser(
  config: TestbedConfig,
  stateDir: string,
  log: (line: Record<string, unknown>) => void,
): Promise<Realiser> {
  if (config.realiser === "memory") return new MemoryRealiser(config.storages);
  // Loaded at run time so that the API layer builds without the host realisation
  const modPath = "./realise/host/index.js";
  const mod = (await import(modPath)) as {
    HostRealiser: new (o: HostRealiserCtorOptions) => Realiser;
  };
  const nodes = config.nodes.map((name, i) => ({
    name,
    underlay: config.network.underlay?.[i] ?? `10.250.0.${11 + i}/24`,
  }));
  return new mod.HostRealiser({
    stateDir: join(stateDir, "host"),
    storages: config.storages,
    mgmt: { cidr: config.network.mgmtCidr },
    logger: {
      info: (message, meta) => log({ realiser: message, ...meta }),
      warn: (message, meta) => log({ realiser: message, level: "warn", ...meta }),
    },
    ...(config.network.sdn ? { sdn: { nodes } } : {}),
  });
}

/** Start the testbed: load config and state, seed the lab on first start, serve HTTPS. */
export async function startTestbed(options: StartTestbedOptions): Promise<TestbedHandle> {
  const stateDir = resolve(options.stateDir);
  const config: TestbedConfig =
    options.configFile !== undefined
      ? loadTestbedConfig(options.configFile)
      : parseTestbedConfig(options.config ?? {});
  const store = new Store(join(stateDir, "pve"));
  const log = options.log ?? (() => undefined);
  const schema = loadApiSchema();
  const tls: TlsIdentity = ensureCertificate(stateDir);
  const operator = ensureOperatorKey(stateDir);
  const authorizedKeys = (): string[] => (operator === undefined ? [] : [operator.publicKey]);
  const realiser = options.realiser ?? (await makeRealiser(config, stateDir, log));
  await realiser.init();

  let faults: Faults = faultsSchema.parse(config.faults);
  const makeCluster = (): Cluster =>
    new Cluster({
      config,
      store,
      realiser,
      faults: () => faults,
      fingerprint: tls.fingerprint,
      authorizedKeys,
    });
  let cluster = makeCluster();

  await seedLab(cluster.guests, realiser, config, options.guests ?? 0, authorizedKeys(), (msg) =>
    log({ lab: msg }),
  );
  await cluster.guests.redrive((msg) => log({ lab: msg }));
  // The stored firewall governs traffic from the start, as pve-firewall compiles it at boot; what
  // cannot be realised is logged as an error (pve-firewall logs its compile errors likewise) and
  // every later firewall change answers with it.
  await cluster.firewall.realise().catch((err: unknown) =>
    log({
      level: "error",
      firewall: `not realised: ${err instanceof Error ? err.message : String(err)}`,
    }),
  );

  const token = cluster.auth.primaryToken();
  if (token === undefined)
    throw new TxboxError("E_TESTBED_CONFIG", "the testbed configuration declares no API token", {
      hint: "add `tokens: [{ id: txbox }]` to a user in the testbed config",
    });

  const applyActions = (f: Faults): Faults => {
    for (const l of f.guestLocks)
      void cluster.guests.holdGuestLock(l.vmid, l.lock, l.ms).catch(() => undefined);
    for (const h of f.configLockHolds) {
      const g = cluster.guests.byId.get(h.vmid);
      if (g !== undefined) void cluster.locks.hold(g.type, g.vmid, h.ms).catch(() => undefined);
    }
    return { ...f, guestLocks: [], configLockHolds: [] };
  };
  faults = applyActions(faults);
  const faultControl: FaultControl = {
    get: () => faults,
    set: (patch) => {
      const merged = faultsSchema.safeParse({ ...faults, ...(patch as Record<string, unknown>) });
      if (!merged.success)
        throw new ApiError(
          400,
          "Parameter verification failed.",
          Object.fromEntries(
            merged.error.issues.map((i) => [i.path.join(".") || "faults", i.message]),
          ),
        );
      faults = applyActions(merged.data);
      return faults;
    },
    clear: () => {
      faults = faultsSchema.parse({});
      return faults;
    },
  };

  const host = config.api.host;
  let port = options.port ?? config.api.port;
  let server: Server;
  const sockets = new Set<Socket>();
  let stopping = false;

  // eslint-disable-next-line prefer-const
  let handle: TestbedHandle;
  const testbedRoute = async (
    method: string,
    path: string,
    body: unknown,
    query: URLSearchParams,
    _caller: Caller,
  ): Promise<unknown> => {
    if (path === "/testbed/faults" && method === "GET") return faultControl.get();
    if (path === "/testbed/faults" && method === "PUT") return faultControl.set(body ?? {});
    if (path === "/testbed/faults" && method === "DELETE") return faultControl.clear();
    if (path === "/testbed/restart" && method === "POST") {
      const downMs = Number(
        query.get("downMs") ?? (body as { downMs?: number } | undefined)?.downMs ?? 0,
      );
      // Answer first, then go down
      setTimeout(() => void handle.restart(downMs), 50);
      return { restarting: 1, downMs };
    }
    if (path === "/testbed/guests" && method === "GET") {
      const out: Record<string, unknown>[] = [];
      for (const g of cluster.guests.byId.values()) {
        const st = await realiser.guestStatus(g.vmid);
        const fps =
          realiser.hostKeyFingerprints === undefined
            ? g.hostKeyFingerprints
            : await realiser.hostKeyFingerprints(g.vmid);
        out.push({
          vmid: g.vmid,
          node: g.node,
          type: g.type,
          name: String(g.config.name ?? g.config.hostname ?? ""),
          status: st.running ? "running" : "stopped",
          template: g.config.template === 1 ? 1 : 0,
          ...(st.mgmtAddress === undefined ? {} : { mgmtAddress: st.mgmtAddress }),
          hostKeyFingerprints: fps,
        });
      }
      return out.sort((a, b) => (a.vmid as number) - (b.vmid as number));
    }
    // A snapshot made on the storage outside PVE (`zfs snapshot`): PVE does not list it, yet the
    // storage counts it when it decides whether a rollback is possible.
    const foreign = /^\/testbed\/guests\/(\d+)\/volume-snapshot$/.exec(path);
    if (foreign !== null && method === "POST") {
      const g = cluster.guests.byId.get(Number(foreign[1]));
      const name = (body as { name?: unknown } | undefined)?.name;
      if (g === undefined || typeof name !== "string" || !/^[A-Za-z0-9_.:-]+$/.test(name))
        throw new ApiError(400, "Parameter verification failed.", {
          name: "a guest and a snapshot name",
        });
      await cluster.guests.snaps.foreign(g, name);
      return null;
    }
    if (path === "/testbed/info" && method === "GET")
      return {
        node: cluster.defaultNode,
        nodes: config.nodes,
        fingerprint: tls.fingerprint,
        operatorKey: operator?.privateKeyFile ?? null,
      };
    return undefined;
  };

  const requestHandler = createHandler({
    schema,
    cluster: () => cluster,
    faults: () => faults,
    authFailDelayMs: () => config.api.authFailDelayMs,
    random: options.random ?? Math.random,
    testbedRoute,
    log,
  });

  const listen = async (): Promise<void> => {
    server = createServer({ key: tls.key, cert: tls.cert }, requestHandler);
    server.keepAliveTimeout = 5000;
    server.on("connection", (s: Socket) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    });
    server.on("secureConnection", (s) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((res, rej) => {
      server.once("error", rej);
      server.listen(port, host, () => {
        server.off("error", rej);
        res();
      });
    });
    port = (server.address() as AddressInfo).port;
  };

  const close = async (): Promise<void> => {
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const s of sockets) s.destroy();
    server.closeAllConnections();
    await closed;
  };

  await listen();
  const urlHost = host.includes(":") ? `[${host}]` : host;

  handle = {
    get url() {
      return `https://${urlHost}:${port}`;
    },
    get port() {
      return port;
    },
    host,
    fingerprint: tls.fingerprint,
    certPem: tls.cert,
    tokenId: token.tokenId,
    secret: token.secret,
    node: cluster.defaultNode,
    stateDir,
    realiser,
    faults: faultControl,
    cluster: () => cluster,
    restart: async (downMs = 0) => {
      if (stopping) return;
      await close();
      cluster.ha.close();
      await cluster.tasks.drain();
      cluster = makeCluster();
      if (downMs > 0) await sleep(downMs);
      if (!stopping) await listen();
      log({ event: "restarted", downMs });
    },
    stop: async (opts = {}) => {
      stopping = true;
      cluster.ha.close();
      await close();
      await cluster.tasks.drain();
      if (opts.teardown === true) await realiser.teardown();
    },
  };
  return handle;
}

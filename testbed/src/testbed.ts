import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadYamlFile, TxboxError } from "@txbox/core";
import { Cluster } from "./api/cluster.js";
import { Store } from "./api/store.js";
import { ensureCertificate, type TlsIdentity } from "./cert.js";
import { parseTestbedConfig, testbedConfigSchema, type TestbedConfig } from "./config.js";
import { faultControl, type FaultControl } from "./fault-control.js";
import { seedLab } from "./lab.js";
import { HttpsListener } from "./listener.js";
import { MemoryRealiser } from "./realise/memory.js";
import type { Realiser } from "./realise/types.js";
import { loadApiSchema } from "./schema/apidata.js";
import { createHandler } from "./server.js";
import { testbedRoutes } from "./testbed-routes.js";

export type { FaultControl } from "./fault-control.js";

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

function configOf(options: StartTestbedOptions): TestbedConfig {
  return options.configFile !== undefined
    ? loadTestbedConfig(options.configFile)
    : parseTestbedConfig(options.config ?? {});
}

/** The API token txbox is given (the first one the configuration declares). */
function primaryToken(cluster: Cluster): NonNullable<ReturnType<Cluster["auth"]["primaryToken"]>> {
  const token = cluster.auth.primaryToken();
  if (token === undefined)
    throw new TxboxError("E_TESTBED_CONFIG", "the testbed configuration declares no API token", {
      hint: "add `tokens: [{ id: txbox }]` to a user in the testbed config",
    });
  return token;
}

/** The API's request handler: the schema's routes, faults, and the testbed's own routes. */
function apiHandler(p: {
  config: TestbedConfig;
  options: StartTestbedOptions;
  cluster: () => Cluster;
  realiser: TestbedHandle["realiser"];
  faults: TestbedHandle["faults"];
  tls: TlsIdentity;
  operatorKey: string | null;
  restart: (downMs: number) => void;
}) {
  return createHandler({
    schema: loadApiSchema(),
    cluster: p.cluster,
    faults: () => p.faults.get(),
    authFailDelayMs: () => p.config.api.authFailDelayMs,
    random: p.options.random ?? Math.random,
    testbedRoute: testbedRoutes({
      cluster: p.cluster,
      realiser: p.realiser,
      faults: p.faults,
      nodes: p.config.nodes,
      fingerprint: p.tls.fingerprint,
      operatorKey: p.operatorKey,
      restart: p.restart,
    }),
    log: p.options.log ?? (() => undefined),
  });
}

/** Start the testbed: load config and state, seed the lab on first start, serve HTTPS. */
export async function startTestbed(options: StartTestbedOptions): Promise<TestbedHandle> {
  const stateDir = resolve(options.stateDir);
  const config = configOf(options);
  const store = new Store(join(stateDir, "pve"));
  const log = options.log ?? (() => undefined);
  const tls: TlsIdentity = ensureCertificate(stateDir);
  const operator = ensureOperatorKey(stateDir);
  const authorizedKeys = (): string[] => (operator === undefined ? [] : [operator.publicKey]);
  const realiser = options.realiser ?? (await makeRealiser(config, stateDir, log));
  await realiser.init();

  const faults = faultControl(config.faults, () => live.cluster);
  const makeCluster = (): Cluster =>
    new Cluster({
      config,
      store,
      realiser,
      faults: () => faults.get(),
      fingerprint: tls.fingerprint,
      authorizedKeys,
    });
  const live: Live = { cluster: makeCluster(), stopping: false };
  await bringUp(live.cluster, realiser, config, options.guests ?? 0, authorizedKeys(), log);
  const token = primaryToken(live.cluster);
  faults.startInitial();

  // eslint-disable-next-line prefer-const
  let handle: TestbedHandle;
  const requestHandler = apiHandler({
    config,
    options,
    cluster: () => live.cluster,
    realiser,
    faults,
    tls,
    operatorKey: operator?.privateKeyFile ?? null,
    restart: (downMs) => void handle.restart(downMs),
  });
  const listener = new HttpsListener(
    tls,
    requestHandler,
    config.api.host,
    options.port ?? config.api.port,
  );
  await listener.listen();
  const host = listener.host;
  const urlHost = host.includes(":") ? `[${host}]` : host;

  handle = {
    get url() {
      return `https://${urlHost}:${listener.port}`;
    },
    get port() {
      return listener.port;
    },
    host,
    fingerprint: tls.fingerprint,
    certPem: tls.cert,
    tokenId: token.tokenId,
    secret: token.secret,
    node: live.cluster.defaultNode,
    stateDir,
    realiser,
    faults,
    cluster: () => live.cluster,
    ...lifecycle(live, listener, makeCluster, realiser, log),
  };
  return handle;
}

/** What a restart replaces: the cluster (its API state is reloaded from the store). */
interface Live {
  cluster: Cluster;
  stopping: boolean;
}

/** A testbed's restart (the API goes away for `downMs`, its state reloaded) and its stop. */
function lifecycle(
  live: Live,
  listener: HttpsListener,
  makeCluster: () => Cluster,
  realiser: TestbedHandle["realiser"],
  log: (line: Record<string, unknown>) => void,
): Pick<TestbedHandle, "restart" | "stop"> {
  return {
    restart: async (downMs = 0) => {
      if (live.stopping) return;
      await listener.close();
      live.cluster.ha.close();
      await live.cluster.tasks.drain();
      live.cluster = makeCluster();
      if (downMs > 0) await sleep(downMs);
      if (!live.stopping) await listener.listen();
      log({ event: "restarted", downMs });
    },
    stop: async (opts = {}) => {
      live.stopping = true;
      live.cluster.ha.close();
      await listener.close();
      await live.cluster.tasks.drain();
      if (opts.teardown === true) await realiser.teardown();
    },
  };
}

/**
 * Seed the lab (first start), drive guests back to their recorded state, and realise the stored
 * firewall — which governs traffic from the start, as pve-firewall compiles it at boot; what
 * cannot be realised is logged as an error (pve-firewall logs its compile errors likewise) and
 * every later firewall change answers with it.
 */
async function bringUp(
  cluster: Cluster,
  realiser: Realiser,
  config: TestbedConfig,
  guests: number,
  authorizedKeys: string[],
  log: (line: Record<string, unknown>) => void,
): Promise<void> {
  await seedLab(cluster.guests, realiser, config, guests, authorizedKeys, (msg) =>
    log({ lab: msg }),
  );
  await cluster.guests.redrive((msg) => log({ lab: msg }));
  await cluster.firewall.realise().catch((err: unknown) =>
    log({
      level: "error",
      firewall: `not realised: ${err instanceof Error ? err.message : String(err)}`,
    }),
  );
}

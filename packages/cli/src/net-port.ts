import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { TimeoutError } from "@txbox/core";
import { shellQuote, SshExecutor, type ExecResult } from "@txbox/exec";
import {
  AlreadyExistsError,
  fileLedger,
  type CallOptions,
  type CloneRequest,
  type FirewallRule,
  type FirewallState,
  type FirewallSwitches,
  type ZoneStatus,
  type GuestRef,
  type Ledger,
  type NetPort,
  type ObservedGuest,
  type SdnController,
  type SdnSubnet,
  type SdnVnet,
  type SdnZone,
  type StorageInfo,
} from "@txbox/net";
import {
  Guest,
  isProxmoxError,
  isSharedStorage,
  type StorageDef,
  NotFound,
  type FirewallScope,
  type ProxmoxClient,
} from "@txbox/proxmox";

/** How to reach a guest's sshd from here: an address, and (optionally) operator credentials. */
export interface NetSshEndpoint {
  host: string;
  port: number;
  /** Operator login used to install the spec's keys into LXC guests (see `authorizeSshKeys`). */
  user?: string;
  keyFile?: string;
  hostKeys?: string[];
}

export interface ProxmoxNetPortOptions {
  /** Directory of the ledger files and of LXC keys waiting to be installed (e.g. `.txbox/net`). */
  stateDir: string;
  /** The management address of a guest when the target knows it (testbed state, txbox.yaml). */
  sshEndpoint?: (guest: GuestRef) => Promise<NetSshEndpoint | undefined>;
  /**
   * Fall back to the spec's management address (`net1`/`ipconfig1`) when `sshEndpoint` knows
   * none (default true). Off for the testbed, whose own management addresses are the only ones
   * reachable from here.
   */
  useSpecAddress?: boolean;
  /** Notes for the operator (stderr). */
  log?: (message: string) => void;
  /** Interval of readiness polls (default 500 ms). */
  pollMs?: number;
}

const EXISTS = /already (?:defined|exists?)|config file already exists/i;

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/** A create that finds its object already there becomes {@link AlreadyExistsError}. */
async function create(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    if (isProxmoxError(error) && EXISTS.test(error.message))
      throw new AlreadyExistsError(error.message, { cause: error });
    throw error;
  }
}

/** A delete of something missing is success. */
async function missingIsOk(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    if (!(error instanceof NotFound)) throw error;
  }
}

/** The `ip=` address of a config value such as `name=eth1,bridge=vmbr9,ip=10.250.9.11/24`. */
export function addressOf(value: unknown): string | undefined {
  const m = /(?:^|,)ip=([0-9.]+)(?:\/\d+)?(?:,|$)/.exec(String(value ?? ""));
  return m?.[1];
}

/** The management address a spec gave a guest: `net1`'s `ip=` (LXC) or `ipconfig1` (qemu). */
export function managementAddress(config: Record<string, unknown>): string | undefined {
  return addressOf(config.ipconfig1) ?? addressOf(config.net1);
}

/** Resolve when a TCP connection to `host:port` succeeds once; reject on error or after `ms`. */
function tcpProbe(host: string, port: number, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(
      () => socket.destroy(new Error(`connect timed out after ${ms} ms`)),
      ms,
    );
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.end();
      resolve();
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/**
 * {@link NetPort} over `@txbox/proxmox`: SDN and firewall CRUD, guest clone/config/start/destroy
 * with PVE's tasks waited for, SSH readiness by TCP connect, and a file ledger.
 */
export class ProxmoxNetPort implements NetPort {
  private readonly ledger: Pick<NetPort, "loadLedger" | "saveLedger">;
  private readonly log: (message: string) => void;
  private readonly pollMs: number;
  private executor: SshExecutor | undefined;

  constructor(
    private readonly client: ProxmoxClient,
    private readonly options: ProxmoxNetPortOptions,
  ) {
    this.ledger = fileLedger(options.stateDir);
    this.log = options.log ?? (() => undefined);
    this.pollMs = options.pollMs ?? 500;
  }

  /** Close pooled SSH connections (the client is the caller's). */
  async close(): Promise<void> {
    await this.executor?.close();
  }

  private guest(g: GuestRef): Guest {
    return new Guest(this.client, g.vmid, g.node, g.type);
  }

  listControllers = async (): Promise<SdnController[]> =>
    (await this.client.sdn.controllers({ pending: true })) as SdnController[];
  listZones = async (): Promise<SdnZone[]> =>
    (await this.client.sdn.zones({ pending: true })) as SdnZone[];
  listVnets = async (): Promise<SdnVnet[]> =>
    (await this.client.sdn.vnets({ pending: true })) as SdnVnet[];
  listSubnets = async (vnet: string): Promise<SdnSubnet[]> =>
    (await this.client.sdn.subnets(vnet, { pending: true })) as SdnSubnet[];

  createController = (p: Record<string, unknown>) =>
    create(() =>
      this.client.sdn.createController(
        p as Record<string, unknown> & { controller: string; type: string },
      ),
    );
  updateController = (id: string, p: Record<string, unknown>) =>
    this.client.sdn.updateController(id, p);
  deleteController = (id: string) => this.client.sdn.deleteController(id);
  createZone = (p: Record<string, unknown>) =>
    create(() =>
      this.client.sdn.createZone(p as Record<string, unknown> & { zone: string; type: string }),
    );
  updateZone = (id: string, p: Record<string, unknown>) => this.client.sdn.updateZone(id, p);
  deleteZone = (id: string) => this.client.sdn.deleteZone(id);
  createVnet = (p: Record<string, unknown>) =>
    create(() =>
      this.client.sdn.createVnet(p as Record<string, unknown> & { vnet: string; zone: string }),
    );
  updateVnet = (id: string, p: Record<string, unknown>) => this.client.sdn.updateVnet(id, p);
  deleteVnet = (id: string) => this.client.sdn.deleteVnet(id);
  createSubnet = (vnet: string, p: Record<string, unknown>) =>
    create(() =>
      this.client.sdn.createSubnet(vnet, p as Record<string, unknown> & { subnet: string }),
    );
  updateSubnet = (vnet: string, id: string, p: Record<string, unknown>) =>
    this.client.sdn.updateSubnet(vnet, id, p);
  deleteSubnet = (vnet: string, id: string) => this.client.sdn.deleteSubnet(vnet, id);

  async applySdn(opts: CallOptions = {}): Promise<void> {
    await this.client.sdn.applySdn(opts.signal ? { signal: opts.signal } : {});
  }

  async listNodes(): Promise<string[]> {
    const nodes = await this.client.get<{ node: string }[]>("/nodes");
    return nodes.map((n) => n.node).sort();
  }
  async listZoneStatus(nodes: string[]): Promise<ZoneStatus[]> {
    const per = await Promise.all(
      nodes.map(async (node) =>
        (await this.client.sdn.zoneStatus(node)).map((z) => ({
          node,
          zone: z.zone,
          status: z.status,
        })),
      ),
    );
    return per.flat();
  }
  async getFirewallSwitches(nodes: string[]): Promise<FirewallSwitches> {
    const on = (v: unknown) => Number(v ?? 0) === 1;
    const dc = await this.client.firewall.options({ kind: "cluster" });
    const nft = await Promise.all(
      nodes.map(
        async (node) =>
          [
            node,
            on((await this.client.firewall.options({ kind: "node", node })).nftables),
          ] as const,
      ),
    );
    return { datacenter: on(dc.enable), nftables: Object.fromEntries(nft) };
  }
  enableDatacenterFirewall = () =>
    this.client.firewall.setOptions({ kind: "cluster" }, { enable: 1 });
  enableNodeNftables = (node: string) =>
    this.client.firewall.setOptions({ kind: "node", node }, { nftables: 1 });

  /** `GET /storage`, with PVE's shared-storage rule applied (`isSharedStorage`). */
  async listStorages(): Promise<StorageInfo[]> {
    const defs = await this.client.get<StorageDef[]>("/storage");
    return defs.map((d) => ({
      storage: d.storage,
      shared: isSharedStorage(d),
      ...(typeof d.nodes === "string" && d.nodes !== ""
        ? { nodes: d.nodes.split(/[,;\s]+/).filter(Boolean) }
        : {}),
    }));
  }

  /**
   * PVE 9's SDN lock around the SDN writes. Its token is kept in the state directory while held,
   * so that a run killed while holding it releases it on the next apply (the lock never expires).
   */
  withSdnLock<T>(fn: () => Promise<T>): Promise<T> {
    const file = join(this.options.stateDir, "sdn-lock.json");
    return this.client.sdn.withLock(fn, {
      load: async () => {
        try {
          const t = (JSON.parse(await readFile(file, "utf8")) as { token?: unknown }).token;
          return typeof t === "string" ? t : undefined;
        } catch {
          return undefined;
        }
      },
      save: async (token) => {
        if (token === undefined) return rm(file, { force: true });
        await mkdir(this.options.stateDir, { recursive: true });
        await writeFile(`${file}.tmp`, `${JSON.stringify({ token })}\n`, { mode: 0o600 });
        await rename(`${file}.tmp`, file);
      },
    });
  }

  private async firewallState(scope: FirewallScope): Promise<FirewallState> {
    const [options, rules] = await Promise.all([
      this.client.firewall.options(scope),
      this.client.firewall.rules(scope),
    ]);
    const { digest: _digest, ...rest } = options;
    return {
      options: rest as Record<string, string | number>,
      rules: ([...rules] as unknown as FirewallRule[]).sort((a, b) => (a.pos ?? 0) - (b.pos ?? 0)),
    };
  }
  private static vnetScope = (vnet: string): FirewallScope => ({ kind: "vnet", vnet });
  private static guestScope = (g: GuestRef): FirewallScope => ({ kind: "guest", ...g });

  getVnetFirewall = (vnet: string) => this.firewallState(ProxmoxNetPort.vnetScope(vnet));
  setVnetFirewallOptions = (vnet: string, o: Record<string, string | number>) =>
    this.client.firewall.setOptions(ProxmoxNetPort.vnetScope(vnet), o);
  createVnetFirewallRule = (vnet: string, r: FirewallRule) =>
    this.client.firewall.createRule(ProxmoxNetPort.vnetScope(vnet), { ...r });
  deleteVnetFirewallRule = (vnet: string, pos: number) =>
    this.client.firewall.deleteRule(ProxmoxNetPort.vnetScope(vnet), pos);
  getGuestFirewall = (g: GuestRef) => this.firewallState(ProxmoxNetPort.guestScope(g));
  setGuestFirewallOptions = (g: GuestRef, o: Record<string, string | number>) =>
    this.client.firewall.setOptions(ProxmoxNetPort.guestScope(g), o);
  createGuestFirewallRule = (g: GuestRef, r: FirewallRule) =>
    this.client.firewall.createRule(ProxmoxNetPort.guestScope(g), { ...r });
  deleteGuestFirewallRule = (g: GuestRef, pos: number) =>
    this.client.firewall.deleteRule(ProxmoxNetPort.guestScope(g), pos);

  async listGuests(): Promise<ObservedGuest[]> {
    const items = (await this.client.resources("vm")).filter(
      (r) =>
        (r.type === "qemu" || r.type === "lxc") && r.vmid !== undefined && r.node !== undefined,
    );
    const guests = await Promise.all(
      items.map(async (r): Promise<ObservedGuest | undefined> => {
        const ref: GuestRef = {
          node: r.node!,
          vmid: Number(r.vmid),
          type: r.type as "qemu" | "lxc",
        };
        let config: Record<string, unknown>;
        try {
          config = await this.guest(ref).config();
        } catch (error) {
          // Destroyed between the listing and this read: it is gone, not an error.
          if (error instanceof NotFound) return undefined;
          throw error;
        }
        return {
          ...ref,
          name: r.name ?? String(config.name ?? config.hostname ?? ""),
          status: r.status === "running" ? "running" : "stopped",
          template: Number(r.template ?? 0) === 1 || Number(config.template ?? 0) === 1,
          tags: String(config.tags ?? "")
            .split(/[;, ]+/)
            .filter(Boolean),
          config: config as Record<string, string | number>,
        };
      }),
    );
    return guests.filter((g): g is ObservedGuest => g !== undefined);
  }

  async cloneGuest(r: CloneRequest, opts: CallOptions = {}): Promise<void> {
    const template = new Guest(this.client, r.template, r.templateNode, r.type);
    const signal = opts.signal ? { signal: opts.signal } : {};
    const clone = () =>
      create(() =>
        template.clone(r.vmid, {
          name: r.name,
          full: !r.linked,
          ...(r.storage === undefined ? {} : { storage: r.storage }),
          ...(r.templateNode === r.node || r.migrate === true ? {} : { target: r.node }),
          ...signal,
        }),
      );
    if (r.migrate !== true) return clone();
    try {
      await clone();
    } catch (error) {
      // Cloned before a crash (the planner lets us here only for our own guest): move it on.
      if (!(error instanceof AlreadyExistsError)) throw error;
    }
    await new Guest(this.client, r.vmid, r.templateNode, r.type).migrate(r.node, signal);
  }

  async configureGuest(g: GuestRef, config: Record<string, string | number>): Promise<void> {
    await this.guest(g).updateConfig(config);
  }

  private keysFile(vmid: number): string {
    return join(this.options.stateDir, "keys", `${vmid}.json`);
  }

  /**
   * qemu: cloud-init `ciuser` + `sshkeys` (URL-encoded, as PVE takes them). LXC has no API for
   * keys after creation, so they are kept in a file and installed over SSH (with the operator's
   * key) once the guest answers in `waitForSsh`; the file makes that survive a crash in between.
   */
  async authorizeSshKeys(g: GuestRef, user: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    if (g.type === "qemu") {
      await this.guest(g).updateConfig({
        ciuser: user,
        sshkeys: encodeURIComponent(keys.join("\n")),
      });
      return;
    }
    const file = this.keysFile(g.vmid);
    await mkdir(join(this.options.stateDir, "keys"), { recursive: true });
    await writeFile(`${file}.tmp`, `${JSON.stringify({ user, keys })}\n`);
    await rename(`${file}.tmp`, file);
  }

  async startGuest(g: GuestRef, opts: CallOptions = {}): Promise<void> {
    await this.guest(g).start(opts.signal ? { signal: opts.signal } : {});
  }

  async stopGuest(g: GuestRef, opts: CallOptions = {}): Promise<void> {
    await missingIsOk(() => this.guest(g).stop(opts.signal ? { signal: opts.signal } : {}));
  }

  async destroyGuest(g: GuestRef, opts: CallOptions = {}): Promise<void> {
    await this.guest(g).destroy({ purge: true, ...(opts.signal ? { signal: opts.signal } : {}) });
    await rm(this.keysFile(g.vmid), { force: true });
  }

  /**
   * Wait until the guest runs and its sshd accepts TCP connections on its management address
   * (from the target, else the spec's `net1`/`ipconfig1`). Without any known address only the
   * running state can be checked, which is said on the log.
   */
  async waitForSsh(
    g: GuestRef,
    _user: string,
    timeoutMs: number,
    opts: CallOptions = {},
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const guest = this.guest(g);
    const late = (what: string) =>
      new TimeoutError(`guest ${g.vmid}: ${what} within ${Math.round(timeoutMs / 1000)} s`, {
        details: { vmid: g.vmid, node: g.node },
        hint: "raise --timeout, or check the guest's console",
      });
    while ((await guest.status()).status !== "running") {
      if (Date.now() > deadline) throw late("not running");
      await sleep(this.pollMs, opts.signal);
    }
    const endpoint = await this.endpoint(g);
    if (endpoint === undefined) {
      this.log(`guest ${g.vmid}: no management address known; checked that it runs, not its sshd`);
      await this.installPendingKeys(g, undefined);
      return;
    }
    let lastError = "";
    for (;;) {
      try {
        await tcpProbe(
          endpoint.host,
          endpoint.port,
          Math.max(100, Math.min(5000, deadline - Date.now())),
        );
        break;
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
      }
      if (Date.now() > deadline)
        throw late(`sshd on ${endpoint.host}:${endpoint.port} did not answer (${lastError})`);
      await sleep(this.pollMs, opts.signal);
    }
    await this.installPendingKeys(g, endpoint, Math.max(10_000, deadline - Date.now()));
  }

  private async endpoint(g: GuestRef): Promise<NetSshEndpoint | undefined> {
    try {
      const e = await this.options.sshEndpoint?.(g);
      if (e !== undefined) return e;
    } catch {
      // The target does not know this guest (yet): fall back to the spec's address.
    }
    if (this.options.useSpecAddress === false) return undefined;
    const host = managementAddress(await this.guest(g).config());
    return host === undefined ? undefined : { host, port: 22 };
  }

  private async installPendingKeys(
    g: GuestRef,
    endpoint: NetSshEndpoint | undefined,
    timeoutMs = 30_000,
  ): Promise<void> {
    let pending: { user: string; keys: string[] };
    try {
      pending = JSON.parse(await readFile(this.keysFile(g.vmid), "utf8")) as {
        user: string;
        keys: string[];
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    if (
      endpoint?.keyFile === undefined ||
      endpoint.hostKeys === undefined ||
      endpoint.hostKeys.length === 0
    ) {
      this.log(
        `guest ${g.vmid}: SSH keys for ${pending.user} not installed: no operator SSH access to this LXC guest is configured (they stay in ${this.keysFile(g.vmid)})`,
      );
      return;
    }
    const user = shellQuote(pending.user);
    // The user's home from the guest's own passwd; keys are appended once (re-runs add nothing).
    const script = [
      `home=$(getent passwd ${user} | cut -d: -f6)`,
      `[ -n "$home" ] || { echo "no user ${pending.user.replace(/[^\w.-]/g, "")} in the guest" >&2; exit 3; }`,
      `mkdir -p "$home/.ssh"`,
      `chmod 700 "$home/.ssh"`,
      `touch "$home/.ssh/authorized_keys"`,
      ...pending.keys.map(
        (k) =>
          `{ grep -qxF ${shellQuote(k)} "$home/.ssh/authorized_keys" || printf '%s\\n' ${shellQuote(k)} >> "$home/.ssh/authorized_keys"; }`,
      ),
      `chmod 600 "$home/.ssh/authorized_keys"`,
      `chown -R ${user} "$home/.ssh"`,
    ].join(" && ");
    this.executor ??= new SshExecutor();
    let lastError: unknown;
    for (const hostKey of endpoint.hostKeys) {
      try {
        const r = await this.executor.run(
          {
            host: endpoint.host,
            port: endpoint.port,
            user: endpoint.user ?? "root",
            keyFile: endpoint.keyFile,
            hostKey,
          },
          script,
          { timeoutMs },
        );
        if (r.exitCode !== 0)
          throw new Error(`installing SSH keys exited ${r.exitCode}: ${r.stderr.trim()}`);
        await rm(this.keysFile(g.vmid), { force: true });
        return;
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  }

  /**
   * Run shell text in a guest over SSH, as `net verify` does: with the target's operator access
   * when it has one (the testbed, txbox.yaml `guests[]`), else as the spec's user with the
   * private key beside its `publicKeyFile`. The host key must be pinned: nothing is trusted
   * on first use.
   */
  async runInGuest(
    g: GuestRef,
    ssh: { user: string; publicKeyFile?: string },
    script: string,
    timeoutMs: number,
  ): Promise<ExecResult> {
    const endpoint = await this.endpoint(g);
    if (endpoint === undefined)
      throw new Error(
        `no management address known for guest ${g.vmid} (add it to txbox.yaml guests[] or give the spec a management network)`,
      );
    const ownKey = ssh.publicKeyFile?.replace(/\.pub$/, "");
    const login =
      endpoint.keyFile !== undefined
        ? { user: endpoint.user ?? "root", keyFile: endpoint.keyFile }
        : ownKey !== undefined && ownKey !== ssh.publicKeyFile && existsSync(ownKey)
          ? { user: ssh.user, keyFile: ownKey }
          : undefined;
    if (login === undefined)
      throw new Error(
        `no SSH key to log in to guest ${g.vmid}: give txbox.yaml guests[] a keyFile, or keep the private key beside the spec's publicKeyFile`,
      );
    const hostKeys = endpoint.hostKeys ?? [];
    if (hostKeys.length === 0)
      throw new Error(
        `no pinned host key for guest ${g.vmid} (${endpoint.host}): add hostKey to its txbox.yaml guests[] entry`,
      );
    this.executor ??= new SshExecutor();
    let lastError: unknown;
    for (const hostKey of hostKeys) {
      try {
        return await this.executor.run(
          { host: endpoint.host, port: endpoint.port, ...login, hostKey },
          script,
          { timeoutMs },
        );
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  }

  loadLedger = (name: string): Promise<Ledger> => this.ledger.loadLedger(name);
  saveLedger = (name: string, l: Ledger): Promise<void> => this.ledger.saveLedger(name, l);
}

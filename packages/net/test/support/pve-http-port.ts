/**
 * A NetPort over the PVE HTTP API with plain `node:https` and API-token auth, FOR TESTS: it
 * checks @txbox/net against the testbed's API without the @txbox/proxmox adapter (the lead's
 * production adapter). Certificate pinned by SHA-256 fingerprint; tasks waited for by polling.
 */
import { request } from "node:https";
import {
  AlreadyExistsError,
  type CloneRequest,
  type FirewallRule,
  type FirewallState,
  type GuestRef,
  type NetPort,
  type ObservedGuest,
} from "../../src/index.js";
import { fileLedger } from "../../src/index.js";

export interface PveConnection {
  url: string;
  certPem: string;
  fingerprint: string;
  tokenId: string;
  secret: string;
}

class PveError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function form(params: Record<string, unknown>): string {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined) out.set(k, typeof v === "boolean" ? (v ? "1" : "0") : String(v));
  return out.toString();
}

export class PveHttpPortForTests implements NetPort {
  private ledger;
  /** What `waitForSsh` checked, per vmid (see its comment). */
  readonly sshChecks: number[] = [];

  constructor(
    private readonly conn: PveConnection,
    ledgerDir: string,
  ) {
    this.ledger = fileLedger(ledgerDir);
  }

  async call<T = unknown>(
    method: string,
    path: string,
    params: Record<string, unknown> = {},
  ): Promise<T> {
    const body = method === "GET" || method === "DELETE" ? "" : form(params);
    const query = method === "GET" || method === "DELETE" ? form(params) : "";
    const url = new URL(`/api2/json${path}${query ? `?${query}` : ""}`, this.conn.url);
    return new Promise<T>((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          ca: this.conn.certPem,
          checkServerIdentity: (_h, cert) =>
            cert.fingerprint256 === this.conn.fingerprint
              ? undefined
              : new Error("certificate fingerprint mismatch"),
          headers: {
            Authorization: `PVEAPIToken=${this.conn.tokenId}=${this.conn.secret}`,
            ...(body ? { "Content-Type": "application/x-www-form-urlencoded" } : {}),
          },
          timeout: 15_000,
        },
        (res) => {
          let text = "";
          res.on("data", (b: Buffer) => (text += b.toString()));
          res.on("end", () => {
            const parsed = (text ? JSON.parse(text) : {}) as {
              data: T;
              message?: string;
              errors?: unknown;
            };
            if (res.statusCode === 200) resolve(parsed.data);
            else
              reject(
                new PveError(
                  res.statusCode ?? 0,
                  `${method} ${path}: ${res.statusCode} ${(parsed.message ?? res.statusMessage ?? "").trim()} ${parsed.errors ? JSON.stringify(parsed.errors) : ""}`,
                ),
              );
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on("error", reject);
      req.end(body);
    });
  }

  /** Run a call that returns a UPID and wait for the task (WARNINGS count as success). */
  private async task(
    method: string,
    path: string,
    params: Record<string, unknown> = {},
  ): Promise<void> {
    const upid = await this.call<string>(method, path, params);
    const node = upid.split(":")[1]!;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const st = await this.call<{ status: string; exitstatus?: string }>(
        "GET",
        `/nodes/${node}/tasks/${encodeURIComponent(upid)}/status`,
      );
      if (st.status === "stopped") {
        if (st.exitstatus === "OK" || st.exitstatus?.startsWith("WARNINGS")) return;
        throw new Error(`task ${upid} failed: ${st.exitstatus}`);
      }
      if (Date.now() > deadline) throw new Error(`task ${upid} did not finish within 60 s`);
      await sleep(100);
    }
  }

  private async create(path: string, params: Record<string, unknown>): Promise<void> {
    try {
      await this.call("POST", path, params);
    } catch (error) {
      if (error instanceof PveError && /already (defined|exists?)/.test(error.message))
        throw new AlreadyExistsError(error.message, { cause: error });
      throw error;
    }
  }

  private async remove(path: string, task = false): Promise<void> {
    try {
      if (task) await this.task("DELETE", path);
      else await this.call("DELETE", path);
    } catch (error) {
      if (error instanceof Error && /does not exist|no such/.test(error.message)) return;
      throw error;
    }
  }

  listControllers = () => this.call<never>("GET", "/cluster/sdn/controllers", { pending: 1 });
  listZones = () => this.call<never>("GET", "/cluster/sdn/zones", { pending: 1 });
  listVnets = () => this.call<never>("GET", "/cluster/sdn/vnets", { pending: 1 });
  listSubnets = (vnet: string) =>
    this.call<never>("GET", `/cluster/sdn/vnets/${vnet}/subnets`, { pending: 1 });
  createController = (p: Record<string, unknown>) => this.create("/cluster/sdn/controllers", p);
  updateController = (id: string, p: Record<string, unknown>) =>
    this.call<void>("PUT", `/cluster/sdn/controllers/${id}`, p);
  deleteController = (id: string) => this.remove(`/cluster/sdn/controllers/${id}`);
  createZone = (p: Record<string, unknown>) => this.create("/cluster/sdn/zones", p);
  updateZone = (id: string, p: Record<string, unknown>) =>
    this.call<void>("PUT", `/cluster/sdn/zones/${id}`, p);
  deleteZone = (id: string) => this.remove(`/cluster/sdn/zones/${id}`);
  createVnet = (p: Record<string, unknown>) => this.create("/cluster/sdn/vnets", p);
  updateVnet = (id: string, p: Record<string, unknown>) =>
    this.call<void>("PUT", `/cluster/sdn/vnets/${id}`, p);
  deleteVnet = (id: string) => this.remove(`/cluster/sdn/vnets/${id}`);
  createSubnet = (vnet: string, p: Record<string, unknown>) =>
    this.create(`/cluster/sdn/vnets/${vnet}/subnets`, p);
  updateSubnet = (vnet: string, id: string, p: Record<string, unknown>) =>
    this.call<void>("PUT", `/cluster/sdn/vnets/${vnet}/subnets/${id}`, p);
  deleteSubnet = (vnet: string, id: string) =>
    this.remove(`/cluster/sdn/vnets/${vnet}/subnets/${id}`);
  applySdn = () => this.task("PUT", "/cluster/sdn");
  listNodes = async () =>
    (await this.call<{ node: string }[]>("GET", "/nodes")).map((n) => n.node).sort();
  listZoneStatus = async (nodes: string[]) =>
    (
      await Promise.all(
        nodes.map(async (node) =>
          (
            await this.call<{ zone: string; status: string }[]>("GET", `/nodes/${node}/sdn/zones`)
          ).map((z) => ({ node, zone: z.zone, status: z.status })),
        ),
      )
    ).flat();
  getFirewallSwitches = async (nodes: string[]) => {
    const dc = await this.call<Record<string, unknown>>("GET", "/cluster/firewall/options");
    const nft = await Promise.all(
      nodes.map(
        async (n) =>
          [
            n,
            Number(
              (await this.call<Record<string, unknown>>("GET", `/nodes/${n}/firewall/options`))
                .nftables ?? 0,
            ) === 1,
          ] as const,
      ),
    );
    return { datacenter: Number(dc.enable ?? 0) === 1, nftables: Object.fromEntries(nft) };
  };
  enableDatacenterFirewall = () =>
    this.call<void>("PUT", "/cluster/firewall/options", { enable: 1 });
  enableNodeNftables = (node: string) =>
    this.call<void>("PUT", `/nodes/${node}/firewall/options`, { nftables: 1 });

  private async firewall(base: string): Promise<FirewallState> {
    const [options, rules] = await Promise.all([
      this.call<Record<string, string | number>>("GET", `${base}/options`),
      this.call<FirewallRule[]>("GET", `${base}/rules`),
    ]);
    delete options.digest;
    return { options, rules: [...rules].sort((a, b) => (a.pos ?? 0) - (b.pos ?? 0)) };
  }
  private guestBase = (g: GuestRef) => `/nodes/${g.node}/${g.type}/${g.vmid}`;

  getVnetFirewall = (vnet: string) => this.firewall(`/cluster/sdn/vnets/${vnet}/firewall`);
  setVnetFirewallOptions = (vnet: string, o: Record<string, string | number>) =>
    this.call<void>("PUT", `/cluster/sdn/vnets/${vnet}/firewall/options`, o);
  createVnetFirewallRule = (vnet: string, r: FirewallRule) =>
    this.call<void>("POST", `/cluster/sdn/vnets/${vnet}/firewall/rules`, { ...r });
  deleteVnetFirewallRule = (vnet: string, pos: number) =>
    this.call<void>("DELETE", `/cluster/sdn/vnets/${vnet}/firewall/rules/${pos}`);
  getGuestFirewall = (g: GuestRef) => this.firewall(`${this.guestBase(g)}/firewall`);
  setGuestFirewallOptions = (g: GuestRef, o: Record<string, string | number>) =>
    this.call<void>("PUT", `${this.guestBase(g)}/firewall/options`, o);
  createGuestFirewallRule = (g: GuestRef, r: FirewallRule) =>
    this.call<void>("POST", `${this.guestBase(g)}/firewall/rules`, { ...r });
  deleteGuestFirewallRule = (g: GuestRef, pos: number) =>
    this.call<void>("DELETE", `${this.guestBase(g)}/firewall/rules/${pos}`);

  async listGuests(): Promise<ObservedGuest[]> {
    const items = await this.call<
      {
        vmid: number;
        node: string;
        type: string;
        name?: string;
        status: string;
        template?: number;
      }[]
    >("GET", "/cluster/resources", { type: "vm" });
    return Promise.all(
      items.map(async (i) => {
        const ref = { node: i.node, vmid: i.vmid, type: i.type as "lxc" | "qemu" };
        const config = await this.call<Record<string, string | number>>(
          "GET",
          `${this.guestBase(ref)}/config`,
        );
        return {
          ...ref,
          name: i.name ?? String(config.name ?? config.hostname ?? ""),
          status: i.status === "running" ? "running" : "stopped",
          template: i.template === 1 || config.template === 1,
          tags: String(config.tags ?? "")
            .split(/[;, ]+/)
            .filter(Boolean),
          config,
        } as ObservedGuest;
      }),
    );
  }

  async cloneGuest(r: CloneRequest): Promise<void> {
    try {
      await this.task("POST", `/nodes/${r.templateNode}/${r.type}/${r.template}/clone`, {
        newid: r.vmid,
        ...(r.templateNode === r.node ? {} : { target: r.node }),
        [r.type === "lxc" ? "hostname" : "name"]: r.name,
        full: r.linked ? 0 : 1,
      });
    } catch (error) {
      if (error instanceof Error && /already exists/.test(error.message))
        throw new AlreadyExistsError(error.message, { cause: error });
      throw error;
    }
  }
  configureGuest = (g: GuestRef, config: Record<string, string | number>) =>
    this.call<void>("PUT", `${this.guestBase(g)}/config`, config);
  async authorizeSshKeys(g: GuestRef, user: string, keys: string[]): Promise<void> {
    // qemu: cloud-init keys through the API, as on real PVE (the test spec uses qemu guests).
    if (g.type === "qemu")
      await this.call("PUT", `${this.guestBase(g)}/config`, {
        ciuser: user,
        sshkeys: encodeURIComponent(keys.join("\n")).replace(/%20/g, "+"),
      });
  }
  async startGuest(g: GuestRef): Promise<void> {
    try {
      await this.task("POST", `${this.guestBase(g)}/status/start`);
    } catch (error) {
      if (!(error instanceof Error && /already running/.test(error.message))) throw error;
    }
  }
  stopGuest = (g: GuestRef) =>
    this.task("POST", `${this.guestBase(g)}/status/stop`).catch((e: Error) => {
      if (!/does not exist|not running/.test(e.message)) throw e;
    });
  destroyGuest = (g: GuestRef) => this.remove(this.guestBase(g), true);
  /**
   * The memory realiser used in this test runs no sshd, so this waits for the API to report the
   * guest running and records the check; SSH readiness belongs to the production adapter.
   */
  async waitForSsh(g: GuestRef, _user: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const st = await this.call<{ status: string }>("GET", `${this.guestBase(g)}/status/current`);
      if (st.status === "running") {
        this.sshChecks.push(g.vmid);
        return;
      }
      if (Date.now() > deadline)
        throw new Error(`guest ${g.vmid} not running after ${timeoutMs} ms`);
      await sleep(100);
    }
  }
  loadLedger = (name: string) => this.ledger.loadLedger(name);
  saveLedger = (name: string, l: { controllers: string[]; zones: string[] }) =>
    this.ledger.saveLedger(name, l);
}

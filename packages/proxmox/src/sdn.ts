import type { ProxmoxClient } from "./client.js";
import { NotFound, SdnReloadFailed, Unsupported } from "./errors.js";
import { failedReloadNodes } from "./mapping.js";
import { RETRY } from "./retry.js";
import { taskLog, type TaskResult, type WaitTaskOptions } from "./tasks.js";
import { parseUpid } from "./upid.js";

type Params = Record<string, unknown>;
/** An SDN object as the API lists it; `state` is set (`new`/`changed`/`deleted`) with `pending`. */
export type SdnObject = Record<string, unknown> & { state?: string };

/** What `pending()` reports: objects whose pending configuration differs from the running one. */
export interface SdnPending {
  zones: SdnObject[];
  vnets: SdnObject[];
  controllers: SdnObject[];
  subnets: SdnObject[];
}

async function missingIsOk(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof NotFound)) throw err;
  }
}

/** Where a caller keeps the SDN lock token across a crash (a file beside its other state). */
export interface SdnLockKeeper {
  load(): Promise<string | undefined>;
  save(token: string | undefined): Promise<void>;
}

/** Thin typed access to `/cluster/sdn`: CRUD of zones, vnets, subnets, controllers; pending; apply. */
export class Sdn {
  /** PVE 9's global SDN lock token while {@link withLock} holds it; sent with every write. */
  private token: string | undefined;

  constructor(private readonly client: ProxmoxClient) {}

  private withToken(params: Params | undefined): Params | undefined {
    return this.token === undefined ? params : { ...params, "lock-token": this.token };
  }
  private list(path: string, pending?: boolean): Promise<SdnObject[]> {
    return this.client.get(path, pending ? { pending: true } : undefined);
  }
  private create(path: string, params: Params): Promise<void> {
    return this.client.request("POST", path, this.withToken(params), RETRY.effect);
  }
  private update(path: string, params: Params): Promise<void> {
    return this.client.request("PUT", path, this.withToken(params), RETRY.effect, {
      alreadyDone: async () => undefined,
    });
  }
  private remove(path: string): Promise<void> {
    return missingIsOk(() =>
      this.client.request("DELETE", path, this.withToken(undefined), RETRY.effect, {
        alreadyDone: async () => undefined,
      }),
    );
  }

  /**
   * Run `fn` holding PVE 9's global SDN lock (`POST /cluster/sdn/lock`, pve-network's
   * `lock_sdn_config`): other writers then get "invalid lock token provided!" instead of mixing
   * their changes into ours. Every write inside carries the token; {@link applySdn} releases it
   * with the commit, and it is released in any case at the end. An API without the lock (PVE
   * before 9) runs `fn` unlocked. A contended cluster lock ("got lock request timeout") is retried.
   */
  async withLock<T>(fn: () => Promise<T>, keep?: SdnLockKeeper): Promise<T> {
    if (this.token !== undefined) return fn();
    // A token kept by a run that crashed while holding the lock: release our own stale lock
    // first (PVE's lock never expires); someone else's lock refuses that, and the POST below
    // then says so.
    const stale = await keep?.load();
    if (stale !== undefined) {
      await this.client
        .request("DELETE", "/cluster/sdn/lock", { "lock-token": stale }, RETRY.effect, {
          alreadyDone: async () => undefined,
        })
        .catch(() => undefined);
      await keep?.save(undefined);
    }
    let token: string;
    try {
      // allow-pending: a crashed earlier apply may have left pending changes we now finish
      token = await this.client.request<string>(
        "POST",
        "/cluster/sdn/lock",
        { "allow-pending": true },
        RETRY.effect,
      );
    } catch (err) {
      if (err instanceof Unsupported) return fn();
      throw err;
    }
    this.token = token;
    try {
      await keep?.save(token);
      return await fn();
    } finally {
      this.token = undefined;
      // After a commit with release-lock the lock is gone; releasing again is harmless then.
      await this.client
        .request("DELETE", "/cluster/sdn/lock", { "lock-token": token }, RETRY.effect, {
          alreadyDone: async () => undefined,
        })
        .catch(() => undefined);
      await keep?.save(undefined).catch(() => undefined);
    }
  }

  zones(options: { pending?: boolean } = {}): Promise<SdnObject[]> {
    return this.list("/cluster/sdn/zones", options.pending);
  }
  zone(zone: string): Promise<SdnObject> {
    return this.client.get(`/cluster/sdn/zones/${zone}`);
  }
  createZone(params: Params & { zone: string; type: string }): Promise<void> {
    return this.create("/cluster/sdn/zones", params);
  }
  updateZone(zone: string, params: Params): Promise<void> {
    return this.update(`/cluster/sdn/zones/${zone}`, params);
  }
  /** Delete a zone; a missing one is success. */
  deleteZone(zone: string): Promise<void> {
    return this.remove(`/cluster/sdn/zones/${zone}`);
  }

  vnets(options: { pending?: boolean } = {}): Promise<SdnObject[]> {
    return this.list("/cluster/sdn/vnets", options.pending);
  }
  vnet(vnet: string): Promise<SdnObject> {
    return this.client.get(`/cluster/sdn/vnets/${vnet}`);
  }
  createVnet(params: Params & { vnet: string; zone: string }): Promise<void> {
    return this.create("/cluster/sdn/vnets", params);
  }
  updateVnet(vnet: string, params: Params): Promise<void> {
    return this.update(`/cluster/sdn/vnets/${vnet}`, params);
  }
  deleteVnet(vnet: string): Promise<void> {
    return this.remove(`/cluster/sdn/vnets/${vnet}`);
  }

  subnets(vnet: string, options: { pending?: boolean } = {}): Promise<SdnObject[]> {
    return this.list(`/cluster/sdn/vnets/${vnet}/subnets`, options.pending);
  }
  /** Create a subnet (`subnet` is a CIDR; PVE stores it as `<zone>-<net>-<mask>`). */
  createSubnet(vnet: string, params: Params & { subnet: string; type?: string }): Promise<void> {
    return this.create(`/cluster/sdn/vnets/${vnet}/subnets`, { type: "subnet", ...params });
  }
  updateSubnet(vnet: string, subnetId: string, params: Params): Promise<void> {
    return this.update(`/cluster/sdn/vnets/${vnet}/subnets/${subnetId}`, params);
  }
  deleteSubnet(vnet: string, subnetId: string): Promise<void> {
    return this.remove(`/cluster/sdn/vnets/${vnet}/subnets/${subnetId}`);
  }

  controllers(options: { pending?: boolean } = {}): Promise<SdnObject[]> {
    return this.list("/cluster/sdn/controllers", options.pending);
  }
  createController(params: Params & { controller: string; type: string }): Promise<void> {
    return this.create("/cluster/sdn/controllers", params);
  }
  updateController(controller: string, params: Params): Promise<void> {
    return this.update(`/cluster/sdn/controllers/${controller}`, params);
  }
  deleteController(controller: string): Promise<void> {
    return this.remove(`/cluster/sdn/controllers/${controller}`);
  }

  /** Objects with pending changes (`state` set), across zones, vnets, their subnets and controllers. */
  async pending(): Promise<SdnPending> {
    const [zones, vnets, controllers] = await Promise.all([
      this.zones({ pending: true }),
      this.vnets({ pending: true }),
      this.controllers({ pending: true }),
    ]);
    const subnets = (
      await Promise.all(
        vnets.map((v) => this.subnets(String(v.vnet), { pending: true }).catch(() => [])),
      )
    ).flat();
    const changed = (xs: SdnObject[]): SdnObject[] =>
      xs.filter((x) => typeof x.state === "string" && x.state !== "");
    return {
      zones: changed(zones),
      vnets: changed(vnets),
      controllers: changed(controllers),
      subnets: changed(subnets),
    };
  }

  /**
   * `GET /nodes/{node}/sdn/zones`: each zone's status on that node: `available` once the node
   * runs the current SDN configuration, `pending` while its reload has not happened (or failed).
   */
  zoneStatus(node: string): Promise<{ zone: string; status: string }[]> {
    return this.client.get(`/nodes/${node}/sdn/zones`);
  }

  /**
   * `PUT /cluster/sdn`: make the pending configuration the running one, and wait for the reload.
   * PVE commits before its `reloadnetworkall` task starts, and the task only warns when a node's
   * reload fails: `WARNINGS: N` here is a {@link SdnReloadFailed} that names the nodes.
   */
  async applySdn(options: Partial<WaitTaskOptions> = {}): Promise<TaskResult> {
    const token = this.token;
    const r = await this.client.effect(
      "PUT",
      "/cluster/sdn",
      token === undefined ? undefined : { "lock-token": token, "release-lock": true },
      {
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        // Applying twice is harmless: the second run reloads the same configuration.
        alreadyDone: async () => undefined,
      },
    );
    if (!/^WARNINGS/.test(r.exitstatus) || r.upid === null) return r;
    const node = parseUpid(r.upid)?.node ?? (await this.client.defaultNode());
    const log = await taskLog(this.client.send, node, r.upid, 200);
    const nodes = failedReloadNodes(log);
    throw new SdnReloadFailed(
      `SDN applied, but the network reload failed on ${nodes.length > 0 ? `node${nodes.length > 1 ? "s" : ""} ${nodes.join(", ")}` : "some node"} (${r.exitstatus}): ${log.filter((l) => /^WARN/.test(l)).join("; ")}`,
      nodes,
      log,
      { context: { upid: r.upid, method: "PUT", path: "/cluster/sdn" } },
    );
  }
}

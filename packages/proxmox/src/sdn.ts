import type { ProxmoxClient } from "./client.js";
import { NotFound } from "./errors.js";
import { RETRY } from "./retry.js";
import type { TaskResult } from "./tasks.js";
import type { WaitTaskOptions } from "./tasks.js";

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

/** Thin typed access to `/cluster/sdn`: CRUD of zones, vnets, subnets, controllers; pending; apply. */
export class Sdn {
  constructor(private readonly client: ProxmoxClient) {}

  private list(path: string, pending?: boolean): Promise<SdnObject[]> {
    return this.client.get(path, pending ? { pending: true } : undefined);
  }
  private create(path: string, params: Params): Promise<void> {
    return this.client.request("POST", path, params, RETRY.effect);
  }
  private update(path: string, params: Params): Promise<void> {
    return this.client.request("PUT", path, params, RETRY.effect, {
      alreadyDone: async () => undefined,
    });
  }
  private remove(path: string): Promise<void> {
    return missingIsOk(() =>
      this.client.request("DELETE", path, undefined, RETRY.effect, {
        alreadyDone: async () => undefined,
      }),
    );
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

  /** `PUT /cluster/sdn`: make the pending configuration the running one, and wait for the reload. */
  applySdn(options: Partial<WaitTaskOptions> = {}): Promise<TaskResult> {
    return this.client.effect("PUT", "/cluster/sdn", undefined, {
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      // Applying twice is harmless: the second run reloads the same configuration.
      alreadyDone: async () => undefined,
    });
  }
}

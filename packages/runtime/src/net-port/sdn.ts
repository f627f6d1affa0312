import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type {
  NetPort,
  SdnController,
  SdnSubnet,
  SdnVnet,
  SdnZone,
  StorageInfo,
  ZoneStatus,
} from "@txbox/net";
import { isSharedStorage, type ProxmoxClient, type StorageDef } from "@txbox/proxmox";
import { create } from "./util.js";

type Params = Record<string, unknown>;

/** The SDN part of the port: objects with their pending state, apply, and PVE 9's SDN lock. */
export type SdnOps = Pick<
  NetPort,
  | "listControllers"
  | "listZones"
  | "listVnets"
  | "listSubnets"
  | "createController"
  | "updateController"
  | "deleteController"
  | "createZone"
  | "updateZone"
  | "deleteZone"
  | "createVnet"
  | "updateVnet"
  | "deleteVnet"
  | "createSubnet"
  | "updateSubnet"
  | "deleteSubnet"
  | "applySdn"
  | "listNodes"
  | "listZoneStatus"
> &
  Required<Pick<NetPort, "listStorages" | "withSdnLock">>;

export function sdnOps(client: ProxmoxClient, stateDir: string): SdnOps {
  const sdn = client.sdn;
  // The planner reads what PVE would apply next, so every listing asks for the pending state.
  const pending = { pending: true };
  return {
    listControllers: async () => (await sdn.controllers(pending)) as SdnController[],
    listZones: async () => (await sdn.zones(pending)) as SdnZone[],
    listVnets: async () => (await sdn.vnets(pending)) as SdnVnet[],
    listSubnets: async (vnet) => (await sdn.subnets(vnet, pending)) as SdnSubnet[],
    createController: (p) =>
      create(() => sdn.createController(p as Params & { controller: string; type: string })),
    updateController: (id, p) => sdn.updateController(id, p),
    deleteController: (id) => sdn.deleteController(id),
    createZone: (p) => create(() => sdn.createZone(p as Params & { zone: string; type: string })),
    updateZone: (id, p) => sdn.updateZone(id, p),
    deleteZone: (id) => sdn.deleteZone(id),
    createVnet: (p) => create(() => sdn.createVnet(p as Params & { vnet: string; zone: string })),
    updateVnet: (id, p) => sdn.updateVnet(id, p),
    deleteVnet: (id) => sdn.deleteVnet(id),
    createSubnet: (vnet, p) =>
      create(() => sdn.createSubnet(vnet, p as Params & { subnet: string })),
    updateSubnet: (vnet, id, p) => sdn.updateSubnet(vnet, id, p),
    deleteSubnet: (vnet, id) => sdn.deleteSubnet(vnet, id),
    applySdn: async (opts = {}) => {
      await sdn.applySdn(opts.signal ? { signal: opts.signal } : {});
    },
    listNodes: async () => {
      const nodes = await client.get<{ node: string }[]>("/nodes");
      return nodes.map((n) => n.node).sort();
    },
    listZoneStatus: async (nodes) => {
      const per = await Promise.all(
        nodes.map(async (node): Promise<ZoneStatus[]> =>
          (await sdn.zoneStatus(node)).map((z) => ({ node, zone: z.zone, status: z.status })),
        ),
      );
      return per.flat();
    },
    listStorages: () => listStorages(client),
    withSdnLock: (fn) => withSdnLock(client, stateDir, fn),
  };
}

/** `GET /storage`, with PVE's shared-storage rule applied (`isSharedStorage`). */
async function listStorages(client: ProxmoxClient): Promise<StorageInfo[]> {
  const defs = await client.get<StorageDef[]>("/storage");
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
function withSdnLock<T>(client: ProxmoxClient, stateDir: string, fn: () => Promise<T>): Promise<T> {
  const file = join(stateDir, "sdn-lock.json");
  return client.sdn.withLock(fn, {
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
      await mkdir(stateDir, { recursive: true });
      await writeFile(`${file}.tmp`, `${JSON.stringify({ token })}\n`, { mode: 0o600 });
      await rename(`${file}.tmp`, file);
    },
  });
}

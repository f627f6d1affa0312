import type { Cluster } from "./api/cluster.js";
import { ApiError } from "./api/errors.js";
import type { FaultControl } from "./fault-control.js";
import type { Realiser } from "./realise/types.js";
import type { HttpDeps } from "./server.js";

/** What the testbed's own routes (`/testbed/…`, outside PVE's API) reach. */
export interface TestbedRouteContext {
  cluster: () => Cluster;
  realiser: Realiser;
  faults: FaultControl;
  nodes: string[];
  fingerprint: string;
  operatorKey: string | null;
  /** Restart the API server after answering (`/testbed/restart`). */
  restart: (downMs: number) => void;
}

type Route = HttpDeps["testbedRoute"];

/** The testbed's control routes; undefined = not one of them (PVE's API answers instead). */
export function testbedRoutes(ctx: TestbedRouteContext): Route {
  return async (method, path, body, query) => {
    if (path === "/testbed/faults" && method === "GET") return ctx.faults.get();
    if (path === "/testbed/faults" && method === "PUT") return ctx.faults.set(body ?? {});
    if (path === "/testbed/faults" && method === "DELETE") return ctx.faults.clear();
    if (path === "/testbed/restart" && method === "POST") {
      const downMs = Number(
        query.get("downMs") ?? (body as { downMs?: number } | undefined)?.downMs ?? 0,
      );
      // Answer first, then go down
      setTimeout(() => ctx.restart(downMs), 50);
      return { restarting: 1, downMs };
    }
    if (path === "/testbed/guests" && method === "GET") return listGuests(ctx);
    // A snapshot made on the storage outside PVE (`zfs snapshot`): PVE does not list it, yet the
    // storage counts it when it decides whether a rollback is possible.
    const foreign = /^\/testbed\/guests\/(\d+)\/volume-snapshot$/.exec(path);
    if (foreign !== null && method === "POST") {
      const cluster = ctx.cluster();
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
        node: ctx.cluster().defaultNode,
        nodes: ctx.nodes,
        fingerprint: ctx.fingerprint,
        operatorKey: ctx.operatorKey,
      };
    return undefined;
  };
}

/** Every guest with its run state, management address and host key fingerprints, by vmid. */
async function listGuests(ctx: TestbedRouteContext): Promise<Record<string, unknown>[]> {
  const { realiser } = ctx;
  const out: Record<string, unknown>[] = [];
  for (const g of ctx.cluster().guests.byId.values()) {
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

import type { GuestRecord, Guests } from "./guests.js";
import { flag, num, str, type Request, type Routes } from "./context.js";
import { paramError } from "./errors.js";

/** The routes of `/nodes/{node}/{qemu,lxc}/...`: parameters in, the Guests modules' answers out. */
export function guestRoutes(gs: Guests): Routes {
  const r: Routes = {};
  for (const type of ["qemu", "lxc"] as const) {
    const base = `/nodes/{node}/${type}`;
    const guest = (req: Request): GuestRecord =>
      gs.get(type, req.params.node as string, req.params.vmid as number);
    r[`GET ${base}`] = async (req) => {
      gs.checkNode(req.params.node as string);
      const list = [...gs.byId.values()].filter(
        (g) => g.type === type && g.node === req.params.node,
      );
      return Promise.all(list.map((g) => gs.listItem(g)));
    };
    r[`POST ${base}`] = (req) => {
      gs.checkNode(req.params.node as string);
      return gs.cloner.create(type, req.params.node as string, req.params, req.caller);
    };
    r[`DELETE ${base}/{vmid}`] = (req) =>
      gs.destroy(guest(req), req.caller, flag(req.params, "skiplock"));
    r[`GET ${base}/{vmid}/config`] = (req) => {
      const g = guest(req);
      const snapname = str(req.params, "snapshot");
      if (snapname !== undefined) {
        const s = gs.snaps.get(g, snapname);
        return {
          ...s.config,
          snaptime: s.snaptime,
          ...(s.parent === undefined ? {} : { parent: s.parent }),
          digest: gs.digest(g),
        };
      }
      return gs.configView(g, g.config);
    };
    r[`PUT ${base}/{vmid}/config`] = async (req) => {
      await gs.updateConfig(guest(req), req.params);
      return null;
    };
    if (type === "qemu")
      r[`POST ${base}/{vmid}/config`] = (req) => {
        const g = guest(req);
        return gs.startTask(g, "config", req.caller, () => gs.updateConfig(g, req.params));
      };
    r[`GET ${base}/{vmid}/status/current`] = (req) => gs.statusCurrent(guest(req));
    r[`POST ${base}/{vmid}/status/start`] = (req) =>
      gs.start(guest(req), req.caller, flag(req.params, "skiplock"));
    r[`POST ${base}/{vmid}/status/stop`] = (req) =>
      gs.stop(guest(req), req.caller, {
        graceful: false,
        timeoutMs: 0,
        skiplock: flag(req.params, "skiplock"),
      });
    r[`POST ${base}/{vmid}/status/shutdown`] = (req) =>
      gs.stop(guest(req), req.caller, {
        graceful: true,
        timeoutMs: (num(req.params, "timeout") ?? 60) * 1000,
        skiplock: false,
      });
    r[`POST ${base}/{vmid}/clone`] = (req) => gs.cloner.clone(guest(req), req.params, req.caller);
    r[`POST ${base}/{vmid}/migrate`] = (req) =>
      gs.migrator.migrate(guest(req), req.params, req.caller);
    r[`POST ${base}/{vmid}/template`] = async (req) => {
      const g = guest(req);
      if (type === "lxc") {
        await gs.template(g);
        return null;
      }
      gs.checkLock(g);
      return gs.startTask(g, "template", req.caller, () => gs.template(g));
    };
    snapshotRoutes(r, gs, base, guest);
  }
  // PVE: `raise_param_exc({ skiplock => "Only root may use this option." }) if $skiplock &&
  // $authuser ne 'root@pam'` — an API token's identity is `user@realm!id`, so no token qualifies.
  for (const [key, handler] of Object.entries(r)) {
    r[key] = (req) => {
      if (flag(req.params, "skiplock") && (req.caller.user !== "root@pam" || req.caller.tokenid))
        throw paramError({ skiplock: "Only root may use this option." });
      return handler(req);
    };
  }
  return r;
}

/** A guest's snapshots: list, create, read, describe, roll back, delete (PVE's API2 Snapshot.pm). */
function snapshotRoutes(
  r: Routes,
  gs: Guests,
  base: string,
  guest: (req: Request) => GuestRecord,
): void {
  r[`GET ${base}/{vmid}/snapshot`] = async (req) => {
    const g = guest(req);
    return gs.snaps.list(g, await gs.running(g.vmid));
  };
  r[`POST ${base}/{vmid}/snapshot`] = (req) => gs.snaps.create(guest(req), req.params, req.caller);
  r[`GET ${base}/{vmid}/snapshot/{snapname}`] = (req) => {
    gs.snaps.get(guest(req), req.params.snapname as string);
    return [{ cmd: "rollback" }, { cmd: "config" }];
  };
  r[`GET ${base}/{vmid}/snapshot/{snapname}/config`] = (req) => {
    const g = guest(req);
    const s = gs.snaps.get(g, req.params.snapname as string);
    return {
      ...s.config,
      snaptime: s.snaptime,
      description: s.description,
      ...(s.parent === undefined ? {} : { parent: s.parent }),
      ...(s.vmstate === undefined ? {} : { vmstate: s.vmstate }),
      ...(s.snapstate === undefined ? {} : { snapstate: s.snapstate }),
    };
  };
  r[`PUT ${base}/{vmid}/snapshot/{snapname}/config`] = async (req) => {
    await gs.snaps.update(
      guest(req),
      req.params.snapname as string,
      str(req.params, "description"),
    );
    return null;
  };
  r[`POST ${base}/{vmid}/snapshot/{snapname}/rollback`] = (req) =>
    gs.snaps.rollback(
      guest(req),
      req.params.snapname as string,
      flag(req.params, "start"),
      req.caller,
    );
  r[`DELETE ${base}/{vmid}/snapshot/{snapname}`] = (req) =>
    gs.snaps.remove(
      guest(req),
      req.params.snapname as string,
      flag(req.params, "force"),
      req.caller,
    );
}

import { cpus, totalmem, freemem, loadavg, uptime as osUptime, release } from "node:os";
import type { TestbedConfig } from "../config.js";
import type { Realiser } from "../realise/types.js";
import { Access } from "./access.js";
import { Auth } from "./auth.js";
import { authidOf, flag, num, str, Reply, type Routes } from "./context.js";
import { ApiError, paramError } from "./errors.js";
import { Firewall } from "./firewall.js";
import { Guests } from "./guests.js";
import { Ha } from "./ha.js";
import { ConfigLocks } from "./locks.js";
import { Sdn } from "./sdn.js";
import { enabledOn, isShared } from "./storage.js";
import type { Store } from "./store.js";
import { parseUpid, TaskManager, type TaskRecord } from "./tasks.js";
import type { Faults } from "../config.js";

export const PVE_VERSION = { version: "9.1.1", release: "9.1", repoid: "42ab4aee" };

/** What the cluster needs from its host process. */
export interface ClusterDeps {
  config: TestbedConfig;
  store: Store;
  realiser: Realiser;
  faults: () => Faults;
  /** SHA-256 fingerprint of the API certificate (shown in `/nodes`). */
  fingerprint: string;
  authorizedKeys: () => string[];
}

/**
 * The whole simulated cluster: state (loaded from the store), tasks, locks, and every API route.
 * Constructing it again from the same store is what a restart does.
 */
export class Cluster {
  readonly tasks: TaskManager;
  readonly locks: ConfigLocks;
  readonly guests: Guests;
  readonly sdn: Sdn;
  readonly firewall: Firewall;
  readonly ha: Ha;
  readonly auth: Auth;
  readonly access: Access;
  readonly routes: Routes;
  readonly defaultNode: string;

  constructor(private readonly d: ClusterDeps) {
    const cfg = d.config;
    this.defaultNode = cfg.nodes[0]!;
    this.auth = new Auth(d.store, cfg, cfg.api.ticketLifetimeS);
    this.access = new Access(cfg);
    this.tasks = new TaskManager(d.store, () => d.faults());
    this.locks = new ConfigLocks(() => cfg.api.lockTimeoutMs);
    this.guests = new Guests({
      store: d.store,
      realiser: d.realiser,
      tasks: this.tasks,
      locks: this.locks,
      storages: cfg.storages,
      nodes: cfg.nodes,
      authorizedKeys: d.authorizedKeys,
      realiseFault: (op) => this.realiseFault(op),
      lateLockHolds: () => d.faults().lateLockHolds,
      configChanged: () => this.firewall.realise(),
    });
    this.firewall = new Firewall({
      store: d.store,
      checkGuest: (type, node, vmid) => void this.guests.get(type, node, vmid),
      checkVnet: (vnet) => this.sdn.checkVnet(vnet),
      checkNode: (node) => this.checkNode(node),
      nodes: () => cfg.nodes,
      guestNics: (type, vmid) => this.guests.firewallNics(type, vmid),
      realise: async (fw) => {
        if (d.realiser.applyFirewall !== undefined) await d.realiser.applyFirewall(fw);
      },
    });
    this.sdn = new Sdn(
      d.store,
      this.tasks,
      d.realiser,
      () => this.defaultNode,
      () => this.firewall.realisable(),
      () => cfg.nodes,
      () => d.faults(),
    );
    this.ha = new Ha(d.store, this.guests, cfg.api.haIntervalMs);
    this.guests.haResource = (vmid) => this.ha.resourceOf(vmid);
    this.routes = {
      ...this.ha.routes(),
      ...this.miscRoutes(),
      ...this.accessRoutes(),
      ...this.guests.routes(),
      ...this.sdn.routes(),
      ...this.firewall.routes(),
    };
  }

  /** Fault injection: a `taskFailures` entry whose type is `realise:<op>` fails that realiser call. */
  private async realiseFault(op: string): Promise<void> {
    const latency = this.d.faults().realiseLatencyMs;
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    const f = this.d.faults().taskFailures.find((x) => x.type === `realise:${op}` && x.count > 0);
    if (f === undefined) return;
    f.count--;
    throw new Error(f.error);
  }

  private checkNode(node: string): void {
    this.guests.checkNode(node);
  }

  private async nodeItem(node: string): Promise<Record<string, unknown>> {
    return {
      node,
      id: `node/${node}`,
      type: "node",
      status: "online",
      cpu: Math.min(1, loadavg()[0]! / Math.max(1, cpus().length)),
      maxcpu: cpus().length,
      mem: totalmem() - freemem(),
      maxmem: totalmem(),
      uptime: Math.floor(osUptime()),
      level: "",
      ssl_fingerprint: this.d.fingerprint,
    };
  }

  private taskItem(t: TaskRecord): Record<string, unknown> {
    return {
      upid: t.upid,
      node: t.node,
      pid: t.pid,
      pstart: t.pstart,
      starttime: t.starttime,
      type: t.type,
      id: t.id,
      user: t.tokenid === undefined ? t.user : `${t.user}!${t.tokenid}`,
      ...(t.status === "stopped" ? { status: t.exitstatus ?? "unknown", endtime: t.endtime } : {}),
    };
  }

  private task(node: string, upid: string): TaskRecord {
    this.checkNode(node);
    const parsed = parseUpid(upid);
    if (parsed === undefined) throw paramError({ upid: "unable to parse worker upid" });
    const t = this.tasks.get(upid);
    // pve-manager API2/Tasks.pm: `raise_param_exc({ upid => "no such task" }) if ! -f $filename`
    if (t === undefined || parsed.node !== node) throw paramError({ upid: "no such task" });
    return t;
  }

  /** pve-access-control's API2/AccessControl.pm `permissions`, API2/User.pm `read_token`; HA list. */
  private accessRoutes(): Routes {
    const r: Routes = {};
    r["GET /access/permissions"] = (req) => {
      const authid = authidOf(req.caller);
      const userid = str(req.params, "userid") ?? authid;
      const owner = userid.split("!")[0];
      // each user/token may read its own; a user its tokens'; others need Sys.Audit on /access
      if (userid !== authid && owner !== authid)
        this.access.check(authid, "/access", ["Sys.Audit"], false);
      const path = str(req.params, "path");
      if (path !== undefined) return { [path]: this.access.permissions(userid, path) };
      return this.access.effective(userid);
    };
    r["GET /access/users/{userid}/token/{tokenid}"] = (req) => {
      const userid = req.params.userid as string;
      const tokenid = req.params.tokenid as string;
      const info = this.access.token(userid, tokenid);
      if (info === undefined)
        throw new ApiError(500, `no such token '${tokenid}' for user '${userid}'`);
      return { privsep: info.privsep ? 1 : 0, expire: info.expire };
    };
    return r;
  }

  private miscRoutes(): Routes {
    return {
      ...this.versionRoutes(),
      ...this.nodeRoutes(),
      ...this.clusterRoutes(),
      ...this.storageRoutes(),
      ...this.taskRoutes(),
    };
  }

  /**
   * The API version (pve-manager PVE/API2.pm `version`) and login (pve-access-control
   * API2/AccessControl.pm `create_ticket`).
   */
  private versionRoutes(): Routes {
    const r: Routes = {};
    r["GET /version"] = () => ({ ...PVE_VERSION, console: "xtermjs" });
    r["POST /access/ticket"] = (req) =>
      this.auth.login(
        req.params.username as string,
        req.params.password as string,
        str(req.params, "realm"),
      );
    return r;
  }

  /** The node list and a node's status (pve-manager API2/Nodes.pm). */
  private nodeRoutes(): Routes {
    const r: Routes = {};
    r["GET /nodes"] = () => Promise.all(this.d.config.nodes.map((n) => this.nodeItem(n)));
    r["GET /nodes/{node}/status"] = (req) => {
      this.checkNode(req.params.node as string);
      const mem = {
        total: totalmem(),
        used: totalmem() - freemem(),
        free: freemem(),
        available: freemem(),
      };
      return {
        "boot-info": { mode: "legacy-bios" },
        cpu: Math.min(1, loadavg()[0]! / Math.max(1, cpus().length)),
        cpuinfo: {
          cores: cpus().length,
          cpus: cpus().length,
          model: cpus()[0]?.model ?? "unknown",
          sockets: 1,
          mhz: String(cpus()[0]?.speed ?? 0),
          hvm: "1",
          flags: "",
          user_hz: 100,
        },
        "current-kernel": {
          sysname: "Linux",
          release: release(),
          version: release(),
          machine: process.arch === "x64" ? "x86_64" : process.arch,
        },
        kversion: `Linux ${release()}`,
        loadavg: loadavg().map((l) => l.toFixed(2)),
        memory: mem,
        swap: { total: 0, used: 0, free: 0 },
        pveversion: `pve-manager/${PVE_VERSION.version}/${PVE_VERSION.repoid}`,
        rootfs: { total: 0, used: 0, free: 0, avail: 0 },
        uptime: Math.floor(osUptime()),
        idle: 0,
        wait: 0,
        ksm: { shared: 0 },
      };
    };
    return r;
  }

  /** Cluster status, the next free id, resources (pve-manager API2/Cluster.pm). */
  private clusterRoutes(): Routes {
    const r: Routes = {};
    r["GET /cluster/status"] = () => [
      {
        type: "cluster",
        id: "cluster",
        name: this.d.config.clusterName,
        nodes: this.d.config.nodes.length,
        quorate: 1,
        version: 1,
      },
      ...this.d.config.nodes.map((n, i) => ({
        type: "node",
        id: `node/${n}`,
        name: n,
        nodeid: i + 1,
        ip: this.d.config.api.host,
        local: i === 0 ? 1 : 0,
        online: 1,
        level: "",
      })),
    ];
    r["GET /cluster/nextid"] = (req) => {
      const want = num(req.params, "vmid");
      if (want !== undefined) {
        if (this.guests.byId.has(want)) throw paramError({ vmid: `VM ${want} already exists` });
        return want;
      }
      let id = 100;
      while (this.guests.byId.has(id)) id++;
      return id;
    };
    // pve-manager API2/Cluster.pm `resources`: guests without VM.Audit and storages without
    // Datastore.Audit are left out of the list, not refused
    r["GET /cluster/resources"] = async (req) => {
      const type = str(req.params, "type");
      const who = authidOf(req.caller);
      const out: Record<string, unknown>[] = [];
      if (type === undefined || type === "node")
        for (const n of this.d.config.nodes) out.push(await this.nodeItem(n));
      if (type === undefined || type === "vm")
        for (const g of this.guests.byId.values()) {
          if (!this.access.hasAny(who, `/vms/${g.vmid}`, ["VM.Audit"])) continue;
          const item = await this.guests.listItem(g);
          out.push({
            ...item,
            id: `${g.type}/${g.vmid}`,
            type: g.type,
            node: g.node,
            maxcpu: item.cpus,
            template: this.guests.isTemplate(g) ? 1 : 0,
          });
        }
      if (type === undefined || type === "storage")
        for (const n of this.d.config.nodes)
          for (const s of this.d.config.storages) {
            if (!this.access.hasAny(who, `/storage/${s.id}`, ["Datastore.Audit"])) continue;
            const u = await this.d.realiser.storageUsage(s.id);
            out.push({
              id: `storage/${n}/${s.id}`,
              type: "storage",
              storage: s.id,
              node: n,
              plugintype: s.type,
              content: s.content.join(","),
              shared: isShared(s) ? 1 : 0,
              status: enabledOn(s, n) ? "available" : "unknown",
              disk: u.used,
              maxdisk: u.total,
            });
          }
      if (type === "sdn")
        for (const n of this.d.config.nodes)
          for (const z of Object.keys(this.sdn.running.zones))
            out.push({ id: `sdn/${n}/${z}`, type: "sdn", sdn: z, node: n, status: "ok" });
      return out;
    };
    // pve-storage API2/Storage/Config.pm `index`: only storages with Datastore.Audit or
    // Datastore.AllocateSpace are listed
    return r;
  }

  /** Storage configuration and a node's storages (pve-storage API2/Storage/Config.pm, Status.pm). */
  private storageRoutes(): Routes {
    const r: Routes = {};
    r["GET /storage"] = (req) =>
      this.d.config.storages
        .filter((s) => str(req.params, "type") === undefined || s.type === req.params.type)
        .filter((s) =>
          this.access.hasAny(authidOf(req.caller), `/storage/${s.id}`, [
            "Datastore.Audit",
            "Datastore.AllocateSpace",
          ]),
        )
        .map((s) => ({
          storage: s.id,
          type: s.type,
          content: s.content.join(","),
          ...(isShared(s) ? { shared: 1 } : {}),
          ...(s.nodes === undefined ? {} : { nodes: s.nodes.join(",") }),
          ...(s["snapshot-as-volume-chain"] ? { "snapshot-as-volume-chain": 1 } : {}),
          digest: "0".repeat(40),
        }));
    r["GET /nodes/{node}/storage"] = async (req) => {
      this.checkNode(req.params.node as string);
      const out: Record<string, unknown>[] = [];
      for (const s of this.d.config.storages) {
        if (str(req.params, "storage") !== undefined && s.id !== req.params.storage) continue;
        const content = str(req.params, "content");
        if (
          content !== undefined &&
          !content.split(",").some((c) => s.content.includes(c as never))
        )
          continue;
        const u = await this.d.realiser.storageUsage(s.id);
        out.push({
          storage: s.id,
          type: s.type,
          content: s.content.join(","),
          active: u.active ? 1 : 0,
          enabled: enabledOn(s, req.params.node as string) ? 1 : 0,
          shared: isShared(s) ? 1 : 0,
          total: u.total,
          used: u.used,
          avail: u.avail,
          used_fraction: u.total === 0 ? 0 : u.used / u.total,
        });
      }
      return out;
    };
    return r;
  }

  /** A node's tasks: list, status, log, stop (pve-manager API2/Tasks.pm). */
  private taskRoutes(): Routes {
    const r: Routes = {};
    r["GET /nodes/{node}/tasks"] = (req) => {
      const node = req.params.node as string;
      this.checkNode(node);
      const p = req.params;
      const source = str(p, "source") ?? "archive";
      let list = this.tasks
        .list()
        .filter((t) => t.node === node)
        .filter((t) =>
          source === "active"
            ? t.status === "running"
            : source === "archive"
              ? t.status === "stopped"
              : true,
        )
        .filter((t) => num(p, "vmid") === undefined || t.id === String(p.vmid))
        .filter((t) => str(p, "typefilter") === undefined || t.type === p.typefilter)
        .filter(
          (t) => str(p, "userfilter") === undefined || t.user.includes(p.userfilter as string),
        )
        .filter((t) => !flag(p, "errors") || (t.exitstatus !== undefined && t.exitstatus !== "OK"))
        .filter((t) => num(p, "since") === undefined || t.starttime >= (p.since as number))
        .filter((t) => num(p, "until") === undefined || t.starttime <= (p.until as number));
      list = list.sort((a, b) => b.starttime - a.starttime || b.pid - a.pid);
      const start = num(p, "start") ?? 0;
      const limit = num(p, "limit") ?? 50;
      const page = list.slice(start, start + limit).map((t) => this.taskItem(t));
      return new Reply(page, { total: list.length });
    };
    r["GET /nodes/{node}/tasks/{upid}"] = (req) => {
      this.task(req.params.node as string, req.params.upid as string);
      return [{ name: "log" }, { name: "status" }];
    };
    r["GET /nodes/{node}/tasks/{upid}/status"] = (req) => {
      const t = this.task(req.params.node as string, req.params.upid as string);
      return {
        upid: t.upid,
        node: t.node,
        pid: t.pid,
        pstart: t.pstart,
        starttime: t.starttime,
        type: t.type,
        id: t.id,
        user: t.user,
        ...(t.tokenid === undefined ? {} : { tokenid: t.tokenid }),
        status: t.status,
        ...(t.exitstatus === undefined ? {} : { exitstatus: t.exitstatus }),
      };
    };
    r["GET /nodes/{node}/tasks/{upid}/log"] = (req) => {
      const t = this.task(req.params.node as string, req.params.upid as string);
      const start = num(req.params, "start") ?? 0;
      const limit = num(req.params, "limit") ?? 50;
      const lines = t.log.length === 0 && t.status === "running" ? ["no content"] : t.log;
      const page = lines
        .slice(start, start + limit)
        .map((text, i) => ({ n: start + i + 1, t: text }));
      return new Reply(page, { total: lines.length });
    };
    r["DELETE /nodes/{node}/tasks/{upid}"] = (req) => {
      const t = this.task(req.params.node as string, req.params.upid as string);
      if (t.status === "running") this.tasks.stop(t.upid);
      return null;
    };
    return r;
  }

  /** Throw a 500 for a handler that exists in the schema but not in the testbed. */
  static notImplemented(method: string, path: string): ApiError {
    return new ApiError(501, `Method '${method} ${path}' not implemented`);
  }
}

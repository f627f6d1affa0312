import { isIP } from "node:net";
import { createHash, randomUUID } from "node:crypto";
import type { Faults } from "../config.js";
import type { Realiser, RunningSdnConfig } from "../realise/types.js";
import { flag, num, str, type Request, type Routes } from "./context.js";
import { fail } from "./errors.js";
import type { Store } from "./store.js";
import type { TaskManager } from "./tasks.js";

type Obj = Record<string, unknown>;
type Kind = "zones" | "vnets" | "subnets" | "controllers";
const NOUN: Record<Kind, string> = {
  zones: "zone",
  vnets: "vnet",
  subnets: "subnet",
  controllers: "controller",
};
/** Keys that identify an object rather than configure it (never shown as pending changes). */
const ID_KEYS = new Set([
  "type",
  "zone",
  "vnet",
  "subnet",
  "controller",
  "digest",
  "state",
  "pending",
]);

/** SDN objects by id, per kind (the content of PVE's `/etc/pve/sdn/*.cfg`). */
export interface SdnObjects {
  zones: Record<string, Obj>;
  vnets: Record<string, Obj>;
  subnets: Record<string, Obj>;
  controllers: Record<string, Obj>;
}

interface SdnState {
  /** The edited configuration (PVE's `/etc/pve/sdn/*.cfg`). */
  config: SdnObjects;
  /** The applied configuration (PVE's `.running-config`). */
  running: SdnObjects;
  /** PVE 9's global SDN lock (`/etc/pve/sdn/.lock`): the token `POST /cluster/sdn/lock` handed out. */
  lockToken?: string;
  /** Version of the running configuration (PVE's `.running-config` version). */
  version?: number;
  /** Per node, the version its network was last realised from (PVE's `#version:` line). */
  realised?: Record<string, number>;
}

/** Where PVE's `die "invalid lock token provided!"` (no newline) says it died. */
const TOKEN_DIE_AT = " at /usr/share/perl5/PVE/Network/SDN.pm line 291.";

const formatError = (err: unknown): string =>
  err instanceof Error ? err.message.trim() : String(err);

const empty = (): SdnObjects => ({ zones: {}, vnets: {}, subnets: {}, controllers: {} });
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function ipToBigInt(ip: string): bigint {
  if (isIP(ip) === 4) return ip.split(".").reduce((a, o) => (a << 8n) + BigInt(Number(o)), 0n);
  const [head = "", tail = ""] = ip.split("::");
  const h = head === "" ? [] : head.split(":");
  const t = tail === "" ? [] : tail.split(":");
  const parts = ip.includes("::")
    ? [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t]
    : h;
  return parts.reduce((a, p) => (a << 16n) + BigInt(parseInt(p, 16)), 0n);
}

/** Whether `ip` lies inside `cidr`. */
export function inSubnet(ip: string, cidr: string): boolean {
  const [net = "", maskStr = "0"] = cidr.split("/");
  const fam = isIP(net);
  if (fam === 0 || isIP(ip) !== fam) return false;
  const bits = fam === 4 ? 32n : 128n;
  const mask = BigInt(Number(maskStr));
  const shift = bits - mask;
  return ipToBigInt(ip) >> shift === ipToBigInt(net) >> shift;
}

/**
 * SDN configuration: zones, vnets, subnets, controllers with PVE's pending/running split. Writes
 * change the edited config; `PUT /cluster/sdn` applies it in a `reloadnetworkall` task that calls
 * the optional `Realiser.applySdn`.
 */
export class Sdn {
  private state: SdnState;

  constructor(
    private readonly store: Store,
    private readonly tasks: TaskManager,
    private readonly realiser: Realiser,
    private readonly node: () => string,
    /** Vnet firewalls and the cluster's firewall switches, handed to the realiser. */
    private readonly firewall: () => Pick<
      RunningSdnConfig,
      "vnetFirewalls" | "firewall" | "firewallConfig"
    >,
    /** Cluster nodes (each reloads its network in `reloadnetworkall`) and fault injection. */
    private readonly nodes: () => string[] = () => [node()],
    private readonly faults: () => Pick<Faults, "sdnReloadFailures" | "sdnLockTimeouts"> = () => ({
      sdnReloadFailures: [],
      sdnLockTimeouts: 0,
    }),
  ) {
    this.state = store.read<SdnState>("sdn.json") ?? { config: empty(), running: empty() };
  }

  private save(): void {
    this.store.write("sdn.json", this.state);
  }

  /** Whether the edited config differs from the running one (`has_pending_changes`). */
  private hasPending(): boolean {
    return JSON.stringify(this.state.config) !== JSON.stringify(this.state.running);
  }

  /** Throws PVE's error when the vnet exists neither in the edited nor the running config. */
  checkVnet(vnet: string): void {
    if (this.state.config.vnets[vnet] === undefined && this.state.running.vnets[vnet] === undefined)
      throw fail(`sdn vnet '${vnet}' does not exist`);
  }

  get running(): SdnObjects {
    return this.state.running;
  }

  private digest(): string {
    return createHash("sha1").update(JSON.stringify(this.state.config)).digest("hex");
  }

  /** List with PVE's `pending=1` / `running=1` views. */
  private list(kind: Kind, req: Request, filter: (o: Obj) => boolean = () => true): Obj[] {
    const idKey = NOUN[kind];
    const withId = (id: string, o: Obj): Obj => ({ ...o, [idKey]: id });
    const cfg = this.state.config[kind];
    const run = this.state.running[kind];
    if (flag(req.params, "running"))
      return Object.entries(run)
        .map(([id, o]) => withId(id, o))
        .filter(filter);
    if (!flag(req.params, "pending"))
      return Object.entries(cfg)
        .map(([id, o]) => withId(id, o))
        .filter(filter);
    const out: Obj[] = [];
    for (const [id, r] of Object.entries(run)) {
      const c = cfg[id];
      const item: Obj = withId(id, r);
      if (c === undefined) item.state = "deleted";
      else {
        const pending: Obj = {};
        for (const [k, v] of Object.entries(c))
          if (!ID_KEYS.has(k) && JSON.stringify(r[k]) !== JSON.stringify(v)) pending[k] = v;
        for (const k of Object.keys(r)) if (!ID_KEYS.has(k) && !(k in c)) pending[k] = null;
        if (Object.keys(pending).length > 0) {
          item.state = "changed";
          item.pending = pending;
        }
      }
      out.push(item);
    }
    for (const [id, c] of Object.entries(cfg)) {
      if (run[id] !== undefined) continue;
      const item: Obj = { [idKey]: id, state: "new", pending: {} };
      for (const [k, v] of Object.entries(c)) {
        if (ID_KEYS.has(k)) item[k] = v;
        else (item.pending as Obj)[k] = v;
      }
      out.push(item);
    }
    return out.filter((o) => filter({ ...o, ...((o.pending as Obj | undefined) ?? {}) }));
  }

  private params(req: Request, skip: string[]): Obj {
    const out: Obj = {};
    for (const [k, v] of Object.entries(req.params))
      if (!skip.includes(k) && !["digest", "delete", "lock-token"].includes(k)) out[k] = v;
    return out;
  }

  private checkDigest(req: Request): void {
    const d = str(req.params, "digest");
    if (d !== undefined && d !== this.digest())
      throw fail("detected modified configuration - file changed by other user? Try again.");
  }

  /**
   * PVE's `lock_sdn_config($code, $errmsg, $lock_token)` (pve-network PVE/Network/SDN.pm): take the
   * cluster-wide `domain-sdn` cfs lock (`cfs_lock` in pve-cluster: "cfs-lock 'domain-sdn' error:
   * got lock request timeout" when another writer holds it), then refuse unless the caller's
   * `lock-token` matches the global lock, when one is set; errors come back as `<errmsg>: <err>`.
   */
  private lockSdn<T>(errmsg: string, token: string | undefined, fn: () => T): T {
    try {
      const f = this.faults();
      if (f.sdnLockTimeouts > 0) {
        f.sdnLockTimeouts--;
        throw new Error("cfs-lock 'domain-sdn' error: got lock request timeout");
      }
      const held = this.state.lockToken;
      if (held !== undefined && token !== held)
        throw new Error(`invalid lock token provided!${TOKEN_DIE_AT}`);
      return fn();
    } catch (err) {
      throw fail(`${errmsg}: ${formatError(err)}`);
    }
  }

  /** Run a write with PVE's `<verb> sdn <noun> object failed: <msg>` wrapping, under the SDN lock. */
  private write(verb: string, kind: Kind, fn: () => void, req?: Request): null {
    this.lockSdn(
      `${verb} sdn ${NOUN[kind]} object failed`,
      req === undefined ? undefined : str(req.params, "lock-token"),
      fn,
    );
    this.save();
    return null;
  }

  private validate(kind: Kind, id: string, o: Obj): void {
    const c = this.state.config;
    if (kind === "zones") {
      // VxlanPlugin::on_update_hook: exactly one of `peers` / `fabric` (a raise_param_exc that
      // lock_sdn_config stringifies into its 500 message)
      if (o.type === "vxlan" && (o.peers === undefined) === (o.fabric === undefined))
        throw new Error(
          "400 Parameter verification failed.\n" +
            "fabric: must have exactly one of peers / fabric defined\n" +
            "peers: must have exactly one of peers / fabric defined",
        );
      if (o.type === "evpn") {
        if (o.controller === undefined) throw new Error("missing controller");
        if (o["vrf-vxlan"] === undefined) throw new Error("missing vrf-vxlan");
        if (c.controllers[o.controller as string] === undefined)
          throw new Error(`controller '${String(o.controller)}' does not exist`);
      }
    } else if (kind === "controllers") {
      if (o.type === "evpn") {
        if (o.asn === undefined) throw new Error("missing asn");
        if (o.peers === undefined) throw new Error("missing peers");
        const other = Object.entries(c.controllers).find(
          ([cid, x]) => x.type === "evpn" && cid !== id,
        );
        if (other !== undefined) throw new Error("only 1 evpn controller can be defined");
      }
    } else if (kind === "vnets") {
      const zone = c.zones[o.zone as string];
      if (zone === undefined) throw new Error(`zone '${String(o.zone)}' don't exist`);
      if ((zone.type === "vxlan" || zone.type === "evpn") && o.tag === undefined)
        throw new Error(`missing vxlan tag`);
      if (o.tag !== undefined && (zone.type === "vxlan" || zone.type === "evpn")) {
        if ((o.tag as number) < 1 || (o.tag as number) > 16777215)
          throw new Error(`vnet ${id} - vlan tag must be between 1 and 16777215`);
        for (const [vid, v] of Object.entries(c.vnets)) {
          if (vid === id || v.tag !== o.tag) continue;
          const zt = c.zones[v.zone as string]?.type;
          if (zt === "vxlan" || zt === "evpn")
            throw new Error(
              `vxlan tag ${String(o.tag)} already exist in vnet ${vid} in zone ${String(v.zone)}`,
            );
        }
      }
    } else if (kind === "subnets") {
      const gw = o.gateway as string | undefined;
      const cidr = o.cidr as string;
      if (gw !== undefined && !inSubnet(gw, cidr))
        throw new Error(`${gw} is not in subnet ${cidr}`);
    }
  }

  private crud(r: Routes, kind: Exclude<Kind, "subnets">, path: string): void {
    const idKey = NOUN[kind];
    const objs = (): Record<string, Obj> => this.state.config[kind];
    r[`GET ${path}`] = (req) =>
      this.list(kind, req, (o) =>
        str(req.params, "type") === undefined ? true : o.type === req.params.type,
      );
    r[`POST ${path}`] = (req) =>
      this.write(
        "create",
        kind,
        () => {
          const id = req.params[idKey] as string;
          if (objs()[id] !== undefined)
            throw new Error(`sdn ${idKey} object ID '${id}' already defined`);
          const o = this.params(req, [idKey]);
          if (kind === "vnets") o.type = "vnet";
          this.validate(kind, id, o);
          objs()[id] = o;
        },
        req,
      );
    r[`GET ${path}/{${idKey}}`] = (req) => {
      const id = req.params[idKey] as string;
      const o = flag(req.params, "running") ? this.state.running[kind][id] : objs()[id];
      if (o === undefined) throw fail(`sdn ${idKey} '${id}' does not exist`);
      return { ...o, [idKey]: id, digest: this.digest() };
    };
    r[`PUT ${path}/{${idKey}}`] = (req) =>
      this.write(
        "update",
        kind,
        () => {
          this.checkDigest(req);
          const id = req.params[idKey] as string;
          const cur = objs()[id];
          if (cur === undefined) throw new Error(`sdn ${idKey} '${id}' does not exist`);
          const next: Obj = { ...cur, ...this.params(req, [idKey]) };
          for (const k of (str(req.params, "delete") ?? "")
            .split(/[,;\s]+/)
            .filter((s) => s !== ""))
            delete next[k];
          this.validate(kind, id, next);
          objs()[id] = next;
        },
        req,
      );
    r[`DELETE ${path}/{${idKey}}`] = (req) =>
      this.write(
        "delete",
        kind,
        () => {
          const id = req.params[idKey] as string;
          if (objs()[id] === undefined) throw new Error(`sdn ${idKey} '${id}' does not exist`);
          if (kind === "zones") {
            const user = Object.entries(this.state.config.vnets).find(([, v]) => v.zone === id);
            if (user !== undefined) throw new Error(`zone ${id} is used by vnet ${user[0]}`);
          }
          if (kind === "vnets") {
            const sub = Object.entries(this.state.config.subnets).find(([, s]) => s.vnet === id);
            if (sub !== undefined) throw new Error(`vnet ${id} is used by subnet ${sub[0]}`);
          }
          if (kind === "controllers") {
            const z = Object.entries(this.state.config.zones).find(([, s]) => s.controller === id);
            if (z !== undefined) throw new Error(`controller ${id} is used by zone ${z[0]}`);
          }
          delete objs()[id];
        },
        req,
      );
  }

  /** The running config as the API lists it with `running=1`, for {@link Realiser.applySdn}. */
  runningForRealiser(): RunningSdnConfig {
    const run = clone(this.state.running);
    const list = <T>(objs: Record<string, Obj>, key: string): T[] =>
      Object.entries(objs).map(([id, o]) => ({ ...o, [key]: id }) as T);
    return {
      controllers: list(run.controllers, "controller"),
      zones: list(run.zones, "zone"),
      vnets: list(run.vnets, "vnet"),
      subnets: list(run.subnets, "subnet"),
      ...this.firewall(),
    };
  }

  /**
   * PVE's zone status on one node: `available` once the node's network was realised from the
   * current running version, `pending` while it was not (a reload still to come or one that failed).
   */
  private zoneStatus(node: string): Obj[] {
    if (!this.nodes().includes(node))
      throw fail(
        `hostname lookup '${node}' failed - failed to get address info for: ${node}: Name or service not known`,
      );
    const version = this.state.version ?? 0;
    const realised = this.state.realised?.[node] ?? 0;
    return Object.entries(this.state.running.zones)
      .filter(([, z]) => {
        const on = String(z.nodes ?? "")
          .split(/[,;\s]+/)
          .filter(Boolean);
        return on.length === 0 || on.includes(node);
      })
      .map(([zone]) => ({ zone, status: realised >= version ? "available" : "pending" }));
  }

  /** Subnet id as PVE stores it: `<zone>-<net>-<mask>`. */
  private subnetId(vnet: string, subnet: string): string {
    const v = this.state.config.vnets[vnet] ?? this.state.running.vnets[vnet];
    if (/^[a-z][a-z0-9]*-[0-9a-f.:]+-\d+$/i.test(subnet)) return subnet;
    const [net = "", mask = ""] = subnet.split("/");
    return `${String(v?.zone ?? "")}-${net}-${mask}`;
  }

  routes(): Routes {
    return { ...this.globalRoutes(), ...this.objectRoutes(), ...this.subnetRoutes() };
  }

  /**
   * `PUT /cluster/sdn` (pve-network API2/Network/SDN.pm `reload`): commit pending to running under
   * the SDN lock, then a `reloadnetworkall` task that reloads every node.
   */
  private apply(req: Request): string {
    // `reload`: the commit happens under lock_sdn_config before the worker starts, and a token
    // given with `release-lock` (default 1) releases the global lock right there
    const token = str(req.params, "lock-token");
    let version = 0;
    this.lockSdn("could not commit SDN config", token, () => {
      // PVE commits pending to running here, synchronously; reloading the nodes is the task.
      this.state.running = clone(this.state.config);
      version = (this.state.version ?? 0) + 1;
      this.state.version = version;
      if (token !== undefined && (num(req.params, "release-lock") ?? 1) === 1)
        delete this.state.lockToken;
      this.save();
    });
    return this.tasks.start(
      {
        node: this.node(),
        type: "reloadnetworkall",
        id: "",
        user: req.caller.user,
        ...(req.caller.tokenid === undefined ? {} : { tokenid: req.caller.tokenid }),
      },
      async (ctx) => {
        if (this.realiser.applySdn !== undefined) {
          await this.realiser.applySdn(this.runningForRealiser());
          ctx.log("SDN configuration realised");
        } else ctx.log("SDN running configuration updated (no SDN realisation in this testbed)");
        // `reload`'s worker starts `pvesh set /nodes/<node>/network` per node and only warns
        // (`warn $@ if $@`) when one fails: the task ends `WARNINGS: N`, never as an error.
        // Only a node whose reload finished runs this version; the others' zones stay
        // `pending` (GET /nodes/{node}/sdn/zones), so the next apply reloads them.
        const failing = this.faults().sdnReloadFailures;
        const realised = this.state.realised ?? {};
        for (const node of this.nodes()) {
          ctx.log(`${node}: reloading network config`);
          if (failing.includes(node))
            ctx.warn(
              `command 'pvesh set /nodes/${node}/network --regenerate-frr 1' failed: exit code 255`,
            );
          else realised[node] = Math.max(realised[node] ?? 0, version);
        }
        this.state.realised = realised;
        this.save();
      },
    );
  }

  /** The SDN index, PVE 9's global lock, and the apply (`PUT /cluster/sdn`, pve-network API2/Network/SDN.pm). */
  private globalRoutes(): Routes {
    const r: Routes = {};
    r["GET /cluster/sdn"] = () => [
      { id: "vnets" },
      { id: "zones" },
      { id: "controllers" },
      { id: "ipams" },
      { id: "dns" },
    ];
    // PVE 9's global SDN lock (pve-network API2/Network/SDN.pm `lock`, `release_lock`, `rollback`).
    r["POST /cluster/sdn/lock"] = (req) =>
      this.lockSdn("could not acquire lock for SDN config", undefined, () => {
        if (!flag(req.params, "allow-pending") && this.hasPending())
          // `die "configuration has pending changes"` has no newline: Perl adds where it died
          throw new Error(
            "configuration has pending changes at /usr/share/perl5/PVE/API2/Network/SDN.pm line 149.",
          );
        const token = randomUUID();
        this.state.lockToken = token;
        this.save();
        return token;
      });
    r["DELETE /cluster/sdn/lock"] = (req) => {
      const release = (): null => {
        delete this.state.lockToken;
        this.save();
        return null;
      };
      if (flag(req.params, "force")) return release();
      return this.lockSdn("could not release lock", str(req.params, "lock-token"), release);
    };
    r["POST /cluster/sdn/rollback"] = (req) => {
      const token = str(req.params, "lock-token");
      return this.lockSdn("could not rollback SDN configuration", token, () => {
        this.state.config = clone(this.state.running);
        if (token !== undefined && (num(req.params, "release-lock") ?? 1) === 1)
          delete this.state.lockToken;
        this.save();
        return null;
      });
    };
    r["PUT /cluster/sdn"] = (req) => this.apply(req);
    return r;
  }

  /** Zone status per node, and zones, vnets and controllers (create, read, update, delete). */
  private objectRoutes(): Routes {
    const r: Routes = {};
    r["GET /nodes/{node}/sdn/zones"] = (req) => this.zoneStatus(req.params.node as string);
    this.crud(r, "zones", "/cluster/sdn/zones");
    this.crud(r, "vnets", "/cluster/sdn/vnets");
    this.crud(r, "controllers", "/cluster/sdn/controllers");
    return r;
  }

  /** A vnet's subnets (pve-network API2/Network/SDN/Subnets.pm). */
  private subnetRoutes(): Routes {
    const r: Routes = {};
    const vnetCheck = (req: Request): string => {
      const vnet = req.params.vnet as string;
      this.checkVnet(vnet);
      return vnet;
    };
    r["GET /cluster/sdn/vnets/{vnet}/subnets"] = (req) => {
      const vnet = vnetCheck(req);
      return this.list("subnets", req, (o) => o.vnet === vnet);
    };
    r["POST /cluster/sdn/vnets/{vnet}/subnets"] = (req) =>
      this.write(
        "create",
        "subnets",
        () => {
          const vnet = vnetCheck(req);
          const cidr = req.params.subnet as string;
          const id = this.subnetId(vnet, cidr);
          if (this.state.config.subnets[id] !== undefined)
            throw new Error(`sdn subnet object ID '${id}' already defined`);
          const o: Obj = {
            ...this.params(req, ["subnet"]),
            vnet,
            cidr,
            network: cidr.split("/")[0],
            mask: cidr.split("/")[1],
          };
          if (o.type === undefined) o.type = "subnet";
          this.validate("subnets", id, o);
          this.state.config.subnets[id] = o;
        },
        req,
      );
    r["GET /cluster/sdn/vnets/{vnet}/subnets/{subnet}"] = (req) => {
      const vnet = vnetCheck(req);
      const id = this.subnetId(vnet, req.params.subnet as string);
      const o = (flag(req.params, "running") ? this.state.running : this.state.config).subnets[id];
      if (o === undefined) throw fail(`sdn subnet '${id}' does not exist`);
      return { ...o, subnet: id, digest: this.digest() };
    };
    r["PUT /cluster/sdn/vnets/{vnet}/subnets/{subnet}"] = (req) =>
      this.write(
        "update",
        "subnets",
        () => {
          this.checkDigest(req);
          const vnet = vnetCheck(req);
          const id = this.subnetId(vnet, req.params.subnet as string);
          const cur = this.state.config.subnets[id];
          if (cur === undefined) throw new Error(`sdn subnet '${id}' does not exist`);
          const next: Obj = { ...cur, ...this.params(req, ["subnet", "vnet"]) };
          for (const k of (str(req.params, "delete") ?? "")
            .split(/[,;\s]+/)
            .filter((s) => s !== ""))
            delete next[k];
          this.validate("subnets", id, next);
          this.state.config.subnets[id] = next;
        },
        req,
      );
    r["DELETE /cluster/sdn/vnets/{vnet}/subnets/{subnet}"] = (req) =>
      this.write(
        "delete",
        "subnets",
        () => {
          const vnet = vnetCheck(req);
          const id = this.subnetId(vnet, req.params.subnet as string);
          if (this.state.config.subnets[id] === undefined)
            throw new Error(`sdn subnet '${id}' does not exist`);
          delete this.state.config.subnets[id];
        },
        req,
      );
    return r;
  }
}

import { createHash } from "node:crypto";
import type { FwGuestNic } from "../realise/firewall/types.js";
import type {
  GuestRuntimeSpec,
  GuestType,
  NetIf,
  Realiser,
  StorageDef,
  VolumeRef,
} from "../realise/types.js";
import type { Caller, Routes } from "./context.js";
import { ApiError, fail, paramError } from "./errors.js";
import type { ConfigLocks } from "./locks.js";
import type { Store } from "./store.js";
import { Cloner } from "./clone.js";
import { Migrator } from "./migrate.js";
import { guestRoutes } from "./guest-routes.js";
import { agentEnabled, Snapshots } from "./snapshots.js";
import type { TaskContext, TaskManager } from "./tasks.js";

/** A guest config value as PVE returns it: strings, integers, 0/1 booleans. */
export type Conf = Record<string, string | number>;

export interface SnapshotRecord {
  name: string;
  snaptime: number;
  description: string;
  parent?: string;
  vmstate?: number;
  snapstate?: string;
  /** The guest's config at snapshot time (without snapshot bookkeeping). */
  config: Conf;
  /** Creation order, for ZFS's "most recent snapshot" rule. */
  seq: number;
}

/** One guest: the content of `/etc/pve/nodes/<node>/{qemu-server,lxc}/<vmid>.conf`. */
export interface GuestRecord {
  vmid: number;
  type: GuestType;
  node: string;
  config: Conf;
  snapshots: Record<string, SnapshotRecord>;
  hostKeyFingerprints: string[];
  snapSeq: number;
  /** Snapshots taken on the storage outside PVE (`zfs snapshot`): PVE does not list them, but
   * the storage plugins count them (`volume_rollback_is_possible`). `seq` shares `snapSeq`. */
  foreignSnapshots?: { volume: string; name: string; seq: number }[];
  /** Whether the guest should be running: re-driven after a testbed restart. */
  running?: number;
}

const TASK = {
  qemu: {
    snapshot: "qmsnapshot",
    rollback: "qmrollback",
    delsnapshot: "qmdelsnapshot",
    clone: "qmclone",
    start: "qmstart",
    stop: "qmstop",
    shutdown: "qmshutdown",
    destroy: "qmdestroy",
    template: "qmtemplate",
    config: "qmconfig",
    create: "qmcreate",
    migrate: "qmigrate",
  },
  lxc: {
    snapshot: "vzsnapshot",
    rollback: "vzrollback",
    delsnapshot: "vzdelsnapshot",
    clone: "vzclone",
    start: "vzstart",
    stop: "vzstop",
    shutdown: "vzshutdown",
    destroy: "vzdestroy",
    template: "vztemplate",
    config: "vzconfig",
    create: "vzcreate",
    migrate: "vzmigrate",
  },
} as const;

export const DISK_KEY = /^(scsi|virtio|sata|ide|efidisk|tpmstate|mp|unused)\d+$|^rootfs$/;
const NET_KEY = /^net\d+$/;
/** Keys the config API never lets a client set directly. */
const INTERNAL_KEYS = new Set(["parent", "snaptime", "vmstate", "snapstate", "digest"]);
/** Keys of config PUT/POST that are options of the call, not config. */
const CALL_KEYS = new Set([
  "node",
  "vmid",
  "delete",
  "digest",
  "revert",
  "skiplock",
  "force",
  "background_delay",
]);

/** `<storage>:<volume>` of a disk config value, or undefined for cdroms/none/paths. */
export function volumeOf(value: string | number): VolumeRef | undefined {
  const s = String(value);
  if (/(^|,)media=cdrom(,|$)/.test(s)) return undefined;
  const m = /^([a-z][a-z0-9\-_.]*[a-z0-9]):([^,]+)/i.exec(s);
  if (m === null) return undefined;
  return { storage: m[1]!, volume: m[2]! };
}

/** Parse `k=v,k=v` with an optional leading default-key value. */
function propString(value: string, defaultKey?: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of value.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) {
      if (defaultKey !== undefined) out[defaultKey] = part;
    } else out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/** Hooks the guests module needs from the rest of the server. */
export interface GuestsDeps {
  store: Store;
  realiser: Realiser;
  tasks: TaskManager;
  locks: ConfigLocks;
  storages: StorageDef[];
  nodes: string[];
  /** Public keys injected into every new guest (the operator key). */
  authorizedKeys: () => string[];
  /** Fault injection around realiser calls: waits, and throws when a failure is due. */
  realiseFault: (op: string) => Promise<void>;
  /** Fault injection: config-lock holds met by a task's late phase (`faults.lateLockHolds`). */
  lateLockHolds: () => { type: string; ms: number; count: number }[];
  /**
   * After a config change: the firewall realises again (a NIC's `firewall` flag, address or
   * bridge may have changed); throws what it could not realise.
   */
  configChanged?: () => Promise<void>;
}

/**
 * Guests (qemu and lxc): configs, status, clone, destroy, template and the snapshot tree, with
 * PVE's locks and error messages. Every effect goes through the Realiser.
 */
export class Guests {
  readonly byId = new Map<number, GuestRecord>();

  readonly snaps: Snapshots;
  readonly cloner: Cloner;
  readonly migrator: Migrator;
  /** The guest's HA resource, when HA manages it (set by the cluster). */
  haResource: (vmid: number) => { sid: string; state: string } | undefined = () => undefined;

  constructor(readonly d: GuestsDeps) {
    this.snaps = new Snapshots(this);
    this.cloner = new Cloner(this);
    this.migrator = new Migrator(this);
    for (const f of d.store.list("guests")) {
      const g = d.store.read<GuestRecord>(`guests/${f}`);
      if (g !== undefined) this.byId.set(g.vmid, g);
    }
  }

  save(g: GuestRecord): void {
    this.d.store.write(`guests/${g.vmid}.json`, g);
  }

  digest(g: GuestRecord): string {
    return createHash("sha1")
      .update(JSON.stringify({ c: g.config, s: g.snapshots }))
      .digest("hex");
  }

  checkNode(node: string): void {
    if (!this.d.nodes.includes(node))
      throw fail(
        `hostname lookup '${node}' failed - failed to get address info for: ${node}: Name or service not known`,
      );
  }

  /** A guest's node and NICs as its firewall sees them (undefined: no such guest of that type). */
  firewallNics(type: GuestType, vmid: number): { node: string; nics: FwGuestNic[] } | undefined {
    const g = this.byId.get(vmid);
    if (g === undefined || g.type !== type) return undefined;
    const nics = this.spec(g).nets.map((n) => ({
      netid: n.key,
      firewall: n.firewall === true,
      bridge: n.bridge,
      ...(n.cidr === undefined ? {} : { cidr: n.cidr }),
    }));
    return { node: g.node, nics };
  }

  /** The guest, or PVE's "does not exist" error for the node/type the path names. */
  get(type: GuestType, node: string, vmid: number): GuestRecord {
    this.checkNode(node);
    const g = this.byId.get(vmid);
    if (g === undefined || g.type !== type || g.node !== node)
      throw fail(
        `Configuration file 'nodes/${node}/${type === "qemu" ? "qemu-server" : "lxc"}/${vmid}.conf' does not exist`,
      );
    return g;
  }

  lockedError(g: GuestRecord): ApiError {
    return fail(`${g.type === "qemu" ? "VM" : "CT"} is locked (${String(g.config.lock)})`);
  }

  checkLock(g: GuestRecord): void {
    if (g.config.lock !== undefined) throw this.lockedError(g);
  }

  isTemplate(g: GuestRecord): boolean {
    return g.config.template === 1;
  }

  volumes(conf: Conf): { key: string; ref: VolumeRef }[] {
    const out: { key: string; ref: VolumeRef }[] = [];
    for (const [k, v] of Object.entries(conf)) {
      if (!DISK_KEY.test(k) || k.startsWith("unused")) continue;
      const ref = volumeOf(v);
      if (ref !== undefined) out.push({ key: k, ref });
    }
    return out;
  }

  storage(id: string): StorageDef {
    const s = this.d.storages.find((x) => x.id === id);
    if (s === undefined) throw fail(`storage '${id}' does not exist`);
    return s;
  }

  spec(g: GuestRecord): GuestRuntimeSpec {
    const rootKey = g.type === "lxc" ? "rootfs" : (this.volumes(g.config)[0]?.key ?? "scsi0");
    const rootfs = volumeOf(g.config[rootKey] ?? "") ?? {
      storage: "local-btrfs",
      volume: `vm-${g.vmid}-disk-0`,
    };
    const nets: NetIf[] = [];
    for (const [k, v] of Object.entries(g.config)) {
      if (!NET_KEY.test(k)) continue;
      const n = Number(k.slice(3));
      const p = propString(String(v), g.type === "qemu" ? "model" : undefined);
      const ipconf = g.type === "qemu" ? propString(String(g.config[`ipconfig${n}`] ?? "")) : p;
      const hwaddr =
        p.hwaddr ??
        Object.entries(p).find(([key]) => /^(virtio|e1000|vmxnet3|rtl8139)/.test(key))?.[1];
      nets.push({
        key: k,
        bridge: p.bridge ?? "vmbr0",
        ifname: g.type === "lxc" ? (p.name ?? `eth${n}`) : `eth${n}`,
        ...(ipconf.ip !== undefined && ipconf.ip !== "dhcp" ? { cidr: ipconf.ip } : {}),
        ...(ipconf.gw !== undefined ? { gateway: ipconf.gw } : {}),
        ...(hwaddr !== undefined ? { hwaddr } : {}),
        ...(p.firewall === "1" ? { firewall: true } : {}),
      });
    }
    return {
      vmid: g.vmid,
      type: g.type,
      node: g.node,
      hostname: String(g.config.hostname ?? g.config.name ?? `guest${g.vmid}`),
      rootfs,
      memoryMiB: Number(g.config.memory ?? 512),
      cores: Number(g.config.cores ?? 1),
      nets,
    };
  }

  /** `VM` or `CT`, as PVE's messages name the guest. */
  noun(g: { type: GuestType }): "VM" | "CT" {
    return g.type === "qemu" ? "VM" : "CT";
  }

  /** Remove a guest record (a create or clone that failed). */
  forget(g: GuestRecord): void {
    this.byId.delete(g.vmid);
    this.d.store.remove(`guests/${g.vmid}.json`);
  }

  /**
   * Fault injection for the late phase of a task (after the volumes changed, before the config
   * is written under the config-file lock): another operation takes the config lock for `ms`, so
   * the task fails with `can't lock file ... - got timeout` after its effect happened.
   */
  async lateLockHold(g: GuestRecord, kind: keyof (typeof TASK)["qemu"]): Promise<void> {
    const type = TASK[g.type][kind];
    const f = this.d.lateLockHolds().find((x) => x.type === type && x.count > 0);
    if (f === undefined) return;
    f.count--;
    void this.d.locks.hold(g.type, g.vmid, f.ms).catch(() => undefined);
    // let the holder take the lock first
    await new Promise((r) => setImmediate(r));
  }

  async realiseOp<T>(op: string, fn: () => Promise<T>): Promise<T> {
    await this.d.realiseFault(op);
    return fn();
  }

  startTask(
    g: { type: GuestType; vmid: number; node: string },
    kind: keyof (typeof TASK)["qemu"],
    caller: Caller,
    fn: (ctx: TaskContext) => Promise<void>,
  ): string {
    return this.d.tasks.start(
      {
        node: g.node,
        type: TASK[g.type][kind],
        id: String(g.vmid),
        user: caller.user,
        ...(caller.tokenid === undefined ? {} : { tokenid: caller.tokenid }),
      },
      fn,
    );
  }

  /** Set or clear the config `lock` under the config-file lock (used by fault injection too). */
  async setLock(g: GuestRecord, lock: string | undefined): Promise<void> {
    await this.d.locks.with(g.type, g.vmid, () => {
      if (lock === undefined) delete g.config.lock;
      else g.config.lock = lock;
      this.save(g);
    });
  }

  markRunning(g: GuestRecord, running: boolean): void {
    g.running = running ? 1 : 0;
    if (this.byId.get(g.vmid) === g) this.save(g);
  }

  /**
   * After a testbed (re)start: start the guests that were running when it went down, so that the
   * realisation matches the recorded state again. Failures are reported, not thrown.
   */
  async redrive(log: (msg: string) => void): Promise<void> {
    for (const g of this.byId.values()) {
      if (g.running !== 1 || this.isTemplate(g)) continue;
      try {
        if (await this.running(g.vmid)) continue;
        await this.d.realiser.startGuest(this.spec(g));
        log(`restarted guest ${g.vmid}`);
      } catch (err) {
        log(`cannot restart guest ${g.vmid}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  async running(vmid: number): Promise<boolean> {
    const cheap = this.d.realiser.isRunning?.(vmid);
    return cheap ?? (await this.d.realiser.guestStatus(vmid)).running;
  }

  // ---- status ---------------------------------------------------------------------------------

  async listItem(g: GuestRecord): Promise<Record<string, unknown>> {
    const st = await this.d.realiser.guestStatus(g.vmid);
    const disk = this.volumes(g.config)[0];
    return {
      vmid: g.vmid,
      name: String(g.config.name ?? g.config.hostname ?? ""),
      status: st.running ? "running" : "stopped",
      ...(g.type === "lxc" ? { type: "lxc" } : {}),
      cpus: Number(g.config.cores ?? 1),
      maxmem: Number(g.config.memory ?? 512) * 1024 * 1024,
      mem: st.mem,
      maxdisk: disk === undefined ? 0 : 8 * 1024 ** 3,
      disk: 0,
      cpu: st.cpu,
      uptime: st.uptime,
      netin: 0,
      netout: 0,
      diskread: 0,
      diskwrite: 0,
      ...(st.pid === undefined ? {} : { pid: st.pid }),
      ...(g.config.lock === undefined ? {} : { lock: String(g.config.lock) }),
      ...(this.isTemplate(g) ? { template: 1 } : {}),
      ...(g.config.tags === undefined ? {} : { tags: String(g.config.tags) }),
    };
  }

  async statusCurrent(g: GuestRecord): Promise<Record<string, unknown>> {
    const item = await this.listItem(g);
    const st = await this.d.realiser.guestStatus(g.vmid);
    return {
      ...item,
      ha: this.haStatus(g.vmid),
      ...(g.type === "qemu"
        ? { qmpstatus: st.running ? "running" : "stopped", agent: agentEnabled(g.config) ? 1 : 0 }
        : {}),
      ...(g.type === "lxc" ? { swap: 0, maxswap: 0 } : {}),
    };
  }

  /** `status/current`'s `ha` (qemu-server `vmstatus` → `PVE::HA::Config::get_service_status`). */
  private haStatus(vmid: number): Record<string, unknown> {
    const r = this.haResource(vmid);
    return r === undefined ? { managed: 0 } : { managed: 1, state: r.state };
  }

  // ---- config ---------------------------------------------------------------------------------

  configView(g: GuestRecord, conf: Conf): Record<string, unknown> {
    return { ...conf, digest: this.digest(g) };
  }

  /** Apply a config PUT/POST under the config-file lock. */
  async updateConfig(g: GuestRecord, p: Record<string, unknown>): Promise<void> {
    await this.d.locks.with(g.type, g.vmid, () => {
      const deletes =
        typeof p.delete === "string" ? p.delete.split(/[,;\s]+/).filter((s) => s !== "") : [];
      // As in PVE, even `delete=lock` needs skiplock (qemu, root@pam only); the LXC API has no
      // skiplock, so a locked container is unlocked only on its node (`pct unlock`).
      // The compare-and-swap of `digest`, as each API does it under the config lock: qemu-server
      // `update_vm_api` compares before `check_lock` with its own message; pve-container's
      // `update_vm` calls `check_lock`, then `PVE::Tools::assert_if_modified`.
      const digest = p.digest;
      const modified = typeof digest === "string" && digest !== this.digest(g);
      if (g.type === "qemu" && modified)
        throw fail("checksum missmatch (file change by other user?)");
      if (p.skiplock !== 1) this.checkLock(g);
      if (modified)
        throw fail("detected modified configuration - file changed by other user? Try again.");
      for (const [k, v] of Object.entries(p)) {
        if (CALL_KEYS.has(k)) continue;
        if (INTERNAL_KEYS.has(k))
          throw paramError({
            [k]: "property is not defined in schema and the schema does not allow additional properties",
          });
        if (deletes.includes(k))
          throw paramError({
            delete: `unable to delete '${k}' - you can't change and delete the same option`,
          });
        if (typeof v === "string" || typeof v === "number") g.config[k] = v;
      }
      for (const k of deletes) delete g.config[k];
      this.save(g);
    });
    if (
      this.d.configChanged !== undefined &&
      Object.keys(p).some((k) => /^(net|ipconfig)\d+$/.test(k) || k === "delete")
    )
      await this.d.configChanged().catch((err: unknown) => {
        throw fail(
          `firewall not applied: ${err instanceof Error ? err.message.trim() : String(err)}`,
        );
      });
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  start(g: GuestRecord, caller: Caller, skiplock: boolean): string {
    return this.startTask(g, "start", caller, async (ctx) => {
      await this.d.locks.with(g.type, g.vmid, async () => {
        if (this.isTemplate(g))
          throw new Error(
            `you can't start a ${g.type === "qemu" ? "vm" : "ct"} if it's a template`,
          );
        if (!skiplock) this.checkLock(g);
        if (await this.running(g.vmid))
          throw new Error(`${g.type === "qemu" ? "VM" : "CT"} ${g.vmid} already running`);
        const { pid } = await this.realiseOp("startGuest", () =>
          this.d.realiser.startGuest(this.spec(g)),
        );
        this.markRunning(g, true);
        ctx.log(`started ${g.type === "qemu" ? "VM" : "CT"} ${g.vmid} (pid ${pid})`);
      });
    });
  }

  stop(
    g: GuestRecord,
    caller: Caller,
    opts: { graceful: boolean; timeoutMs: number; skiplock: boolean },
  ): string {
    return this.startTask(g, opts.graceful ? "shutdown" : "stop", caller, async () => {
      await this.d.locks.with(g.type, g.vmid, async () => {
        if (!opts.skiplock) this.checkLock(g);
        await this.realiseOp("stopGuest", () =>
          this.d.realiser.stopGuest(g.vmid, { graceful: opts.graceful, timeoutMs: opts.timeoutMs }),
        );
        this.markRunning(g, false);
      });
    });
  }

  destroy(g: GuestRecord, caller: Caller, skiplock: boolean): string {
    if (!skiplock) this.checkLock(g);
    return this.startTask(g, "destroy", caller, async (ctx) => {
      await this.d.locks.with(g.type, g.vmid, async () => {
        if (!skiplock) this.checkLock(g);
        if (await this.running(g.vmid))
          throw new Error(
            `${g.type === "qemu" ? "VM" : "CT"} ${g.vmid} is running - destroy failed`,
          );
        for (const { ref } of this.volumes(g.config)) {
          await this.realiseOp("destroyVolume", () => this.d.realiser.destroyVolume(ref));
          ctx.log(`Removing image: ${ref.storage}:${ref.volume}`);
        }
        this.byId.delete(g.vmid);
        this.d.store.remove(`guests/${g.vmid}.json`);
      });
    });
  }

  async template(g: GuestRecord): Promise<void> {
    await this.d.locks.with(g.type, g.vmid, async () => {
      this.checkLock(g);
      if (this.isTemplate(g)) return;
      if (await this.running(g.vmid))
        throw new Error(
          g.type === "qemu"
            ? "you can't convert a VM to template if VM is running"
            : "you can't convert a CT to template if the CT is running",
        );
      // PVE turns a template's disks into read-only base images; so does the testbed.
      for (const { ref } of this.volumes(g.config)) {
        await this.realiseOp("setVolumeReadOnly", async () =>
          this.d.realiser.setVolumeReadOnly?.(ref, true),
        );
      }
      g.config.template = 1;
      this.save(g);
    });
  }

  routes(): Routes {
    return guestRoutes(this);
  }

  /** Hold a guest `lock` for `ms` (fault injection). */
  async holdGuestLock(vmid: number, lock: string, ms: number): Promise<void> {
    const g = this.byId.get(vmid);
    if (g === undefined) return;
    await this.setLock(g, lock);
    // unref: an injected lock must not keep the process alive
    await new Promise<void>((r) => setTimeout(r, ms).unref());
    if (g.config.lock === lock) await this.setLock(g, undefined);
  }
}

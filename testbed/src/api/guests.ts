import { createHash } from "node:crypto";
import type {
  GuestRuntimeSpec,
  GuestType,
  NetIf,
  Realiser,
  StorageDef,
  VolumeRef,
} from "../realise/types.js";
import { flag, num, str, type Caller, type Request, type Routes } from "./context.js";
import { ApiError, fail, paramError } from "./errors.js";
import type { ConfigLocks } from "./locks.js";
import type { Store } from "./store.js";
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
  },
} as const;

const DISK_KEY = /^(scsi|virtio|sata|ide|efidisk|tpmstate|mp|unused)\d+$|^rootfs$/;
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

const unixNow = (): number => Math.floor(Date.now() / 1000);

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
}

/**
 * Guests (qemu and lxc): configs, status, clone, destroy, template and the snapshot tree, with
 * PVE's locks and error messages. Every effect goes through the Realiser.
 */
export class Guests {
  readonly byId = new Map<number, GuestRecord>();

  constructor(private readonly d: GuestsDeps) {
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

  private async realise<T>(op: string, fn: () => Promise<T>): Promise<T> {
    await this.d.realiseFault(op);
    return fn();
  }

  private startTask(
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
    return (await this.d.realiser.guestStatus(vmid)).running;
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
      ha: { managed: 0 },
      ...(g.type === "qemu" ? { qmpstatus: st.running ? "running" : "stopped", agent: 0 } : {}),
      ...(g.type === "lxc" ? { swap: 0, maxswap: 0 } : {}),
    };
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
      if (p.skiplock !== 1) this.checkLock(g);
      const digest = p.digest;
      if (typeof digest === "string" && digest !== this.digest(g))
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
        const { pid } = await this.realise("startGuest", () =>
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
        await this.realise("stopGuest", () =>
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
          await this.realise("destroyVolume", () => this.d.realiser.destroyVolume(ref));
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
        await this.realise("setVolumeReadOnly", async () =>
          this.d.realiser.setVolumeReadOnly?.(ref, true),
        );
      }
      g.config.template = 1;
      this.save(g);
    });
  }

  /** Create a guest record and its volumes (POST /nodes/{node}/{qemu,lxc}); minimal: disks and nets. */
  create(type: GuestType, node: string, p: Record<string, unknown>, caller: Caller): string {
    const vmid = p.vmid as number;
    if (this.byId.has(vmid))
      throw fail(
        `unable to create ${type === "qemu" ? "VM" : "CT"} ${vmid}: config file already exists`,
      );
    const config: Conf = {};
    for (const [k, v] of Object.entries(p)) {
      if (
        [
          "node",
          "vmid",
          "start",
          "ostemplate",
          "password",
          "ssh-public-keys",
          "storage",
          "unique",
          "restore",
          "force",
          "pool",
          "archive",
          "live-restore",
        ].includes(k)
      )
        continue;
      if (typeof v === "string" || typeof v === "number") config[k] = v;
    }
    const allocs: { key: string; ref: VolumeRef; sizeGiB: number }[] = [];
    let diskIndex = 0;
    for (const [k, v] of Object.entries(config)) {
      if (!DISK_KEY.test(k)) continue;
      const m = /^([a-z][a-z0-9\-_.]*[a-z0-9]):(\d+(?:\.\d+)?)(,.*)?$/i.exec(String(v));
      if (m === null) continue;
      this.storage(m[1]!);
      const volume =
        type === "lxc" ? `subvol-${vmid}-disk-${diskIndex}` : `vm-${vmid}-disk-${diskIndex}`;
      diskIndex++;
      config[k] = `${m[1]}:${volume}${m[3] ?? ""},size=${m[2]}G`;
      allocs.push({ key: k, ref: { storage: m[1]!, volume }, sizeGiB: Number(m[2]) });
    }
    if (type === "lxc" && config.rootfs === undefined)
      throw paramError({ rootfs: "property is missing and it is not optional" });
    const g: GuestRecord = {
      vmid,
      type,
      node,
      config: { ...config, lock: "create" },
      snapshots: {},
      hostKeyFingerprints: [],
      snapSeq: 0,
    };
    this.byId.set(vmid, g);
    this.save(g);
    const startAfter = p.start === 1;
    return this.startTask(g, "create", caller, async (ctx) => {
      try {
        for (const a of allocs) {
          await this.realise("createVolume", () =>
            this.d.realiser.createVolume(a.ref, { sizeBytes: a.sizeGiB * 1024 ** 3 }),
          );
          ctx.log(`created volume '${a.ref.storage}:${a.ref.volume}'`);
        }
        const root = allocs[0];
        if (root !== undefined) {
          const inj = await this.realise("injectSsh", () =>
            this.d.realiser.injectSsh(root.ref, {
              authorizedKeys: this.d.authorizedKeys(),
              regenerateHostKeys: true,
            }),
          );
          g.hostKeyFingerprints = inj.hostKeyFingerprints;
        }
      } catch (err) {
        this.byId.delete(vmid);
        this.d.store.remove(`guests/${vmid}.json`);
        throw err;
      }
      await this.setLock(g, undefined);
      if (startAfter) {
        await this.realise("startGuest", () => this.d.realiser.startGuest(this.spec(g)));
        this.markRunning(g, true);
      }
    });
  }

  clone(src: GuestRecord, p: Record<string, unknown>, caller: Caller): string {
    const newid = p.newid as number;
    const noun = src.type === "qemu" ? "VM" : "CT";
    if (this.byId.has(newid))
      throw fail(`unable to create ${noun} ${newid}: config file already exists`);
    this.checkLock(src);
    const target = str(p, "target") ?? src.node;
    this.checkNode(target);
    const full = p.full === undefined ? !this.isTemplate(src) : p.full === 1;
    if (!full && !this.isTemplate(src)) throw fail("Linked clone feature is not available");
    const snapname = str(p, "snapname");
    const srcConf = snapname === undefined ? src.config : src.snapshots[snapname]?.config;
    if (srcConf === undefined) throw fail(`snapshot '${snapname}' does not exist`);
    const targetStorage = str(p, "storage");
    if (targetStorage !== undefined) {
      if (!full) throw paramError({ storage: "option is only allowed for full clones" });
      this.storage(targetStorage);
    }
    const config: Conf = {};
    const copies: { from: VolumeRef; to: VolumeRef }[] = [];
    let diskIndex = 0;
    for (const [k, v] of Object.entries(srcConf)) {
      if (k === "template" || k === "parent" || k === "lock") continue;
      const ref = DISK_KEY.test(k) && !k.startsWith("unused") ? volumeOf(v) : undefined;
      if (ref === undefined) {
        config[k] = v;
        continue;
      }
      const to: VolumeRef = {
        storage: targetStorage ?? ref.storage,
        volume:
          src.type === "lxc"
            ? `subvol-${newid}-disk-${diskIndex}`
            : `vm-${newid}-disk-${diskIndex}`,
      };
      diskIndex++;
      config[k] = String(v).replace(/^[^,]+/, `${to.storage}:${to.volume}`);
      copies.push({ from: ref, to });
    }
    if (str(p, "name") !== undefined)
      config[src.type === "qemu" ? "name" : "hostname"] = str(p, "name")!;
    if (str(p, "description") !== undefined) config.description = str(p, "description")!;
    const g: GuestRecord = {
      vmid: newid,
      type: src.type,
      node: target,
      config: { ...config, lock: "clone" },
      snapshots: {},
      hostKeyFingerprints: [],
      snapSeq: 0,
    };
    this.byId.set(newid, g);
    this.save(g);
    return this.startTask(src, "clone", caller, async (ctx) => {
      try {
        for (const c of copies) {
          ctx.log(
            `${full ? "full" : "linked"} clone of ${c.from.storage}:${c.from.volume} → ${c.to.storage}:${c.to.volume}`,
          );
          await this.realise("cloneVolume", () =>
            this.d.realiser.cloneVolume(c.from, c.to, {
              linked: !full,
              ...(snapname === undefined ? {} : { fromSnapshot: snapname }),
            }),
          );
        }
        const root = copies[0];
        if (root !== undefined) {
          const inj = await this.realise("injectSsh", () =>
            this.d.realiser.injectSsh(root.to, {
              authorizedKeys: this.d.authorizedKeys(),
              regenerateHostKeys: true,
            }),
          );
          g.hostKeyFingerprints = inj.hostKeyFingerprints;
        }
      } catch (err) {
        for (const c of copies) await this.d.realiser.destroyVolume(c.to).catch(() => undefined);
        this.byId.delete(newid);
        this.d.store.remove(`guests/${newid}.json`);
        throw err;
      }
      await this.setLock(g, undefined);
    });
  }

  // ---- snapshots ------------------------------------------------------------------------------

  snapshotList(g: GuestRecord, running: boolean): Record<string, unknown>[] {
    const items: Record<string, unknown>[] = Object.values(g.snapshots).map((s) => ({
      name: s.name,
      snaptime: s.snaptime,
      description: s.description,
      ...(s.parent === undefined ? {} : { parent: s.parent }),
      ...(g.type === "qemu" && s.vmstate !== undefined ? { vmstate: s.vmstate } : {}),
      ...(s.snapstate === undefined ? {} : { snapstate: s.snapstate }),
    }));
    items.push({
      name: "current",
      description: "You are here!",
      running: running ? 1 : 0,
      digest: this.digest(g),
      ...(g.config.parent === undefined ? {} : { parent: String(g.config.parent) }),
    });
    return items;
  }

  snapshot(g: GuestRecord, p: Record<string, unknown>, caller: Caller): string {
    const name = p.snapname as string;
    const reserved = g.type === "qemu" ? ["current", "pending"] : ["current", "vzdump"];
    if (reserved.includes(name.toLowerCase()))
      throw fail(`unable to use snapshot name '${name}' (reserved name)`);
    const vmstate = p.vmstate === 1;
    const description = str(p, "description") ?? "";
    return this.startTask(g, "snapshot", caller, async (ctx) => {
      ctx.log(`snapshotting '${name}'`);
      let vols: { key: string; ref: VolumeRef }[] = [];
      await this.d.locks.with(g.type, g.vmid, () => {
        if (this.isTemplate(g)) throw new Error("you can't take a snapshot if it's a template");
        this.checkLock(g);
        if (g.snapshots[name] !== undefined)
          throw new Error(`snapshot name '${name}' already used`);
        vols = this.volumes(g.config);
        for (const { ref } of vols) {
          if (this.storage(ref.storage).type === "dir")
            throw new Error("snapshot feature is not available");
        }
        const config = { ...g.config };
        delete config.parent;
        g.snapSeq++;
        g.snapshots[name] = {
          name,
          snaptime: unixNow(),
          description,
          ...(g.config.parent === undefined ? {} : { parent: String(g.config.parent) }),
          ...(g.type === "qemu" && vmstate ? { vmstate: 1 } : {}),
          snapstate: "prepare",
          config,
          seq: g.snapSeq,
        };
        g.config.lock = "snapshot";
        this.save(g);
      });
      const running = await this.running(g.vmid);
      try {
        if (running) await this.d.realiser.freeze(g.vmid);
        try {
          for (const { ref } of vols) {
            await this.realise("snapshotVolume", () => this.d.realiser.snapshotVolume(ref, name));
            ctx.log(`snapshot of ${ref.storage}:${ref.volume}`);
          }
        } finally {
          if (running) await this.d.realiser.thaw(g.vmid);
        }
        if (vmstate && g.type === "qemu")
          ctx.log("vmstate: disk-only in the testbed (RAM state is not saved)");
      } catch (err) {
        // PVE removes a failed snapshot again (snapshot_delete with force)
        for (const { ref } of vols)
          await this.d.realiser.deleteVolumeSnapshot(ref, name).catch(() => undefined);
        await this.d.locks.with(g.type, g.vmid, () => {
          delete g.snapshots[name];
          delete g.config.lock;
          this.save(g);
        });
        throw err;
      }
      await this.d.locks.with(g.type, g.vmid, () => {
        const s = g.snapshots[name];
        if (s !== undefined) delete s.snapstate;
        delete g.config.lock;
        g.config.parent = name;
        this.save(g);
      });
    });
  }

  snapshotGet(g: GuestRecord, name: string): SnapshotRecord {
    const s = g.snapshots[name];
    if (s === undefined) throw fail(`snapshot '${name}' does not exist`);
    return s;
  }

  async snapshotUpdate(
    g: GuestRecord,
    name: string,
    description: string | undefined,
  ): Promise<void> {
    await this.d.locks.with(g.type, g.vmid, () => {
      this.checkLock(g);
      const s = this.snapshotGet(g, name);
      if (description !== undefined) s.description = description;
      this.save(g);
    });
  }

  rollback(g: GuestRecord, name: string, startAfter: boolean, caller: Caller): string {
    return this.startTask(g, "rollback", caller, async (ctx) => {
      let snap!: SnapshotRecord;
      await this.d.locks.with(g.type, g.vmid, async () => {
        if (this.isTemplate(g))
          throw new Error(`you can't rollback if ${g.type === "qemu" ? "vm" : "ct"} is a template`);
        const s = g.snapshots[name];
        if (s === undefined) throw new Error(`snapshot '${name}' does not exist`);
        snap = s;
        this.checkLock(g);
        for (const { ref } of this.volumes(s.config)) {
          if (this.storage(ref.storage).type !== "zfspool") continue;
          const onVol = Object.values(g.snapshots).filter((x) =>
            this.volumes(x.config).some(
              (v) => v.ref.storage === ref.storage && v.ref.volume === ref.volume,
            ),
          );
          const newest = onVol.reduce<SnapshotRecord | undefined>(
            (a, b) => (a === undefined || b.seq > a.seq ? b : a),
            undefined,
          );
          if (newest !== undefined && newest.name !== name)
            throw new Error(
              `can't rollback, '${name}' is not most recent snapshot on '${ref.storage}:${ref.volume}'`,
            );
        }
        if (s.snapstate !== undefined)
          throw new Error(`unable to rollback to incomplete snapshot (snapstate = ${s.snapstate})`);
        if (await this.running(g.vmid)) {
          ctx.log(
            `stopping ${g.type === "qemu" ? "VM" : "CT"} ${g.vmid} (hard stop) before rollback`,
          );
          await this.realise("stopGuest", () =>
            this.d.realiser.stopGuest(g.vmid, { graceful: false, timeoutMs: 0 }),
          );
          g.running = 0;
        }
        g.config.lock = "rollback";
        this.save(g);
      });
      for (const { ref } of this.volumes(snap.config)) {
        await this.realise("rollbackVolume", () => this.d.realiser.rollbackVolume(ref, name));
        ctx.log(`rollback ${ref.storage}:${ref.volume} to '${name}'`);
      }
      await this.d.locks.with(g.type, g.vmid, () => {
        g.config = { ...snap.config, parent: name };
        delete g.config.lock;
        this.save(g);
      });
      if (startAfter || snap.vmstate === 1) {
        await this.realise("startGuest", () => this.d.realiser.startGuest(this.spec(g)));
        this.markRunning(g, true);
        ctx.log(`started ${g.type === "qemu" ? "VM" : "CT"} ${g.vmid}`);
      }
    });
  }

  deleteSnapshot(g: GuestRecord, name: string, force: boolean, caller: Caller): string {
    return this.startTask(g, "delsnapshot", caller, async (ctx) => {
      let snap!: SnapshotRecord;
      await this.d.locks.with(g.type, g.vmid, () => {
        const s = g.snapshots[name];
        if (s === undefined) throw new Error(`snapshot '${name}' does not exist`);
        snap = s;
        if (!force) this.checkLock(g);
        s.snapstate = "delete";
        g.config.lock = "snapshot-delete";
        this.save(g);
      });
      for (const { ref } of this.volumes(snap.config)) {
        try {
          await this.realise("deleteVolumeSnapshot", () =>
            this.d.realiser.deleteVolumeSnapshot(ref, name),
          );
          ctx.log(`delete snapshot of ${ref.storage}:${ref.volume}`);
        } catch (err) {
          // Without force the lock and snapstate stay behind, as on PVE
          if (!force) throw err;
          ctx.warn(`${err instanceof Error ? err.message : String(err)}`);
        }
      }
      await this.d.locks.with(g.type, g.vmid, () => {
        for (const other of Object.values(g.snapshots)) {
          if (other.parent !== name) continue;
          if (snap.parent === undefined) delete other.parent;
          else other.parent = snap.parent;
        }
        if (g.config.parent === name) {
          if (snap.parent === undefined) delete g.config.parent;
          else g.config.parent = snap.parent;
        }
        delete g.snapshots[name];
        delete g.config.lock;
        this.save(g);
      });
    });
  }

  // ---- routes ---------------------------------------------------------------------------------

  routes(): Routes {
    const r: Routes = {};
    for (const type of ["qemu", "lxc"] as const) {
      const base = `/nodes/{node}/${type}`;
      const guest = (req: Request): GuestRecord =>
        this.get(type, req.params.node as string, req.params.vmid as number);
      r[`GET ${base}`] = async (req) => {
        this.checkNode(req.params.node as string);
        const list = [...this.byId.values()].filter(
          (g) => g.type === type && g.node === req.params.node,
        );
        return Promise.all(list.map((g) => this.listItem(g)));
      };
      r[`POST ${base}`] = (req) => {
        this.checkNode(req.params.node as string);
        return this.create(type, req.params.node as string, req.params, req.caller);
      };
      r[`DELETE ${base}/{vmid}`] = (req) =>
        this.destroy(guest(req), req.caller, flag(req.params, "skiplock"));
      r[`GET ${base}/{vmid}/config`] = (req) => {
        const g = guest(req);
        const snapname = str(req.params, "snapshot");
        if (snapname !== undefined) {
          const s = this.snapshotGet(g, snapname);
          return {
            ...s.config,
            snaptime: s.snaptime,
            ...(s.parent === undefined ? {} : { parent: s.parent }),
            digest: this.digest(g),
          };
        }
        return this.configView(g, g.config);
      };
      r[`PUT ${base}/{vmid}/config`] = async (req) => {
        await this.updateConfig(guest(req), req.params);
        return null;
      };
      if (type === "qemu")
        r[`POST ${base}/{vmid}/config`] = (req) => {
          const g = guest(req);
          return this.startTask(g, "config", req.caller, () => this.updateConfig(g, req.params));
        };
      r[`GET ${base}/{vmid}/status/current`] = (req) => this.statusCurrent(guest(req));
      r[`POST ${base}/{vmid}/status/start`] = (req) =>
        this.start(guest(req), req.caller, flag(req.params, "skiplock"));
      r[`POST ${base}/{vmid}/status/stop`] = (req) =>
        this.stop(guest(req), req.caller, {
          graceful: false,
          timeoutMs: 0,
          skiplock: flag(req.params, "skiplock"),
        });
      r[`POST ${base}/{vmid}/status/shutdown`] = (req) =>
        this.stop(guest(req), req.caller, {
          graceful: true,
          timeoutMs: (num(req.params, "timeout") ?? 60) * 1000,
          skiplock: false,
        });
      r[`POST ${base}/{vmid}/clone`] = (req) => this.clone(guest(req), req.params, req.caller);
      r[`POST ${base}/{vmid}/template`] = async (req) => {
        const g = guest(req);
        if (type === "lxc") {
          await this.template(g);
          return null;
        }
        this.checkLock(g);
        return this.startTask(g, "template", req.caller, () => this.template(g));
      };
      r[`GET ${base}/{vmid}/snapshot`] = async (req) => {
        const g = guest(req);
        return this.snapshotList(g, await this.running(g.vmid));
      };
      r[`POST ${base}/{vmid}/snapshot`] = (req) =>
        this.snapshot(guest(req), req.params, req.caller);
      r[`GET ${base}/{vmid}/snapshot/{snapname}`] = (req) => {
        this.snapshotGet(guest(req), req.params.snapname as string);
        return [{ cmd: "rollback" }, { cmd: "config" }];
      };
      r[`GET ${base}/{vmid}/snapshot/{snapname}/config`] = (req) => {
        const g = guest(req);
        const s = this.snapshotGet(g, req.params.snapname as string);
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
        await this.snapshotUpdate(
          guest(req),
          req.params.snapname as string,
          str(req.params, "description"),
        );
        return null;
      };
      r[`POST ${base}/{vmid}/snapshot/{snapname}/rollback`] = (req) =>
        this.rollback(
          guest(req),
          req.params.snapname as string,
          flag(req.params, "start"),
          req.caller,
        );
      r[`DELETE ${base}/{vmid}/snapshot/{snapname}`] = (req) =>
        this.deleteSnapshot(
          guest(req),
          req.params.snapname as string,
          flag(req.params, "force"),
          req.caller,
        );
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

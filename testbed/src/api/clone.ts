import type { GuestType, VolumeRef } from "../realise/types.js";
import { str, type Caller } from "./context.js";
import { fail, paramError } from "./errors.js";
import { DISK_KEY, volumeOf, type Conf, type GuestRecord, type Guests } from "./guests.js";
import { enabledOn, isShared } from "./storage.js";

/** Keys of `POST /nodes/{node}/{qemu,lxc}` that are options of the call, not config. */
const CREATE_CALL_KEYS = new Set([
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
]);

/** Guest creation and cloning, with qemu-server's and pve-container's checks and locks. */
export class Cloner {
  constructor(private readonly gs: Guests) {}

  /** `check_vmid_unused` (pve-cluster): `VM|CT <id> already exists on node '<node>'`. */
  private checkUnused(vmid: number): void {
    const other = this.gs.byId.get(vmid);
    if (other !== undefined)
      throw fail(`${this.gs.noun(other)} ${vmid} already exists on node '${other.node}'`);
  }

  /** Create a guest record and its volumes (POST /nodes/{node}/{qemu,lxc}); minimal: disks and nets. */
  create(type: GuestType, node: string, p: Record<string, unknown>, caller: Caller): string {
    const vmid = p.vmid as number;
    if (this.gs.byId.has(vmid))
      throw fail(
        `unable to create ${type === "qemu" ? "VM" : "CT"} ${vmid}: config file already exists`,
      );
    const config: Conf = {};
    for (const [k, v] of Object.entries(p)) {
      if (CREATE_CALL_KEYS.has(k)) continue;
      if (typeof v === "string" || typeof v === "number") config[k] = v;
    }
    const allocs: { key: string; ref: VolumeRef; sizeGiB: number }[] = [];
    let diskIndex = 0;
    for (const [k, v] of Object.entries(config)) {
      if (!DISK_KEY.test(k)) continue;
      const m = /^([a-z][a-z0-9\-_.]*[a-z0-9]):(\d+(?:\.\d+)?)(,.*)?$/i.exec(String(v));
      if (m === null) continue;
      const def = this.gs.storage(m[1]!);
      if (!enabledOn(def, node))
        throw fail(`storage '${def.id}' is not available on node '${node}'`);
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
    this.gs.byId.set(vmid, g);
    this.gs.save(g);
    const startAfter = p.start === 1;
    return this.gs.startTask(g, "create", caller, async (ctx) => {
      try {
        for (const a of allocs) {
          await this.gs.realiseOp("createVolume", () =>
            this.gs.d.realiser.createVolume(a.ref, { sizeBytes: a.sizeGiB * 1024 ** 3 }),
          );
          ctx.log(`created volume '${a.ref.storage}:${a.ref.volume}'`);
        }
        await this.injectKeys(g, allocs[0]?.ref);
      } catch (err) {
        this.gs.forget(g);
        throw err;
      }
      await this.gs.setLock(g, undefined);
      if (startAfter) {
        await this.gs.realiseOp("startGuest", () => this.gs.d.realiser.startGuest(this.gs.spec(g)));
        this.gs.markRunning(g, true);
      }
    });
  }

  private async injectKeys(g: GuestRecord, root: VolumeRef | undefined): Promise<void> {
    if (root === undefined) return;
    const inj = await this.gs.realiseOp("injectSsh", () =>
      this.gs.d.realiser.injectSsh(root, {
        authorizedKeys: this.gs.d.authorizedKeys(),
        regenerateHostKeys: true,
      }),
    );
    g.hostKeyFingerprints = inj.hostKeyFingerprints;
  }

  /**
   * The checks `clone_vm` makes before it forks (qemu-server API2/Qemu.pm `$load_and_check`,
   * pve-container API2/LXC.pm `clone_vm`): they answer the POST with a 500, nothing changed.
   * Returns the new config and the volumes to copy.
   */
  private plan(
    src: GuestRecord,
    p: Record<string, unknown>,
  ): {
    config: Conf;
    copies: { from: VolumeRef; to: VolumeRef }[];
    full: boolean;
    target: string;
    snapname?: string;
  } {
    const newid = p.newid as number;
    const noun = this.gs.noun(src);
    const target = str(p, "target") ?? src.node;
    this.gs.checkNode(target);
    const remote = target !== src.node;
    const storage = str(p, "storage");
    if (storage !== undefined) {
      const def = this.gs.storage(storage);
      if (!enabledOn(def, src.node))
        throw fail(`storage '${storage}' is not available on node '${src.node}'`);
      if (remote) {
        if (!enabledOn(def, target))
          throw fail(`storage '${storage}' is not available on node '${target}'`);
        if (!isShared(def)) throw fail(`can't clone to non-shared storage '${storage}'`);
      }
    }
    const snapname = str(p, "snapname");
    if (snapname !== undefined && src.snapshots[snapname] === undefined)
      throw fail(`snapshot '${snapname}' does not exist`);
    const full = p.full === undefined ? !this.gs.isTemplate(src) : p.full === 1;
    if (storage !== undefined && !full)
      throw fail("parameter 'storage' not allowed for linked clones");
    const srcConf = snapname === undefined ? src.config : src.snapshots[snapname]!.config;
    const config: Conf = {};
    const copies: { from: VolumeRef; to: VolumeRef }[] = [];
    let sharedvm = true;
    let diskIndex = 0;
    for (const [k, v] of Object.entries(srcConf)) {
      if (["template", "parent", "lock", "snaptime", "vmstate", "snapstate"].includes(k)) continue;
      if (/^unused\d+$/.test(k)) continue;
      const ref = DISK_KEY.test(k) ? volumeOf(v) : undefined;
      if (ref === undefined) {
        config[k] = v;
        continue;
      }
      // qemu: the *source* volume's storage decides (check_storage_access_clone); LXC: the
      // target storage when one is given (`$sid = $storage if defined($storage)`)
      const decides = src.type === "lxc" && storage !== undefined ? storage : ref.storage;
      if (!isShared(this.gs.storage(decides))) sharedvm = false;
      if (!full && !this.gs.isTemplate(src))
        throw fail(
          src.type === "qemu"
            ? `Linked clone feature is not supported for '${ref.storage}:${ref.volume}' (${k})`
            : `Linked clone feature for '${ref.storage}:${ref.volume}' is not available`,
        );
      const to: VolumeRef = {
        storage: storage ?? ref.storage,
        volume:
          src.type === "lxc"
            ? `subvol-${newid}-disk-${diskIndex}`
            : `vm-${newid}-disk-${diskIndex}`,
      };
      diskIndex++;
      config[k] = String(v).replace(/^[^,]+/, `${to.storage}:${to.volume}`);
      copies.push({ from: ref, to });
    }
    if (remote && !sharedvm)
      throw fail(`can't clone ${noun} to node '${target}' (${noun} uses local storage)`);
    if (str(p, "name") !== undefined) config.name = str(p, "name")!;
    if (str(p, "hostname") !== undefined) config.hostname = str(p, "hostname")!;
    if (str(p, "description") !== undefined) config.description = str(p, "description")!;
    return { config, copies, full, target, ...(snapname === undefined ? {} : { snapname }) };
  }

  /**
   * `clone_vm`. qemu: the source is only read (a shared flock while stopped), so clones of one
   * template run side by side; the new VM is locked `clone` until done. LXC: the source gets a
   * `disk` lock (`set_lock`, which fails on any existing lock: a concurrent clone meets
   * "CT is locked (disk)") and the new CT a `create` lock, both removed by the worker. A failure
   * in the worker is `clone failed: <err>` and removes the new guest again.
   */
  clone(src: GuestRecord, p: Record<string, unknown>, caller: Caller): string {
    const newid = p.newid as number;
    if (src.type === "qemu") {
      this.gs.checkLock(src);
      const planned = this.plan(src, p);
      if (this.gs.byId.has(newid))
        throw fail(`unable to create VM ${newid}: config file already exists`);
      return this.run(src, newid, planned, "clone", caller);
    }
    this.gs.checkLock(src);
    src.config.lock = "disk";
    this.gs.save(src);
    try {
      this.checkUnused(newid);
      const planned = this.plan(src, p);
      return this.run(src, newid, planned, "create", caller);
    } catch (err) {
      delete src.config.lock;
      this.gs.save(src);
      throw err;
    }
  }

  private run(
    src: GuestRecord,
    newid: number,
    planned: ReturnType<Cloner["plan"]>,
    lock: "clone" | "create",
    caller: Caller,
  ): string {
    const { config, copies, full, target, snapname } = planned;
    const g: GuestRecord = {
      vmid: newid,
      type: src.type,
      node: target,
      config: { ...config, lock },
      snapshots: {},
      hostKeyFingerprints: [],
      snapSeq: 0,
    };
    this.gs.byId.set(newid, g);
    this.gs.save(g);
    return this.gs.startTask(src, "clone", caller, async (ctx) => {
      ctx.log(
        `creating a clone of ${src.type === "qemu" ? "VM" : "container"} ${src.vmid} with ID ${newid}`,
      );
      try {
        for (const c of copies) {
          ctx.log(
            `${full ? "full" : "linked"} clone of ${c.from.storage}:${c.from.volume} → ${c.to.storage}:${c.to.volume}`,
          );
          await this.gs.realiseOp("cloneVolume", () =>
            this.gs.d.realiser.cloneVolume(c.from, c.to, {
              linked: !full,
              ...(snapname === undefined ? {} : { fromSnapshot: snapname }),
            }),
          );
        }
        await this.injectKeys(g, copies[0]?.to);
      } catch (err) {
        for (const c of copies) await this.gs.d.realiser.destroyVolume(c.to).catch(() => undefined);
        this.gs.forget(g);
        throw new Error(`clone failed: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        // pve-container: "Unlock the source config in any case"
        if (src.type === "lxc" && src.config.lock === "disk") await this.gs.setLock(src, undefined);
      }
      await this.gs.setLock(g, undefined);
    });
  }
}

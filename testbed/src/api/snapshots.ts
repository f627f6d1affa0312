import type { VolumeRef } from "../realise/types.js";
import type { Caller } from "./context.js";
import { fail } from "./errors.js";
import type { Conf, GuestRecord, Guests, SnapshotRecord } from "./guests.js";
import { canSnapshot, rollbackBlockers } from "./storage.js";

const unixNow = (): number => Math.floor(Date.now() / 1000);
const volid = (r: VolumeRef): string => `${r.storage}:${r.volume}`;

/**
 * `__snapshot_copy_config` (pve-guest-common AbstractConfig.pm): what a snapshot keeps of the
 * config — everything but snapshot bookkeeping, the lock, the `description` and unused disks.
 */
function copyConfig(conf: Conf): Conf {
  const out: Conf = {};
  for (const [k, v] of Object.entries(conf)) {
    if (["snapstate", "snaptime", "vmstate", "lock", "digest", "description"].includes(k)) continue;
    if (/^unused\d+$/.test(k)) continue;
    out[k] = v;
  }
  return out;
}

/**
 * `__snapshot_apply_config`: a rollback takes the snapshot's config but keeps the current
 * `description` and the list of unused disks.
 */
function applyConfig(current: Conf, snap: Conf): Conf {
  const out: Conf = {};
  for (const [k, v] of Object.entries(current))
    if (k === "description" || /^unused\d+$/.test(k)) out[k] = v;
  return { ...out, ...copyConfig(snap) };
}

/**
 * The snapshot tree of a guest: create, rollback, delete with pve-guest-common's
 * `snapshot_create`, `snapshot_rollback` and `snapshot_delete` — their phases (each under the
 * config-file lock), locks and messages — and the storage plugins' `volume_rollback_is_possible`.
 */
export class Snapshots {
  constructor(private readonly gs: Guests) {}

  list(g: GuestRecord, running: boolean): Record<string, unknown>[] {
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
      digest: this.gs.digest(g),
      ...(g.config.parent === undefined ? {} : { parent: String(g.config.parent) }),
    });
    return items;
  }

  get(g: GuestRecord, name: string): SnapshotRecord {
    const s = g.snapshots[name];
    if (s === undefined) throw fail(`snapshot '${name}' does not exist`);
    return s;
  }

  /** Every snapshot on a volume, oldest first: PVE's and those made outside PVE. */
  onVolume(g: GuestRecord, ref: VolumeRef): string[] {
    const pve = Object.values(g.snapshots)
      .filter((s) => this.gs.volumes(s.config).some((v) => volid(v.ref) === volid(ref)))
      .map((s) => ({ name: s.name, seq: s.seq }));
    const foreign = (g.foreignSnapshots ?? [])
      .filter((f) => f.volume === volid(ref))
      .map((f) => ({ name: f.name, seq: f.seq }));
    return [...pve, ...foreign].sort((a, b) => a.seq - b.seq).map((s) => s.name);
  }

  /** A snapshot taken on the storage outside PVE (`zfs snapshot pool/vm-101-disk-0@mine`). */
  async foreign(g: GuestRecord, name: string): Promise<void> {
    for (const { ref } of this.gs.volumes(g.config)) {
      await this.gs.d.realiser.snapshotVolume(ref, name);
      g.snapSeq++;
      (g.foreignSnapshots ??= []).push({ volume: volid(ref), name, seq: g.snapSeq });
    }
    this.gs.save(g);
  }

  create(g: GuestRecord, p: Record<string, unknown>, caller: Caller): string {
    const name = p.snapname as string;
    const reserved = g.type === "qemu" ? ["current", "pending"] : ["current", "vzdump"];
    if (reserved.includes(name.toLowerCase()))
      throw fail(`unable to use snapshot name '${name}' (reserved name)`);
    const vmstate = p.vmstate === 1;
    const description = typeof p.description === "string" ? p.description : "";
    return this.gs.startTask(g, "snapshot", caller, async (ctx) => {
      ctx.log(`snapshotting '${name}'`);
      let vols: { key: string; ref: VolumeRef }[] = [];
      // __snapshot_prepare
      await this.gs.d.locks.with(g.type, g.vmid, () => {
        if (this.gs.isTemplate(g)) throw new Error("you can't take a snapshot if it's a template");
        this.gs.checkLock(g);
        if (g.snapshots[name] !== undefined)
          throw new Error(`snapshot name '${name}' already used`);
        vols = this.gs.volumes(g.config);
        if (vols.some(({ ref }) => !canSnapshot(this.gs.storage(ref.storage))))
          throw new Error("snapshot feature is not available");
        g.snapSeq++;
        g.snapshots[name] = {
          name,
          snaptime: unixNow(),
          description,
          ...(g.config.parent === undefined ? {} : { parent: String(g.config.parent) }),
          ...(g.type === "qemu" && vmstate ? { vmstate: 1 } : {}),
          snapstate: "prepare",
          config: (({ parent: _p, ...rest }) => rest)(copyConfig(g.config)),
          seq: g.snapSeq,
        };
        g.config.lock = "snapshot";
        this.gs.save(g);
      });
      const running = await this.gs.running(g.vmid);
      const freeze = running && freezeNeeded(g, vmstate);
      // The host flushes the guest's file systems only around a freeze (pve-container
      // `__snapshot_freeze`: `sync_mountpoint` of each mount point); for a VM without the agent
      // qemu-server goes straight to the storage (`__snapshot_create_vol_snapshot` →
      // `PVE::Storage::volume_snapshot`, BTRFSPlugin: `btrfs subvolume snapshot -r` alone), and
      // the btrfs snapshot still takes the volume's written data (it flushes the subvolume's
      // delalloc itself): crash-consistent, as PVE's is for a VM without the agent.
      try {
        if (freeze) await this.gs.d.realiser.freeze(g.vmid);
        try {
          for (const { ref } of vols) {
            await this.gs.realiseOp("snapshotVolume", () =>
              this.gs.d.realiser.snapshotVolume(ref, name, { flush: freeze }),
            );
            ctx.log(`snapshot of ${volid(ref)}`);
          }
        } finally {
          if (freeze) await this.gs.d.realiser.thaw(g.vmid);
        }
        if (running && g.type === "qemu")
          ctx.log(
            freeze ? "guest agent: file systems frozen and thawed" : "no freeze: crash-consistent",
          );
        if (vmstate && g.type === "qemu")
          ctx.log("vmstate: disk-only in the testbed (RAM state is not saved)");
      } catch (err) {
        // snapshot_create: "snapshot create failed: starting cleanup" = snapshot_delete with force
        ctx.warn("snapshot create failed: starting cleanup");
        for (const { ref } of vols)
          await this.gs.d.realiser.deleteVolumeSnapshot(ref, name).catch(() => undefined);
        await this.gs.d.locks.with(g.type, g.vmid, () => {
          delete g.snapshots[name];
          delete g.config.lock;
          this.gs.save(g);
        });
        throw err;
      }
      // __snapshot_commit: a late phase of its own under the config lock
      await this.gs.lateLockHold(g, "snapshot");
      await this.gs.d.locks.with(g.type, g.vmid, () => {
        if (g.config.lock !== "snapshot") throw new Error("missing snapshot lock");
        const s = g.snapshots[name];
        if (s === undefined) throw new Error(`snapshot '${name}' does not exist`);
        if (s.snapstate !== "prepare") throw new Error("wrong snapshot state");
        delete s.snapstate;
        delete g.config.lock;
        g.config.parent = name;
        this.gs.save(g);
      });
    });
  }

  async update(g: GuestRecord, name: string, description: string | undefined): Promise<void> {
    await this.gs.d.locks.with(g.type, g.vmid, () => {
      this.gs.checkLock(g);
      const s = this.get(g, name);
      if (description !== undefined) s.description = description;
      this.gs.save(g);
    });
  }

  /**
   * `snapshot_rollback`: prepare (storage check, snapstate, lock, stop, `lock: rollback`), roll the
   * volumes back, commit (config from the snapshot keeping description and unused disks; a
   * snapshot with RAM resumes inside). With `start`, the API's worker then starts the guest as a
   * task of its own (`vm_start` through the API, qemu-server/pve-container `rollback`).
   */
  rollback(g: GuestRecord, name: string, startAfter: boolean, caller: Caller): string {
    return this.gs.startTask(g, "rollback", caller, async (ctx) => {
      let snap!: SnapshotRecord;
      await this.gs.d.locks.with(g.type, g.vmid, async () => {
        if (this.gs.isTemplate(g)) throw new Error("you can't rollback if vm is a template");
        const s = g.snapshots[name];
        if (s === undefined) throw new Error(`snapshot '${name}' does not exist`);
        snap = s;
        for (const { ref } of this.gs.volumes(s.config)) {
          const r = rollbackBlockers(
            this.gs.storage(ref.storage),
            ref,
            this.onVolume(g, ref),
            name,
          );
          if (r.error !== undefined) throw new Error(r.error);
        }
        if (s.snapstate !== undefined)
          throw new Error(`unable to rollback to incomplete snapshot (snapstate = ${s.snapstate})`);
        this.gs.checkLock(g);
        if (await this.gs.running(g.vmid)) {
          ctx.log(`stopping ${this.gs.noun(g)} ${g.vmid} (hard stop) before rollback`);
          await this.gs.realiseOp("stopGuest", () =>
            this.gs.d.realiser.stopGuest(g.vmid, { graceful: false, timeoutMs: 0 }),
          );
          g.running = 0;
        }
        g.config.lock = "rollback";
        this.gs.save(g);
      });
      for (const { ref } of this.gs.volumes(snap.config)) {
        await this.gs.realiseOp("rollbackVolume", () =>
          this.gs.d.realiser.rollbackVolume(ref, name),
        );
        ctx.log(`rollback ${volid(ref)} to '${name}'`);
      }
      await this.gs.lateLockHold(g, "rollback");
      await this.gs.d.locks.with(g.type, g.vmid, () => {
        if (g.config.lock !== "rollback") throw new Error("got wrong lock");
        g.config = { ...applyConfig(g.config, snap.config), parent: name };
        this.gs.save(g);
      });
      if (snap.vmstate === 1) {
        await this.gs.realiseOp("startGuest", () => this.gs.d.realiser.startGuest(this.gs.spec(g)));
        this.gs.markRunning(g, true);
        ctx.log(`resumed ${this.gs.noun(g)} ${g.vmid} from its RAM state`);
      } else if (startAfter && !(await this.gs.running(g.vmid))) {
        const upid = this.gs.start(g, caller, false);
        ctx.log(`starting ${this.gs.noun(g)} ${g.vmid}: ${upid}`);
      }
    });
  }

  /**
   * `snapshot_delete`: `set_lock('snapshot-delete')` checks for a lock even with `force`; a volume
   * error stops the delete without `force` (the lock and `snapstate: delete` stay behind) and
   * is a warning with it; then the cleanup phase removes the entry and the lock.
   */
  remove(g: GuestRecord, name: string, force: boolean, caller: Caller): string {
    return this.gs.startTask(g, "delsnapshot", caller, async (ctx) => {
      let snap!: SnapshotRecord;
      await this.gs.d.locks.with(g.type, g.vmid, () => {
        const s = g.snapshots[name];
        if (s === undefined) throw new Error(`snapshot '${name}' does not exist`);
        this.gs.checkLock(g);
        g.config.lock = "snapshot-delete";
        this.gs.save(g);
      });
      await this.gs.d.locks.with(g.type, g.vmid, () => {
        if (g.config.lock !== "snapshot-delete")
          throw new Error("encountered invalid lock, expected 'snapshot-delete'");
        if (this.gs.isTemplate(g))
          throw new Error("you can't delete a snapshot if vm is a template");
        const s = g.snapshots[name];
        if (s === undefined) throw new Error(`snapshot '${name}' does not exist`);
        snap = s;
        s.snapstate = "delete";
        this.gs.save(g);
      });
      for (const { key, ref } of this.gs.volumes(snap.config)) {
        try {
          await this.gs.realiseOp("deleteVolumeSnapshot", () =>
            this.gs.d.realiser.deleteVolumeSnapshot(ref, name),
          );
          ctx.log(`delete snapshot of ${volid(ref)}`);
        } catch (err) {
          if (!force) throw err;
          ctx.warn(`${err instanceof Error ? err.message : String(err)}`);
        }
        // without force, each deleted volume snapshot leaves the snapshot's config ($remove_drive)
        if (!force)
          await this.gs.d.locks.with(g.type, g.vmid, () => {
            delete snap.config[key];
            this.gs.save(g);
          });
      }
      await this.gs.lateLockHold(g, "delsnapshot");
      await this.gs.d.locks.with(g.type, g.vmid, () => {
        if (g.config.lock !== "snapshot-delete")
          throw new Error("encountered invalid lock, expected 'snapshot-delete'");
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
        this.gs.save(g);
      });
    });
  }
}

/** The config's `agent` property string says the guest agent is enabled (`1`, `enabled=1,…`). */
export function agentEnabled(conf: Record<string, string | number>): boolean {
  const v = conf.agent;
  if (v === undefined) return false;
  const first = String(v).split(",")[0]!;
  return /^(enabled=)?1$/.test(first);
}

/**
 * Whether a running guest's file systems are frozen around its volume snapshots: a container
 * always (pve-container LXC/Config.pm `__snapshot_freeze`: `lxc-freeze` after a sync); a VM only
 * without `vmstate` and with the guest agent enabled (qemu-server QemuConfig.pm
 * `__snapshot_check_freeze_needed`: `parse_guest_agent($config)->{enabled}` and
 * `qga_check_running`; `__snapshot_freeze` then sends `guest-fsfreeze-freeze`/`-thaw`). The
 * testbed's agent always answers; its freeze is the guest's cgroup freezer after a sync.
 */
function freezeNeeded(g: GuestRecord, vmstate: boolean): boolean {
  if (g.type === "lxc") return true;
  return !vmstate && agentEnabled(g.config);
}

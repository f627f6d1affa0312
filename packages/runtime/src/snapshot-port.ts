import { HaGuard, NotFound, type Guest, type ProxmoxClient } from "@txbox/proxmox";
import type { GuestRef, SnapshotInfo, SnapshotPort } from "@txbox/tx";

/** Disk keys of a guest config that may hold its root volume, in the order Proxmox boots them. */
const ROOT_KEYS = /^(rootfs|scsi\d+|virtio\d+|sata\d+|ide\d+)$/;

/** The storage id of a guest's root volume (`local-btrfs:vm-101-disk-0,size=8G` → `local-btrfs`). Pure. */
export function rootStorage(config: Record<string, unknown>): string | undefined {
  const keys = Object.keys(config)
    .filter((k) => ROOT_KEYS.test(k))
    .sort((a, b) => (a === "rootfs" ? -1 : b === "rootfs" ? 1 : a.localeCompare(b)));
  for (const key of keys) {
    const value = config[key];
    if (typeof value !== "string" || /media=cdrom/.test(value) || value.startsWith("none"))
      continue;
    const m = /^([^:,]+):/.exec(value);
    if (m) return m[1];
  }
  return undefined;
}

/**
 * {@link SnapshotPort} over `@txbox/proxmox`. The Guest methods are already idempotent (create of
 * our own snapshot, delete of a missing one, start of a running guest are successes), retry what
 * provably did not run, and poll their tasks at their operation's pace (`POLL` presets).
 */
export class ProxmoxSnapshotPort implements SnapshotPort {
  private readonly guests = new Map<string, Promise<Guest>>();
  private readonly newestOnly = new Map<string, Promise<boolean>>();
  private readonly checks = new Map<string, { name: string; check: Promise<void> }>();
  private readonly ha: HaGuard;

  constructor(
    private readonly client: ProxmoxClient,
    /** Whether a guest's snapshots save its RAM (`vmstate`, qemu only; txbox.yaml `guests[].vmstate`). */
    private readonly vmstateOf: (vmid: number) => boolean = () => false,
  ) {
    this.ha = new HaGuard(client);
  }

  /** The Guest object of a ref, resolved once (type and node through /cluster/resources). */
  guest(ref: GuestRef): Promise<Guest> {
    const key = `${ref.node ?? ""}/${ref.vmid}`;
    let g = this.guests.get(key);
    if (g === undefined) {
      g = this.client.guest(ref.vmid, ref.node === undefined ? {} : { node: ref.node });
      g.catch(() => this.guests.delete(key));
      this.guests.set(key, g);
    }
    return g;
  }

  /** False only when the API reports the guest missing (`NotFound`). */
  async exists(ref: GuestRef): Promise<boolean> {
    try {
      await this.guest(ref);
      return true;
    } catch (error) {
      if (error instanceof NotFound) return false;
      throw error;
    }
  }

  /** The HA check of a snapshot about to be created (one per guest: the newest transaction's). */
  willCreate(ref: GuestRef, name: string): void {
    const check = this.ha.check(ref.vmid);
    check.catch(() => {}); // awaited by create
    this.checks.set(`${ref.node ?? ""}/${ref.vmid}`, { name, check });
  }

  /** The engine creates each transaction's snapshot once, under a name made from its new id. */
  async create(ref: GuestRef, name: string, description: string): Promise<void> {
    // Before the snapshot exists: a guest HA keeps running that the token cannot hold is refused
    // (checked since this transaction began, when it said so: `willCreate`).
    const key = `${ref.node ?? ""}/${ref.vmid}`;
    const early = this.checks.get(key);
    this.checks.delete(key);
    await (early?.name === name ? early.check : this.ha.check(ref.vmid));
    const vmstate = this.vmstateOf(ref.vmid);
    // The record's first line is fixed for the snapshot's life: it recognises a re-sent create.
    const marker = description.split("\n")[0];
    await (
      await this.guest(ref)
    ).createSnapshot(name, {
      description,
      fresh: true,
      ...(vmstate ? { vmstate } : {}),
      ...(marker === undefined ? {} : { marker }),
    });
  }

  async describe(ref: GuestRef, name: string, description: string): Promise<void> {
    await (await this.guest(ref)).describeSnapshot(name, description);
  }

  async rollback(ref: GuestRef, name: string): Promise<void> {
    // HA would restart the guest mid-rollback: held at `ignored` meanwhile (HaGuard).
    const guest = await this.guest(ref);
    await this.ha.around(ref.vmid, name, () => guest.rollback(name, { start: true }));
  }

  async remove(ref: GuestRef, name: string): Promise<void> {
    await (await this.guest(ref)).deleteSnapshot(name);
  }

  async list(ref: GuestRef): Promise<SnapshotInfo[]> {
    const { snapshots } = await (await this.guest(ref)).snapshots();
    return snapshots.map((s) => ({
      name: s.name,
      description: s.description,
      ...(s.parent === undefined ? {} : { parent: s.parent }),
      ...(s.snaptime === undefined ? {} : { snaptime: s.snaptime }),
    }));
  }

  async state(ref: GuestRef): Promise<{ running: boolean; lock?: string }> {
    const s = await (await this.guest(ref)).status();
    return { running: s.status === "running", ...(s.lock === undefined ? {} : { lock: s.lock }) };
  }

  async unlock(ref: GuestRef): Promise<void> {
    await (await this.guest(ref)).unlock();
  }

  async start(ref: GuestRef): Promise<void> {
    await (await this.guest(ref)).start();
  }

  /**
   * Whether the guest rolls back only to its newest snapshot: a disk on ZFS (zfspool, ZFS over
   * iSCSI) or on qcow2 volume chains (dir/NFS/CIFS/thick LVM with `snapshot-as-volume-chain`).
   */
  rollbackOnlyNewest(ref: GuestRef): Promise<boolean> {
    const key = `${ref.node ?? ""}/${ref.vmid}`;
    let r = this.newestOnly.get(key);
    if (r === undefined) {
      r = (async () => (await this.guest(ref)).rollsBackOnlyToNewest())();
      r.catch(() => this.newestOnly.delete(key));
      this.newestOnly.set(key, r);
    }
    return r;
  }
}

/**
 * What a storage definition (`GET /storage`) implies for txbox, as PVE's storage plugins decide
 * it (pve-storage PVE/Storage/*Plugin.pm). Pure.
 */

/** A storage as `GET /storage` lists it. */
export interface StorageDef {
  storage: string;
  type: string;
  shared?: number | boolean;
  nodes?: string;
  "snapshot-as-volume-chain"?: number | boolean;
  [key: string]: unknown;
}

/** Plugin.pm `@SHARED_STORAGE`: shared whatever storage.cfg says. */
const ALWAYS_SHARED = new Set(["iscsi", "nfs", "cifs", "rbd", "cephfs", "iscsidirect", "zfs"]);

const on = (v: unknown): boolean => v === true || Number(v) === 1;

/** Whether every node sees the storage's volumes (`$scfg->{shared}`). */
export function isSharedStorage(def: StorageDef): boolean {
  return ALWAYS_SHARED.has(def.type) || on(def.shared);
}

/** Whether the storage is enabled on `node` (`nodes` unset = all nodes). */
export function storageOnNode(def: StorageDef, node: string): boolean {
  if (typeof def.nodes !== "string" || def.nodes === "") return true;
  return def.nodes.split(/[,;\s]+/).includes(node);
}

/**
 * Whether a rollback is possible only to the newest snapshot of each volume
 * (`volume_rollback_is_possible`): ZFS (zfspool and ZFS over iSCSI) always; dir, NFS, CIFS and
 * thick LVM when snapshots are qcow2 volume chains. btrfs, lvmthin and rbd roll back to any.
 */
export function rollsBackOnlyToNewest(def: StorageDef): boolean {
  if (def.type === "zfspool" || def.type === "zfs") return true;
  return ["dir", "nfs", "cifs", "lvm"].includes(def.type) && on(def["snapshot-as-volume-chain"]);
}

/** The storage ids of a guest config's disks (`scsi0: tank:vm-101-disk-0,size=8G` → `tank`). */
export function diskStorages(config: Record<string, unknown>): string[] {
  const out = new Set<string>();
  for (const [k, v] of Object.entries(config)) {
    if (!/^(rootfs|mp\d+|scsi\d+|virtio\d+|sata\d+|ide\d+|efidisk\d+|tpmstate\d+)$/.test(k))
      continue;
    if (typeof v !== "string" || /media=cdrom/.test(v) || v.startsWith("none")) continue;
    const m = /^([a-z][a-z0-9\-_.]*[a-z0-9]):/i.exec(v);
    if (m) out.add(m[1]!);
  }
  return [...out];
}

/**
 * Whether PVE can snapshot a guest disk on this storage (the plugins' `volume_has_feature`
 * snapshot): ZFS, btrfs, LVM-thin, RBD and ZFS over iSCSI always; file storages (dir, NFS, CIFS)
 * only for a VM's qcow2 disks; thick LVM only with PVE 9's `snapshot-as-volume-chain`. `why` says
 * what stands in the way.
 */
export function snapshotSupport(
  def: StorageDef,
  guestType: "qemu" | "lxc",
): { ok: boolean; why: string } {
  if (["zfspool", "zfs", "btrfs", "lvmthin", "rbd"].includes(def.type))
    return { ok: true, why: `${def.type} snapshots` };
  if (["dir", "nfs", "cifs"].includes(def.type))
    return guestType === "qemu"
      ? { ok: true, why: `qcow2 disks on ${def.type} (raw disks there cannot be snapshot)` }
      : { ok: false, why: `a container's volumes on ${def.type} storage cannot be snapshot` };
  if (def.type === "lvm")
    return on(def["snapshot-as-volume-chain"]) && guestType === "qemu"
      ? { ok: true, why: "thick LVM with snapshot-as-volume-chain (PVE 9)" }
      : { ok: false, why: "thick LVM snapshots need PVE 9's snapshot-as-volume-chain (VMs only)" };
  return { ok: false, why: `${def.type} storage has no snapshots` };
}

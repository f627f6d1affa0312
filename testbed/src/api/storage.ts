import type { StorageDef, VolumeRef } from "../realise/types.js";

/**
 * The storage rules PVE's plugins implement, per storage definition (pve-storage
 * PVE/Storage/*Plugin.pm). Pure: definitions and volume snapshot lists in, answers out.
 */

/** pve-storage Plugin.pm `@SHARED_STORAGE`: these plugin types are shared whatever storage.cfg says. */
const ALWAYS_SHARED = new Set(["iscsi", "nfs", "cifs", "rbd", "cephfs", "iscsidirect", "zfs"]);

/** Whether the storage's volumes are visible on every node (`$scfg->{shared}`). */
export function isShared(def: StorageDef): boolean {
  return ALWAYS_SHARED.has(def.type) || def.shared === true;
}

/** Whether the storage is enabled on `node` (`storage_check_enabled` with a node). */
export function enabledOn(def: StorageDef, node: string): boolean {
  return def.nodes === undefined || def.nodes.includes(node);
}

const chain = (def: StorageDef): boolean => def["snapshot-as-volume-chain"] === true;

/**
 * `volume_has_feature(..., 'snapshot')`: zfs, zfspool, btrfs, lvmthin and rbd snapshot any volume;
 * dir/nfs/cifs only qcow2 files (modelled as volumes on a `snapshot-as-volume-chain` storage) and
 * thick LVM only with `snapshot-as-volume-chain` (PVE 9); raw volumes never.
 */
export function canSnapshot(def: StorageDef): boolean {
  switch (def.type) {
    case "btrfs":
    case "zfspool":
    case "zfs":
    case "lvmthin":
    case "rbd":
      return true;
    default:
      return chain(def);
  }
}

/**
 * `volume_rollback_is_possible` of the storage's plugin: the snapshots on the volume that block a
 * rollback to `snap` (all that are newer), or the error PVE dies with. `onVolume` lists every
 * snapshot of the volume oldest first — PVE's and those made outside PVE (`zfs snapshot`), since
 * the plugins ask the storage, not the guest config.
 * - ZFSPoolPlugin (also ZFS over iSCSI, `ZFSPlugin` derives from it): newest only, names the volid.
 * - Plugin.pm (dir, nfs, cifs): newest only with `snapshot-as-volume-chain`, names the volname.
 * - LVMPlugin (thick): qcow2 chains only, newest only, names the volname.
 * - BTRFSPlugin, LvmThinPlugin, RBDPlugin: any snapshot.
 */
export function rollbackBlockers(
  def: StorageDef,
  ref: VolumeRef,
  onVolume: string[],
  snap: string,
): { error?: string; blockers: string[] } {
  const zfs = def.type === "zfspool" || def.type === "zfs";
  const chained = ["dir", "nfs", "cifs", "lvm"].includes(def.type) && chain(def);
  if (!zfs && !chained) return { blockers: [] };
  const where = zfs ? `${ref.storage}:${ref.volume}` : ref.volume;
  const at = onVolume.indexOf(snap);
  if (at < 0)
    return {
      error: `can't rollback, snapshot '${snap}' does not exist on '${where}'`,
      blockers: [],
    };
  const blockers = onVolume.slice(at + 1);
  if (blockers.length > 0)
    return {
      error: `can't rollback, '${snap}' is not most recent snapshot on '${where}'`,
      blockers,
    };
  return { blockers };
}

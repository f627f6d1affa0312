/**
 * The one interface through which the testbed's API layer causes real effects on guests, storage
 * and networks. The API layer (tasks, locks, config files, snapshot bookkeeping, validation) never
 * touches the host directly; it calls a Realiser. Two implementations:
 * - `MemoryRealiser` (realise/memory.ts): in-memory, no effects; for the API layer's unit and
 *   conformance tests only, and named as such.
 * - `HostRealiser` (realise/host/…): the shipped one; btrfs subvolumes on a loop-mounted image,
 *   namespaced guests running a real sshd, veth pairs on a management bridge.
 *
 * Every method is idempotent where the name says so, because the API layer re-drives effects after
 * a testbed restart. Errors are thrown as `RealiseError` with a message fit for a task log.
 */

import type { RunningSdnConfig } from "./sdn/types.js";

/** The SDN configuration handed to {@link Realiser.applySdn} (defined with the SDN realisation). */
export type { RunningSdnConfig };

/** What {@link Realiser.applyFirewall} realises: every firewall setting that shapes traffic. */
export type FirewallState = Pick<RunningSdnConfig, "vnetFirewalls" | "firewall" | "firewallConfig">;

export type GuestType = "qemu" | "lxc";

/**
 * Storage types the testbed models (PVE's plugin names: `zfs` is ZFS over iSCSI, `lvm` thick LVM).
 * Every type is realised on btrfs; the API layer keeps each type's rules (api/storage.ts).
 */
export type StorageType =
  "btrfs" | "zfspool" | "zfs" | "dir" | "nfs" | "cifs" | "lvm" | "lvmthin" | "rbd";

export interface StorageDef {
  /** Storage id as Proxmox names it (`local-btrfs`, `tank`). */
  id: string;
  type: StorageType;
  /** Content types, as in `/storage` (`images,rootdir`). */
  content: string[];
  /** Size of the backing image in bytes (btrfs/zfspool). */
  sizeBytes?: number;
  /** `shared` in storage.cfg; nfs, cifs, rbd and zfs (over iSCSI) are always shared. */
  shared?: boolean;
  /** PVE 9's `snapshot-as-volume-chain` (qcow2 snapshot chains on dir/nfs/cifs and thick LVM). */
  "snapshot-as-volume-chain"?: boolean;
  /** Nodes the storage is available on (default: all). */
  nodes?: string[];
}

export interface StorageUsage {
  total: number;
  used: number;
  avail: number;
  active: boolean;
}

/** A guest's disk/rootfs volume reference: `<storage>:<volname>`, e.g. `local-btrfs:vm-101-disk-0`. */
export interface VolumeRef {
  storage: string;
  volume: string;
}

export interface NetIf {
  /** `net0` … */
  key: string;
  /** Bridge or SDN vnet name the interface attaches to. */
  bridge: string;
  /** Static address in CIDR form, when the config gives one (`ip=10.0.0.5/24`). */
  cidr?: string;
  gateway?: string;
  hwaddr?: string;
  /** `eth0` for LXC, derived for qemu (`eth<N>`). */
  ifname: string;
  /** The NIC's `firewall=1` flag (the guest's firewall applies to it). */
  firewall?: boolean;
}

export interface GuestRuntimeSpec {
  vmid: number;
  type: GuestType;
  node: string;
  hostname: string;
  rootfs: VolumeRef;
  memoryMiB: number;
  cores: number;
  /** Max number of processes (pids cgroup); undefined = testbed default. */
  pids?: number;
  nets: NetIf[];
}

export interface GuestRuntimeStatus {
  running: boolean;
  /** PID (on the host) of the guest's main process, when running. */
  pid?: number;
  /** Seconds since start. */
  uptime: number;
  /** Bytes of memory in use / allowed. */
  mem: number;
  maxmem: number;
  /** CPU usage fraction (0..cores) since last sample. */
  cpu: number;
  /** Management address reachable from the host, when running. */
  mgmtAddress?: string;
}

export interface SshInjection {
  /** Public keys to put into root's authorized_keys. */
  authorizedKeys: string[];
  /** Regenerate the guest's SSH host keys (at clone time). */
  regenerateHostKeys: boolean;
}

export interface Realiser {
  /** Prepare storages, the management network and anything shared. Idempotent; cleans leftovers of a crashed run. */
  init(): Promise<void>;
  /** Undo everything init and the guests created: processes, mounts, loop devices, namespaces, links. */
  teardown(): Promise<void>;

  storageUsage(storage: string): Promise<StorageUsage>;

  /** Create an empty-ish volume for a new guest (a fresh rootfs from the base image). Idempotent. */
  createVolume(ref: VolumeRef, options: { sizeBytes?: number }): Promise<void>;
  /** Linked clone (writable snapshot) or full copy of `from` into `to`. Idempotent. */
  cloneVolume(
    from: VolumeRef,
    to: VolumeRef,
    options: { linked: boolean; fromSnapshot?: string },
  ): Promise<void>;
  /**
   * Optional: make a volume read-only (a template's disks, as PVE's base images) or writable
   * again. Linked clones of it stay writable. Idempotent.
   */
  setVolumeReadOnly?(ref: VolumeRef, readOnly: boolean): Promise<void>;
  /**
   * Optional: move a volume of a local storage to another node (PVE's `storage_migrate`: export
   * on the source, import on the target, source removed). The guest is stopped. Idempotent.
   */
  migrateVolume?(ref: VolumeRef, move: { from: string; to: string }): Promise<void>;
  /** Destroy a volume and all its snapshots. Missing = success. */
  destroyVolume(ref: VolumeRef): Promise<void>;
  /**
   * Read-only snapshot; the caller has made the guest consistent (see freeze). `flush` (default
   * true): sync the volume's file system first, as PVE does for a frozen guest only (see
   * `Snapshots.create`).
   */
  snapshotVolume(ref: VolumeRef, snapname: string, options?: { flush?: boolean }): Promise<void>;
  /** Replace the volume's content by the snapshot's. The guest is stopped. */
  rollbackVolume(ref: VolumeRef, snapname: string): Promise<void>;
  /** Missing = success. */
  deleteVolumeSnapshot(ref: VolumeRef, snapname: string): Promise<void>;
  volumeSnapshotExists(ref: VolumeRef, snapname: string): Promise<boolean>;

  /** Flush and freeze the guest's file system activity for a consistent snapshot; thaw undoes it. */
  freeze(vmid: number): Promise<void>;
  thaw(vmid: number): Promise<void>;

  /** Put keys into the guest's rootfs (guest stopped or running). */
  injectSsh(ref: VolumeRef, injection: SshInjection): Promise<{ hostKeyFingerprints: string[] }>;

  startGuest(spec: GuestRuntimeSpec): Promise<{ pid: number }>;
  /** Hard stop (`stop`) or clean shutdown with a timeout, then hard stop. Stopped = success. */
  stopGuest(vmid: number, options: { graceful: boolean; timeoutMs: number }): Promise<void>;
  guestStatus(vmid: number): Promise<GuestRuntimeStatus>;
  /**
   * Whether the guest runs, without the memory and CPU figures of {@link guestStatus} (two cgroup
   * reads a snapshot or rollback task does not need). Optional: `guestStatus` answers otherwise.
   */
  isRunning?(vmid: number): boolean;

  /**
   * Optional: realise the SDN running configuration (controllers, zones, vnets, subnets and vnet
   * firewalls as the API returns them with `running=1`) after `PUT /cluster/sdn`. Idempotent.
   * Absent = the apply task only logs that SDN is not realised.
   */
  applySdn?(running: RunningSdnConfig): Promise<void>;
  /**
   * Optional: realise changed firewall state (vnet firewalls, the datacenter switch, nftables
   * mode, guest and cluster rules) on the networks of the last `applySdn`, as pve-firewall does
   * within seconds of every change. Idempotent; throws when the change could not be realised.
   */
  applyFirewall?(firewall: FirewallState): Promise<void>;
  /** Optional: SSH host-key fingerprints of a guest (for `GET /testbed/guests`). */
  hostKeyFingerprints?(vmid: number): Promise<string[]>;
}

export class RealiseError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RealiseError";
  }
}

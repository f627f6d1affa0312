import { createHash } from "node:crypto";
import {
  RealiseError,
  type GuestRuntimeSpec,
  type GuestRuntimeStatus,
  type Realiser,
  type RunningSdnConfig,
  type SshInjection,
  type StorageDef,
  type StorageUsage,
  type VolumeRef,
} from "./types.js";

const key = (ref: VolumeRef): string => `${ref.storage}:${ref.volume}`;

/**
 * An in-memory Realiser with no effects on the host: volumes, snapshots and guest processes are
 * entries in maps. It exists for the API layer's own tests (and `realiser: memory` demos); nothing
 * runs, so status figures are synthetic and the management address is absent.
 */
export class MemoryRealiser implements Realiser {
  readonly volumes = new Map<string, { snapshots: string[]; content: string }>();
  readonly guests = new Map<number, { spec: GuestRuntimeSpec; startedAt: number; pid: number }>();
  readonly frozen = new Set<number>();
  /** Every effect, in order, for tests that check what the API layer asked for. */
  readonly calls: string[] = [];
  sdn: RunningSdnConfig | undefined;
  private nextPid = 10000;

  constructor(private readonly storages: StorageDef[] = []) {}

  async init(): Promise<void> {
    this.calls.push("init");
  }

  async teardown(): Promise<void> {
    this.calls.push("teardown");
    this.guests.clear();
    this.volumes.clear();
  }

  async storageUsage(storage: string): Promise<StorageUsage> {
    const def = this.storages.find((s) => s.id === storage);
    const total = def?.sizeBytes ?? 64 * 1024 ** 3;
    const used =
      [...this.volumes.keys()].filter((k) => k.startsWith(`${storage}:`)).length * 1024 ** 3;
    return { total, used, avail: Math.max(0, total - used), active: true };
  }

  async createVolume(ref: VolumeRef): Promise<void> {
    this.calls.push(`createVolume ${key(ref)}`);
    if (!this.volumes.has(key(ref))) this.volumes.set(key(ref), { snapshots: [], content: "" });
  }

  async cloneVolume(from: VolumeRef, to: VolumeRef, options: { linked: boolean }): Promise<void> {
    this.calls.push(`cloneVolume ${key(from)} ${key(to)} linked=${options.linked ? 1 : 0}`);
    const src = this.volumes.get(key(from));
    if (src === undefined) throw new RealiseError(`volume '${key(from)}' does not exist`);
    if (!this.volumes.has(key(to)))
      this.volumes.set(key(to), { snapshots: [], content: src.content });
  }

  async migrateVolume(ref: VolumeRef, move: { from: string; to: string }): Promise<void> {
    this.calls.push(`migrateVolume ${key(ref)} ${move.from}->${move.to}`);
    if (!this.volumes.has(key(ref))) throw new RealiseError(`volume '${key(ref)}' does not exist`);
  }

  async destroyVolume(ref: VolumeRef): Promise<void> {
    this.calls.push(`destroyVolume ${key(ref)}`);
    this.volumes.delete(key(ref));
  }

  async snapshotVolume(ref: VolumeRef, snapname: string): Promise<void> {
    this.calls.push(`snapshotVolume ${key(ref)} ${snapname}`);
    const v = this.volume(ref);
    if (!v.snapshots.includes(snapname)) v.snapshots.push(snapname);
  }

  async rollbackVolume(ref: VolumeRef, snapname: string): Promise<void> {
    this.calls.push(`rollbackVolume ${key(ref)} ${snapname}`);
    if (!this.volume(ref).snapshots.includes(snapname))
      throw new RealiseError(`snapshot '${snapname}' of '${key(ref)}' does not exist`);
  }

  async deleteVolumeSnapshot(ref: VolumeRef, snapname: string): Promise<void> {
    this.calls.push(`deleteVolumeSnapshot ${key(ref)} ${snapname}`);
    const v = this.volumes.get(key(ref));
    if (v !== undefined) v.snapshots = v.snapshots.filter((s) => s !== snapname);
  }

  async volumeSnapshotExists(ref: VolumeRef, snapname: string): Promise<boolean> {
    return this.volumes.get(key(ref))?.snapshots.includes(snapname) ?? false;
  }

  async freeze(vmid: number): Promise<void> {
    this.frozen.add(vmid);
  }

  async thaw(vmid: number): Promise<void> {
    this.frozen.delete(vmid);
  }

  async injectSsh(
    ref: VolumeRef,
    injection: SshInjection,
  ): Promise<{ hostKeyFingerprints: string[] }> {
    this.calls.push(`injectSsh ${key(ref)}`);
    const fp = createHash("sha256").update(key(ref)).digest("base64").replace(/=+$/, "");
    return { hostKeyFingerprints: injection.regenerateHostKeys ? [`SHA256:${fp}`] : [] };
  }

  async startGuest(spec: GuestRuntimeSpec): Promise<{ pid: number }> {
    this.calls.push(`startGuest ${spec.vmid}`);
    const existing = this.guests.get(spec.vmid);
    if (existing !== undefined) return { pid: existing.pid };
    const pid = this.nextPid++;
    this.guests.set(spec.vmid, { spec, startedAt: Date.now(), pid });
    return { pid };
  }

  async stopGuest(vmid: number, options: { graceful: boolean }): Promise<void> {
    this.calls.push(`stopGuest ${vmid} graceful=${options.graceful ? 1 : 0}`);
    this.guests.delete(vmid);
  }

  async guestStatus(vmid: number): Promise<GuestRuntimeStatus> {
    const g = this.guests.get(vmid);
    if (g === undefined) return { running: false, uptime: 0, mem: 0, maxmem: 0, cpu: 0 };
    return {
      running: true,
      pid: g.pid,
      uptime: Math.floor((Date.now() - g.startedAt) / 1000),
      mem: 64 * 1024 * 1024,
      maxmem: g.spec.memoryMiB * 1024 * 1024,
      cpu: 0,
    };
  }

  async applySdn(running: RunningSdnConfig): Promise<void> {
    this.calls.push("applySdn");
    this.sdn = running;
  }

  /** The firewall state of the last `applyFirewall` (vnet firewalls and the cluster's switches). */
  firewall: Pick<RunningSdnConfig, "vnetFirewalls" | "firewall"> | undefined;

  /** When set, `applyFirewall` fails with this message (the API layer must undo the change). */
  firewallFailure: string | undefined;

  async applyFirewall(
    firewall: Pick<RunningSdnConfig, "vnetFirewalls" | "firewall">,
  ): Promise<void> {
    this.calls.push("applyFirewall");
    if (this.firewallFailure !== undefined) throw new RealiseError(this.firewallFailure);
    this.firewall = firewall;
  }

  private volume(ref: VolumeRef): { snapshots: string[]; content: string } {
    const v = this.volumes.get(key(ref));
    if (v === undefined) throw new RealiseError(`volume '${key(ref)}' does not exist`);
    return v;
  }
}

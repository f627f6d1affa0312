import { existsSync } from "node:fs";
import { mkdir, realpath, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { SdnRealiser, type SdnNode } from "../sdn/index.js";
import {
  RealiseError,
  type FirewallState,
  type RunningSdnConfig,
  type GuestRuntimeSpec,
  type GuestRuntimeStatus,
  type Realiser,
  type SshInjection,
  type StorageUsage,
  type VolumeRef,
} from "../types.js";
import { GuestCgroup } from "./cgroup.js";
import { nodeFirewallScripts, type PlacedGuest } from "./firewall.js";
import { waitFor } from "./exec.js";
import { HostNames } from "./names.js";
import { MgmtNetwork, netnsPath, plugNic } from "./network.js";
import {
  GUEST_SECCOMP_FD,
  guestArgv,
  inCgroupsArgv,
  procMasks,
  type ProcMasks,
} from "./sandbox.js";
import { guestSeccompProgram } from "./seccomp.js";
import {
  cleanDeadInstances,
  cleanInstance,
  processAlive,
  registerInstance,
  unregisterInstance,
} from "./cleanup.js";
import { MgmtSlots } from "./slots.js";
import { injectSsh } from "./ssh-inject.js";
import { STOPPED, statusOf, type RunningGuest } from "./running.js";
import type { HostLogger, HostRealiserOptions } from "./options.js";
import { logTail, spawnLauncher, sshdListening } from "./launch.js";
import { BtrfsStorage } from "./storage.js";

export {
  GUEST_CAPABILITIES,
  GUEST_INIT,
  GUEST_SECCOMP_FD,
  guestArgv,
  helperArgv,
  procMasks,
  sandboxArgv,
  type ProcMasks,
  type SandboxOptions,
} from "./sandbox.js";
export { guestSeccompProgram } from "./seccomp.js";
export { GUEST_MGMT_IFNAME } from "./network.js";
export { HostNames } from "./names.js";
export type { HostLogger, HostRealiserOptions } from "./options.js";
export { cleanInstance, processAlive } from "./cleanup.js";

const MIB = 1024 * 1024;
const DEFAULT_ROOTFS = "/var/cache/txbox/rootfs/bookworm.tar";

/** The firewall part of a state handed to the realiser, without absent keys. */
function pickFirewall(s: FirewallState): FirewallState {
  const out: FirewallState = {};
  if (s.vnetFirewalls !== undefined) out.vnetFirewalls = s.vnetFirewalls;
  if (s.firewall !== undefined) out.firewall = s.firewall;
  if (s.firewallConfig !== undefined) out.firewallConfig = s.firewallConfig;
  return out;
}

/**
 * The shipped {@link Realiser}: every guest (qemu and lxc alike) is a bubblewrap-confined set of
 * namespaces running a real OpenSSH sshd on a btrfs subvolume; snapshots are btrfs read-only
 * snapshots; guests sit on a management bridge inside a network namespace the testbed owns.
 * Needs root. See testbed/README-guests.md for the safety model.
 */
export class HostRealiser implements Realiser {
  private readonly options: Required<
    Omit<HostRealiserOptions, "logger" | "rootfsTarball" | "sdn">
  > & {
    logger?: HostLogger;
  };
  private readonly sdnOptions: HostRealiserOptions["sdn"];
  private sdn: { nodes: SdnNode[]; realiser: SdnRealiser } | undefined;
  /** Present only when constructed with `sdn`: realises the running SDN config, then re-plugs NICs. */
  readonly applySdn?: (running: RunningSdnConfig) => Promise<void>;
  /** Present only when constructed with `sdn`: realises changed firewall state at once. */
  readonly applyFirewall?: (firewall: FirewallState) => Promise<void>;
  /** The firewall state last handed in: what guest starts and stops realise again. */
  private firewallState: FirewallState = {};
  private readonly rootfsTarball: string;
  private names: HostNames;
  private stateDir: string;
  private storages = new Map<string, BtrfsStorage>();
  private network: MgmtNetwork | undefined;
  private readonly guests = new Map<number, RunningGuest>();
  private readonly locks = new Map<number, Promise<unknown>>();
  private slots: MgmtSlots;
  private initialised = false;
  /** /proc entries of this kernel that guests get masked (computed once at init). */
  private masks: ProcMasks = { files: [], dirs: [] };

  constructor(options: HostRealiserOptions) {
    if (!options.stateDir.startsWith("/")) {
      throw new RealiseError(`stateDir must be absolute, got ${JSON.stringify(options.stateDir)}`);
    }
    const ids = new Set<string>();
    for (const s of options.storages) {
      if (ids.has(s.id)) throw new RealiseError(`storage ${s.id} is defined twice`);
      ids.add(s.id);
    }
    this.options = {
      defaultPids: 1024,
      startTimeoutMs: 15_000,
      ...options,
    };
    this.sdnOptions = options.sdn;
    this.rootfsTarball = options.rootfsTarball ?? process.env.TXBOX_ROOTFS ?? DEFAULT_ROOTFS;
    this.stateDir = options.stateDir;
    this.names = new HostNames(options.stateDir);
    this.slots = new MgmtSlots(join(options.stateDir, "mgmt-slots.json"));
    if (options.sdn) {
      const { nodes } = options.sdn;
      this.applySdn = async (running) => {
        if (this.sdn === undefined) throw new RealiseError("realiser not initialised");
        await this.sdn.realiser.apply(nodes, running);
        this.firewallState = { ...this.firewallState, ...pickFirewall(running) };
        for (const vmid of [...this.guests.keys()]) {
          await this.locked(vmid, async () => {
            const g = this.running(vmid);
            if (g) await this.plugNets(g);
          });
        }
        await this.realiseNodeFirewalls();
      };
      this.applyFirewall = async (firewall) => {
        if (this.sdn === undefined) throw new RealiseError("realiser not initialised");
        await this.sdn.realiser.applyFirewall(nodes, firewall);
        await this.realiseNodeFirewalls(firewall);
      };
    }
  }

  /** Prefixes of everything this instance creates on the host (for tests and operators). */
  get hostNames(): HostNames {
    return this.names;
  }

  /** Absolute state directory after symlinks are resolved (set by init). */
  get resolvedStateDir(): string {
    return this.stateDir;
  }

  /** Mount point of a storage (for tests and tools that inspect volumes). */
  storageMountPoint(storage: string): string {
    return this.storage(storage).mountPoint;
  }

  /** Host path of a volume's root file system (for tests and tools; do not write into it). */
  volumePath(ref: VolumeRef): string {
    return this.storage(ref.storage).volumePath(ref.volume);
  }

  async init(): Promise<void> {
    if (process.getuid?.() !== 0) throw new RealiseError("HostRealiser needs root");
    await mkdir(this.options.stateDir, { recursive: true });
    this.stateDir = await realpath(this.options.stateDir);
    this.names = new HostNames(this.stateDir);
    if (this.sdnOptions && this.sdn === undefined) {
      // Named after the resolved state directory, so crash cleanup finds its namespaces.
      const sdnStateDir = join(this.stateDir, "sdn");
      const realiser =
        this.sdnOptions.realiser ??
        new SdnRealiser({ prefix: this.names.sdnPrefix, stateDir: sdnStateDir });
      this.sdn = { nodes: this.sdnOptions.nodes, realiser };
    }
    if (!this.initialised) {
      await this.cleanLeftovers();
      await this.cleanDeadInstances();
      this.slots = new MgmtSlots(join(this.stateDir, "mgmt-slots.json"));
      await this.slots.load();
    }
    this.network ??= new MgmtNetwork(this.names, this.options.mgmt.cidr, this.options.mgmt.bridge);
    await this.network.assertRangeFree(); // before anything is mounted: fail fast, leave nothing
    await registerInstance(this.names, this.stateDir);
    for (const d of ["run", "log"]) await mkdir(join(this.stateDir, d), { recursive: true });
    this.masks = procMasks(existsSync);
    await writeFile(this.seccompFile(), guestSeccompProgram());
    for (const def of this.options.storages) {
      const s =
        this.storages.get(def.id) ?? new BtrfsStorage(def, this.stateDir, this.rootfsTarball);
      this.storages.set(def.id, s);
      await s.mount();
    }
    await this.network.up();
    this.initialised = true;
    this.log("info", "host realiser ready", { stateDir: this.stateDir, tag: this.names.tag });
  }

  async teardown(): Promise<void> {
    for (const vmid of [...this.guests.keys()]) {
      await this.stopGuest(vmid, { graceful: false, timeoutMs: 0 });
    }
    await this.network?.down();
    await this.sdn?.realiser.teardown();
    for (const s of this.storages.values()) await s.unmount();
    await this.cleanLeftovers();
    await unregisterInstance(this.names);
    this.initialised = false;
  }

  private async cleanLeftovers(): Promise<void> {
    await cleanInstance(this.names, this.stateDir, (m, meta) => this.log("warn", m, meta));
  }

  /** Other testbeds on this host that died without teardown leave nothing behind either. */
  private async cleanDeadInstances(): Promise<void> {
    await cleanDeadInstances(this.names, (m, meta) => this.log("warn", m, meta));
  }

  async storageUsage(storage: string): Promise<StorageUsage> {
    return this.storage(storage).usage();
  }

  async createVolume(ref: VolumeRef, options: { sizeBytes?: number }): Promise<void> {
    await this.storage(ref.storage).createVolume(ref.volume, options.sizeBytes);
  }

  /** Caps a volume at `bytes` (its size=); undefined removes the cap (tests' positive controls). */
  async setVolumeLimit(ref: VolumeRef, bytes: number | undefined): Promise<void> {
    await this.storage(ref.storage).setVolumeLimit(ref.volume, bytes);
  }

  async setVolumeReadOnly(ref: VolumeRef, readOnly: boolean): Promise<void> {
    if (readOnly) this.assertNotInUse(ref, "make read-only");
    await this.storage(ref.storage).setVolumeReadOnly(ref.volume, readOnly);
  }

  async cloneVolume(
    from: VolumeRef,
    to: VolumeRef,
    options: { linked: boolean; fromSnapshot?: string },
  ): Promise<void> {
    const src = this.storage(from.storage);
    const dst = this.storage(to.storage);
    if (options.linked && src !== dst) {
      throw new RealiseError(
        `linked clone from ${from.storage} to ${to.storage}: must be the same storage`,
      );
    }
    const source =
      options.fromSnapshot === undefined
        ? src.volumePath(from.volume)
        : src.snapshotPath(from.volume, options.fromSnapshot);
    await dst.createVolumeFrom(source, to.volume, options.linked, await src.capOf(source));
  }

  /**
   * The testbed's nodes share one pool per storage id, so a local volume "on pve2" is the same
   * subvolume as "on pve1"; the migration still sends the data through a full copy (as
   * `storage_migrate` does between hosts) and swaps it in, so that it costs what a move costs.
   */
  async migrateVolume(ref: VolumeRef): Promise<void> {
    this.assertNotInUse(ref, "migrate");
    await this.storage(ref.storage).migrateVolume(ref.volume);
  }

  async destroyVolume(ref: VolumeRef): Promise<void> {
    this.assertNotInUse(ref, "destroy");
    await this.storage(ref.storage).destroyVolume(ref.volume);
  }

  async snapshotVolume(
    ref: VolumeRef,
    snapname: string,
    options: { flush?: boolean } = {},
  ): Promise<void> {
    const s = this.storage(ref.storage);
    if (s.def.type === "dir")
      throw new RealiseError(`storage ${ref.storage} (dir) cannot snapshot`);
    await s.snapshot(ref.volume, snapname, options.flush ?? true);
  }

  async rollbackVolume(ref: VolumeRef, snapname: string): Promise<void> {
    this.assertNotInUse(ref, "roll back");
    await this.storage(ref.storage).rollback(ref.volume, snapname);
  }

  async deleteVolumeSnapshot(ref: VolumeRef, snapname: string): Promise<void> {
    await this.storage(ref.storage).deleteSnapshot(ref.volume, snapname);
  }

  async volumeSnapshotExists(ref: VolumeRef, snapname: string): Promise<boolean> {
    return this.storage(ref.storage).snapshotExists(ref.volume, snapname);
  }

  async freeze(vmid: number): Promise<void> {
    const g = this.running(vmid);
    if (g === undefined) return;
    if (!(await g.cgroup.setFrozen(true))) await g.cgroup.signal("SIGSTOP");
    // The file system sync PVE does here comes with each volume's snapshot (BtrfsStorage.snapshot).
  }

  async thaw(vmid: number): Promise<void> {
    const g = this.running(vmid);
    if (g === undefined) return;
    if (!(await g.cgroup.setFrozen(false))) await g.cgroup.signal("SIGCONT");
  }

  async injectSsh(
    ref: VolumeRef,
    injection: SshInjection,
  ): Promise<{ hostKeyFingerprints: string[] }> {
    return injectSsh(this.volumePath(ref), ref, injection);
  }

  async startGuest(spec: GuestRuntimeSpec): Promise<{ pid: number }> {
    return this.locked(spec.vmid, () => this.start(spec));
  }

  private async start(spec: GuestRuntimeSpec): Promise<{ pid: number }> {
    const existing = this.running(spec.vmid);
    if (existing) return { pid: existing.pid };
    if (!this.initialised || this.network === undefined)
      throw new RealiseError("realiser not initialised");
    await this.cleanupGuest(spec.vmid);
    const root = this.volumePath(spec.rootfs);
    if (!existsSync(root)) {
      throw new RealiseError(
        `guest ${spec.vmid}: root volume ${spec.rootfs.storage}:${spec.rootfs.volume} missing`,
      );
    }
    // The size limits hold only while the quota groups are consistent (rescanned if not).
    await this.storage(spec.rootfs.storage).ensureQuotaConsistent();
    try {
      return await this.launch(spec, root);
    } catch (e) {
      // Leave nothing half-made (cgroup, namespace, veths, processes) behind a failed start.
      await this.cleanupGuest(spec.vmid).catch(() => undefined);
      throw e;
    }
  }

  private async launch(spec: GuestRuntimeSpec, root: string): Promise<{ pid: number }> {
    if (this.network === undefined) throw new RealiseError("realiser not initialised");
    const slot = await this.allocateSlot(spec.vmid);
    const cgroup = GuestCgroup.at(this.names.guestCgroup(spec.vmid));
    await cgroup.create({
      memoryBytes: spec.memoryMiB > 0 ? spec.memoryMiB * MIB : undefined,
      pids: spec.pids ?? this.options.defaultPids,
      cores: spec.cores > 0 ? spec.cores : undefined,
    });
    const { netns, address } = await this.network.attachGuest(spec.vmid, slot);
    await this.plugNets({ spec, slot });
    // The guest's firewall is in place before anything in it runs.
    await this.realiseNodeFirewalls(undefined, { spec, slot });
    const logFile = join(this.stateDir, "log", `guest-${spec.vmid}.log`);
    const argv = inCgroupsArgv(
      cgroup.procsFiles(),
      guestArgv({
        root,
        hostname: spec.hostname,
        netnsPath: netnsPath(netns),
        masks: this.masks,
        seccompFd: GUEST_SECCOMP_FD,
      }),
    );
    const child = await spawnLauncher(argv, logFile, this.seccompFile());
    const pid = child.pid;
    if (pid === undefined) throw new RealiseError(`guest ${spec.vmid}: launcher did not start`);
    const guest: RunningGuest = {
      spec,
      child,
      pid,
      slot,
      address,
      startedAt: Date.now(),
      cgroup,
      exited: false,
    };
    this.guests.set(spec.vmid, guest);
    child.once("exit", () => {
      guest.exited = true;
      void this.locked(spec.vmid, async () => {
        if (this.guests.get(spec.vmid) === guest) await this.cleanupGuest(spec.vmid);
      }).catch((e: unknown) =>
        this.log("warn", "cleanup after guest exit failed", { vmid: spec.vmid, e }),
      );
    });
    await writeFile(
      join(this.stateDir, "run", `${spec.vmid}.json`),
      JSON.stringify({ pid, netns, slot }),
    );
    const ready = await sshdListening(address, () => guest.exited, this.options.startTimeoutMs);
    if (guest.exited)
      throw new RealiseError(`guest ${spec.vmid} exited during start:\n${await logTail(logFile)}`);
    if (!ready) this.log("warn", "guest sshd not listening yet", { vmid: spec.vmid, address });
    this.log("info", "guest started", { vmid: spec.vmid, pid, address });
    return { pid };
  }

  async stopGuest(vmid: number, options: { graceful: boolean; timeoutMs: number }): Promise<void> {
    await this.locked(vmid, async () => {
      const g = this.guests.get(vmid);
      if (g && !g.exited && options.graceful) {
        await g.cgroup.signal("SIGTERM"); // sshd and bwrap's init end on SIGTERM, as on shutdown
        await waitFor(
          async () => g.exited && (await g.cgroup.pids()).length === 0,
          options.timeoutMs,
          25,
        );
      }
      await this.cleanupGuest(vmid);
    });
    // Its ports are gone and may be reused by the next guest: its rules go with them.
    await this.realiseNodeFirewalls();
  }

  /**
   * Realise the guest and cluster firewall on every node (host/firewall.ts) from the last state
   * handed in (`applyFirewall`, `applySdn`), for the running guests plus one being started.
   * Throws (FirewallError, nft's error) when it cannot: never a silent pass.
   */
  private async realiseNodeFirewalls(state?: FirewallState, starting?: PlacedGuest): Promise<void> {
    if (state !== undefined) this.firewallState = { ...this.firewallState, ...pickFirewall(state) };
    const cfg = this.firewallState.firewallConfig;
    if (this.sdn === undefined || cfg === undefined) return;
    const running: PlacedGuest[] = [...this.guests.values()].filter((g) => !g.exited);
    if (starting !== undefined) running.push(starting);
    const scripts = nodeFirewallScripts(
      cfg,
      this.firewallState.firewall,
      this.sdn.realiser.nodeBridges(),
      running,
      this.names,
    );
    for (const change of await this.sdn.realiser.applyNodeFirewalls(scripts))
      this.log("info", change, {});
  }

  /** Kills whatever is left of a guest and removes its cgroup, namespace and veth pair. */
  private async cleanupGuest(vmid: number): Promise<void> {
    const g = this.guests.get(vmid);
    const cgroup = g?.cgroup ?? GuestCgroup.at(this.names.guestCgroup(vmid));
    if (!(await cgroup.destroy()))
      throw new RealiseError(`guest ${vmid}: processes survived SIGKILL`);
    if (g) {
      await waitFor(() => g.exited, 5000, 10); // the launcher is our child: its exit event follows
    }
    await this.network?.detachGuest(vmid, g?.slot ?? this.slots.of(vmid));
    this.guests.delete(vmid);
    await rm(join(this.stateDir, "run", `${vmid}.json`), { force: true });
  }

  isRunning(vmid: number): boolean {
    return this.running(vmid) !== undefined;
  }

  async guestStatus(vmid: number): Promise<GuestRuntimeStatus> {
    const g = this.running(vmid);
    return g === undefined ? STOPPED : statusOf(g);
  }

  /** Plugs each `net<N>` whose bridge is a realised vnet; others are skipped with a warning. */
  private async plugNets(g: Pick<RunningGuest, "spec" | "slot">): Promise<void> {
    if (this.sdn === undefined) return;
    for (const [i, net] of g.spec.nets.entries()) {
      let at;
      try {
        at = this.sdn.realiser.bridgeFor(g.spec.node, net.bridge);
      } catch {
        this.log("warn", "NIC not plugged: bridge is not a realised vnet", {
          vmid: g.spec.vmid,
          net: net.key,
          bridge: net.bridge,
        });
        continue;
      }
      const nic = {
        ifname: net.ifname,
        ...(net.cidr === undefined ? {} : { cidr: net.cidr }),
        ...(net.gateway === undefined ? {} : { gateway: net.gateway }),
        ...(net.hwaddr === undefined ? {} : { hwaddr: net.hwaddr }),
      };
      await plugNic(this.names, g.spec.vmid, g.slot, i, nic, at);
    }
  }

  private running(vmid: number): RunningGuest | undefined {
    const g = this.guests.get(vmid);
    return g && !g.exited && processAlive(g.pid) ? g : undefined;
  }

  private storage(id: string): BtrfsStorage {
    const s = this.storages.get(id);
    if (s === undefined) {
      const known = this.options.storages.map((d) => d.id).join(", ");
      throw new RealiseError(`unknown storage ${JSON.stringify(id)} (realised: ${known})`);
    }
    return s;
  }

  private assertNotInUse(ref: VolumeRef, what: string): void {
    for (const g of this.guests.values()) {
      if (
        !g.exited &&
        g.spec.rootfs.storage === ref.storage &&
        g.spec.rootfs.volume === ref.volume
      ) {
        throw new RealiseError(
          `cannot ${what} ${ref.storage}:${ref.volume}: guest ${g.spec.vmid} is running`,
        );
      }
    }
  }

  /** Serialises start/stop/cleanup of one guest. */
  private locked<T>(vmid: number, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(vmid) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.locks.set(
      vmid,
      next.catch(() => undefined),
    );
    return next;
  }

  /** The compiled guest seccomp filter (written at init; see seccomp.ts). */
  seccompFile(): string {
    return join(this.stateDir, "seccomp.bpf");
  }

  /** A stable management address per vmid (same address after restarts while slots last). */
  private async allocateSlot(vmid: number): Promise<number> {
    const net = this.network;
    if (net === undefined) throw new RealiseError("realiser not initialised");
    const slot = await this.slots.allocate(vmid, net.slots, (v) => this.guests.has(v));
    if (slot === undefined)
      throw new RealiseError(`management network ${this.options.mgmt.cidr} is full`);
    return slot;
  }

  private log(level: "info" | "warn", message: string, meta: Record<string, unknown>): void {
    this.options.logger?.[level](message, meta);
  }
}

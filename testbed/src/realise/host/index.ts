import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, open, readFile, readdir, realpath, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
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
  type StorageDef,
  type StorageUsage,
  type VolumeRef,
} from "../types.js";
import { GuestCgroup } from "./cgroup.js";
import { nodeFirewallScripts, type PlacedGuest } from "./firewall.js";
import { run, waitFor } from "./exec.js";
import { HostNames } from "./names.js";
import {
  deleteLink,
  deleteNetns,
  listLinks,
  listNetns,
  MgmtNetwork,
  netnsPath,
  plugNic,
} from "./network.js";
import {
  GUEST_SECCOMP_FD,
  guestArgv,
  helperArgv,
  inCgroupsArgv,
  procMasks,
  type ProcMasks,
} from "./sandbox.js";
import { guestSeccompProgram } from "./seccomp.js";
import { BtrfsStorage, mountPoints } from "./storage.js";

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

/** Minimal logger shape (a `@txbox/core` winston logger fits). */
export interface HostLogger {
  info(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
}

/** Options of {@link HostRealiser}. */
export interface HostRealiserOptions {
  /** Directory for storage images, mount points, logs and run state (created; absolute). */
  stateDir: string;
  /** Storages to realise; each becomes a loop-mounted btrfs image. */
  storages: StorageDef[];
  /** Management network: a private IPv4 range used only inside namespaces the testbed makes. */
  mgmt: { cidr: string; bridge?: string };
  /** Debian root file system tarball; default `$TXBOX_ROOTFS` or `/var/cache/txbox/rootfs/bookworm.tar`. */
  rootfsTarball?: string;
  /** Process limit of a guest whose spec gives none (pids cgroup). Default 1024. */
  defaultPids?: number;
  /** How long `startGuest` waits for the guest's sshd to accept TCP connections. Default 15 s. */
  startTimeoutMs?: number;
  logger?: HostLogger;
  /**
   * Realise SDN (`applySdn`) and plug guests' `net<N>` NICs into their vnets. `nodes` are the
   * testbed's nodes with underlay addresses; `realiser` defaults to a new SdnRealiser with this
   * instance's prefix. Without this option `applySdn` is absent and only `mgmt0` exists.
   */
  sdn?: { nodes: SdnNode[]; realiser?: SdnRealiser };
}

/** What the realiser knows about one running guest. */
interface RunningGuest {
  spec: GuestRuntimeSpec;
  child: ChildProcess;
  pid: number;
  slot: number;
  address: string;
  startedAt: number;
  cgroup: GuestCgroup;
  exited: boolean;
  lastCpu?: { nanos: number; at: bigint };
}

const MIB = 1024 * 1024;
const DEFAULT_ROOTFS = "/var/cache/txbox/rootfs/bookworm.tar";
/** Host-wide registry of live host realisers: `<tag>.json` = { pid, stateDir }. */
const REGISTRY = "/run/txbox/host-realiser";

/** A process exists and is not a zombie waiting for its (new) parent to reap it. */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) [ZX]/s.test(stat);
  } catch {
    return false;
  }
}

/** The firewall part of a state handed to the realiser, without absent keys. */
function pickFirewall(s: FirewallState): FirewallState {
  const out: FirewallState = {};
  if (s.vnetFirewalls !== undefined) out.vnetFirewalls = s.vnetFirewalls;
  if (s.firewall !== undefined) out.firewall = s.firewall;
  if (s.firewallConfig !== undefined) out.firewallConfig = s.firewallConfig;
  return out;
}

/** Resolves true when a TCP connection to host:port succeeds within timeoutMs. */
function tcpOpen(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
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
  private slotOf = new Map<number, number>();
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
      await this.loadSlots();
    }
    this.network ??= new MgmtNetwork(this.names, this.options.mgmt.cidr, this.options.mgmt.bridge);
    await this.network.assertRangeFree(); // before anything is mounted: fail fast, leave nothing
    await mkdir(REGISTRY, { recursive: true });
    await writeFile(
      join(REGISTRY, `${this.names.tag}.json`),
      JSON.stringify({ pid: process.pid, stateDir: this.stateDir }),
    );
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
    await rm(join(REGISTRY, `${this.names.tag}.json`), { force: true });
    this.initialised = false;
  }

  private async cleanLeftovers(): Promise<void> {
    await cleanInstance(this.names, this.stateDir, (m, meta) => this.log("warn", m, meta));
  }

  /**
   * Cleans the instances of the host-wide registry (tmpfs, gone at reboot like namespaces and
   * mounts) whose process died without teardown, whatever their state directory.
   */
  private async cleanDeadInstances(): Promise<void> {
    await mkdir(REGISTRY, { recursive: true });
    for (const f of await readdir(REGISTRY).catch(() => [])) {
      if (f === `${this.names.tag}.json`) continue;
      const rec = JSON.parse(await readFile(join(REGISTRY, f), "utf8").catch(() => "{}")) as {
        pid?: number;
        stateDir?: string;
      };
      if (rec.pid === undefined || rec.stateDir === undefined || processAlive(rec.pid)) continue;
      this.log("warn", "cleaning a crashed testbed's leftovers", { stateDir: rec.stateDir });
      const names = new HostNames(rec.stateDir);
      await cleanInstance(names, rec.stateDir, (m, meta) => this.log("warn", m, meta));
      await new SdnRealiser({ prefix: names.sdnPrefix, stateDir: join(rec.stateDir, "sdn") })
        .teardown()
        .catch(() => undefined);
      await rm(join(REGISTRY, f), { force: true });
    }
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
    await dst.createVolumeFrom(source, to.volume, options.linked);
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

  async snapshotVolume(ref: VolumeRef, snapname: string): Promise<void> {
    const s = this.storage(ref.storage);
    if (s.def.type === "dir")
      throw new RealiseError(`storage ${ref.storage} (dir) cannot snapshot`);
    await s.snapshot(ref.volume, snapname);
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
    const root = this.volumePath(ref);
    if (!existsSync(root))
      throw new RealiseError(`volume ${ref.storage}:${ref.volume} does not exist`);
    const lines = ["set -e", "umask 077"];
    const put = (path: string, content: string, mode: string): void => {
      const eof = `TXBOX_EOF_${Math.random().toString(36).slice(2)}`;
      lines.push(
        `rm -f ${path}`,
        `cat > ${path} <<'${eof}'`,
        content.trimEnd(),
        eof,
        `chmod ${mode} ${path}`,
      );
    };
    if (injection.regenerateHostKeys) {
      const tmp = await mkdtemp(join(tmpdir(), "txbox-hostkeys-"));
      try {
        lines.push("mkdir -p /etc/ssh", "rm -f /etc/ssh/ssh_host_*");
        for (const type of ["ed25519", "ecdsa"]) {
          const file = join(tmp, `ssh_host_${type}_key`);
          await run([
            "ssh-keygen",
            "-q",
            "-t",
            type,
            "-N",
            "",
            "-C",
            `root@txbox-${ref.volume}`,
            "-f",
            file,
          ]);
          put(`/etc/ssh/ssh_host_${type}_key`, await readFile(file, "utf8"), "600");
          put(`/etc/ssh/ssh_host_${type}_key.pub`, await readFile(`${file}.pub`, "utf8"), "644");
        }
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    }
    lines.push("mkdir -p /root/.ssh", "chmod 700 /root/.ssh", "chown 0:0 /root/.ssh");
    put("/root/.ssh/authorized_keys", injection.authorizedKeys.join("\n"), "600");
    lines.push("cat /etc/ssh/ssh_host_*_key.pub 2>/dev/null || true");
    const out = await run(helperArgv(root), { input: `${lines.join("\n")}\n`, timeoutMs: 30_000 });
    return { hostKeyFingerprints: await fingerprints(out.stdout) };
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
    const log = await open(logFile, "a");
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
    let child: ChildProcess;
    // bwrap reads the filter from this descriptor; a fresh open starts at offset 0.
    const filter = await open(this.seccompFile(), "r");
    try {
      child = spawn(argv[0] ?? "env", argv.slice(1), {
        detached: true,
        stdio: ["ignore", log.fd, log.fd, filter.fd],
      });
    } finally {
      await log.close();
      await filter.close();
    }
    const pid = child.pid;
    if (pid === undefined) throw new RealiseError(`guest ${spec.vmid}: launcher did not start`);
    child.unref();
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
    const ready = await waitFor(
      async () => guest.exited || (await tcpOpen(address, 22, 500)),
      this.options.startTimeoutMs,
      // A refused connect costs microseconds; at 25 ms apart the start ended ≈ 12 ms after sshd
      // listened, on the path of every rollback.
      5,
    );
    if (guest.exited) {
      const tail = (await readFile(logFile, "utf8").catch(() => ""))
        .split("\n")
        .slice(-8)
        .join("\n");
      throw new RealiseError(`guest ${spec.vmid} exited during start:\n${tail}`);
    }
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
    await this.network?.detachGuest(vmid, g?.slot ?? this.slotOf.get(vmid));
    this.guests.delete(vmid);
    await rm(join(this.stateDir, "run", `${vmid}.json`), { force: true });
  }

  isRunning(vmid: number): boolean {
    return this.running(vmid) !== undefined;
  }

  async guestStatus(vmid: number): Promise<GuestRuntimeStatus> {
    const g = this.running(vmid);
    if (g === undefined) return { running: false, uptime: 0, mem: 0, maxmem: 0, cpu: 0 };
    const mem = await g.cgroup.memory();
    const nanos = await g.cgroup.cpuNanos();
    const now = process.hrtime.bigint();
    let cpu = 0;
    if (nanos !== undefined) {
      if (g.lastCpu) {
        const wall = Number(now - g.lastCpu.at);
        if (wall > 0) cpu = Math.max(0, (nanos - g.lastCpu.nanos) / wall);
      }
      g.lastCpu = { nanos, at: now };
    }
    const maxmem = g.spec.memoryMiB * MIB;
    return {
      running: true,
      pid: g.pid,
      uptime: Math.floor((Date.now() - g.startedAt) / 1000),
      mem: mem?.used ?? 0,
      maxmem: maxmem > 0 ? maxmem : (mem?.limit ?? 0),
      cpu,
      mgmtAddress: g.address,
    };
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

  private slotsFile(): string {
    return join(this.stateDir, "mgmt-slots.json");
  }

  private async loadSlots(): Promise<void> {
    try {
      const rec = JSON.parse(await readFile(this.slotsFile(), "utf8")) as Record<string, number>;
      this.slotOf = new Map(Object.entries(rec).map(([k, v]) => [Number(k), v]));
    } catch {
      this.slotOf = new Map();
    }
  }

  /** A stable management address per vmid (same address after restarts while slots last). */
  private async allocateSlot(vmid: number): Promise<number> {
    const net = this.network;
    if (net === undefined) throw new RealiseError("realiser not initialised");
    const known = this.slotOf.get(vmid);
    if (known !== undefined && known < net.slots) return known;
    const taken = new Map([...this.slotOf].map(([v, s]) => [s, v]));
    let slot: number | undefined;
    for (let i = 0; i < net.slots && slot === undefined; i++) {
      const candidate = (vmid + i) % net.slots;
      const owner = taken.get(candidate);
      if (owner === undefined || !this.guests.has(owner)) slot = candidate;
    }
    if (slot === undefined)
      throw new RealiseError(`management network ${this.options.mgmt.cidr} is full`);
    for (const [v, s] of this.slotOf) if (s === slot) this.slotOf.delete(v);
    this.slotOf.set(vmid, slot);
    await writeFile(this.slotsFile(), JSON.stringify(Object.fromEntries(this.slotOf)));
    return slot;
  }

  private log(level: "info" | "warn", message: string, meta: Record<string, unknown>): void {
    this.options.logger?.[level](message, meta);
  }
}

/**
 * Finds and removes what a crashed run of a state directory left: guest processes (by cgroup
 * and recorded pid), network namespaces and interfaces with this instance's prefix, mounts under
 * the state directory and loop devices backed by its images. Data (images) is kept.
 */
export async function cleanInstance(
  names: HostNames,
  stateDir: string,
  warn: (message: string, meta: Record<string, unknown>) => void = () => undefined,
): Promise<void> {
  for (const child of await GuestCgroup.children(names.cgroupRoot)) {
    const ok = await GuestCgroup.at(`${names.cgroupRoot}/${child}`).destroy();
    if (!ok) warn("leftover guest processes survived SIGKILL", { cgroup: child });
  }
  const runDir = join(stateDir, "run");
  for (const f of await readdir(runDir).catch(() => [])) {
    const rec = JSON.parse(await readFile(join(runDir, f), "utf8").catch(() => "{}")) as {
      pid?: number;
    };
    if (rec.pid && processAlive(rec.pid)) {
      const cmd = await readFile(`/proc/${rec.pid}/cmdline`, "utf8").catch(() => "");
      if (/nsenter|bwrap/.test(cmd)) process.kill(rec.pid, "SIGKILL");
    }
    await rm(join(runDir, f), { force: true });
  }
  await GuestCgroup.removeRoot(names.cgroupRoot);
  for (const ns of await listNetns(names.netnsPrefix)) {
    const pids = await run(["ip", "netns", "pids", ns], { allowFailure: true });
    for (const p of pids.stdout.split("\n").filter(Boolean)) {
      try {
        process.kill(Number(p), "SIGKILL");
      } catch {
        // gone
      }
    }
    await deleteNetns(ns);
  }
  for (const link of await listLinks(names.linkPrefix)) await deleteLink(link);
  const mounts = (await mountPoints())
    .filter((m) => m.startsWith(`${stateDir}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) {
    const r = await run(["umount", m], { allowFailure: true });
    if (r.code !== 0) await run(["umount", "-l", m], { allowFailure: true });
  }
  const images = join(stateDir, "images");
  for (const f of await readdir(images).catch(() => [])) {
    const out = await run(["losetup", "-j", join(images, f)], { allowFailure: true });
    for (const line of out.stdout.split("\n").filter(Boolean)) {
      const dev = line.split(":")[0];
      if (dev) await run(["losetup", "-d", dev], { allowFailure: true });
    }
  }
}

/** `SHA256:…` fingerprints of the public keys in `text` (one per line), via ssh-keygen. */
async function fingerprints(text: string): Promise<string[]> {
  const keys = text.split("\n").filter((l) => /^(ssh-|ecdsa-)/.test(l));
  const result: string[] = [];
  for (const key of keys) {
    const out = await run(["ssh-keygen", "-l", "-E", "sha256", "-f", "-"], { input: `${key}\n` });
    const fp = /(SHA256:\S+)/.exec(out.stdout)?.[1];
    if (fp) result.push(fp);
  }
  return result;
}

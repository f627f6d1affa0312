import { existsSync } from "node:fs";
import { mkdir, readFile, readdir, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { sleep, waitFor } from "./exec.js";

/** Limits applied to one guest's cgroup. */
export interface GuestLimits {
  memoryBytes?: number;
  pids?: number;
  cores?: number;
}

/** Character devices a guest may open (devices cgroup): the usual /dev nodes and ptys. */
const ALLOWED_DEVICES = [
  "c 1:3 rwm", // null
  "c 1:5 rwm", // zero
  "c 1:7 rwm", // full
  "c 1:8 rwm", // random
  "c 1:9 rwm", // urandom
  "c 5:0 rwm", // tty
  "c 5:1 rwm", // console
  "c 5:2 rwm", // ptmx
  "c 136:* rwm", // pts
];

const CPU_PERIOD_US = 100_000;

/**
 * A guest's control group on cgroup v1 (one directory per controller, as on this host's hybrid
 * layout) or v2 (one unified directory). Missing controllers are skipped, not faked.
 */
export class GuestCgroup {
  private constructor(
    /** `v1`: controller name → directory; `v2`: `unified` → directory. */
    readonly dirs: ReadonlyMap<string, string>,
    readonly v2: boolean,
  ) {}

  static readonly ROOT = "/sys/fs/cgroup";
  static readonly V1_CONTROLLERS = ["pids", "memory", "cpu", "cpuacct", "freezer", "devices"];

  /** True when the host has a pure cgroup v2 hierarchy. */
  static isV2(): boolean {
    return existsSync(join(GuestCgroup.ROOT, "cgroup.controllers"));
  }

  /** The directories of a group path (`txbox-abcde/g101`) on this host, whether or not they exist. */
  static at(relPath: string): GuestCgroup {
    if (GuestCgroup.isV2()) {
      return new GuestCgroup(new Map([["unified", join(GuestCgroup.ROOT, relPath)]]), true);
    }
    const dirs = new Map<string, string>();
    for (const c of GuestCgroup.V1_CONTROLLERS) {
      const root = join(GuestCgroup.ROOT, c);
      if (existsSync(join(root, "cgroup.procs"))) dirs.set(c, join(root, relPath));
    }
    return new GuestCgroup(dirs, false);
  }

  private dir(controller: string): string | undefined {
    return this.v2 ? this.dirs.get("unified") : this.dirs.get(controller);
  }

  /** Creates the group and writes its limits (before any process joins). */
  async create(limits: GuestLimits): Promise<void> {
    if (this.v2) {
      const parent = join(this.dirs.get("unified") ?? "", "..");
      await mkdir(parent, { recursive: true });
      await writeFile(join(parent, "cgroup.subtree_control"), "+memory +pids +cpu").catch(
        () => undefined, // controllers not delegated: run without those limits
      );
    }
    for (const d of this.dirs.values()) await mkdir(d, { recursive: true });
    const w = async (controller: string, file: string, value: string): Promise<void> => {
      const d = this.dir(controller);
      if (d !== undefined && existsSync(join(d, file))) await writeFile(join(d, file), value);
    };
    if (this.v2) {
      if (limits.memoryBytes) await w("memory", "memory.max", String(limits.memoryBytes));
      if (limits.pids) await w("pids", "pids.max", String(limits.pids));
      if (limits.cores)
        await w("cpu", "cpu.max", `${limits.cores * CPU_PERIOD_US} ${CPU_PERIOD_US}`);
      return;
    }
    if (limits.memoryBytes) await w("memory", "memory.limit_in_bytes", String(limits.memoryBytes));
    if (limits.pids) await w("pids", "pids.max", String(limits.pids));
    if (limits.cores) {
      await w("cpu", "cpu.cfs_period_us", String(CPU_PERIOD_US));
      await w("cpu", "cpu.cfs_quota_us", String(Math.round(limits.cores * CPU_PERIOD_US)));
    }
    const devices = this.dirs.get("devices");
    if (devices !== undefined) {
      await writeFile(join(devices, "devices.deny"), "a");
      for (const rule of ALLOWED_DEVICES) await writeFile(join(devices, "devices.allow"), rule);
    }
  }

  /** `cgroup.procs` files a process must write its pid into to join every controller. */
  procsFiles(): string[] {
    return [...this.dirs.values()].map((d) => join(d, "cgroup.procs"));
  }

  /** PIDs (host view) of every process in the group. */
  async pids(): Promise<number[]> {
    const d = this.dir("pids") ?? [...this.dirs.values()][0];
    if (d === undefined) return [];
    try {
      const text = await readFile(join(d, "cgroup.procs"), "utf8");
      return text
        .split("\n")
        .filter(Boolean)
        .map(Number)
        .filter((n) => Number.isInteger(n) && n > 0);
    } catch {
      return [];
    }
  }

  async exists(): Promise<boolean> {
    return [...this.dirs.values()].some((d) => existsSync(d));
  }

  /** Freezes or thaws every process of the group; false when no freezer is available. */
  async setFrozen(frozen: boolean): Promise<boolean> {
    if (this.v2) {
      const d = this.dirs.get("unified");
      if (d === undefined || !existsSync(join(d, "cgroup.freeze"))) return false;
      await writeFile(join(d, "cgroup.freeze"), frozen ? "1" : "0");
      return waitFor(async () => {
        const events = await readFile(join(d, "cgroup.events"), "utf8").catch(() => "");
        return events.includes(`frozen ${frozen ? 1 : 0}`);
      }, 5000);
    }
    const d = this.dirs.get("freezer");
    if (d === undefined || !existsSync(join(d, "freezer.state"))) return false;
    const want = frozen ? "FROZEN" : "THAWED";
    await writeFile(join(d, "freezer.state"), want);
    return waitFor(
      async () => (await readFile(join(d, "freezer.state"), "utf8")).trim() === want,
      5000,
    );
  }

  /** Sends `signal` to every process of the group. */
  async signal(signal: NodeJS.Signals): Promise<void> {
    for (const pid of await this.pids()) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  }

  /**
   * Kills every process (frozen first so none can fork away) and removes the group. Returns false
   * when processes survive the timeout.
   */
  async destroy(timeoutMs = 10_000): Promise<boolean> {
    if (!(await this.exists())) return true;
    const frozen = await this.setFrozen(true).catch(() => false);
    await this.signal("SIGKILL");
    if (frozen) await this.setFrozen(false).catch(() => undefined);
    const empty = await waitFor(
      async () => {
        const left = await this.pids();
        if (left.length === 0) return true;
        await this.signal("SIGKILL");
        return false;
      },
      timeoutMs,
      20,
    );
    for (const d of this.dirs.values()) {
      for (let attempt = 0; attempt < 50 && existsSync(d); attempt++) {
        try {
          await rmdir(d);
        } catch {
          await sleep(20); // the kernel releases the group shortly after its last task exits
        }
      }
    }
    return empty;
  }

  /** Memory in use and its limit, in bytes; undefined when no memory controller. */
  async memory(): Promise<{ used: number; limit: number } | undefined> {
    const d = this.dir("memory");
    if (d === undefined) return undefined;
    const num = async (f: string): Promise<number | undefined> => {
      const t = await readFile(join(d, f), "utf8").catch(() => undefined);
      const n = t === undefined ? NaN : Number(t.trim());
      return Number.isFinite(n) ? n : undefined;
    };
    const used = await num(this.v2 ? "memory.current" : "memory.usage_in_bytes");
    const limit = await num(this.v2 ? "memory.max" : "memory.limit_in_bytes");
    return used === undefined ? undefined : { used, limit: limit ?? 0 };
  }

  /** Total CPU time consumed, in nanoseconds; undefined when not available. */
  async cpuNanos(): Promise<number | undefined> {
    if (this.v2) {
      const d = this.dirs.get("unified");
      const t = d && (await readFile(join(d, "cpu.stat"), "utf8").catch(() => undefined));
      const m = t ? /^usage_usec (\d+)/m.exec(t) : null;
      return m ? Number(m[1]) * 1000 : undefined;
    }
    const d = this.dirs.get("cpuacct");
    const t = d && (await readFile(join(d, "cpuacct.usage"), "utf8").catch(() => undefined));
    const n = t ? Number(t.trim()) : NaN;
    return Number.isFinite(n) ? n : undefined;
  }

  /** Names of child groups under `relRoot` that exist on this host (for leftover cleanup). */
  static async children(relRoot: string): Promise<string[]> {
    const names = new Set<string>();
    const roots = GuestCgroup.isV2()
      ? [GuestCgroup.ROOT]
      : GuestCgroup.V1_CONTROLLERS.map((c) => join(GuestCgroup.ROOT, c));
    for (const r of roots) {
      const entries = await readdir(join(r, relRoot), { withFileTypes: true }).catch(() => []);
      for (const e of entries) if (e.isDirectory()) names.add(e.name);
    }
    return [...names];
  }

  /** Removes the (empty) parent directories of this testbed's groups. */
  static async removeRoot(relRoot: string): Promise<void> {
    const roots = GuestCgroup.isV2()
      ? [GuestCgroup.ROOT]
      : GuestCgroup.V1_CONTROLLERS.map((c) => join(GuestCgroup.ROOT, c));
    for (const r of roots) await rmdir(join(r, relRoot)).catch(() => undefined);
  }
}

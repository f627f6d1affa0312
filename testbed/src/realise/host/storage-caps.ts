/**
 * The size caps of a storage's volumes (Proxmox's `size=`), held by btrfs quota groups.
 *
 * PVE 9.1 itself puts a sized container root file system on btrfs storage in a raw image
 * (`PVE::LXC::alloc_disk`) and refuses sized subvolumes (`BTRFSPlugin::alloc_image`: "btrfs
 * quotas are currently not supported"); the testbed keeps its guests' roots as subvolumes and caps
 * them with quota groups instead (testbed/README.md, "Volume sizes").
 *
 * Two kinds of quota groups, chosen once per file system:
 * - **simple** (kernel 6.7+, enabled through the resident helper, see btrfs-snap.c): an extent
 *   counts against the subvolume that wrote it, for as long as it exists. No back-reference walk
 *   at each commit, so a snapshot costs what it costs without quotas (measured: the runtime
 *   bench's in-process overhead 42.5 ms against 83.6 ms with full groups, consecutive minutes;
 *   README, issue 12). What a
 *   volume starts with (the base root file system, or the snapshot a rollback or linked clone
 *   came from) was written by another subvolume, so each volume carries its *inherited* bytes
 *   and its group's limit is `size - inherited`: the cap holds on everything in the volume, as
 *   a raw image's file system size does, also after any number of rollbacks.
 * - **full** (older kernels, or no helper, or `TXBOX_TESTBED_QUOTAS=full`): a group counts every
 *   byte its subvolume references, so the limit is `size`; each commit walks the back references
 *   of what changed (27–50 ms after a snapshot was deleted, measured).
 *
 * The inherited bytes are an upper bound: they also count older versions of files that the
 * volume's other snapshots still hold, so a volume restored from a snapshot may reach its cap a
 * little before its files fill `size` (a raw image would not), never after.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { RealiseError } from "../types.js";
import { run } from "./exec.js";
import { quotaHelperIfBuilt } from "./snap-helper.js";

export type QuotaMode = "simple" | "full";

/** What the book keeps per volume, snapshot or base: its size= and what it started with. */
export interface CapEntry {
  /** The nominal size (size=) in bytes; null = uncapped. */
  readonly size: number | null;
  /** Bytes it references that another subvolume wrote (simple mode; 0 in full mode). */
  readonly inherited: number;
}

/** Book keys: one per volume, per snapshot of a volume, per base root file system. */
export const capKey = {
  volume: (volume: string): string => `volume.${volume}`,
  snapshot: (volume: string, snap: string): string => `snapshot.${volume}@${snap}`,
  base: (name: string): string => `base.${name}`,
};

export class SizeCaps {
  private modeNow: QuotaMode = "full";
  private fsid: string | undefined;
  private readonly book = new Map<string, CapEntry | null>();
  private readonly ids = new Map<string, Promise<number>>();

  constructor(private readonly mountPoint: string) {}

  get mode(): QuotaMode {
    return this.modeNow;
  }

  private get bookDir(): string {
    return join(this.mountPoint, "caps");
  }

  /** Turns quota groups on (simple where the kernel and helper allow) and reads which. Idempotent. */
  async enable(): Promise<void> {
    this.fsid = undefined;
    this.book.clear();
    this.ids.clear();
    mkdirSync(this.bookDir, { recursive: true });
    const helper = quotaHelperIfBuilt();
    // An older kernel refuses (EINVAL): quotas stay off here, and full groups are enabled below.
    if (process.env.TXBOX_TESTBED_QUOTAS !== "full" && helper && !(await this.enabled()))
      await helper.enableSimpleQuotas(this.mountPoint);
    if (!(await this.enabled()))
      await run(["btrfs", "quota", "enable", this.mountPoint], { timeoutMs: 120_000 });
    const mode = await readFile(await this.sysfs("mode"), "utf8").catch(() => "qgroup");
    this.modeNow = mode.trim() === "squota" ? "simple" : "full";
    if (this.modeNow === "full") {
      // Account every subvolume drop in full: a drop the kernel skips marks the quota groups
      // inconsistent, and while they are, the kernel stops counting writes (limits stop holding).
      await writeFile(await this.sysfs("drop_subtree_threshold"), "8").catch(() => undefined);
    }
    await this.ensureConsistent();
  }

  private async enabled(): Promise<boolean> {
    return existsSync(await this.sysfs("."));
  }

  private async sysfs(file: string): Promise<string> {
    if (this.fsid === undefined) {
      const out = await run(["btrfs", "filesystem", "show", this.mountPoint]);
      this.fsid = /uuid: ([0-9a-f-]{36})/.exec(out.stdout)?.[1];
      if (this.fsid === undefined)
        throw new RealiseError(`cannot read the file system id of ${this.mountPoint}`);
    }
    return join("/sys/fs/btrfs", this.fsid, "qgroups", file);
  }

  /**
   * Rescans full quota groups the kernel marked inconsistent (it does when a subvolume drop is
   * not fully accounted), since until then it does not count writes against the limits.
   * `waitForDrops` first waits for deleted subvolumes to be cleaned. Simple groups are never
   * inconsistent; the check is one sysfs read either way.
   */
  async ensureConsistent(waitForDrops = false): Promise<void> {
    if (waitForDrops)
      await run(["btrfs", "subvolume", "sync", this.mountPoint], { timeoutMs: 300_000 });
    const flag = await readFile(await this.sysfs("inconsistent"), "utf8").catch(() => "0");
    if (flag.trim() === "0") return;
    await run(["btrfs", "quota", "rescan", "-w", this.mountPoint], { timeoutMs: 600_000 });
  }

  entry(key: string): CapEntry | undefined {
    let e = this.book.get(key);
    if (e === undefined) {
      try {
        const raw = JSON.parse(readFileSync(this.file(key), "utf8")) as CapEntry;
        e = { size: raw.size, inherited: raw.inherited };
      } catch {
        e = null;
      }
      this.book.set(key, e);
    }
    return e ?? undefined;
  }

  /**
   * Records an entry: written beside and renamed in, so it reads whole or not at all. An entry
   * the book already holds is not written again (createVolume then setVolumeLimit record the
   * same size: one write, not two).
   */
  put(key: string, entry: CapEntry): void {
    const had = this.book.get(key); // the cache only: a new key costs no read
    if (had != null && had.size === entry.size && had.inherited === entry.inherited) return;
    const tmp = `${this.file(key)}.new`;
    writeFileSync(tmp, JSON.stringify(entry));
    renameSync(tmp, this.file(key));
    this.book.set(key, entry);
  }

  drop(key: string): void {
    rmSync(this.file(key), { force: true });
    this.book.set(key, null);
  }

  /** Moves an entry to another key (a volume renamed into place). */
  move(from: string, to: string): void {
    const e = this.entry(from);
    if (e !== undefined) this.put(to, e);
    this.drop(from);
  }

  private file(key: string): string {
    return join(this.bookDir, `${key}.json`);
  }

  /** Forget a path's subvolume id: the path now holds another subvolume (or none). */
  forget(path: string): void {
    this.ids.delete(path);
  }

  /**
   * Bytes the subvolume at `path` references in all (simple mode: inherited + what it wrote
   * and still holds; full mode: 0, the groups count it themselves).
   */
  async referenced(key: string, path: string): Promise<number> {
    if (this.modeNow === "full") return 0;
    return (this.entry(key)?.inherited ?? 0) + (await this.written(path));
  }

  /** Simple mode: the bytes the subvolume at `path` wrote and that still exist (its group). */
  private async written(path: string): Promise<number> {
    const group = await this.sysfs(`0_${await this.idOf(path)}/referenced`);
    return Number(readFileSync(group, "utf8").trim());
  }

  /** The id of the subvolume at `path` (its quota group is 0/id), remembered per path. */
  idOf(path: string): Promise<number> {
    let id = this.ids.get(path);
    if (id === undefined) {
      // A storage made with the helper, mounted without it (removed since): the command.
      id =
        quotaHelperIfBuilt()?.subvolumeId(path) ??
        run(["btrfs", "inspect-internal", "rootid", path]).then((r) => Number(r.stdout.trim()));
      this.ids.set(path, id);
      id.catch(() => this.ids.delete(path));
    }
    return id;
  }

  /** The quota group limit that caps a volume at `size` given what it inherited. */
  limit(size: number | null | undefined, inherited: number): number | undefined {
    if (size === null || size === undefined) return undefined;
    // A volume that inherited its whole size can write nothing more (a full disk); a limit of 0
    // would read as "none" to some tools, so one block.
    return Math.max(4096, Math.floor(size - (this.modeNow === "simple" ? inherited : 0)));
  }

  /** The size= of the volume or snapshot at `path`: the book's, else its group's limit (older state). */
  async sizeOf(key: string, path: string): Promise<number | undefined> {
    const e = this.entry(key);
    if (e !== undefined) return e.size ?? undefined;
    const out = await run(["btrfs", "qgroup", "show", "-re", "--raw", "-f", path]);
    const row = out.stdout.split("\n").find((l) => /^0\/\d+\s/.test(l));
    const max = row?.trim().split(/\s+/)[3];
    return max === undefined || max === "none" ? undefined : Number(max);
  }
}

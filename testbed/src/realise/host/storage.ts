import { existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { mkdir, open, readFile, readdir, realpath, rename, stat, statfs } from "node:fs/promises";
import { basename, join } from "node:path";

import { RealiseError, type StorageDef, type StorageUsage } from "../types.js";
import { run } from "./exec.js";
import { checkName } from "./names.js";
import { snapHelper } from "./snap-helper.js";
import { capKey, SizeCaps } from "./storage-caps.js";

/** Default size of a storage's backing image when its StorageDef gives none. */
export const DEFAULT_STORAGE_BYTES = 8 * 1024 ** 3;

/** btrfs gives every subvolume root inode 256: the cheapest "is this a subvolume" test. */
const SUBVOLUME_ROOT_INODE = 256;

async function isSubvolume(path: string): Promise<boolean> {
  try {
    const s = await stat(path);
    return s.isDirectory() && s.ino === SUBVOLUME_ROOT_INODE;
  } catch {
    return false;
  }
}

/** {@link isSubvolume}, synchronously. */
function isSubvolumeNow(path: string): boolean {
  const s = statSync(path, { throwIfNoEntry: false });
  return s !== undefined && s.isDirectory() && s.ino === SUBVOLUME_ROOT_INODE;
}

/** Mount points currently listed by the kernel for this process. */
export async function mountPoints(): Promise<string[]> {
  const text = await readFile("/proc/self/mountinfo", "utf8");
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => (l.split(" ")[4] ?? "").replace(/\\040/g, " "));
}

/**
 * One testbed storage: a sparse image file, loop-mounted as btrfs. Layout inside the file system:
 * `base/<rootfs>` (read-only subvolume unpacked once from the cached Debian tarball),
 * `images/<volume>` (a guest's root file system, a subvolume) and
 * `snapshots/<volume>/<snapname>` (read-only subvolume snapshots).
 * `zfspool` and `dir` storages are realised the same way; the API layer keeps their rules.
 */
export class BtrfsStorage {
  readonly imagePath: string;
  readonly mountPoint: string;
  private baseReady: Promise<string> | undefined;
  /** The volumes' size caps: quota groups and what each volume inherited (storage-caps.ts). */
  readonly caps: SizeCaps;
  /**
   * Per volume: the read-only flag a rollback carried over, so the next rollback does not read it
   * again (a `btrfs` process; its size= is in the caps book). Only this process sets it: setting
   * the flag and every create, clone, migration or destroy of the volume forgets the entry.
   */
  private readonly readOnlyCarried = new Map<string, boolean>();
  /** Per volume: the delete of the subvolume a rollback swapped out, still running. */
  private readonly reaping = new Map<string, Promise<void>>();

  constructor(
    readonly def: StorageDef,
    stateDir: string,
    private readonly rootfsTarball: string,
  ) {
    checkName("storage", def.id);
    this.imagePath = join(stateDir, "images", `${def.id}.btrfs.img`);
    this.mountPoint = join(stateDir, "mnt", def.id);
    this.caps = new SizeCaps(this.mountPoint);
  }

  /** Creates the image (first time) and mounts it. Idempotent. */
  async mount(): Promise<void> {
    await mkdir(join(this.imagePath, ".."), { recursive: true });
    await mkdir(this.mountPoint, { recursive: true });
    if (!existsSync(this.imagePath)) {
      const tmp = `${this.imagePath}.new`;
      const fh = await open(tmp, "w");
      try {
        await fh.truncate(this.def.sizeBytes ?? DEFAULT_STORAGE_BYTES); // sparse
      } finally {
        await fh.close();
      }
      await run(["mkfs.btrfs", "-q", "-f", "-L", `txbox-${this.def.id}`.slice(0, 255), tmp]);
      await rename(tmp, this.imagePath);
    }
    if (!(await this.mounted())) {
      // `loop` makes mount set up the device with autoclear, so unmounting releases it.
      await run(["mount", "-t", "btrfs", "-o", "loop,noatime", this.imagePath, this.mountPoint]);
    }
    for (const d of ["base", "images", "snapshots", "caps"]) {
      await mkdir(join(this.mountPoint, d), { recursive: true });
    }
    // Quota groups enforce each volume's size= (a no-op when already enabled).
    await this.caps.enable();
  }

  /** See {@link SizeCaps.ensureConsistent}; repeated at every guest start (one sysfs read). */
  async ensureQuotaConsistent(waitForDrops = false): Promise<void> {
    await this.caps.ensureConsistent(waitForDrops);
  }

  /**
   * Caps what a volume may hold (its disk size, as Proxmox's size=): writing past it fails
   * with EDQUOT in that guest only. `undefined` removes the cap. Idempotent.
   */
  async setVolumeLimit(volume: string, bytes: number | undefined): Promise<void> {
    const key = capKey.volume(volume);
    const inherited = this.caps.entry(key)?.inherited ?? 0;
    this.caps.put(key, { size: bytes ?? null, inherited });
    await this.setLimit(this.volumePath(volume), this.caps.limit(bytes, inherited));
  }

  /**
   * Sets a volume's group limit by its id on the storage's top level: given the path itself,
   * btrfs joins a transaction on the volume's own tree, which a volume written up to its limit
   * can refuse with EDQUOT — exactly when the cap is being lifted (seen under load in CI,
   * 2026-12-05). One retry after a sync flushes what the group had reserved.
   */
  private async setLimit(path: string, bytes: number | undefined): Promise<void> {
    const value = bytes === undefined ? "none" : String(Math.floor(bytes));
    const argv = [
      "btrfs",
      "qgroup",
      "limit",
      value,
      `0/${await this.caps.idOf(path)}`,
      this.mountPoint,
    ];
    try {
      await run(argv);
    } catch (e) {
      if (!(e instanceof Error && /quota exceeded/i.test(e.message))) throw e;
      await run(["btrfs", "filesystem", "sync", this.mountPoint]);
      await run(argv);
    }
  }

  /** The book's key of a volume's or snapshot's path (a clone's source). */
  private keyOf(path: string): string {
    const rel = path.slice(this.mountPoint.length + 1).split("/");
    if (rel[0] === "snapshots" && rel.length === 3) return capKey.snapshot(rel[1]!, rel[2]!);
    if (rel[0] === "images" && rel.length === 2) return capKey.volume(rel[1]!);
    throw new RealiseError(`${path} is not a volume or snapshot of storage ${this.def.id}`);
  }

  /**
   * Makes a volume read-only (a template: guests and clones read it, nobody writes it) or
   * writable again. Linked clones of a read-only volume are writable snapshots. Idempotent.
   */
  async setVolumeReadOnly(volume: string, readOnly: boolean): Promise<void> {
    this.readOnlyCarried.delete(volume);
    const path = this.volumePath(volume);
    if (!(await isSubvolume(path)))
      throw new RealiseError(`volume ${this.def.id}:${volume} does not exist`);
    await run(["btrfs", "property", "set", "-ts", path, "ro", String(readOnly)]);
  }

  async volumeReadOnly(volume: string): Promise<boolean> {
    const out = await run(["btrfs", "property", "get", "-ts", this.volumePath(volume), "ro"]);
    return out.stdout.trim() === "ro=true";
  }

  async mounted(): Promise<boolean> {
    return (await mountPoints()).includes(this.mountPoint);
  }

  /** Unmounts (the loop device goes with it). Idempotent. */
  async unmount(): Promise<void> {
    await Promise.all(this.reaping.values());
    this.baseReady = undefined;
    if (await this.mounted()) await run(["umount", this.mountPoint], { timeoutMs: 60_000 });
  }

  async usage(): Promise<StorageUsage> {
    if (!(await this.mounted())) return { total: 0, used: 0, avail: 0, active: false };
    const s = await statfs(this.mountPoint);
    const total = s.blocks * s.bsize;
    return { total, used: total - s.bfree * s.bsize, avail: s.bavail * s.bsize, active: true };
  }

  volumePath(volume: string): string {
    return join(this.mountPoint, "images", checkName("volume", volume));
  }

  snapshotPath(volume: string, snapname: string): string {
    return join(this.snapshotDir(volume), checkName("snapshot", snapname));
  }

  private snapshotDir(volume: string): string {
    return join(this.mountPoint, "snapshots", checkName("volume", volume));
  }

  /** The read-only base subvolume for new volumes, unpacked from the tarball on first use. */
  private base(): Promise<string> {
    this.baseReady ??= this.unpackBase().catch((e: unknown) => {
      this.baseReady = undefined;
      throw e;
    });
    return this.baseReady;
  }

  private async unpackBase(): Promise<string> {
    if (!existsSync(this.rootfsTarball)) {
      throw new RealiseError(
        `guest root file system ${this.rootfsTarball} is missing: run testbed/scripts/build-rootfs (as root)`,
      );
    }
    const name = basename(await realpath(this.rootfsTarball)).replace(/\.tar$/, "");
    const dest = join(this.mountPoint, "base", checkName("base", name));
    if (await isSubvolume(dest)) return dest;
    const tmp = join(this.mountPoint, "base", `.${name}.unpacking`);
    if (existsSync(tmp)) await this.deleteSubvolume(tmp);
    await run(["btrfs", "-q", "subvolume", "create", tmp]);
    await run(
      [
        "tar",
        "--numeric-owner",
        "--xattrs",
        "--xattrs-include=*",
        "--acls",
        "-xpf",
        this.rootfsTarball,
        "-C",
        tmp,
      ],
      { timeoutMs: 600_000 },
    );
    // Made read-only in place and renamed, not snapshotted and deleted: dropping a 300 MB
    // subvolume with full quota accounting (drop_subtree_threshold) takes the kernel 20 s and
    // more, which every testbed start paid. The rename publishes the base complete or not at all.
    await run(["btrfs", "property", "set", "-ts", tmp, "ro", "true"]);
    await rename(tmp, dest);
    await this.ensureQuotaConsistent();
    return dest;
  }

  private baseKey(base: string): string {
    return capKey.base(basename(base));
  }

  async volumeExists(volume: string): Promise<boolean> {
    return isSubvolume(this.volumePath(volume));
  }

  /** A new volume: a writable snapshot of the base root file system, capped at `sizeBytes`. Idempotent. */
  async createVolume(volume: string, sizeBytes?: number): Promise<void> {
    this.readOnlyCarried.delete(volume);
    const dest = this.volumePath(volume);
    const key = capKey.volume(volume);
    if (!(await isSubvolume(dest))) {
      const base = await this.base();
      this.caps.forget(dest);
      const inherited = await this.caps.referenced(this.baseKey(base), base);
      this.caps.put(key, { size: sizeBytes ?? null, inherited });
      await this.snapshotInto(base, dest, false);
    }
    if (sizeBytes !== undefined) await this.setVolumeLimit(volume, sizeBytes);
  }

  /**
   * The size= of a volume or snapshot of this storage, and (simple quotas) the bytes it holds:
   * what a clone of it starts with.
   */
  async capOf(path: string): Promise<{ size: number | null; referenced: number }> {
    const key = this.keyOf(path);
    const size = (await this.caps.sizeOf(key, path)) ?? null;
    return { size, referenced: await this.caps.referenced(key, path) };
  }

  /**
   * Writable snapshot (`linked`) or full copy of a source subvolume into a new volume, with the
   * source's size cap (a clone's disk has its source's size=). `origin`: the source's
   * {@link capOf}, read by the source's storage (a full clone may cross storages). Idempotent.
   */
  async createVolumeFrom(
    source: string,
    volume: string,
    linked: boolean,
    origin?: { size: number | null; referenced: number },
  ): Promise<void> {
    this.readOnlyCarried.delete(volume);
    const dest = this.volumePath(volume);
    if (await isSubvolume(dest)) return;
    if (!(await isSubvolume(source)))
      throw new RealiseError(`clone source ${source} does not exist`);
    const { size, referenced } = origin ?? (await this.capOf(source));
    this.caps.forget(dest);
    if (linked) {
      this.caps.put(capKey.volume(volume), { size, inherited: referenced });
      await this.snapshotInto(source, dest, false, this.caps.limit(size, referenced));
      return;
    }
    // A full copy writes every byte itself: it inherits nothing.
    this.caps.put(capKey.volume(volume), { size, inherited: 0 });
    const tmp = `${dest}.copying`;
    if (existsSync(tmp)) await this.deleteSubvolume(tmp);
    await run(["btrfs", "-q", "subvolume", "create", tmp]);
    const limit = this.caps.limit(size, 0);
    if (limit !== undefined) await this.setLimit(tmp, limit);
    // A full clone owns its data: no shared extents with the source.
    await run(["cp", "-a", "--reflink=never", `${source}/.`, `${tmp}/`], { timeoutMs: 1_800_000 });
    await rename(tmp, dest);
  }

  /**
   * A full copy of the volume (no shared extents) replaces it; its snapshots stay. Crash-safe and
   * idempotent: the copy is complete once `<volume>.migrated` exists, and is renamed in last.
   */
  async migrateVolume(volume: string): Promise<void> {
    const moved = `${volume}.migrated`;
    if (!(await isSubvolume(this.volumePath(moved)))) {
      await this.createVolumeFrom(this.volumePath(volume), moved, false);
    }
    if (await isSubvolume(this.volumePath(volume)))
      await this.deleteSubvolume(this.volumePath(volume));
    this.readOnlyCarried.delete(volume);
    this.caps.forget(this.volumePath(moved));
    await rename(this.volumePath(moved), this.volumePath(volume));
    this.caps.move(capKey.volume(moved), capKey.volume(volume));
  }

  async destroyVolume(volume: string): Promise<void> {
    this.readOnlyCarried.delete(volume);
    await this.reaping.get(volume);
    const snapDir = this.snapshotDir(volume);
    for (const snap of await readdir(snapDir).catch(() => [])) {
      await this.deleteSubvolume(join(snapDir, snap));
      this.caps.drop(capKey.snapshot(volume, snap));
    }
    if (existsSync(snapDir)) await run(["rmdir", snapDir]);
    const path = this.volumePath(volume);
    if (existsSync(path)) await this.deleteSubvolume(path);
    this.caps.drop(capKey.volume(volume));
    await this.ensureQuotaConsistent();
  }

  /**
   * `flush`: sync the file system first (a frozen guest's `sync_mountpoint`, see snapshotInto).
   * Its checks are synchronous: a few µs of metadata calls each, where three trips through the
   * thread pool and back to the busy event loop cost 4–13 ms on the loaded host (measured).
   */
  async snapshot(volume: string, snapname: string, flush = true): Promise<void> {
    const vol = this.volumePath(volume);
    if (!isSubvolumeNow(vol))
      throw new RealiseError(`volume ${this.def.id}:${volume} does not exist`);
    const dest = this.snapshotPath(volume, snapname);
    if (isSubvolumeNow(dest)) return;
    mkdirSync(this.snapshotDir(volume), { recursive: true });
    await this.snapshotInto(vol, dest, true, undefined, flush);
    // What the snapshot holds, for a rollback to it or a clone of it (simple quotas: its files
    // were written by the volume, which keeps counting them; one sysfs read).
    const key = capKey.volume(volume);
    const inherited = await this.caps.referenced(key, vol);
    this.caps.put(capKey.snapshot(volume, snapname), {
      size: this.caps.entry(key)?.size ?? null,
      inherited,
    });
  }

  async snapshotExists(volume: string, snapname: string): Promise<boolean> {
    return isSubvolume(this.snapshotPath(volume, snapname));
  }

  /**
   * Replaces the volume by a writable snapshot of `snapname`. Crash-safe: the new subvolume is
   * made first and swapped in by rename, so a re-run after a crash finds either state complete.
   */
  async rollback(volume: string, snapname: string): Promise<void> {
    const snap = this.snapshotPath(volume, snapname);
    if (!(await isSubvolume(snap))) {
      throw new RealiseError(`snapshot ${snapname} of ${this.def.id}:${volume} does not exist`);
    }
    const vol = this.volumePath(volume);
    const fresh = `${vol}.rollback`;
    const old = `${vol}.replaced`;
    await this.reaping.get(volume);
    if (existsSync(fresh)) await this.deleteSubvolume(fresh);
    // Left by a crash (or a failed delete) after an earlier swap: it would block the rename below.
    if (existsSync(old)) await this.deleteSubvolume(old);
    // The volume keeps its size= and read-only flag across the swap.
    const current = (await isSubvolume(vol)) ? vol : snap;
    const volKey = capKey.volume(volume);
    const snapKey = capKey.snapshot(volume, snapname);
    // Up to two `btrfs` processes that only read, side by side: the size= when the book has none
    // (state from before it), the read-only flag once per volume (`readOnlyCarried`).
    const fromVol = current === vol;
    const [size, readOnly] = await Promise.all([
      this.caps.sizeOf(fromVol ? volKey : snapKey, current),
      (fromVol ? this.readOnlyCarried.get(volume) : false) ?? this.volumeReadOnly(volume),
    ]);
    // The restored volume starts with what the snapshot held (written by the volume before).
    const inherited = this.caps.entry(snapKey)?.inherited ?? 0;
    this.caps.put(volKey, { size: size ?? null, inherited });
    await this.snapshotInto(snap, fresh, readOnly, this.caps.limit(size, inherited));
    if (existsSync(vol)) await rename(vol, old);
    await rename(fresh, vol);
    this.caps.forget(vol);
    this.readOnlyCarried.set(volume, readOnly);
    // The volume is restored: the swapped-out subvolume is garbage nobody can reach. Deleting it
    // (`subvolume list` + `delete`, two processes, 50 ms quiet and 300 ms loaded) overlaps the
    // guest's start instead of delaying it; the next operation on the volume waits for it.
    if (existsSync(old)) this.reap(volume, old);
  }

  /** Delete `path` in the background; a failure leaves it for the next rollback to remove. */
  private reap(volume: string, path: string): void {
    const p = (async () => {
      await this.deleteSubvolume(path);
      await this.ensureQuotaConsistent();
    })()
      .catch(() => undefined)
      .finally(() => {
        if (this.reaping.get(volume) === p) this.reaping.delete(volume);
      });
    this.reaping.set(volume, p);
  }

  async deleteSnapshot(volume: string, snapname: string): Promise<void> {
    await this.reaping.get(volume);
    const path = this.snapshotPath(volume, snapname);
    if (existsSync(path)) await this.deleteSubvolume(path);
    this.caps.drop(capKey.snapshot(volume, snapname));
    await this.ensureQuotaConsistent();
  }

  private async snapshotInto(
    source: string,
    dest: string,
    readonly: boolean,
    limit?: number,
    syncFirst = false,
  ): Promise<void> {
    const tmp = `${dest}.creating`;
    if (existsSync(tmp)) await this.deleteSubvolume(tmp);
    // pve-container's __snapshot_freeze syncs the frozen guest's file system (sync_mountpoint,
    // a syncfs(2)) before the volume snapshot; Node has no syncfs. Without a size cap the
    // resident helper does both with syscalls, as PVE::Tools::sync_mountpoint does the sync and
    // as `btrfs subvolume snapshot` does the snapshot (one ioctl): no process per snapshot.
    const helper = limit === undefined ? snapHelper() : undefined;
    if (helper !== undefined) {
      await helper(source, tmp, { readonly, sync: syncFirst });
      renameSync(tmp, dest); // appears complete or not at all
      return;
    }
    // Otherwise the sync, the snapshot and its size cap run in one shell: one process spawned
    // from here instead of up to three, each of which cost 15 ms quiet and 100–300 ms on the
    // loaded 2-core host. The paths are arguments, never spliced into the script.
    const steps = [
      ...(syncFirst ? ['sync -f "$1"'] : []),
      `btrfs -q subvolume snapshot ${readonly ? "-r " : ""}"$1" "$2"`,
      ...(limit === undefined ? [] : [`btrfs qgroup limit ${Math.floor(limit)} "$2"`]),
    ];
    // A lone snapshot (no sync, no cap: a transaction's snapshot of a VM) needs no shell: one
    // process less, ~5 ms of exec on the testbed's host.
    await run(
      steps.length === 1
        ? ["btrfs", "-q", "subvolume", "snapshot", ...(readonly ? ["-r"] : []), source, tmp]
        : ["sh", "-c", steps.join(" && "), "sh", source, tmp],
    );
    await rename(tmp, dest); // appears complete or not at all
  }

  /** Deletes a subvolume and any subvolumes a guest created inside it (deepest first). */
  private async deleteSubvolume(path: string): Promise<void> {
    if (!(await isSubvolume(path))) {
      throw new RealiseError(`${path} is not a btrfs subvolume; refusing to delete it`);
    }
    const listed = await run(["btrfs", "subvolume", "list", "-o", path], { allowFailure: true });
    const nested = listed.stdout
      .split("\n")
      .map((l) => / path (.+)$/.exec(l)?.[1])
      .filter((p): p is string => p !== undefined)
      .map((p) => join(this.mountPoint, p.replace(/^<FS_TREE>\//, "")))
      .sort((a, b) => b.length - a.length);
    for (const n of nested) {
      if (n.startsWith(`${path}/`) && (await isSubvolume(n))) await this.deleteSubvolume(n);
    }
    await run(["btrfs", "-q", "subvolume", "delete", path]);
    this.caps.forget(path);
  }
}

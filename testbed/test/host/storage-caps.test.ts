// A volume's size= holds on everything in it — what it started with and what it wrote — after
// any number of rollbacks and in linked clones, with simple and with full btrfs quota groups.
// Against a real btrfs storage (loop image) and the real base root file system.
import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { constants, release } from "node:os";
import { join } from "node:path";

import { afterAll, beforeAll, expect, test } from "@jest/globals";

import { run } from "../../src/realise/host/exec.js";
import { quotaHelperIfBuilt } from "../../src/realise/host/snap-helper.js";
import { BtrfsStorage } from "../../src/realise/host/storage.js";
import { describeHost, removeStateDir, ROOTFS } from "./support.js";

const MIB = 1024 * 1024;

/** Writes `mib` MiB to `path`; how many it wrote and the error code that stopped it, if any. */
function fill(path: string, mib: number): { wrote: number; code?: string } {
  const chunk = Buffer.alloc(MIB, 0x5a);
  const fd = openSync(path, "w");
  let wrote = 0;
  try {
    for (; wrote < mib; wrote++) writeSync(fd, chunk);
    fsyncSync(fd);
    return { wrote };
  } catch (e) {
    // libuv has no name for EDQUOT ("UNKNOWN"): read the number.
    const err = e as NodeJS.ErrnoException;
    return { wrote, code: err.errno === -constants.errno.EDQUOT ? "EDQUOT" : err.code };
  } finally {
    closeSync(fd);
  }
}

/** Bytes the tree at `path` references, counted by btrfs itself (no quota groups involved). */
async function referenced(path: string): Promise<number> {
  const out = await run(["btrfs", "filesystem", "du", "-s", "--raw", path]);
  const total = /^\s*(\d+)/m.exec(out.stdout.split("\n")[1] ?? "")?.[1];
  if (total === undefined) throw new Error(`btrfs filesystem du: ${out.stdout}`);
  return Number(total);
}

/** Simple quota groups need kernel 6.7 and the built helper; elsewhere the storage runs full ones. */
function simpleQuotasHere(): boolean {
  const [major = 0, minor = 0] = release().split(".").map(Number);
  return quotaHelperIfBuilt() !== undefined && (major > 6 || (major === 6 && minor >= 7));
}

for (const mode of ["simple", "full"] as const) {
  describeHost(`volume size caps, ${mode} quota groups`, () => {
    let dir = "";
    let storage: BtrfsStorage;
    const def = {
      id: "caps",
      type: "btrfs" as const,
      content: ["rootdir"],
      sizeBytes: 3 * 1024 ** 3,
    };

    /** A storage on `dir`, mounted in this describe's mode (full: `TXBOX_TESTBED_QUOTAS=full`). */
    async function mounted(): Promise<BtrfsStorage> {
      const s = new BtrfsStorage(def, dir, ROOTFS);
      const env = process.env.TXBOX_TESTBED_QUOTAS;
      if (mode === "full") process.env.TXBOX_TESTBED_QUOTAS = "full";
      try {
        await s.mount();
      } finally {
        if (env === undefined) delete process.env.TXBOX_TESTBED_QUOTAS;
        else process.env.TXBOX_TESTBED_QUOTAS = env;
      }
      return s;
    }

    beforeAll(async () => {
      dir = await mkdtemp(join("/var/tmp", `txbox-test-caps-${mode}-`));
      storage = await mounted();
    }, 300_000);

    afterAll(async () => {
      await storage?.unmount();
      if (dir !== "") await removeStateDir(dir);
    }, 120_000);

    test("the storage runs the quota groups asked for", () => {
      expect(storage.caps.mode).toBe(mode === "simple" && !simpleQuotasHere() ? "full" : mode);
    });

    test("writes stop at size= across a rollback and in a linked clone; uncapped they do not", async () => {
      await storage.createVolume("vm-700-disk-0", 3 * 1024 ** 3);
      const vol = storage.volumePath("vm-700-disk-0");
      // size= leaves 96 MiB free above what the new volume holds (the base root file system).
      await storage.setVolumeLimit("vm-700-disk-0", (await referenced(vol)) + 96 * MIB);
      expect(fill(join(vol, "root", "a"), 64)).toEqual({ wrote: 64 });
      await storage.snapshot("vm-700-disk-0", "s1");
      await storage.rollback("vm-700-disk-0", "s1");
      // The restored volume holds the 64 MiB it wrote before: 32 MiB are left, not 96.
      const again = fill(join(vol, "root", "b"), 64);
      expect(again.code).toBe("EDQUOT");
      expect(again.wrote).toBeLessThan(40);

      // A linked clone of the snapshot has its size= and starts as full as the snapshot.
      await storage.createVolumeFrom(
        storage.snapshotPath("vm-700-disk-0", "s1"),
        "vm-701-disk-0",
        true,
      );
      const clone = fill(join(storage.volumePath("vm-701-disk-0"), "root", "b"), 64);
      expect(clone.code).toBe("EDQUOT");
      expect(clone.wrote).toBeLessThan(40);

      // Control: uncapped, the same writes go through (the storage itself has room).
      await storage.setVolumeLimit("vm-700-disk-0", undefined);
      expect(fill(join(vol, "root", "b"), 64)).toEqual({ wrote: 64 });
      // And the cap comes back with what the volume holds now (128 MiB written in all).
      await storage.setVolumeLimit("vm-700-disk-0", (await referenced(vol)) + 16 * MIB);
      const capped = fill(join(vol, "root", "c"), 64);
      expect(capped.code).toBe("EDQUOT");
    }, 300_000);

    test("a rollback's cap survives a new process: the book is on the storage", async () => {
      await storage.unmount();
      storage = await mounted();
      await storage.rollback("vm-700-disk-0", "s1");
      const vol = storage.volumePath("vm-700-disk-0");
      await storage.setVolumeLimit("vm-700-disk-0", (await referenced(vol)) + 32 * MIB);
      await storage.snapshot("vm-700-disk-0", "s2");
      await storage.rollback("vm-700-disk-0", "s2");
      const after = fill(join(vol, "root", "d"), 64);
      expect(after.code).toBe("EDQUOT");
      expect(after.wrote).toBeLessThan(40);
    }, 300_000);
  });
}

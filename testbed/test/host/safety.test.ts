// Host safety: a guest's root runs `rm -rf --no-preserve-root /`, a fork bomb, dd onto every block
// device it can see, writes to /proc/sysrq-trigger and `kill -9 -1`. The host (a sentinel file, its
// /dev) and another guest must be untouched, and rollback must bring the guest back.
// Confinement is PROVEN first; the destructive step refuses to run unless the proof passed.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { lstat, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

import type { HostRealiser } from "../../src/realise/host/index.js";
import { waitFor } from "../../src/realise/host/exec.js";
import type { VolumeRef } from "../../src/realise/types.js";
import {
  describeHost,
  removeStateDir,
  exec,
  connectSsh,
  newRealiser,
  operatorKey,
  spec,
  sshRun,
  treeManifest,
  waitSsh,
  type OperatorKey,
} from "./support.js";

const PIDS_LIMIT = 128;

/** Names and device numbers of the host's /dev (top level), as a comparable listing. */
async function devListing(): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir("/dev")).sort()) {
    const st = await lstat(join("/dev", name)).catch(() => undefined);
    if (st) out.push(`${name} ${st.mode.toString(8)} ${st.rdev}`);
  }
  return out;
}

describeHost("host safety: destructive root in a guest (as root)", () => {
  let r: HostRealiser;
  let key: OperatorKey;
  const victim: VolumeRef = { storage: "local-btrfs", volume: "subvol-401-disk-0" };
  const bystander: VolumeRef = { storage: "local-btrfs", volume: "subvol-402-disk-0" };
  const pins: Record<number, string[]> = {};
  const addr: Record<number, string> = {};
  const tag = randomBytes(4).toString("hex");
  const hostSentinel = `/var/tmp/txbox-safety-sentinel-${tag}`;
  const devSentinel = `/dev/txbox-safety-sentinel-${tag}`;
  const proofMarker = `proof-${tag}`;
  let confinementProven = false;

  async function boot(vmid: number, ref: VolumeRef): Promise<void> {
    await r.startGuest(spec(vmid, ref, { pids: PIDS_LIMIT }));
    addr[vmid] = (await r.guestStatus(vmid)).mgmtAddress ?? "";
    await waitSsh(addr[vmid] ?? "", key, pins[vmid] ?? []);
  }
  const run = (vmid: number, command: string) =>
    sshRun(addr[vmid] ?? "", key, pins[vmid] ?? [], command);

  beforeAll(async () => {
    r = await newRealiser("safety", "10.213.41.0/24");
    key = operatorKey();
    await writeFile(hostSentinel, `sentinel ${tag}\n`);
    await writeFile(devSentinel, `dev sentinel ${tag}\n`);
    await r.init();
    for (const [vmid, ref] of [
      [401, victim],
      [402, bystander],
    ] as const) {
      await r.createVolume(ref, {});
      pins[vmid] = (
        await r.injectSsh(ref, { authorizedKeys: [key.publicKey], regenerateHostKeys: true })
      ).hostKeyFingerprints;
      await boot(vmid, ref);
    }
  }, 180_000);

  afterAll(async () => {
    await r?.teardown();
    await rm(hostSentinel, { force: true });
    await rm(devSentinel, { force: true });
    if (r) await removeStateDir(r.resolvedStateDir);
  }, 120_000);

  test("proof of confinement: / is the guest's subvolume, host paths invisible, no block devices, no mknod/mount", async () => {
    await writeFile(
      join(r.volumePath(victim), "root", proofMarker),
      "written by the host into the subvolume\n",
    );
    const res = await run(
      401,
      [
        `cat /root/${proofMarker}`,
        `test -e ${hostSentinel} && echo HOST-SENTINEL-VISIBLE`,
        `test -e ${devSentinel} && echo DEV-SENTINEL-VISIBLE`,
        `test -e ${r.resolvedStateDir} && echo STATE-DIR-VISIBLE`,
        "echo blockdevs=$(find / -xdev -type b 2>/dev/null | wc -l),$(find /dev -type b 2>/dev/null | wc -l)",
        "mknod /dev/sda b 8 0 2>/dev/null && echo MKNOD-OK",
        "mount -t proc proc /mnt 2>/dev/null && echo MOUNT-OK",
        // Field 4 of mountinfo is the mount's root inside its file system: our subvolume.
        'awk \'$5 == "/" { print "root-mount=" $4 }\' /proc/self/mountinfo',
        `echo pids-max=$(cat /sys/fs/cgroup/pids.max 2>/dev/null || echo none)`,
      ].join("; "),
    );
    expect(res.stdout).toContain("written by the host into the subvolume");
    expect(res.stdout).not.toMatch(/VISIBLE|MKNOD-OK|MOUNT-OK/);
    expect(res.stdout).toContain("blockdevs=0,0");
    expect(res.stdout).toContain(`root-mount=/images/${victim.volume}\n`);
    confinementProven = true;
  });

  test("rm -rf /, fork bomb, dd to block devices, sysrq, kill -9 -1 leave the host and the other guest untouched", async () => {
    if (!confinementProven)
      throw new Error("confinement not proven: refusing to run rm -rf / in the guest");
    await r.freeze(401);
    try {
      await r.snapshotVolume(victim, "clean");
    } finally {
      await r.thaw(401);
    }
    const devBefore = await devListing();
    const bystanderBefore = await treeManifest(join(r.volumePath(bystander), "etc"));
    const pidsDir = join("/sys/fs/cgroup/pids", r.hostNames.guestCgroup(401));

    // One bash session: binaries first (dd, sysrq), then rm -rf /, then builtins only (fork bomb,
    // busy wait, kill -9 -1), because nothing is left to exec after rm.
    const script = [
      // Guard: this shell's / must be the subvolume the host wrote the marker into.
      `[ -e /root/${proofMarker} ] || exit 98`,
      `[ -e ${hostSentinel} ] && exit 99`,
      "for d in $(find / -xdev -type b 2>/dev/null) /dev/vda /dev/sda /dev/loop0; do",
      '  dd if=/dev/zero of="$d" bs=64k count=16 2>/dev/null; echo "dd $d rc=$?"',
      "done",
      "(echo b > /proc/sysrq-trigger) 2>/dev/null && echo SYSRQ-WRITTEN || echo sysrq-refused",
      "(echo c > /proc/sysrq-trigger) 2>/dev/null && echo SYSRQ-WRITTEN || echo sysrq-refused",
      "rm -rf --no-preserve-root / 2>/dev/null; echo rm-done",
      "bomb() { bomb | bomb & }; bomb",
      "end=$((SECONDS + 4)); while [ $SECONDS -lt $end ]; do :; done",
      "echo killing; kill -9 -1",
    ].join("\n");
    const c = await connectSsh(addr[401] ?? "", key, pins[401] ?? []);
    let maxPids = 0;
    const sampler = setInterval(() => {
      const n = Number(readFileSync(join(pidsDir, "pids.current"), "utf8").trim() || "0");
      maxPids = Math.max(maxPids, n);
    }, 50);
    let out = "";
    try {
      const res = await exec(c, script, 60_000).catch((e: unknown) => ({
        code: null,
        stdout: String(e),
        stderr: "",
      }));
      out = res.stdout;
    } finally {
      clearInterval(sampler);
      c.end();
    }
    expect(out).toContain("rm-done");
    expect(out).not.toContain("SYSRQ-WRITTEN");
    // dd to a path that is not a device in the guest only creates a file in the guest's own /dev.
    expect(out).toMatch(/dd \/dev\/vda rc=/);
    // The fork bomb hit the pids limit and no more.
    expect(maxPids).toBeGreaterThan(PIDS_LIMIT / 2);
    expect(maxPids).toBeLessThanOrEqual(PIDS_LIMIT);
    // kill -9 -1 ended every process of the guest, and only those.
    expect(await waitFor(async () => !(await r.guestStatus(401)).running, 10_000)).toBe(true);

    // The rm really happened inside the guest's root...
    expect(existsSync(join(r.volumePath(victim), "usr", "bin"))).toBe(false);
    // ...and nowhere else.
    expect(await readFile(hostSentinel, "utf8")).toBe(`sentinel ${tag}\n`);
    expect(await readFile(devSentinel, "utf8")).toBe(`dev sentinel ${tag}\n`);
    expect(await devListing()).toEqual(devBefore);
    expect(await treeManifest(join(r.volumePath(bystander), "etc"))).toEqual(bystanderBefore);
    expect((await run(402, "echo alive; ls /usr/bin | wc -l")).stdout).toMatch(/^alive\n\d{3,}\n$/);

    // Rollback brings the guest back to SSH-ready with its files.
    await r.stopGuest(401, { graceful: false, timeoutMs: 0 });
    await r.rollbackVolume(victim, "clean");
    await boot(401, victim);
    expect((await run(401, `cat /root/${proofMarker}; ls /usr/bin | wc -l`)).stdout).toMatch(
      /^written by the host into the subvolume\n\d{3,}\n$/,
    );
  }, 180_000);
});

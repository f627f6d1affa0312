// Crash recovery and teardown: a testbed process killed with SIGKILL leaves guests, mounts, loop
// devices, namespaces and interfaces behind; the next init() must clean them, and teardown() must
// leave nothing of its own on the host.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { HostNames, HostRealiser, processAlive as alive } from "../../src/realise/host/index.js";
import { run, waitFor } from "../../src/realise/host/exec.js";
import {
  describeHost,
  removeStateDir,
  newRealiser,
  operatorKey,
  ROOTFS,
  spec,
  waitSsh,
} from "./support.js";

const LIB = fileURLToPath(new URL("../../lib/realise/host/index.js", import.meta.url));

interface HostTraces {
  mounts: string[];
  loops: string[];
  netns: string[];
  links: string[];
  cgroups: string[];
}

/** Everything on the host that carries this realiser's names or state directory. */
async function traces(
  r: HostRealiser | { resolvedStateDir: string; hostNames: HostNames },
): Promise<HostTraces> {
  const dir = r.resolvedStateDir;
  const mountinfo = await readFile("/proc/self/mountinfo", "utf8");
  const mounts = mountinfo
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .filter((m) => m.startsWith(`${dir}/`));
  const loops = (await run(["losetup", "-l", "-n", "-O", "NAME,BACK-FILE"])).stdout
    .split("\n")
    .filter((l) => l.includes(`${dir}/`));
  const netns = (await run(["ip", "netns", "list"])).stdout
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n.startsWith(r.hostNames.netnsPrefix));
  const links = (await run(["ip", "-o", "link", "show"])).stdout
    .split("\n")
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1] ?? "")
    .filter((n) => n.startsWith(r.hostNames.linkPrefix));
  const cgroups = ["pids", "memory", "cpu", "freezer", "devices", ""]
    .map((c) => join("/sys/fs/cgroup", c, r.hostNames.cgroupRoot))
    .filter((p) => existsSync(p));
  return { mounts, loops, netns, links, cgroups };
}

/** Starts a testbed in a child process, boots two guests, and kills the process with SIGKILL. */
async function crashedRun(stateDir: string, cidr: string): Promise<{ pids: number[] }> {
  const script = `
    import { HostRealiser } from ${JSON.stringify(LIB)};
    const r = new HostRealiser({ stateDir: ${JSON.stringify(stateDir)}, rootfsTarball: ${JSON.stringify(ROOTFS)},
      storages: [{ id: "local-btrfs", type: "btrfs", content: ["rootdir"], sizeBytes: 4 * 1024 ** 3 }],
      mgmt: { cidr: ${JSON.stringify(cidr)} } });
    await r.init();
    const pids = [];
    for (const vmid of [301, 302]) {
      const rootfs = { storage: "local-btrfs", volume: "subvol-" + vmid + "-disk-0" };
      await r.createVolume(rootfs, {});
      pids.push((await r.startGuest({ vmid, type: "lxc", node: "pve1", hostname: "c" + vmid, rootfs,
        memoryMiB: 256, cores: 1, nets: [] })).pid);
    }
    console.log(JSON.stringify({ pids }));
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`crash child did not report: ${err}`)),
      120_000,
    );
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl));
      }
    });
    child.once("exit", (code) => reject(new Error(`crash child exited ${code}: ${err}`)));
  });
  child.kill("SIGKILL");
  await new Promise((r) => child.once("exit", r));
  return JSON.parse(line) as { pids: number[] };
}

describeHost("HostRealiser lifecycle (as root)", () => {
  const cidr = "10.213.31.0/24";
  let r: HostRealiser | undefined;

  afterAll(async () => {
    if (r) {
      await r.teardown();
      await removeStateDir(r.resolvedStateDir);
    }
  }, 120_000);

  test("init() after a crash removes the crashed run's guests, namespaces, links, mounts; teardown() leaves nothing", async () => {
    if (!existsSync(LIB))
      throw new Error(`${LIB} missing: build the testbed first (pnpm exec tsc -b testbed)`);
    r = await newRealiser("lifecycle", cidr);
    await r.init(); // resolves the state directory; the crashed run below uses the same one
    await r.teardown();
    const { pids } = await crashedRun(r.resolvedStateDir, cidr);

    // The crash really left things behind (so the checks below can fail).
    const left = await traces(r);
    expect(pids.every(alive)).toBe(true);
    expect(left.netns).toEqual(
      expect.arrayContaining([r.hostNames.guestNetns(301), r.hostNames.guestNetns(302)]),
    );
    expect(left.mounts.length).toBeGreaterThan(0);
    expect(left.loops.length).toBeGreaterThan(0);
    expect(left.links.length).toBeGreaterThan(0);
    expect(left.cgroups.length).toBeGreaterThan(0);

    await r.init();
    await waitFor(() => pids.every((p) => !alive(p)), 5000); // killed; init (pid 1) reaps them
    expect(pids.filter(alive)).toEqual([]);
    const clean = await traces(r);
    expect(clean.netns).toEqual([r.hostNames.mgmtNetns]);
    expect(clean.links).toEqual([r.hostNames.hostLink]);
    // One loop device and one mount per storage: the crashed run's are gone, init made fresh ones.
    const backing = clean.loops.map((l) => l.split(" ")[1]).sort();
    expect(backing).toEqual(
      ["local-btrfs", "tank"].map((s) =>
        join(r?.resolvedStateDir ?? "", "images", `${s}.btrfs.img`),
      ),
    );
    expect(clean.mounts.sort()).toEqual(
      ["local-btrfs", "tank"].map((s) => join(r?.resolvedStateDir ?? "", "mnt", s)),
    );
    expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(
      join(r.resolvedStateDir, "mnt", "local-btrfs", "images"),
    );

    // Data survived the crash: the guest's volume boots again.
    const key = operatorKey();
    const rootfs = { storage: "local-btrfs", volume: "subvol-301-disk-0" };
    const { hostKeyFingerprints } = await r.injectSsh(rootfs, {
      authorizedKeys: [key.publicKey],
      regenerateHostKeys: true,
    });
    await r.startGuest(spec(301, rootfs));
    const st = await r.guestStatus(301);
    await waitSsh(st.mgmtAddress ?? "", key, hostKeyFingerprints);

    await r.teardown();
    expect(st.pid !== undefined && alive(st.pid)).toBe(false);
    expect(await traces(r)).toEqual({ mounts: [], loops: [], netns: [], links: [], cgroups: [] });
  }, 240_000);

  test("init() of any testbed also cleans a crashed testbed of another state directory", async () => {
    const dir = await mkdtemp("/var/tmp/txbox-test-crashed-");
    const crashed = { resolvedStateDir: dir, hostNames: new HostNames(dir) };
    const { pids } = await crashedRun(dir, "10.213.32.0/24");
    expect((await traces(crashed)).mounts.length).toBeGreaterThan(0);
    const other = await newRealiser("lifecycle-other", "10.213.33.0/24");
    try {
      await other.init();
      await waitFor(() => pids.every((p) => !alive(p)), 5000);
      expect(pids.filter(alive)).toEqual([]);
      expect(await traces(crashed)).toEqual({
        mounts: [],
        loops: [],
        netns: [],
        links: [],
        cgroups: [],
      });
    } finally {
      await other.teardown();
      await removeStateDir(other.resolvedStateDir);
      await removeStateDir(dir);
    }
  }, 240_000);
});

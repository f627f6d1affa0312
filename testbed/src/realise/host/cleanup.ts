import { readFileSync } from "node:fs";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { SdnRealiser } from "../sdn/index.js";
import { GuestCgroup } from "./cgroup.js";
import { run } from "./exec.js";
import { HostNames } from "./names.js";
import { deleteLink, deleteNetns, listLinks, listNetns } from "./network.js";
import { mountPoints } from "./storage.js";

/** Host-wide registry of live host realisers: `<tag>.json` = { pid, stateDir }. */
const REGISTRY = "/run/txbox/host-realiser";

type Warn = (message: string, meta: Record<string, unknown>) => void;

/** A process exists and is not a zombie waiting for its (new) parent to reap it. */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) [ZX]/s.test(stat);
  } catch {
    return false;
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
  warn: Warn = () => undefined,
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

/** Record a live realiser in the host-wide registry (tmpfs: gone at reboot, as its leftovers are). */
export async function registerInstance(names: HostNames, stateDir: string): Promise<void> {
  await mkdir(REGISTRY, { recursive: true });
  await writeFile(
    join(REGISTRY, `${names.tag}.json`),
    JSON.stringify({ pid: process.pid, stateDir }),
  );
}

export async function unregisterInstance(names: HostNames): Promise<void> {
  await rm(join(REGISTRY, `${names.tag}.json`), { force: true });
}

/**
 * Cleans the instances of the host-wide registry whose process died without teardown, whatever
 * their state directory (all but `own`).
 */
export async function cleanDeadInstances(own: HostNames, warn: Warn): Promise<void> {
  await mkdir(REGISTRY, { recursive: true });
  for (const f of await readdir(REGISTRY).catch(() => [])) {
    if (f === `${own.tag}.json`) continue;
    const rec = JSON.parse(await readFile(join(REGISTRY, f), "utf8").catch(() => "{}")) as {
      pid?: number;
      stateDir?: string;
    };
    if (rec.pid === undefined || rec.stateDir === undefined || processAlive(rec.pid)) continue;
    warn("cleaning a crashed testbed's leftovers", { stateDir: rec.stateDir });
    const names = new HostNames(rec.stateDir);
    await cleanInstance(names, rec.stateDir, warn);
    await new SdnRealiser({ prefix: names.sdnPrefix, stateDir: join(rec.stateDir, "sdn") })
      .teardown()
      .catch(() => undefined);
    await rm(join(REGISTRY, f), { force: true });
  }
}

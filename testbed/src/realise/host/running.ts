import type { ChildProcess } from "node:child_process";

import type { GuestRuntimeSpec, GuestRuntimeStatus } from "../types.js";
import type { GuestCgroup } from "./cgroup.js";

const MIB = 1024 * 1024;

export /** What the realiser knows about one running guest. */
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

/** What a stopped guest reports. */
export const STOPPED: GuestRuntimeStatus = { running: false, uptime: 0, mem: 0, maxmem: 0, cpu: 0 };

/**
 * A running guest's status for `status/current`: memory from its cgroup, CPU as the cgroup's CPU
 * time over wall time since the previous call (0 on the first), uptime in seconds.
 */
export async function statusOf(g: RunningGuest): Promise<GuestRuntimeStatus> {
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

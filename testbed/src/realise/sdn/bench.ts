/**
 * Benchmark: time to provision N network-only guests with their networks on the SDN realisation
 * (real namespaces, VXLAN, FRR EVPN, nftables). Each guest gets its own vnet (one isolated agent
 * network per guest), guests alternate between two nodes, and a guest counts as ready when it
 * pings its gateway (on the zone's routing node, so half of them cross VXLAN).
 *
 *   node testbed/lib/realise/sdn/bench.js [--n 1,4,8] [--zone evpn,vxlan] [--json]
 *
 * Root only. Uses namespaces prefixed `tbb` and removes them afterwards.
 */
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";

import { attachNetworkOnlyGuest } from "./netguest.js";
import { SdnRealiser } from "./realiser.js";
import type { RunningSdnConfig } from "./types.js";

interface Row {
  zone: string;
  guests: number;
  applyMs: number;
  attachMs: number;
  readyMs: number;
  totalMs: number;
  reapplyMs: number;
  reapplyChanges: number;
}

const nodes = [
  { name: "b1", underlay: "10.250.0.201/24" },
  { name: "b2", underlay: "10.250.0.202/24" },
];

function config(zoneType: "evpn" | "vxlan", n: number): RunningSdnConfig {
  const peers = nodes.map((x) => x.underlay.split("/")[0]).join(",");
  const vnets = Array.from({ length: n }, (_, i) => ({
    vnet: `bv${i}`,
    zone: "bz",
    tag: 30000 + i,
  }));
  return {
    controllers:
      zoneType === "evpn" ? [{ controller: "bctl", type: "evpn", asn: 65001, peers }] : [],
    zones: [
      zoneType === "evpn"
        ? { zone: "bz", type: "evpn", controller: "bctl", "vrf-vxlan": 39999 }
        : { zone: "bz", type: "vxlan", peers },
    ],
    vnets,
    subnets: vnets.map((v, i) => ({
      subnet: `bz-10.${100 + i}.0.0-24`,
      vnet: v.vnet,
      gateway: `10.${100 + i}.0.1`,
    })),
  };
}

function ping(netns: string, ip: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn("ip", ["netns", "exec", netns, "ping", "-c", "1", "-W", "1", ip], {
      stdio: "ignore",
    });
    child.on("close", (code) => resolve(code === 0));
  });
}

async function untilPing(netns: string, ip: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await ping(netns, ip))) {
    if (performance.now() > deadline)
      throw new Error(`${netns} cannot reach ${ip} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function measure(zone: "evpn" | "vxlan", n: number): Promise<Row> {
  const realiser = new SdnRealiser({ prefix: "tbb", stateDir: "/run/txbox-sdn-bench-tbb" });
  await realiser.teardown();
  try {
    const sdn = config(zone, n);
    const t0 = performance.now();
    await realiser.apply(nodes, sdn);
    const t1 = performance.now();
    const guests = [];
    for (let i = 0; i < n; i++)
      guests.push(
        await attachNetworkOnlyGuest(realiser, {
          name: `g${i}`,
          node: nodes[i % 2]!.name,
          vnet: `bv${i}`,
          cidr: `10.${100 + i}.0.10/24`,
          gateway: `10.${100 + i}.0.1`,
        }),
      );
    const t2 = performance.now();
    await Promise.all(guests.map((g, i) => untilPing(g.netns, `10.${100 + i}.0.1`, 60_000)));
    const t3 = performance.now();
    const again = await realiser.apply(nodes, sdn);
    const t4 = performance.now();
    return {
      zone,
      guests: n,
      applyMs: Math.round(t1 - t0),
      attachMs: Math.round(t2 - t1),
      readyMs: Math.round(t3 - t2),
      totalMs: Math.round(t3 - t0),
      reapplyMs: Math.round(t4 - t3),
      reapplyChanges: again.changes.length,
    };
  } finally {
    await realiser.teardown();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string, fallback: string) => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
  };
  if (process.getuid?.() !== 0) {
    console.error("sdn bench: needs root (network namespaces, VXLAN, FRR, nftables)");
    process.exit(2);
  }
  const counts = arg("--n", "1,4,8").split(",").map(Number);
  const zones = arg("--zone", "evpn,vxlan").split(",") as ("evpn" | "vxlan")[];
  const rows: Row[] = [];
  for (const zone of zones) for (const n of counts) rows.push(await measure(zone, n));
  if (args.includes("--json")) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  console.log("zone   guests  apply ms  attach ms  ready ms  total ms  re-apply ms (changes)");
  for (const r of rows)
    console.log(
      `${r.zone.padEnd(6)} ${String(r.guests).padStart(6)}  ${String(r.applyMs).padStart(8)}  ${String(r.attachMs).padStart(9)}  ${String(r.readyMs).padStart(8)}  ${String(r.totalMs).padStart(8)}  ${String(r.reapplyMs).padStart(11)} (${r.reapplyChanges})`,
    );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

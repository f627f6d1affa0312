#!/usr/bin/env node
/**
 * Where an in-process transaction's time goes: every Proxmox API call (method, path, ms), every
 * SSH command, every journal call, laid on one timeline per transaction, against a testbed that
 * is up or (as root) one started here. Prints the timeline of the median transaction and, per
 * kind of call, the median over transactions of the time spent in it.
 *
 *   node packages/cli/bench/profile-tx.mjs [--reps N] [--guest VMID] [--gap MS] [--lease-idle MS]
 *     [--no-protected]
 */
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { openSession } from "@txbox/runtime";
import { benchTestbed, median } from "./testbed.mjs";

const { values: args } = parseArgs({
  options: {
    reps: { type: "string", default: "10" },
    guest: { type: "string", default: "101" },
    gap: { type: "string", default: "0" },
    // ms a lease is kept after a transaction (default: tx.leaseIdle); 0 releases at once
    "lease-idle": { type: "string" },
    // verify without protected paths (the config's tx.protectedPaths: [])
    "no-protected": { type: "boolean", default: false },
  },
});
const guest = { vmid: Number(args.guest) };
const P = "/root/project/profile-tx";
const log = (t) => void process.stdout.write(`${t}\n`);
const { io, stop, testbed } = await benchTestbed(log, {}, {});
const s = await openSession(io, {
  ...(args["lease-idle"] === undefined ? {} : { leaseIdleMs: Number(args["lease-idle"]) }),
  ...(args["no-protected"] ? { engine: { verify: { protectedPaths: [] } } } : {}),
});

let events = [];
let t0 = 0;
const mark = (kind, label, from) =>
  events.push({ kind, label, at: from - t0, ms: performance.now() - from });
function wrapAsync(obj, name, kind, label) {
  const f = obj[name].bind(obj);
  obj[name] = (...a) => {
    const from = performance.now();
    const p = f(...a);
    if (p && typeof p.then === "function") return p.finally(() => mark(kind, label(...a), from));
    mark(kind, label(...a), from);
    return p;
  };
}
// Every API request at the transport (below retries, polls included).
wrapAsync(
  s.client.transport,
  "request",
  "api",
  (m, path) =>
    `${m} ${decodeURIComponent(path)
      .replace(/UPID:[^/]+:([a-z]+):[^/]*/, "UPID($1)")
      .replace(/txbox-[0-9a-z-]+/, "txbox-X")}`,
);
// The testbed's realiser (when it runs in this process): the host-side work of each task.
const realiser = testbed?.realiser;
if (realiser !== undefined) {
  const names = new Set();
  for (let o = realiser; o && o !== Object.prototype; o = Object.getPrototypeOf(o))
    for (const n of Object.getOwnPropertyNames(o)) names.add(n);
  for (const n of names)
    if (n !== "constructor" && typeof realiser[n] === "function")
      wrapAsync(realiser, n, "testbed", () => `testbed realiser.${n}`);
}
const sshLabel = (cmd) => `ssh ${String(cmd).split("\n")[0].slice(0, 50)}`;
wrapAsync(s.exec, "run", "ssh", (_g, cmd) => sshLabel(cmd));
// A command whose session is set up ahead (ExecPort.prepare): its start() is timed.
const prepare = s.exec.prepare.bind(s.exec);
s.exec.prepare = (g, cmd, o) => {
  const from = performance.now();
  const p = prepare(g, cmd, o);
  mark("ssh", `${sshLabel(cmd)} (session set up ahead)`, from);
  wrapAsync(p, "start", "ssh", () => `${sshLabel(cmd)} (started on it)`);
  return p;
};
for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(s.journal))) {
  if (name === "constructor" || name === "lazily" || typeof s.journal[name] !== "function")
    continue;
  if (["write", "read", "findTx", "getTx", "applyPatch", "insertEvent", "insertTx"].includes(name))
    continue;
  wrapAsync(s.journal, name, "journal", () => `journal.${name}`);
}

try {
  await s.exec.run(guest, `rm -rf ${P} && mkdir -p ${P}`, { timeoutMs: 30_000 });
  await s.execute({ guest, command: `echo w >> ${P}/w` }); // warm-up
  const runs = [];
  for (let i = 0; i < Number(args.reps); i++) {
    if (Number(args.gap) > 0) await sleep(Number(args.gap));
    const d0 = performance.now();
    await s.exec.run(guest, `echo x >> ${P}/w`, { timeoutMs: 30_000 });
    const directMs = performance.now() - d0;
    events = [];
    t0 = performance.now();
    const r = await s.execute({ guest, command: `echo x >> ${P}/w` });
    const wall = performance.now() - t0;
    if (r.outcome !== "committed") throw new Error(`${r.outcome}: ${r.reason}`);
    runs.push({ wall, directMs, timings: r.timings, events });
  }
  runs.sort((a, b) => a.wall - b.wall);
  const mid = runs[runs.length >> 1];
  log(`median transaction ${mid.wall.toFixed(1)} ms (direct ${mid.directMs.toFixed(1)} ms)`);
  log(
    `timings: ${JSON.stringify(Object.fromEntries(Object.entries(mid.timings).map(([k, v]) => [k, Math.round(v * 10) / 10])))}`,
  );
  for (const e of mid.events.sort((a, b) => a.at - b.at))
    log(`  ${e.at.toFixed(1).padStart(7)} +${e.ms.toFixed(1).padStart(6)}  ${e.label}`);
  const per = {};
  for (const r of runs) {
    const sums = {};
    for (const e of r.events) {
      const k = e.label.replace(/journal\..*/, (x) => x);
      sums[k] = sums[k] ?? { n: 0, ms: 0 };
      sums[k].n++;
      sums[k].ms += e.ms;
    }
    for (const [k, v] of Object.entries(sums)) (per[k] ??= []).push(v);
  }
  log(`per call (median over ${runs.length} transactions: count, ms):`);
  for (const [k, v] of Object.entries(per).sort(
    (a, b) => median(b[1].map((x) => x.ms)) - median(a[1].map((x) => x.ms)),
  ))
    log(
      `  ${median(v.map((x) => x.n))
        .toString()
        .padStart(3)} ${median(v.map((x) => x.ms))
        .toFixed(1)
        .padStart(7)}  ${k}`,
    );
  log(`overhead median: ${median(runs.map((r) => r.wall - r.directMs)).toFixed(1)} ms`);
} finally {
  await s.close();
  await stop?.();
}

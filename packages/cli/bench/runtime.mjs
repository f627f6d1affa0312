#!/usr/bin/env node
/**
 * What a command costs through txbox against plain SSH, in one run on the testbed (issue 12's
 * acceptance list). Against a testbed that is up (`$TXBOX_TESTBED_STATE` or `.txbox/testbed.json`
 * above the cwd) or — as root, with none — one this script starts with 8 guests.
 *
 *   node packages/cli/bench/runtime.mjs [--reps N] [--guest VMID] [--json]
 *
 * Every row is measured interleaved with its baseline, as the median of N runs:
 *  - `txbox run` allow (`cat f`) through the warm daemon, and with --no-daemon, vs a fresh `ssh`;
 *  - through the warm daemon vs `ssh` over an open connection (OpenSSH ControlMaster);
 *  - `txbox run` transact (`echo x >> f`) through the daemon vs a fresh `ssh`;
 *  - in process (what agent and MCP do): Session.execute of a transaction vs the same command
 *    over the session's own SSH connection, on a second guest (the daemon keeps the first one's
 *    cluster lease between its transactions, `tx.leaseIdle`): consecutive transactions, as an
 *    agent issues them (the session keeps the guest's lease), and each after the session released
 *    the lease (taken anew: a config read and a digest-checked write, and the release likewise);
 *  - `txbox policy check -- ls` through the daemon and with --no-daemon vs `node -e 0`;
 *  - 16 concurrent `txbox run` transactions on 8 guests through one daemon: all must commit;
 *  - a transaction that fails: rollback → SSH-ready (the engine's rollbackMs).
 * `txbox` is the installed command (the one scripts/bootstrap links on PATH into this checkout:
 * the native thin client when it was built, else bin/txbox; without that link pnpm's shim in
 * node_modules/.bin); `runAllowNodeClient` is the same allow through the Node client
 * (bin/txbox.js) and `runAllowPnpmShim` through node_modules/.bin/txbox, for comparison.
 * Needs the CLI built (`pnpm -s build`) and OpenSSH's `ssh` client.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import {
  fetchTestbedGuests,
  findTestbedState,
  openSession,
  readTestbedState,
} from "@txbox/runtime";
import { benchTestbed, median } from "./testbed.mjs";

const { values: args } = parseArgs({
  options: {
    reps: { type: "string", default: "20" },
    guest: { type: "string", default: "101" },
    json: { type: "boolean", default: false },
  },
});
const REPS = Number(args.reps);
const VMID = Number(args.guest);
const guest = { vmid: VMID };
const P = "/root/project/bench-runtime";
const CLI = resolve(dirname(fileURLToPath(import.meta.url)), "..", "bin", "txbox.js");
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const SHIM = join(ROOT, "node_modules/.bin/txbox");
/**
 * The `txbox` a user runs: the command scripts/bootstrap links on PATH when it points into this
 * checkout (the native client itself, or bin/txbox), else pnpm's shim in node_modules/.bin.
 */
function installedTxbox() {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (dir === "") continue;
    try {
      const real = realpathSync(join(dir, "txbox"));
      if (real.startsWith(`${ROOT}/packages/`)) return join(dir, "txbox");
    } catch {
      // not in this directory
    }
  }
  return SHIM;
}
const INSTALLED = installedTxbox();

const r1 = (x) => Math.round(x * 10) / 10;
const r2 = (x) => Math.round(x * 100) / 100;
const log = (t) => void (args.json ? process.stderr : process.stdout).write(`${t}\n`);

/** Run a process; its wall time, exit status and output. */
function timed(cmd, argv, options = {}) {
  return new Promise((resolveRun, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"], ...options });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => resolveRun({ ms: performance.now() - t0, code, stdout, stderr }));
  });
}

// The testbed that is up, or (as root) one started here with 5 extra guests: 8 in all.
const { io: bed, stop: stopOwn } = await benchTestbed(log, {}, { guests: 5 });
const cwd = bed.cwd;
let env = { ...bed.env };
delete env.TXBOX_NO_DAEMON;
delete env.TXBOX_CRASH_AT;
// A private daemon for this run: its own socket directory, stopped at the end.
const xdg = mkdtempSync(join(tmpdir(), "txbox-bench-xdg-"));
env = { ...env, XDG_RUNTIME_DIR: xdg };
const io = {
  stdout: new PassThrough().resume(),
  stderr: process.stderr,
  stdin: new PassThrough(),
  env,
  cwd,
};
const stateFile = findTestbedState(io);
const state = readTestbedState(stateFile);
const guests = (await fetchTestbedGuests(state)).filter((g) => g.template !== 1);
const g = guests.find((x) => x.vmid === VMID);
// The in-process rows run on another guest than the daemon's rows: two orchestrators on one
// guest would wait for each other's kept lease.
const guest2 = { vmid: (guests.find((x) => x.vmid !== VMID) ?? g).vmid };
if (g?.mgmtAddress === undefined) throw new Error(`guest ${VMID} has no management address`);
const key = state.operatorKey ?? join(state.stateDir, "operator_ed25519");
const control = join(xdg, "ssh-%C");
const sshBase = [
  "-i",
  key,
  "-o",
  "BatchMode=yes",
  "-o",
  "StrictHostKeyChecking=no",
  "-o",
  "UserKnownHostsFile=/dev/null",
  "-o",
  "LogLevel=ERROR",
];
const sshFresh = (command) => timed("ssh", [...sshBase, `root@${g.mgmtAddress}`, command]);
const sshOpen = (command) =>
  timed("ssh", [...sshBase, "-o", `ControlPath=${control}`, `root@${g.mgmtAddress}`, command]);
const txbox = (argv) => timed(INSTALLED, argv, { cwd, env });
const nodeClient = (argv) => timed(process.execPath, [CLI, ...argv], { cwd, env });
const shim = (argv) => timed(SHIM, argv, { cwd, env });
const ok = (what, r, codes = [0]) => {
  if (!codes.includes(r.code)) throw new Error(`${what}: exit ${r.code}: ${r.stderr}`);
  return r;
};

const s = await openSession(io);
const results = {};
try {
  const prep = await s.exec.run(guest, `rm -rf ${P} && mkdir -p ${P} && echo hello > ${P}/f`, {
    timeoutMs: 30_000,
  });
  if (prep.exitCode !== 0) throw new Error(`setup: ${prep.stderr}`);
  const prep2 = await s.exec.run(guest2, `rm -rf ${P} && mkdir -p ${P}`, { timeoutMs: 30_000 });
  if (prep2.exitCode !== 0) throw new Error(`setup: ${prep2.stderr}`);
  // The master connection for "ssh over an open connection".
  const master = spawn("ssh", [
    ...sshBase,
    "-o",
    "ControlMaster=yes",
    "-o",
    `ControlPath=${control}`,
    "-N",
    `root@${g.mgmtAddress}`,
  ]);
  // Warm-up: start the daemon, open its session and SSH connection, the master connection.
  for (let i = 0; i < 3; i++) {
    ok("warm-up run", await txbox(["run", "--guest", String(VMID), "--", `cat ${P}/f`]));
    ok("warm-up ssh", await sshFresh(`cat ${P}/f`));
    ok("warm-up check", await txbox(["policy", "check", "--", "ls"]));
  }
  for (let i = 0; ok("master", await sshOpen("true"), [0, 255]).code !== 0 && i < 50; i++)
    await sleep(100);

  const rows = {
    sshFresh: [],
    sshOpen: [],
    runAllowDaemon: [],
    runAllowNodeClient: [],
    runAllowPnpmShim: [],
    runAllowNoDaemon: [],
    runTransactDaemon: [],
    inProcessDirect: [],
    inProcessTransact: [],
    inProcessDirectBackToBack: [],
    inProcessTransactBackToBack: [],
    inProcessDirectNewLease: [],
    inProcessTransactNewLease: [],
    nodeE0: [],
    checkDaemon: [],
    checkNoDaemon: [],
    rollbackToSshMs: [],
  };
  const sums = [];
  const phases = {};
  const inProcessPhases = { kept: {}, backToBack: {}, taken: {} };
  const read = `cat ${P}/f`;
  const write = `echo x >> ${P}/w`;
  for (let i = 0; i < REPS; i++) {
    rows.sshFresh.push(ok("ssh", await sshFresh(read)).ms);
    rows.sshOpen.push(ok("ssh open", await sshOpen(read)).ms);
    const allow = ok(
      "run allow",
      await txbox(["run", "--guest", String(VMID), "--json", "--", read]),
    );
    rows.runAllowDaemon.push(allow.ms);
    rows.runAllowNodeClient.push(
      ok("run allow (Node client)", await nodeClient(["run", "--guest", String(VMID), "--", read]))
        .ms,
    );
    rows.runAllowPnpmShim.push(
      ok("run allow (pnpm shim)", await shim(["run", "--guest", String(VMID), "--", read])).ms,
    );
    rows.runAllowNoDaemon.push(
      ok(
        "run allow --no-daemon",
        await txbox(["run", "--guest", String(VMID), "--no-daemon", "--", read]),
      ).ms,
    );
    const tx = ok(
      "run transact",
      await txbox(["run", "--guest", String(VMID), "--json", "--", write]),
    );
    rows.runTransactDaemon.push(tx.ms);
    for (const body of [JSON.parse(allow.stdout), JSON.parse(tx.stdout)]) {
      const t = body.timings;
      const sum = Object.entries(t)
        .filter(([k]) => k !== "totalMs")
        .reduce((a, [, v]) => a + v, 0);
      sums.push(Math.abs(sum - t.totalMs) / t.totalMs);
    }
    for (const [k, v] of Object.entries(JSON.parse(tx.stdout).timings)) (phases[k] ??= []).push(v);
    rows.nodeE0.push(ok("node -e 0", await timed(process.execPath, ["-e", "0"])).ms);
    rows.checkDaemon.push(ok("check", await txbox(["policy", "check", "--", "ls"])).ms);
    rows.checkNoDaemon.push(
      ok("check --no-daemon", await txbox(["policy", "check", "--no-daemon", "--", "ls"])).ms,
    );
  }
  // In process: the same transaction through Session.execute vs the command over the same SSH.
  // `kept`: the lease kept from the transaction before, whose background work (the window's
  // snapshot delete) is over, as after an agent's think time; `backToBack`: right after the
  // transaction before (it waits for that delete); `taken`: after the session released the lease.
  const inProcess = async (direct, transact, into) => {
    let t0 = performance.now();
    const d = await s.exec.run(guest2, write, { timeoutMs: 30_000 });
    direct.push(performance.now() - t0);
    if (d.exitCode !== 0) throw new Error(`direct: ${d.stderr}`);
    t0 = performance.now();
    const r = await s.execute({ guest: guest2, command: write });
    transact.push(performance.now() - t0);
    if (r.outcome !== "committed") throw new Error(`in-process: ${r.outcome} ${r.reason}`);
    for (const [k, v] of Object.entries(r.timings)) (into[k] ??= []).push(v);
  };
  await inProcess([], [], {}); // the session's first transaction on the guest takes its lease
  for (let i = 0; i < REPS; i++) {
    await s.engine.settled();
    await inProcess(rows.inProcessDirect, rows.inProcessTransact, inProcessPhases.kept);
    await inProcess(
      rows.inProcessDirectBackToBack,
      rows.inProcessTransactBackToBack,
      inProcessPhases.backToBack,
    );
    await s.releaseLeases();
    await inProcess(
      rows.inProcessDirectNewLease,
      rows.inProcessTransactNewLease,
      inProcessPhases.taken,
    );
  }
  // Rollback → SSH-ready, as the engine measures it (a failing transaction is rolled back).
  for (let i = 0; i < Math.min(REPS, 10); i++) {
    const r = await s.execute({ guest: guest2, command: `echo y >> ${P}/w; exit 1` });
    if (r.outcome !== "rolled-back") throw new Error(`rollback: ${r.outcome} ${r.reason}`);
    rows.rollbackToSshMs.push(r.timings.rollbackMs ?? NaN);
  }
  master.kill();
  // The daemon's concurrent runs below include guest2: this session's lease must not hold them up.
  await s.releaseLeases();

  // 16 concurrent transactions on 8 guests through the one daemon.
  const eight = guests.slice(0, 8).map((x) => x.vmid);
  let concurrency = { guests: eight.length, skipped: eight.length < 8 };
  if (eight.length === 8) {
    for (const vmid of eight)
      await s.exec.run({ vmid }, `rm -rf ${P} && mkdir -p ${P}`, { timeoutMs: 30_000 });
    const t0 = performance.now();
    const runs = await Promise.all(
      eight.flatMap((vmid) =>
        [1, 2].map((n) =>
          txbox(["run", "--guest", String(vmid), "--json", "--", `echo ${n} >> ${P}/c; sleep 0.2`]),
        ),
      ),
    );
    const wallMs = performance.now() - t0;
    const committed = runs.filter(
      (x) => x.code === 0 && JSON.parse(x.stdout).outcome === "committed",
    ).length;
    let lines = 0;
    for (const vmid of eight) {
      const c = await s.exec.run({ vmid }, `wc -l < ${P}/c`, { timeoutMs: 30_000 });
      lines += Number(c.stdout.trim());
    }
    concurrency = {
      guests: 8,
      transactions: 16,
      committed,
      linesWritten: lines,
      wallMs: r1(wallMs),
      allCorrect: committed === 16 && lines === 16,
    };
  }

  const m = Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, r1(median(v))]));
  const overheadInProcess = r1(
    median(rows.inProcessTransact.map((x, i) => x - rows.inProcessDirect[i])),
  );
  results.medianMs = m;
  const medians = (p) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, r1(median(v))]));
  results.transactPhasesMedianMs = medians(phases);
  results.inProcessPhasesMedianMs = {
    leaseKept: medians(inProcessPhases.kept),
    leaseKeptBackToBack: medians(inProcessPhases.backToBack),
    leaseTaken: medians(inProcessPhases.taken),
  };
  const overheadBackToBack = r1(
    median(rows.inProcessTransactBackToBack.map((x, i) => x - rows.inProcessDirectBackToBack[i])),
  );
  const overheadNewLease = r1(
    median(rows.inProcessTransactNewLease.map((x, i) => x - rows.inProcessDirectNewLease[i])),
  );
  results.timingsSumVsTotalMaxError = r2(Math.max(...sums) * 100) / 100;
  results.concurrency = concurrency;
  results.acceptance = {
    runAllowDaemonVsFreshSsh: {
      ratio: r2(m.runAllowDaemon / m.sshFresh),
      limit: "≤ 1.5×",
      met: m.runAllowDaemon <= 1.5 * m.sshFresh,
    },
    runAllowNoDaemonVsFreshSsh: {
      ratio: r2(m.runAllowNoDaemon / m.sshFresh),
      limit: "≤ 1.5× (informative: no daemon)",
      met: m.runAllowNoDaemon <= 1.5 * m.sshFresh,
    },
    runAllowDaemonVsOpenSsh: {
      ratio: r2(m.runAllowDaemon / m.sshOpen),
      bound: r1(1.1 * m.sshOpen + 20),
      limit: "≤ 1.1× + 20 ms",
      met: m.runAllowDaemon <= 1.1 * m.sshOpen + 20,
    },
    runTransactVsFreshSsh: {
      addedMs: r1(m.runTransactDaemon - m.sshFresh),
      limit: "≤ +200 ms",
      met: m.runTransactDaemon <= m.sshFresh + 200,
    },
    inProcessTransactionOverhead: {
      medianMs: overheadInProcess,
      limit: "≤ 60 ms",
      met: overheadInProcess <= 60,
    },
    inProcessOverheadBackToBack: {
      medianMs: overheadBackToBack,
      limit: "≤ 60 ms (informative: no pause after the transaction before)",
      met: overheadBackToBack <= 60,
    },
    inProcessOverheadLeaseTakenAnew: {
      medianMs: overheadNewLease,
      limit:
        "≤ 60 ms (informative: the session's first transaction on a guest, or after tx.leaseIdle)",
      met: overheadNewLease <= 60,
    },
    policyCheckVsNodeE0: {
      ratio: r2(m.checkDaemon / m.nodeE0),
      limit: "≤ 3×",
      met: m.checkDaemon <= 3 * m.nodeE0,
    },
    policyCheckNoDaemonVsNodeE0: {
      ratio: r2(m.checkNoDaemon / m.nodeE0),
      limit: "≤ 3× (informative: no daemon)",
      met: m.checkNoDaemon <= 3 * m.nodeE0,
    },
    concurrent16on8: { met: concurrency.allCorrect === true },
    rollbackToSshReady: {
      medianMs: m.rollbackToSshMs,
      limit: "≤ 500 ms (small guest here)",
      met: m.rollbackToSshMs <= 500,
    },
    timingsAddUp: {
      maxErrorPct: r2(Math.max(...sums) * 100),
      limit: "≤ 5 %",
      met: Math.max(...sums) <= 0.05,
    },
  };
  results.txbox = INSTALLED;
  results.reps = REPS;
  results.guest = VMID;
  results.inProcessGuest = guest2.vmid;
  results.date = new Date().toISOString();
  if (args.json) console.log(JSON.stringify(results, null, 2));
  else {
    log(`txbox = ${INSTALLED}`);
    log(`guest ${VMID}, ${REPS} interleaved reps, medians (ms):`);
    for (const [k, v] of Object.entries(m)) log(`  ${k.padEnd(20)} ${v}`);
    log(
      `  transact phases: ${Object.entries(results.transactPhasesMedianMs)
        .map(([k, v]) => `${k.replace(/Ms$/, "")} ${v}`)
        .join(" · ")}`,
    );
    for (const [k, p] of Object.entries(results.inProcessPhasesMedianMs)) {
      log(
        `  in-process phases, ${k} (guest ${guest2.vmid}): ${Object.entries(p)
          .map(([n, v]) => `${n.replace(/Ms$/, "")} ${v}`)
          .join(" · ")}`,
      );
    }
    log(`  16 concurrent on 8 guests: ${JSON.stringify(concurrency)}`);
    log("acceptance:");
    for (const [k, v] of Object.entries(results.acceptance)) {
      const { met, limit, ...fig } = v;
      log(`  ${met ? "met   " : "MISSED"} ${k.padEnd(30)} ${JSON.stringify(fig)} ${limit ?? ""}`);
    }
  }
} finally {
  await s.close();
  await timed(process.execPath, [CLI, "serve", "--stop"], { cwd, env });
  rmSync(xdg, { recursive: true, force: true });
  await stopOwn?.();
}

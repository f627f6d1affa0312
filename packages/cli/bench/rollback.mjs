#!/usr/bin/env node
/**
 * Rollback → SSH-ready on a loaded guest, through txbox's whole path: the guest is filled with
 * --files files holding --mb MiB in total (default 50,000 files, 1,024 MiB; the testbed started
 * here gives it 1 GiB of memory), then each run is a transaction whose command writes and deletes
 * files and fails, so the engine rolls it back: rollback task (stop, restore, start) polled over the
 * API, then SSH probed until the guest answers. Prints medians of the engine's rollback phase and
 * its two parts, and checks after every run that the guest holds exactly what it held before.
 *
 *   node packages/cli/bench/rollback.mjs [--runs N] [--files N] [--mb N] [--guest VMID] [--json]
 *
 * Needs the CLI built (`pnpm exec tsc -b packages/cli`); as root it starts its own testbed when
 * none is up (run it under the e2e lock then).
 */
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { openSession } from "@txbox/runtime";
import { benchTestbed, median } from "./testbed.mjs";

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "15" },
    files: { type: "string", default: "50000" },
    mb: { type: "string", default: "1024" },
    guest: { type: "string", default: "101" },
    json: { type: "boolean", default: false },
  },
});
const RUNS = Number(args.runs);
const FILES = Number(args.files);
const MB = Number(args.mb);
if (!(RUNS >= 1 && FILES >= 1 && MB >= 0)) {
  console.error("--runs and --files must be positive integers, --mb non-negative");
  process.exit(2);
}
const guest = { vmid: Number(args.guest) };
const log = (t) => void (args.json ? process.stderr : process.stdout).write(`${t}\n`);
const r1 = (x) => Math.round(x * 10) / 10;
const D = "/srv/rollback-bench";

const guestConfig = {
  vmid: guest.vmid,
  type: "qemu",
  name: "bench",
  storage: "local-btrfs",
  from: 9000,
  start: true,
  memory: 1024,
  cores: 1,
  bridge: "vmbr0",
};
const { io, stop } = await benchTestbed(log, {
  network: { sdn: false },
  lab: {
    templates: [{ ...guestConfig, vmid: 9000, type: "lxc", name: "tpl-debian", start: false }],
    guests: [guestConfig],
  },
});
const s = await openSession(io);
const TRANSACT = { decision: "transact", ruleIds: ["bench"], reasons: ["benchmark"] };

// Split the engine's rollback phase: the port's rollback (task polled to its end) and the SSH wait.
const part = { rollback: 0, ssh: 0 };
const rollbackTask = s.snapshots.rollback.bind(s.snapshots);
s.snapshots.rollback = async (...a) => {
  const t = performance.now();
  try {
    return await rollbackTask(...a);
  } finally {
    part.rollback = performance.now() - t;
  }
};
const ping = s.exec.ping.bind(s.exec);
let firstPing;
s.exec.ping = async (...a) => {
  firstPing ??= performance.now();
  const up = await ping(...a);
  if (up) part.ssh = performance.now() - firstPing;
  return up;
};

const sh = async (command, timeoutMs = 900_000) => {
  const r = await s.exec.run(guest, command, { timeoutMs });
  if (r.exitCode !== 0) throw new Error(`${command}: exit ${r.exitCode}: ${r.stderr}`);
  return r.stdout.trim();
};
const fingerprint = () =>
  sh(`find ${D} -type f | wc -l; du -sm ${D} | cut -f1; test ! -e ${D}/new`);

try {
  await s.engine.recover({ guest });
  log(`filling guest ${guest.vmid}: ${FILES} files, ${MB} MiB …`);
  const each = Math.floor((MB * 1024 * 1024) / FILES);
  await sh(`python3 -c "
import os
for i in range(${FILES}):
    d = '${D}/d%03d' % (i // 500); os.makedirs(d, exist_ok=True)
    with open('%s/f%05d' % (d, i), 'wb') as f: f.write(os.urandom(${each}))
" && sync`);
  const before = await fingerprint();
  log(`guest ${guest.vmid}: ${before.split("\n").slice(0, 2).join(" files, ")} MiB in ${D}`);
  const rows = [];
  for (let i = 0; i < RUNS; i++) {
    part.rollback = part.ssh = 0;
    firstPing = undefined;
    const r = await s.engine.run({
      guest,
      command: `rm -rf ${D}/d000 && mkdir -p ${D}/new && for i in $(seq 200); do echo $i > ${D}/new/$i; done; exit 3`,
      decision: TRANSACT,
    });
    if (r.outcome !== "rolled-back") throw new Error(`run ${i}: ${r.outcome} ${r.reason}`);
    const after = await fingerprint();
    if (after !== before) throw new Error(`run ${i}: the guest holds ${after}, before ${before}`);
    const row = { rollbackToSshMs: r.timings.rollbackMs ?? NaN, ...part };
    rows.push(row);
    log(
      `run ${i + 1}/${RUNS}: rollback → SSH-ready ${r1(row.rollbackToSshMs)} ms (task ${r1(row.rollback)} ms, SSH ${r1(row.ssh)} ms)`,
    );
  }
  const med = (k) => r1(median(rows.map((x) => x[k])));
  const report = {
    date: new Date().toISOString(),
    guest: guest.vmid,
    files: FILES,
    mib: MB,
    runs: RUNS,
    medianMs: {
      rollbackToSshReady: med("rollbackToSshMs"),
      rollbackTask: med("rollback"),
      sshAfterTask: med("ssh"),
    },
    p90Ms: r1(
      [...rows.map((x) => x.rollbackToSshMs)].sort((a, b) => a - b)[Math.floor(RUNS * 0.9)],
    ),
    targetMs: 500,
  };
  report.met = report.medianMs.rollbackToSshReady <= report.targetMs;
  if (args.json) console.log(JSON.stringify(report, null, 2));
  else
    log(
      `median rollback → SSH-ready ${report.medianMs.rollbackToSshReady} ms (task ${report.medianMs.rollbackTask} ms, SSH ${report.medianMs.sshAfterTask} ms), p90 ${report.p90Ms} ms over ${RUNS} runs; target ≤ ${report.targetMs} ms: ${report.met ? "met" : "MISSED"}`,
    );
  await sh(`rm -rf ${D}`);
} finally {
  await s.close();
  await stop?.();
}

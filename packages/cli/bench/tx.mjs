#!/usr/bin/env node
/**
 * Transaction overhead on one guest, against a testbed that is up (`$TXBOX_TESTBED_STATE` or
 * `.txbox/testbed.json` above the cwd) or — as root, with none — one this script starts itself.
 *
 *   node packages/cli/bench/tx.mjs [--reps N] [--heavy-reps N] [--guest VMID] [--json]
 *
 * Prints, on the same guest: plain SSH vs the same command in a transaction (medians, ratio and the
 * transaction's phases); a pip-install-sized workload (venv + pip from local wheels) with and
 * without a transaction; the read-only fast path (policy + allow) vs plain SSH.
 * Needs the CLI built (`pnpm exec tsc -b packages/cli`).
 */
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { openSession } from "@txbox/runtime";
import { benchTestbed, median } from "./testbed.mjs";

const { values: args } = parseArgs({
  options: {
    reps: { type: "string", default: "30" },
    "heavy-reps": { type: "string", default: "3" },
    guest: { type: "string", default: "101" },
    json: { type: "boolean", default: false },
  },
});
const REPS = Number(args.reps);
const HEAVY = Number(args["heavy-reps"]);
const guest = { vmid: Number(args.guest) };
const P = "/root/project/bench";

const r1 = (x) => Math.round(x * 10) / 10;
const r2 = (x) => Math.round(x * 100) / 100;
const log = (t) => void (args.json ? process.stderr : process.stdout).write(`${t}\n`);

const { io, stop: stopOwn } = await benchTestbed(log);

const s = await openSession(io);
const TRANSACT = { decision: "transact", ruleIds: ["bench"], reasons: ["benchmark"] };
const wall = async (fn) => {
  const t0 = performance.now();
  const r = await fn();
  return { ms: performance.now() - t0, r };
};
/** Lost exit statuses of @txbox/exec (see the report) are retried and counted, not hidden. */
let flakes = 0;
const retrying = async (fn) => {
  for (let attempt = 0; ; attempt++) {
    try {
      const r = await fn();
      if (r.outcome === "rolled-back" && r.exitCode === null && attempt < 3) {
        flakes++;
        continue;
      }
      return r;
    } catch (error) {
      if (error?.details?.outcomeUnknown !== true || attempt >= 3) throw error;
      flakes++;
    }
  }
};
const ssh = (command, timeoutMs = 600_000) =>
  retrying(() => s.exec.run(guest, command, { timeoutMs }));
const txRun = (input) => retrying(() => s.engine.run(input));
const check = (what, r) => {
  if (
    r.exitCode !== 0 ||
    (r.outcome !== undefined && !["committed", "executed"].includes(r.outcome))
  ) {
    throw new Error(
      `${what}: exit ${r.exitCode} ${r.outcome ?? ""} ${r.reason ?? ""} ${r.stderr ?? ""}`,
    );
  }
  return r;
};

try {
  await s.engine.recover({ guest });
  check("setup", await ssh(`mkdir -p ${P}`));
  // Warm-up: SSH connection, TLS, storage type, host-key choice.
  for (let i = 0; i < 3; i++) {
    check("warm-up", await ssh("true"));
    check(
      "warm-up tx",
      await txRun({ guest, command: `echo warm > ${P}/warm`, decision: TRANSACT }),
    );
  }

  // 1. Short command: plain SSH vs inside a transaction (interleaved, same guest).
  const short = `echo x > ${P}/short`;
  const plain = [];
  const tx = [];
  const phases = {
    policyMs: [],
    snapshotMs: [],
    execMs: [],
    verifyMs: [],
    commitMs: [],
    totalMs: [],
  };
  for (let i = 0; i < REPS; i++) {
    plain.push((await wall(async () => check("plain", await ssh(short)))).ms);
    const { ms, r } = await wall(async () =>
      check("tx", await txRun({ guest, command: short, decision: TRANSACT })),
    );
    tx.push(ms);
    for (const k of Object.keys(phases)) phases[k].push(r.timings[k] ?? 0);
  }
  const shortRes = {
    command: short,
    reps: REPS,
    plainSshMedianMs: r1(median(plain)),
    transactionMedianMs: r1(median(tx)),
    overheadMedianMs: r1(median(tx) - median(plain)),
    ratio: r1(median(tx) / median(plain)),
    phasesMedianMs: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, r1(median(v))])),
  };

  // 2. pip-install-sized workload: a venv with pip (ensurepip) plus pip installs from local wheels.
  const heavy = `rm -rf ${P}/venv && python3 -m venv ${P}/venv && ${P}/venv/bin/pip install -q --no-index --find-links /usr/share/python-wheels --force-reinstall setuptools pip`;
  const heavyPlain = [];
  const heavyTx = [];
  for (let i = 0; i < HEAVY; i++) {
    heavyPlain.push((await wall(async () => check("heavy plain", await ssh(heavy)))).ms);
    heavyTx.push(
      (
        await wall(async () =>
          check("heavy tx", await txRun({ guest, command: heavy, decision: TRANSACT })),
        )
      ).ms,
    );
  }
  const size = (await ssh(`du -sm ${P}/venv | cut -f1`)).stdout.trim();
  const heavyRes = {
    command: heavy,
    reps: HEAVY,
    venvMB: Number(size),
    plainSshMedianMs: r1(median(heavyPlain)),
    transactionMedianMs: r1(median(heavyTx)),
    overheadMedianMs: r1(median(heavyTx) - median(heavyPlain)),
    ratio: r2(median(heavyTx) / median(heavyPlain)),
  };

  // 3. Read-only fast path: policy decides allow, the engine runs it directly (journal audit included).
  const ro = "cat /etc/hostname";
  const roPlain = [];
  const roTx = [];
  const roPolicy = [];
  for (let i = 0; i < REPS; i++) {
    roPlain.push((await wall(async () => check("ro plain", await ssh(ro)))).ms);
    const { ms, r } = await wall(async () => check("ro", await txRun({ guest, command: ro })));
    if (r.decision !== "allow") throw new Error(`${ro}: expected allow, got ${r.decision}`);
    roTx.push(ms);
    roPolicy.push(r.timings.policyMs);
  }
  const roRes = {
    command: ro,
    reps: REPS,
    plainSshMedianMs: r1(median(roPlain)),
    fastPathMedianMs: r1(median(roTx)),
    addedMedianMs: r1(median(roTx) - median(roPlain)),
    policyMedianMs: r1(median(roPolicy)),
  };

  const report = {
    guest: guest.vmid,
    target: s.target.source,
    short: shortRes,
    pipInstall: heavyRes,
    readOnly: roRes,
    execLostExitRetries: flakes,
    targets: {
      transactionOverheadLe150ms: shortRes.overheadMedianMs <= 150,
      readOnlyAddedLe5ms: roRes.addedMedianMs <= 5,
    },
  };
  if (args.json) console.log(JSON.stringify(report, null, 2));
  else {
    log(`guest ${guest.vmid} (${s.target.source}), medians`);
    log(
      `short command  plain SSH ${shortRes.plainSshMedianMs} ms · in a transaction ${shortRes.transactionMedianMs} ms · overhead ${shortRes.overheadMedianMs} ms · ratio ${shortRes.ratio}×  (${REPS} reps)`,
    );
    log(
      `  phases: ${Object.entries(shortRes.phasesMedianMs)
        .map(([k, v]) => `${k.replace(/Ms$/, "")} ${v}`)
        .join(" · ")} ms`,
    );
    log(
      `pip install    plain SSH ${heavyRes.plainSshMedianMs} ms · in a transaction ${heavyRes.transactionMedianMs} ms · overhead ${heavyRes.overheadMedianMs} ms · ratio ${heavyRes.ratio}×  (venv ${heavyRes.venvMB} MB, ${HEAVY} reps)`,
    );
    log(
      `read-only      plain SSH ${roRes.plainSshMedianMs} ms · policy + allow ${roRes.fastPathMedianMs} ms · added ${roRes.addedMedianMs} ms (policy ${roRes.policyMedianMs} ms)`,
    );
    log(`lost SSH exit statuses retried: ${flakes}`);
    log(
      `targets: overhead ≤ 150 ms: ${report.targets.transactionOverheadLe150ms ? "met" : "MISSED"} · read-only added ≤ 5 ms: ${report.targets.readOnlyAddedLe5ms ? "met" : "MISSED"}`,
    );
  }
  await ssh(`rm -rf ${P}`);
} finally {
  await s.close();
  await stopOwn?.();
}

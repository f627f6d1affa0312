/**
 * The runtime's one call, end to end on the testbed: text that is not what a shell would run is
 * refused before any snapshot (and audited); `txbox run --json` timings cover the whole command
 * and add up to its wall time.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Session } from "@txbox/runtime";
import { CLI, describeAsRoot, sh, startE2E, txboxSnapshots, type E2E } from "../support/e2e.js";

const execFileAsync = promisify(execFile);
const P = "/root/project";
const VMID = 101;
const guest = { vmid: VMID };

type Timings = Record<string, number>;

/** The phases of a timings object (every number but the total) and their sum. */
function phaseSum(t: Timings): number {
  return Object.entries(t)
    .filter(([k]) => k !== "totalMs")
    .reduce((sum, [, v]) => sum + v, 0);
}

describeAsRoot("runtime: one call to gate and run, timed end to end", () => {
  let e: E2E;
  let s: Session;

  beforeAll(async () => {
    e = await startE2E("runtime");
    s = await e.session();
    await sh(s, VMID, `rm -rf ${P} && mkdir -p ${P} && echo before > ${P}/f`);
  }, 180_000);

  afterAll(async () => {
    await s?.close();
    await e?.stop();
  }, 120_000);

  test.each([
    ["a NUL byte", `echo after\u0000 > ${P}/f`, "input.nul"],
    ["a lone surrogate (invalid UTF-8)", `echo \ud800 > ${P}/f`, "input.utf8"],
  ])("%s is refused before any snapshot, and audited", async (_what, command, rule) => {
    const txsBefore = s.journal.listTxs({ guest, limit: 1000 }).length;
    const snapshotsBefore = await txboxSnapshots(s, VMID);
    const r = await s.execute({ guest, command });
    expect({ decision: r.decision, outcome: r.outcome, rules: r.rules }).toEqual({
      decision: "deny",
      outcome: "denied",
      rules: [rule],
    });
    expect(r.timings.snapshotMs).toBe(0);
    expect(s.journal.listTxs({ guest, limit: 1000 })).toHaveLength(txsBefore);
    expect(await txboxSnapshots(s, VMID)).toEqual(snapshotsBefore);
    expect(await sh(s, VMID, `cat ${P}/f`)).toBe("before\n");
    const [last] = s.journal.auditLog({ guest, limit: 1 }).slice(-1);
    expect(last).toMatchObject({ decision: "deny", outcome: "denied", ruleIds: [rule] });
  });

  test("bytes that are not UTF-8 on the command line are refused by txbox run (exit 3)", async () => {
    // Only a shell can put such bytes in argv; Node hands them to the program as U+FFFD.
    // Not spawnSync: the testbed answers from this very process.
    const r = await execFileAsync(
      "/bin/sh",
      [
        "-c",
        `exec "$0" "$1" run --guest ${VMID} --json -- "$(printf 'echo \\377 > ${P}/f')"`,
        process.execPath,
        CLI,
      ],
      { cwd: e.dir, env: e.env, encoding: "utf8" },
    ).then(
      (ok) => ({ ...ok, status: 0 }),
      (failed: { code: number; stdout: string; stderr: string }) => ({
        ...failed,
        status: failed.code,
      }),
    );
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toMatchObject({
      status: 3,
      stdout: expect.stringContaining('"rules":["input.utf8"]'),
    });
    expect(await sh(s, VMID, `cat ${P}/f`)).toBe("before\n");
  });

  test.each([
    ["allow", `cat ${P}/f`, "executed"],
    ["transact", `echo after >> ${P}/f`, "committed"],
  ])(
    "txbox run --json (%s): every phase is timed, and the phases add up to the total",
    async (_kind, command, outcome) => {
      const started = performance.now();
      const r = await e.cliJson<{ outcome: string; timings: Timings }>([
        "run",
        "--guest",
        String(VMID),
        "--",
        command,
      ]);
      const wall = performance.now() - started;
      expect(r.body.outcome).toBe(outcome);
      const t = r.body.timings;
      for (const k of ["startMs", "parseMs", "sessionMs", "recoverMs", "policyMs", "connectMs"])
        expect(typeof t[k]).toBe("number");
      expect(Math.abs(phaseSum(t) - t.totalMs!) / t.totalMs!).toBeLessThan(0.05);
      // The total is the process's own wall time: it cannot exceed what the parent measured.
      expect(t.totalMs!).toBeLessThanOrEqual(wall);
    },
    60_000,
  );
});

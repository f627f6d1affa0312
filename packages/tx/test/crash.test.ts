// Crash safety: a real child process runs a transaction and is SIGKILLed (by the engine itself,
// through TXBOX_CRASH_AT) at each step; recovery in this process must then drive the journal and
// the guest to a terminal state, and a second recovery must change nothing.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { spawn, execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fixture, type Fixture } from "./support/setup.js";
import type { TxState } from "../src/machine.js";
import { digestScript } from "../src/verify.js";

const here = dirname(fileURLToPath(import.meta.url));

/** Whether a process still runs (a zombie nobody reaped has ended). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}
const repo = join(here, "../../..");
const child = join(here, "support/crash-child.mjs");
const G = { vmid: 201 };

beforeAll(() => {
  // The child runs the built engine: build it from the current sources (incremental, fast when fresh).
  execFileSync("pnpm", ["exec", "tsc", "-b", "packages/tx"], {
    cwd: repo,
    stdio: "pipe",
    timeout: 120_000,
  });
}, 130_000);

let f: Fixture;
beforeEach(() => {
  f = fixture();
  f.guests.ensure(G, { "data.txt": "original\n", "etc/passwd": "root\n" });
});
afterEach(() => f.cleanup());

function runChild(
  crashAt: string,
  command: string,
  retention = "delete",
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      [child, f.journalFile, f.guests.base, String(G.vmid), command, retention, "etc/passwd"],
      {
        env: { ...process.env, TXBOX_CRASH_AT: crashAt },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => p.kill("SIGKILL"), 20_000);
    p.on("error", reject);
    p.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const CHANGE = "echo changed > data.txt";
const cases: { step: string; command: string; open: TxState; final: TxState; data: string }[] = [
  { step: "after-intent", command: CHANGE, open: "INTENT", final: "ABORTED", data: "original\n" },
  {
    step: "during-snapshot",
    command: CHANGE,
    open: "SNAPSHOTTING",
    final: "ABORTED",
    data: "original\n",
  },
  {
    step: "after-snapshot",
    command: CHANGE,
    open: "SNAPSHOTTED",
    final: "ABORTED",
    data: "original\n",
  },
  {
    step: "during-exec",
    command: `${CHANGE}; sleep 0.2`,
    open: "EXECUTING",
    final: "ROLLED_BACK",
    data: "original\n",
  },
  {
    step: "during-verify",
    command: CHANGE,
    open: "VERIFYING",
    final: "ROLLED_BACK",
    data: "original\n",
  },
  {
    step: "during-commit",
    command: CHANGE,
    open: "COMMITTING",
    final: "COMMITTED",
    data: "changed\n",
  },
  {
    step: "during-rollback",
    command: `${CHANGE}; exit 1`,
    open: "ROLLING_BACK",
    final: "ROLLED_BACK",
    data: "original\n",
  },
];

describe("crash at every step, then recover()", () => {
  it.each(cases)("$step: $open → $final", async ({ step, command, open, final, data }) => {
    const r = await runChild(step, command);
    expect({ signal: r.signal, stderr: r.stderr }).toEqual({ signal: "SIGKILL", stderr: "" });

    const [tx] = f.journal.listTxs();
    expect(tx?.state).toBe(open);
    expect(f.journal.locks().map((l) => l.txid)).toEqual([tx?.txid]);

    const engine = f.engine();
    const report = await engine.recover();
    expect(report.errors).toEqual([]);
    expect(report.transactions).toEqual([{ txid: tx!.txid, guest: G, from: open, to: final }]);
    expect(report.staleLocksReleased).toHaveLength(1);

    expect(f.journal.getTx(tx!.txid).state).toBe(final);
    expect(f.read(G.vmid, "data.txt")).toBe(data);
    expect(f.guests.meta(G).snapshots).toEqual([]);
    expect(f.journal.locks()).toEqual([]);
    // Nothing of the crashed run still runs in the guest but, at most, the baseline probe: it is
    // read-only, starts while the snapshot is made, and under load may outlive its killed parent
    // for a moment (its pid file stays too). A real guest's sshd would hang it up.
    const pids = join(f.guests.dir(G), "pids");
    const running = readdirSync(pids)
      .filter((pid) => alive(Number(pid)))
      .map((pid) => readFileSync(join(pids, pid), "utf8"));
    expect(running.filter((cmd) => cmd !== digestScript(["etc/passwd"]))).toEqual([]);

    // Idempotent: a second recovery finds nothing to do and changes nothing.
    const events = f.journal.events(tx!.txid).length;
    const calls = f.guests.log.filter(
      (l) => l.kind !== "exec-start" && l.kind !== "exec-end",
    ).length;
    const again = await engine.recover();
    expect(again).toEqual({
      transactions: [],
      orphansRemoved: [],
      unlocked: [],
      staleLocksReleased: [],
      skipped: [],
      errors: [],
    });
    expect(f.journal.events(tx!.txid)).toHaveLength(events);
    expect(
      f.guests.log.filter((l) => l.kind !== "exec-start" && l.kind !== "exec-end"),
    ).toHaveLength(calls);
  });

  it("a new transaction on the guest recovers the crashed one first", async () => {
    await runChild("during-verify", CHANGE);
    const [crashed] = f.journal.listTxs();
    const r = await f.engine().run({
      guest: G,
      command: "echo next >> data.txt",
      decision: { decision: "transact", ruleIds: [], reasons: [] },
    });
    expect(r.outcome).toBe("committed");
    expect(f.journal.getTx(crashed!.txid).state).toBe("ROLLED_BACK");
    expect(f.read(G.vmid, "data.txt")).toBe("original\nnext\n");
  });

  it("a crashed transaction whose snapshot vanished ends FAILED, not rolled back blindly", async () => {
    await runChild("during-verify", CHANGE);
    const [tx] = f.journal.listTxs();
    await f.guests.snapshotPort().remove(G, tx!.snapshotName);
    const report = await f.engine().recover();
    expect(report.transactions).toEqual([
      { txid: tx!.txid, guest: G, from: "VERIFYING", to: "FAILED" },
    ]);
    expect(f.journal.getTx(tx!.txid).error).toContain("is gone");
    expect(f.read(G.vmid, "data.txt")).toBe("changed\n");
  });

  it("without a crash the child commits normally (the harness itself works)", async () => {
    const r = await runChild("", CHANGE);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: "committed", exitCode: 0 });
    expect(f.read(G.vmid, "data.txt")).toBe("changed\n");
  });
});

describe("across processes", () => {
  it("a transaction in another live process holds the guest until it ends", async () => {
    const childRun = runChild("", "sleep 0.5; echo child >> data.txt");
    for (let i = 0; i < 500 && f.journal.locks().length === 0; i++) {
      await new Promise((res) => setTimeout(res, 10));
    }
    expect(f.journal.locks()).toHaveLength(1);
    const decision = { decision: "transact" as const, ruleIds: [], reasons: [] };
    await expect(
      f.engine({ lockTimeoutMs: 50 }).run({ guest: G, command: "true", decision }),
    ).rejects.toMatchObject({ code: "E_GUEST_BUSY" });
    const r = await f.engine().run({ guest: G, command: "echo parent >> data.txt", decision });
    expect(r.outcome).toBe("committed");
    expect((await childRun).code).toBe(0);
    expect(f.read(G.vmid, "data.txt")).toBe("original\nchild\nparent\n");
  });
});

describe("recover() housekeeping", () => {
  it("removes orphan txbox-* snapshots and leaves other snapshots alone", async () => {
    const port = f.guests.snapshotPort();
    await port.create(G, "txbox-0000000000orphan", "txbox:0000000000orphan");
    await port.create(G, "before-upgrade", "an operator's snapshot");
    const engine = f.engine({ retention: "keep" });
    const kept = await engine.run({
      guest: G,
      command: "true",
      decision: { decision: "transact", ruleIds: [], reasons: [] },
    });
    const report = await engine.recover({ guest: G });
    expect(report.orphansRemoved).toEqual([{ guest: G, snapshot: "txbox-0000000000orphan" }]);
    expect(f.guests.meta(G).snapshots.map((s) => s.name)).toEqual([
      "before-upgrade",
      `txbox-${kept.txid}`,
    ]);
    expect((await engine.recover({ guest: G })).orphansRemoved).toEqual([]);
  });

  it("clears a stale snapshot-delete lock and finishes the commit", async () => {
    f.guests.faults.removeLeavesLock = 1;
    const engine = f.engine({ retention: "delete" });
    const r = await engine.run({
      guest: G,
      command: CHANGE,
      decision: { decision: "transact", ruleIds: [], reasons: [] },
    });
    expect(r).toMatchObject({ outcome: "committed", state: "COMMITTING" });
    expect(f.guests.meta(G).lock).toBe("snapshot-delete");

    const report = await engine.recover();
    expect(report.unlocked).toEqual([G]);
    expect(report.transactions).toEqual([
      { txid: r.txid, guest: G, from: "COMMITTING", to: "COMMITTED" },
    ]);
    expect(f.guests.meta(G)).toMatchObject({ snapshots: [] });
    expect(f.guests.meta(G).lock).toBeUndefined();
    expect(f.read(G.vmid, "data.txt")).toBe("changed\n");
    expect((await engine.recover()).unlocked).toEqual([]);
  });

  it("reports a guest whose Proxmox lock does not clear, and does not touch it", async () => {
    const port = f.guests.snapshotPort();
    await port.create(G, "txbox-0000000000orphan", "txbox:0000000000orphan");
    const meta = f.guests.meta(G);
    writeFileSync(join(f.guests.dir(G), "meta.json"), JSON.stringify({ ...meta, lock: "backup" }));
    const report = await f.engine().recover({ guest: G });
    expect(report.errors).toEqual([{ guest: G, message: "guest 201 stays locked (backup)" }]);
    expect(report.orphansRemoved).toEqual([]);
    expect(f.guests.meta(G).snapshots).toHaveLength(1);
  });

  it("leaves no orphan process of a crashed command running", async () => {
    await runChild("during-exec", `${CHANGE}; sleep 0.2; echo late > late.txt`);
    await f.engine().recover();
    await new Promise((res) => setTimeout(res, 400));
    expect(existsSync(join(f.guests.root(G), "late.txt"))).toBe(false);
  });
});

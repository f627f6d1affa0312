/**
 * The agent side end to end, against a real testbed: `txbox agent run` with the demo's scripted
 * model, `txbox mcp` driven by the MCP SDK's own client over stdio, and `txbox bench paper --size
 * ci` reproducing Table 1. Every command goes through the real gate, engine, snapshots and sshd.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { Session } from "@txbox/runtime";
import { CLI, describeAsRoot, sh, startE2E, type E2E } from "../support/e2e.js";

const VMID = 101;
const P = "/root/project";
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
const TASK = join(REPO, "infra/demo/agent-task.yaml");

interface AgentBody {
  ok: boolean;
  status: string;
  committed: number;
  denied: number;
  rolledBack: number;
  failed: number;
  mismatches: unknown[];
  transcript: { command: string; outcome: string; txid?: string; rules: string[] }[];
}

type ToolResult = {
  isError?: boolean;
  content: { type: string; text: string }[];
  structuredContent?: Record<string, unknown>;
};

describeAsRoot("txbox agent run, txbox mcp and txbox bench paper on the testbed", () => {
  let e: E2E;
  let s: Session;

  beforeAll(async () => {
    e = await startE2E("agent");
    s = await e.session();
  }, 660_000);

  afterAll(async () => {
    await s?.close();
    await e?.stop();
  }, 120_000);

  test("a scripted agent builds a project: commits, one refusal, one rollback, done", async () => {
    await sh(s, VMID, `rm -rf ${P}`);
    const record = join(e.dir, "trajectory.jsonl");
    const r = await e.cliJson<AgentBody>([
      "agent",
      "run",
      "--guest",
      String(VMID),
      "--cwd",
      P,
      "--script",
      TASK,
      "--record",
      record,
    ]);
    expect(r.body.mismatches).toEqual([]);
    expect({ code: r.code, ok: r.body.ok, status: r.body.status }).toEqual({
      code: 0,
      ok: true,
      status: "done",
    });
    expect({ denied: r.body.denied, rolledBack: r.body.rolledBack, failed: r.body.failed }).toEqual(
      { denied: 1, rolledBack: 1, failed: 0 },
    );
    const refused = r.body.transcript.find((t) => t.outcome === "denied");
    expect(refused?.rules).toContain("exec.pipe-to-shell");

    // The work is really on the guest: two commits, the rename done right, the tests passing.
    const log = await sh(s, VMID, `cd ${P} && git log --format=%s`);
    expect(log.trim().split("\n")).toEqual([
      "Rename mean to average",
      "Add stats module with tests",
    ]);
    expect(await sh(s, VMID, `cd ${P} && python3 src/stats.py 1 2 3 10`)).toBe(
      "average=4 median=2.5\n",
    );
    expect(
      await sh(s, VMID, `cd ${P} && grep -c average src/stats.py tests/test_stats.py`),
    ).toMatch(/src\/stats.py:[1-9]/);
    expect(await sh(s, VMID, `cd ${P} && git status --porcelain`)).toBe("");

    // Every transaction is in the journal, and the trajectory file records the run.
    const txids = r.body.transcript.flatMap((t) => (t.txid === undefined ? [] : [t.txid]));
    const states = txids.map((id) => s.journal.getTx(id).state);
    expect(states.filter((x) => x === "ROLLED_BACK")).toHaveLength(1);
    expect(states.filter((x) => x === "COMMITTED")).toHaveLength(r.body.committed);
    const events = readFileSync(record, "utf8")
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { type: string }).type);
    expect(events[0]).toBe("start");
    expect(events[events.length - 1]).toBe("end");
  }, 180_000);

  test("a script whose expectations fail makes the run exit 1", async () => {
    await sh(s, VMID, `mkdir -p ${P}`);
    const script = join(e.dir, "wrong.yaml");
    writeFileSync(
      script,
      "steps:\n  - run: git push --force origin main\n    expect: committed\n  - done: true\n",
    );
    const r = await e.cliJson<AgentBody>([
      "agent",
      "run",
      "--guest",
      String(VMID),
      "--cwd",
      P,
      "--script",
      script,
    ]);
    expect({ code: r.code, status: r.body.status, ok: r.body.ok }).toEqual({
      code: 1,
      status: "done",
      ok: false,
    });
    expect(r.body.mismatches).toEqual([
      {
        index: 0,
        command: "git push --force origin main",
        expected: "committed",
        actual: "denied",
      },
    ]);
  }, 120_000);

  test("txbox mcp serves run_command, list_transactions and rollback to an MCP client", async () => {
    await sh(s, VMID, `mkdir -p ${P} && rm -f ${P}/mcp.txt`);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, "mcp", "--guest", String(VMID), "--cwd", P, "--keep-snapshot"],
      cwd: e.dir,
      env: e.env as Record<string, string>,
      stderr: "pipe",
    });
    const client = new Client({ name: "txbox-test", version: "0.0.0" });
    await client.connect(transport);
    try {
      const tools = (await client.listTools()).tools.map((t) => t.name).sort();
      expect(tools).toEqual(["list_transactions", "rollback", "run_command"]);

      const call = async (name: string, args: Record<string, unknown>): Promise<ToolResult> =>
        (await client.callTool({ name, arguments: args })) as ToolResult;

      const denied = await call("run_command", { command: "rm -rf /" });
      expect(denied.isError).toBe(true);
      expect(denied.structuredContent?.outcome).toBe("denied");
      expect(denied.content[0]?.text).toMatch(/DENIED/);

      const wrote = await call("run_command", { command: "echo from-mcp > mcp.txt" });
      expect({ isError: wrote.isError, outcome: wrote.structuredContent?.outcome }).toEqual({
        isError: false,
        outcome: "committed",
      });
      const txid = wrote.structuredContent?.txid as string;
      expect(await sh(s, VMID, `cat ${P}/mcp.txt`)).toBe("from-mcp\n");

      const listed = await call("list_transactions", { limit: 5 });
      const txs = listed.structuredContent?.transactions as { txid: string; state: string }[];
      expect(txs[0]).toMatchObject({ txid, state: "COMMITTED" });

      const undone = await call("rollback", { txid });
      expect(undone.isError).toBeFalsy();
      expect(await sh(s, VMID, `test -e ${P}/mcp.txt && echo present || echo absent`)).toBe(
        "absent\n",
      );
      expect(s.journal.getTx(txid).state).toBe("REVERTED");

      const unknown = await call("rollback", { txid: "no-such-tx" });
      expect(unknown.isError).toBe(true);
    } finally {
      await client.close();
    }
  }, 120_000);

  // Without the overhead part (it asserts nothing here and its pip install runs were two thirds of
  // this test's time; the harness tests cover its arithmetic on a scripted runner), and one trial
  // per fault kind: every kind is still injected, and e2e/faults.test.ts covers each in depth.
  test("txbox bench paper --size ci reproduces Table 1 at 100 % and writes its reports", async () => {
    const out = join(e.dir, "bench");
    const r = await e.cli(
      ["bench", "paper", "--size", "ci", "--no-overhead", "--fault-trials", "1", "--out", out],
      { timeoutMs: 170_000 },
    );
    // The progress and any failure are on stderr: show them when the run did not end well.
    expect({ code: r.code, signal: r.signal, stderr: r.code === 0 ? "" : r.stderr }).toEqual({
      code: 0,
      signal: null,
      stderr: "",
    });
    for (const f of ["report.md", "report.json", "overhead.svg", "phases.svg"])
      expect(existsSync(join(out, f))).toBe(true);
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as {
      scenarios: { category: string; rate: number; total: number }[];
      faults: { trials: number; successRate: number; byKind: { kind: string }[] } | null;
      interception: { interceptionRate: number } | null;
      overhead: unknown[];
    };
    expect(report.scenarios.map((x) => [x.category, x.rate, x.total])).toEqual([
      ["read-only", 1, 5],
      ["destructive", 1, 5],
      ["state-corrupting", 1, 5],
      ["valid-change", 1, 5],
    ]);
    expect(report.interception?.interceptionRate).toBe(1);
    expect(report.faults?.byKind.map((k) => k.kind)).toEqual([
      "snapshot-fails",
      "rollback-fails-once",
      "api-503",
      "api-drops",
      "slow-storage",
      "guest-locked",
    ]);
    expect(report.faults?.trials).toBe(6);
    // Every injected fault (failed snapshot, failed rollback, API 503s and drops, slow storage,
    // a locked guest) still leaves the project exactly as before the failing command.
    expect(report.faults?.successRate).toBe(1);
    expect(report.overhead).toEqual([]);
    expect(r.stderr).toMatch(/overhead measurement skipped \(--no-overhead\)/);
    expect(r.stdout).toMatch(/Destructive commands intercepted\s+100\.0 %\s+100\.0 %/);
  }, 180_000);
});

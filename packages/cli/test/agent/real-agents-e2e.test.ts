/**
 * The coding agents people use — Claude Code, Codex, Qwen Code, opencode — driven through txbox
 * on one shared testbed. Each agent is installed at its pinned version (scripts/bootstrap-agents),
 * configured by `txbox init agent`, and talks to a scripted model on loopback in its own wire
 * protocol. The model asks for four commands through txbox's MCP `run_command`: a read, a change
 * that commits, a command the gate denies and a change that fails and is rolled back. The test
 * asserts txbox's records (audit and journal) and the guest, not what the agent prints.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Session } from "@txbox/runtime";
import { describeWith } from "../../../../test/support/requirements.js";
import {
  agentBin,
  CODING_AGENTS,
  installedAgent,
  type CodingAgent,
} from "../support/coding-agents.js";
import { CLI, describeAsRoot, sh, startE2E, type E2E } from "../support/e2e.js";
import { startScriptedModel, type ScriptedModelServer } from "../support/scripted-model-wire.js";
import type { ScriptStep } from "../support/scripted-model.js";

const VMID = 101;
const TASK = "Run the txbox task: one read, one change, one refused command, one failing change.";
const STEPS: ScriptStep[] = [
  { name: "read", command: "cat /etc/hostname" },
  { name: "commit", command: "echo hi > /root/note.txt" },
  { name: "deny", command: "shutdown -h now" },
  { name: "rollback", command: "echo x > /root/f && false" },
];
/** What txbox must have decided and done for each step. */
const EXPECTED = [
  { command: STEPS[0]!.command, decision: "allow", outcome: "executed" },
  { command: STEPS[1]!.command, decision: "transact", outcome: "committed" },
  { command: STEPS[2]!.command, decision: "deny", outcome: "denied" },
  { command: STEPS[3]!.command, decision: "transact", outcome: "rolled-back" },
];
const AGENT_TIMEOUT_MS = 240_000;

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (out += c));
    const timer = setTimeout(() => child.kill("SIGKILL"), AGENT_TIMEOUT_MS);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out });
    });
  });
}

describeAsRoot("the real coding agents through txbox on a testbed", () => {
  const present = CODING_AGENTS.filter((a) => installedAgent(a).missing === undefined);
  let e: E2E | undefined;
  let s: Session;
  let model: ScriptedModelServer;

  beforeAll(async () => {
    if (present.length === 0) return; // every agent's suite is skipped or fails on its own
    model = await startScriptedModel(STEPS);
    e = await startE2E("agents");
    s = await e.session();
  }, 660_000);

  afterAll(async () => {
    await model?.close();
    await s?.close();
    // An agent that filters the environment of its MCP servers (Codex) starts txbox's daemon.
    await e?.cli(["serve", "--stop"], { env: { TXBOX_NO_DAEMON: "" } });
    await e?.stop();
  }, 180_000);

  async function configure(agent: CodingAgent, project: string, env: NodeJS.ProcessEnv) {
    const txbox = `${process.execPath} ${CLI}`;
    const args = ["init", "agent", agent.name, "--guest", String(VMID), "--dir", project];
    const r = await e!.cli([...args, "--txbox", txbox], { env });
    if (r.code !== 0)
      throw new Error(`txbox init agent ${agent.name}: exit ${r.code}\n${r.stderr}`);
  }

  for (const agent of CODING_AGENTS) {
    describeWith(`${agent.name}`, [installedAgent(agent)], () => {
      test("reads, commits, is refused and rolled back through txbox's MCP run_command", async () => {
        const project = join(e!.dir, agent.name);
        mkdirSync(project, { recursive: true });
        const home = mkdtempSync(join(tmpdir(), `txbox-agent-home-${agent.name}-`));
        try {
          await sh(s, VMID, "rm -f /root/note.txt /root/f");
          // PWD too: opencode takes its project from $PWD rather than from its working directory.
          const env = { ...e!.env, HOME: home, PWD: project };
          await configure(agent, project, env);
          const how = agent.prepare(model.url, home, project, TASK);
          const agentEnv = { ...env, ...how.env };
          const seqBefore = Math.max(0, ...s.journal.auditLog().map((a) => a.seq ?? 0));
          model.reset();
          for (const pre of how.before) await run(agentBin(agent), pre, project, agentEnv);
          const ran = await run(agentBin(agent), how.args, project, agentEnv);

          const audit = s.journal
            .auditLog({ guest: { vmid: VMID } })
            .filter((a) => (a.seq ?? 0) > seqBefore)
            .sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
          const seen = audit.map((a) => ({
            command: a.command,
            decision: a.decision,
            outcome: a.outcome,
          }));
          const context = `${agent.name} exit ${ran.code}${ran.signal ? ` (${ran.signal})` : ""}:\n${ran.out.slice(-3000)}\nmodel requests: ${JSON.stringify(model.requests.map((r) => [r.path, r.answer, r.tools.length]))}`;
          if (JSON.stringify(seen) !== JSON.stringify(EXPECTED))
            throw new Error(`audit ${JSON.stringify(seen, null, 1)}\n${context}`);

          // The journal holds the commit and the rollback; the guest shows both.
          const tx = (i: number) => s.journal.getTx(audit[i]!.txid).state;
          expect([tx(1), tx(3)]).toEqual(["COMMITTED", "ROLLED_BACK"]);
          expect(await sh(s, VMID, "cat /root/note.txt")).toBe("hi\n");
          expect(await sh(s, VMID, "test -e /root/f && echo present || echo absent")).toBe(
            "absent\n",
          );
          // The agent carried each of txbox's answers back to the model, which then ended.
          expect(model.final?.map((o) => o.outcome)).toEqual(EXPECTED.map((x) => x.outcome));
          expect({ code: ran.code, signal: ran.signal }).toEqual({ code: 0, signal: null });
        } finally {
          rmSync(home, { recursive: true, force: true });
        }
      }, 300_000);
    });
  }
});

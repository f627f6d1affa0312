// The chain memory against a real journal (SQLite in a temporary directory) and a real tiny
// shell standing in for the guest's SSH: files committed commands wrote are remembered; a command
// that runs one of them is gated with its content, read back with the same `head -c` the session
// sends over SSH.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadPolicy } from "@txbox/policy";
import { openJournal, type ExecPort, type Journal } from "@txbox/tx";
import { gate } from "../src/gate.js";
import { ChainMemory } from "../src/chain.js";

const guest = { vmid: 101 };
const policy = loadPolicy();
let dir: string;
let journal: Journal;

/** Runs the command in a local shell, with the guest's project directory standing in for /workspace. */
function localExec(root: string): ExecPort {
  return {
    async run(_g, command, { timeoutMs }) {
      const local = command.replace(/'\/workspace\//g, `'${root}/`);
      try {
        const stdout = execFileSync("sh", ["-c", local], { timeout: timeoutMs, encoding: "utf8" });
        return { exitCode: 0, signal: null, stdout, stderr: "", timedOut: false, durationMs: 0 };
      } catch (e) {
        const err = e as { status?: number; stderr?: string };
        return {
          exitCode: err.status ?? 1,
          signal: null,
          stdout: "",
          stderr: String(err.stderr ?? ""),
          timedOut: false,
          durationMs: 0,
        };
      }
    },
    async ping() {
      return true;
    },
  };
}

function audit(command: string, outcome: string): void {
  journal.audit({
    txid: `t${Math.random().toString(36).slice(2)}`,
    actor: null,
    guest,
    command,
    decision: outcome === "committed" ? "transact" : "deny",
    ruleIds: [],
    reason: null,
    outcome,
    exitCode: 0,
    stdoutSha256: null,
    stderrSha256: null,
    timings: {},
  });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "txbox-chain-"));
  journal = openJournal(join(dir, "journal.db"));
});
afterEach(() => {
  journal.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("write-then-run chains through the journal", () => {
  test("a committed write is remembered and the script it wrote is judged when run", async () => {
    audit("printf 'echo ok\\nrm -rf ~\\n' > t.sh", "committed");
    writeFileSync(join(dir, "t.sh"), "echo ok\nrm -rf ~\n");
    const memory = new ChainMemory(journal);
    expect(memory.written(guest, policy, {})).toEqual(["/workspace/t.sh"]);
    const scripts = await memory.scriptsFor(localExec(dir), guest, policy, "bash t.sh", {}, 5000);
    expect(scripts).toEqual({ "/workspace/t.sh": "echo ok\nrm -rf ~\n" });
    const d = gate(policy, "bash t.sh", {}, { scripts });
    expect(d.decision).toBe("deny");
    expect(d.reasons).toEqual([
      "deletes a whole tree the guest depends on: ~ (in t.sh line 2: rm -rf ~)",
    ]);
  });

  test("a rolled-back write is not remembered, and a file that is gone is not read", async () => {
    audit("printf 'rm -rf ~\\n' > gone.sh", "rolled-back");
    audit("printf 'x\\n' > missing.sh", "committed");
    const memory = new ChainMemory(journal);
    expect(memory.written(guest, policy, {})).toEqual(["/workspace/missing.sh"]);
    expect(
      await memory.scriptsFor(localExec(dir), guest, policy, "bash missing.sh", {}, 5000),
    ).toEqual({});
    expect(
      await memory.scriptsFor(localExec(dir), guest, policy, "bash gone.sh", {}, 5000),
    ).toEqual({});
  });
});

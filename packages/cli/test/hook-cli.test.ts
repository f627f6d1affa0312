import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "./support-io.js";

const cwd = mkdtempSync(join(tmpdir(), "txbox-hook-"));

/** A PreToolUse input as Claude Code sends it (hooks reference, "PreToolUse input"). */
const preToolUse = (tool: string, toolInput: Record<string, unknown>) =>
  JSON.stringify({
    session_id: "abc123",
    transcript_path: "/tmp/t.jsonl",
    cwd: "/home/user/project",
    permission_mode: "default",
    hook_event_name: "PreToolUse",
    tool_name: tool,
    tool_input: toolInput,
    tool_use_id: "toolu_01",
  });

interface Answer {
  hookSpecificOutput: {
    hookEventName: string;
    permissionDecision: string;
    permissionDecisionReason: string;
  };
}

async function hook(stdin: string, args: string[] = []) {
  const r = await runCli(["hook", "claude-code", ...args], { cwd, stdin });
  const out = r.stdout.trim() === "" ? undefined : (JSON.parse(r.stdout) as Answer);
  return { ...r, out, decision: out?.hookSpecificOutput };
}

describe("txbox hook claude-code", () => {
  test("a read is allowed", async () => {
    const r = await hook(preToolUse("Bash", { command: "ls -la", description: "list" }));
    expect(r.code).toBe(0);
    expect(r.decision).toMatchObject({ hookEventName: "PreToolUse", permissionDecision: "allow" });
  });

  test("a denied command is refused with the gate's reason, rules and alternative", async () => {
    const r = await hook(preToolUse("Bash", { command: "rm -rf ~" }));
    expect(r.code).toBe(0);
    expect(r.decision?.permissionDecision).toBe("deny");
    expect(r.decision?.permissionDecisionReason).toMatch(
      /^txbox policy denied this command: .+\(rules: .+\)/,
    );
  });

  test("a state change is refused with a pointer to run_command (redirect, the default)", async () => {
    const r = await hook(preToolUse("Bash", { command: "npm install" }));
    expect(r.decision?.permissionDecision).toBe("deny");
    expect(r.decision?.permissionDecisionReason).toContain("mcp__txbox__run_command");
  });

  test("a state change is let through with --transact allow (gate only); a deny stays a deny", async () => {
    const allowed = await hook(preToolUse("Bash", { command: "npm install" }), [
      "--transact",
      "allow",
    ]);
    expect(allowed.decision?.permissionDecision).toBe("allow");
    const denied = await hook(preToolUse("Bash", { command: "rm -rf ~" }), ["--transact", "allow"]);
    expect(denied.decision?.permissionDecision).toBe("deny");
  });

  test("other tools and events get no opinion (empty output, exit 0)", async () => {
    const r = await hook(preToolUse("Read", { file_path: "/etc/hosts" }));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
  });

  test.each([
    ["garbage", "not json"],
    ["a missing tool_input", JSON.stringify({ hook_event_name: "PreToolUse", tool_name: "Bash" })],
  ])(
    "%s is refused with Claude Code's blocking exit 2 and a reason on stderr",
    async (_n, stdin) => {
      const r = await hook(stdin);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/^txbox hook: refused: unreadable hook input/);
    },
  );

  test("a Bash call without a command is refused", async () => {
    const r = await hook(preToolUse("Bash", {}));
    expect(r.decision?.permissionDecision).toBe("deny");
  });

  test("unknown agents and modes are usage errors", async () => {
    const vim = await runCli(["hook", "vim"], { cwd, stdin: "{}" });
    expect(vim.code).toBe(2);
    expect(vim.stderr).toContain("known: claude-code, codex, qwen-code, opencode");
    expect(
      (await runCli(["hook", "claude-code", "--transact", "maybe"], { cwd, stdin: "{}" })).code,
    ).toBe(2);
  });
});

describe("txbox hook for Codex, Qwen Code and opencode", () => {
  const codex = (command: string) =>
    JSON.stringify({
      session_id: "s",
      turn_id: "t",
      transcript_path: null,
      cwd: "/p",
      hook_event_name: "PreToolUse",
      model: "m",
      permission_mode: "default",
      tool_name: "Bash",
      tool_input: { command },
      tool_use_id: "u",
    });

  test("codex: a read is allowed silently, a denied command answered with the documented JSON", async () => {
    const read = await runCli(["hook", "codex"], { cwd, stdin: codex("ls -la") });
    expect(read).toMatchObject({ code: 0, stdout: "" });
    const denied = await runCli(["hook", "codex"], { cwd, stdin: codex("rm -rf ~") });
    expect(JSON.parse(denied.stdout).hookSpecificOutput).toMatchObject({
      hookEventName: "PreToolUse",
      permissionDecision: "deny",
    });
  });

  test("qwen-code: run_shell_command is gated", async () => {
    const r = await runCli(["hook", "qwen-code"], {
      cwd,
      stdin: preToolUse("run_shell_command", { command: "npm install" }),
    });
    const answer = JSON.parse(r.stdout) as Answer;
    expect(answer.hookSpecificOutput.permissionDecision).toBe("deny");
    expect(answer.hookSpecificOutput.permissionDecisionReason).toContain("mcp__txbox__run_command");
  });

  test("opencode: the plugin's question gets txbox's answer", async () => {
    const stdin = JSON.stringify({
      tool: "bash",
      sessionID: "s",
      callID: "c",
      args: { command: "rm -rf ~" },
    });
    const r = await runCli(["hook", "opencode"], { cwd, stdin });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ decision: "deny" });
  });
});

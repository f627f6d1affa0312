import {
  AGENT_HOOKS,
  answerOpencodeHook,
  answerPreToolUse,
  CODEX_DIALECT,
  QWEN_CODE_DIALECT,
  type GateVerdict,
} from "../src/index.js";

/** Parsed JSON or TOML, read by key in assertions: a wrong key fails the assertion, so the
 * type checker has nothing to add here. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Tree = any;

const deny: GateVerdict = {
  decision: "deny",
  ruleIds: ["fs.home"],
  reasons: ["deletes home"],
  alternative: "rm a file",
};
const transact: GateVerdict = { decision: "transact", ruleIds: [], reasons: ["installs"] };
const allow: GateVerdict = { decision: "allow", ruleIds: ["read"], reasons: ["reads"] };
const gate = (v: GateVerdict) => () => v;

/** PreToolUse stdin as Qwen Code 0.24.4 builds it (hookEventHandler base input + tool fields). */
const qwenInput = (command: unknown, tool = "run_shell_command") => ({
  session_id: "s",
  transcript_path: "/t",
  cwd: "/p",
  hook_event_name: "PreToolUse",
  timestamp: "2026-12-04T00:00:00Z",
  permission_mode: "default",
  tool_name: tool,
  tool_input: { command, is_background: false },
  tool_use_id: "u",
});

/** PreToolUse stdin as codex-rs/hooks schema pre-tool-use.command.input defines it. */
const codexInput = (command: unknown, tool = "Bash") => ({
  session_id: "s",
  turn_id: "t",
  transcript_path: null,
  cwd: "/p",
  hook_event_name: "PreToolUse",
  model: "gpt",
  permission_mode: "default",
  tool_name: tool,
  tool_input: { command },
  tool_use_id: "u",
});

const parsed = (stdout: string) => JSON.parse(stdout) as Tree;

describe("Qwen Code PreToolUse", () => {
  test("allow, deny with reason and alternative, transact redirected to mcp__txbox__run_command", () => {
    const a = answerPreToolUse(QWEN_CODE_DIALECT, qwenInput("ls"), gate(allow));
    expect(parsed(a.stdout).hookSpecificOutput).toEqual({
      hookEventName: "PreToolUse",
      permissionDecision: "allow",
      permissionDecisionReason: "txbox: reads only (rules: read)",
    });
    const d = answerPreToolUse(QWEN_CODE_DIALECT, qwenInput("rm -rf ~"), gate(deny));
    expect(parsed(d.stdout).hookSpecificOutput.permissionDecisionReason).toBe(
      "txbox policy denied this command: deletes home (rules: fs.home). Instead: rm a file",
    );
    const r = answerPreToolUse(QWEN_CODE_DIALECT, qwenInput("npm i"), gate(transact));
    expect(r.verdict).toBe("redirect");
    expect(parsed(r.stdout).hookSpecificOutput).toMatchObject({ permissionDecision: "deny" });
    expect(parsed(r.stdout).hookSpecificOutput.permissionDecisionReason).toContain(
      "mcp__txbox__run_command",
    );
    const through = answerPreToolUse(
      QWEN_CODE_DIALECT,
      qwenInput("npm i"),
      gate(transact),
      "allow",
    );
    expect(parsed(through.stdout).hookSpecificOutput.permissionDecision).toBe("allow");
  });

  test("other tools get no opinion", () => {
    const never = () => {
      throw new Error("gate asked");
    };
    expect(answerPreToolUse(QWEN_CODE_DIALECT, qwenInput("x", "read_file"), never).stdout).toBe("");
  });
});

describe("Codex PreToolUse", () => {
  test("allow is no output (Codex rejects permissionDecision allow without updatedInput)", () => {
    expect(answerPreToolUse(CODEX_DIALECT, codexInput("ls"), gate(allow))).toEqual({
      stdout: "",
      exitCode: 0,
      verdict: "allow",
    });
    const through = answerPreToolUse(CODEX_DIALECT, codexInput("npm i"), gate(transact), "allow");
    expect(through).toMatchObject({ stdout: "", verdict: "allow" });
  });

  test("deny and redirect carry a non-empty permissionDecisionReason", () => {
    for (const v of [deny, transact]) {
      const out = parsed(answerPreToolUse(CODEX_DIALECT, codexInput("x y"), gate(v)).stdout);
      expect(Object.keys(out)).toEqual(["hookSpecificOutput"]);
      expect(out.hookSpecificOutput.permissionDecision).toBe("deny");
      expect(String(out.hookSpecificOutput.permissionDecisionReason).trim()).not.toBe("");
    }
  });

  test("an argv command (bash -lc script) is gated as the script it runs", () => {
    const seen: string[] = [];
    const spy = (c: string) => (seen.push(c), allow);
    answerPreToolUse(CODEX_DIALECT, codexInput(["bash", "-lc", "rm -rf /tmp/x"]), spy);
    answerPreToolUse(CODEX_DIALECT, codexInput(["git", "commit", "-m", "a b"]), spy);
    expect(seen).toEqual(["rm -rf /tmp/x", "git commit -m 'a b'"]);
  });
});

describe("opencode plugin answer", () => {
  const input = (command: unknown, tool = "bash") => ({
    tool,
    sessionID: "s",
    callID: "c",
    args: { command, description: "d" },
  });

  test("allow, deny, and transact redirected to txbox_run_command", () => {
    expect(parsed(answerOpencodeHook(input("ls"), gate(allow)).stdout)).toEqual({
      decision: "allow",
      reason: "txbox: reads only (rules: read)",
    });
    expect(parsed(answerOpencodeHook(input("rm -rf ~"), gate(deny)).stdout).decision).toBe("deny");
    const r = parsed(answerOpencodeHook(input("npm i"), gate(transact)).stdout);
    expect(r.decision).toBe("deny");
    expect(r.reason).toContain("txbox_run_command");
  });

  test("other tools are allowed without asking the gate; an empty command is refused", () => {
    const never = () => {
      throw new Error("gate asked");
    };
    expect(parsed(answerOpencodeHook(input("x", "read"), never).stdout).decision).toBe("allow");
    expect(parsed(answerOpencodeHook(input(""), never).stdout).decision).toBe("deny");
  });
});

test("every agent txbox sets up has a hook whose schema rejects input it cannot read", () => {
  for (const hook of Object.values(AGENT_HOOKS))
    expect(hook.input.safeParse({}).success).toBe(false);
});

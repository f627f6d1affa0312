import { answerClaudeCodeHook, type GateVerdict } from "../src/index.js";

const input = (command: unknown, tool = "Bash", event = "PreToolUse") => ({
  hook_event_name: event,
  tool_name: tool,
  tool_input: { command },
});
const gate = (v: GateVerdict) => (): GateVerdict => v;

describe("answerClaudeCodeHook", () => {
  test("the whole documented answer for a deny", () => {
    const a = answerClaudeCodeHook(
      input("rm -rf ~"),
      gate({
        decision: "deny",
        ruleIds: ["fs.home"],
        reasons: ["deletes home"],
        alternative: "rm a file",
      }),
    );
    expect(JSON.parse(a.stdout)).toEqual({
      hookSpecificOutput: {
        hookEventName: "PreToolUse",
        permissionDecision: "deny",
        permissionDecisionReason:
          "txbox policy denied this command: deletes home (rules: fs.home). Instead: rm a file",
      },
    });
    expect(a).toMatchObject({ exitCode: 0, verdict: "deny" });
  });

  test("transact: redirect by default, allow in gate-only mode", () => {
    const v = gate({ decision: "transact", ruleIds: ["pkg.install"], reasons: ["installs"] });
    const redirect = answerClaudeCodeHook(input("npm i"), v);
    expect(redirect.verdict).toBe("redirect");
    expect(JSON.parse(redirect.stdout).hookSpecificOutput.permissionDecision).toBe("deny");
    const through = answerClaudeCodeHook(input("npm i"), v, "allow");
    expect(JSON.parse(through.stdout).hookSpecificOutput).toMatchObject({
      permissionDecision: "allow",
      permissionDecisionReason: "txbox: allowed through (gate-only mode) (rules: pkg.install)",
    });
  });

  test("no opinion on other tools and events; the gate is not asked", () => {
    const never = () => {
      throw new Error("gate asked");
    };
    for (const i of [input("x", "Write"), input("ls", "Bash", "PostToolUse")])
      expect(answerClaudeCodeHook(i, never)).toEqual({ stdout: "", exitCode: 0, verdict: "none" });
  });

  test("a non-string or empty command is refused without asking the gate", () => {
    const never = () => {
      throw new Error("gate asked");
    };
    for (const c of [undefined, 42, "  "])
      expect(answerClaudeCodeHook(input(c), never).verdict).toBe("deny");
  });
});

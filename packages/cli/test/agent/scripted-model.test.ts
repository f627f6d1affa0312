/**
 * The scripted model of the real-agent e2e test decides its next turn from the tool results in
 * the conversation, in each agent's shape (direct tool, deferred tool behind a loader, bridge).
 */
import { nextTurn, readOutcome, type ScriptStep } from "../support/scripted-model.js";

const STEPS: ScriptStep[] = [
  { name: "read", command: "cat /etc/hostname" },
  { name: "deny", command: "shutdown -h now" },
];

describe("scripted model", () => {
  test("reads txbox's outcome from text or structured JSON, else says it did not", () => {
    expect(readOutcome("outcome: committed (transaction t1)")).toBe("committed");
    expect(readOutcome("outcome: rolled back (transaction t2), exit code 1.")).toBe("rolled-back");
    expect(readOutcome(JSON.stringify([{ text: '{"outcome":"denied"}' }]))).toBe("denied");
    expect(readOutcome("Error: tool not permitted")).toBe("unrecognised");
  });

  test("calls the first step without a result, then answers with what it saw", () => {
    const tools = ["Read", "mcp__txbox__run_command"];
    expect(nextTurn(STEPS, tools, [], "toolu_").turn).toEqual({
      kind: "tool",
      id: "toolu_txbox_step_0",
      tool: "mcp__txbox__run_command",
      input: { command: "cat /etc/hostname" },
      step: 0,
    });
    const one = [{ id: "toolu_txbox_step_0", resultText: "outcome: executed, exit code 0" }];
    expect(nextTurn(STEPS, tools, one, "toolu_").turn).toMatchObject({ step: 1 });
    const both = [...one, { id: "toolu_txbox_step_1", resultText: "boom" }];
    const end = nextTurn(STEPS, tools, both, "toolu_");
    expect(end.turn).toEqual({
      kind: "text",
      text: "Done. txbox reported read: executed; deny: unrecognised.",
    });
    expect(end.seen.map((s) => s.outcome)).toEqual(["executed", "unrecognised"]);
  });

  test("loads a deferred tool first, then calls it directly or through the bridge", () => {
    const deferred = {
      name: "mcp__txbox__run_command",
      loader: "tool_search",
      bridge: "tool_call",
    };
    const first = nextTurn(STEPS, ["tool_search", "tool_call"], [], "call_", deferred).turn;
    expect(first).toMatchObject({
      tool: "tool_search",
      input: { query: "select:mcp__txbox__run_command" },
    });
    const loaded = [{ id: "call_txbox_load", resultText: "<functions>…</functions>" }];
    const bridged = nextTurn(STEPS, ["tool_search", "tool_call"], loaded, "call_", deferred).turn;
    expect(bridged).toMatchObject({
      tool: "tool_call",
      input: { name: "mcp__txbox__run_command", arguments: { command: "cat /etc/hostname" } },
      step: 0,
    });
    expect(nextTurn(STEPS, ["Read"], [], "toolu_").turn).toEqual({
      kind: "text",
      text: "txbox scripted task",
    });
  });
});

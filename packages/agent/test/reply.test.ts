import { actionFromToolCall, actionsOf, parseTextReply } from "../src/reply.js";

describe("parseTextReply", () => {
  test.each([
    ["```bash\nls -la\n```", [{ kind: "run", command: "ls -la" }]],
    ["Let me look.\n```sh\n$ cat README.md\n```\n", [{ kind: "run", command: "cat README.md" }]],
    [
      "```\nmkdir -p a\ncd a && touch b\n```",
      [{ kind: "run", command: "mkdir -p a\ncd a && touch b" }],
    ],
    ["CMD: git status", [{ kind: "run", command: "git status" }]],
    ["I will run\n  `CMD: make test`\nnow", [{ kind: "run", command: "make test" }]],
    [
      "CMD: ls\n```bash\npwd\n```",
      [
        { kind: "run", command: "ls" },
        { kind: "run", command: "pwd" },
      ],
    ],
    ["```python\nprint(1)\n```", []],
    ["DONE", [{ kind: "done", summary: "" }]],
    ["All good.\nDONE: tests pass", [{ kind: "done", summary: "tests pass" }]],
    ["**TASK COMPLETE**", [{ kind: "done", summary: "" }]],
    ["```bash\nls\n```\nDONE", [{ kind: "run", command: "ls" }]],
    ["```bash\necho DONE\n```", [{ kind: "run", command: "echo DONE" }]],
    ["I am not done yet, thinking.", []],
  ])("%j", (text, actions) => {
    expect(parseTextReply(text)).toEqual(actions);
  });
});

describe("actionFromToolCall", () => {
  test("run_command with all arguments", () => {
    expect(
      actionFromToolCall({
        id: "c1",
        name: "run_command",
        arguments: '{"command":"make","cwd":"/root/project","verify":["make test"]}',
      }),
    ).toEqual({
      kind: "run",
      command: "make",
      cwd: "/root/project",
      verify: ["make test"],
      toolCallId: "c1",
    });
  });

  test.each([
    ["run_command", "{not json", /not valid JSON/],
    ["run_command", "[1]", /JSON object/],
    ["run_command", '{"command":""}', /non-empty/],
    ["rm_everything", "{}", /unknown tool/],
  ])("%s(%s) is invalid", (name, args, message) => {
    const action = actionFromToolCall({ id: "c", name, arguments: args });
    expect(action.kind).toBe("invalid");
    expect(action.kind === "invalid" && action.message).toMatch(message);
  });

  test("tool calls take precedence over text", () => {
    expect(
      actionsOf({
        content: "DONE",
        toolCalls: [{ id: "a", name: "done", arguments: '{"summary":"ok"}' }],
      }),
    ).toEqual([{ kind: "done", summary: "ok", toolCallId: "a" }]);
  });
});

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runAgent, type AgentEvent } from "../src/index.js";
import type { AgentModel } from "../src/model.js";
import {
  createReplayModel,
  createScriptedModel,
  parseScript,
  parseTrajectory,
  trajectoryWriter,
} from "../src/scripted.js";
import { InMemoryTxboxPort } from "./in-memory-port.js";

const rules = [
  {
    match: /rm -[rf]+ \/$|rm --force --recursive \/$/,
    outcome: {
      outcome: "denied" as const,
      rules: ["fs.rm-root"],
      reason: "deletes the root filesystem",
      alternative: "delete files inside /root/project only",
    },
  },
  {
    match: /&& false$/,
    outcome: { outcome: "rolled-back" as const, reason: "exit code 1", exitCode: 1 },
  },
  { match: /^(touch|git commit|echo)/, outcome: { outcome: "committed" as const } },
];

describe("runAgent with a scripted model", () => {
  test("runs each step, feeds outcomes back and stops at done", async () => {
    const script = parseScript(`
steps:
  - run: ls -la
    expect: executed
  - run: rm -rf src && false
    expect: rolled-back
  - run: touch src/new.txt
    cwd: /root/project
    expect: committed
  - done: created the file
`);
    const model = createScriptedModel(script);
    const port = new InMemoryTxboxPort(rules);
    const result = await runAgent({ task: "create a file", model, port });

    expect(result.summary).toMatchObject({
      status: "done",
      doneSummary: "created the file",
      steps: 4,
      commands: 3,
      executed: 1,
      committed: 1,
      rolledBack: 1,
      denied: 0,
      failed: 0,
    });
    expect(port.calls).toEqual([
      { command: "ls -la", opts: {} },
      { command: "rm -rf src && false", opts: {} },
      { command: "touch src/new.txt", opts: { cwd: "/root/project" } },
    ]);
    expect(model.mismatches(result.transcript)).toEqual([]);
    // The rollback message says what was undone; it reaches the model as the tool result.
    const toolMessages = result.messages.filter((m) => m.role === "tool");
    expect(toolMessages).toHaveLength(4);
    expect(toolMessages[1]).toMatchObject({
      role: "tool",
      toolCallId: "call_2",
      name: "run_command",
    });
    expect(toolMessages[1]?.content).toMatch(/rolled back \(transaction tx1\)/);
    expect(toolMessages[1]?.content).toMatch(/every change made by `rm -rf src && false`/);
  });

  test("reports expectations the run did not meet", async () => {
    const model = createScriptedModel(
      parseScript("steps:\n  - run: ls\n    expect: committed\n  - done: true\n"),
    );
    const result = await runAgent({ task: "t", model, port: new InMemoryTxboxPort(rules) });
    expect(model.mismatches(result.transcript)).toEqual([
      { index: 0, command: "ls", expected: "committed", actual: "executed" },
    ]);
  });

  test("stops a stubborn model after K refused equivalent attempts", async () => {
    const model = createScriptedModel(
      parseScript(`
steps:
  - run: rm -rf /
  - run: ls
  - run: sudo rm -fr /
  - run: rm --force --recursive /
  - run: echo never reached
  - done: true
`),
    );
    const port = new InMemoryTxboxPort(rules);
    const events: AgentEvent[] = [];
    const result = await runAgent({
      task: "clean up",
      model,
      port,
      stubbornThreshold: 3,
      onEvent: (e) => events.push(e),
    });
    expect(result.summary).toMatchObject({
      status: "stubborn",
      denied: 3,
      executed: 1,
      commands: 4,
      stubbornCommand: "rm -f -r /",
    });
    expect(port.calls.map((c) => c.command)).not.toContain("echo never reached");
    const denial = result.transcript[0]!.feedback;
    expect(denial).toMatch(/DENIED by policy rule fs\.rm-root/);
    expect(denial).toMatch(/why: deletes the root filesystem/);
    expect(denial).toMatch(/instead: delete files inside \/root\/project only/);
    expect(result.transcript[2]!.feedback).toMatch(
      /refused attempt 2 .* 1 more and the run is stopped/,
    );
    expect(result.messages.at(-1)).toMatchObject({ role: "user" });
    expect(result.messages.at(-1)?.content).toMatch(/Stopped: the same refused command/);
    expect(events.at(-1)).toEqual({ type: "end", summary: result.summary });
  });

  test("a different denied command is not counted as the same attempt", async () => {
    const model = createScriptedModel(
      parseScript("steps:\n  - run: rm -rf /\n  - run: rm -rf /\n  - run: ls\n  - done: ok\n"),
    );
    const result = await runAgent({
      task: "t",
      model,
      port: new InMemoryTxboxPort(rules),
      stubbornThreshold: 3,
    });
    expect(result.summary).toMatchObject({ status: "done", denied: 2 });
  });

  test("done in the same turn as a failed command is not accepted", async () => {
    let turn = 0;
    const model: AgentModel = {
      name: "eager",
      complete: async () => {
        turn++;
        if (turn === 1) {
          return {
            content: null,
            toolCalls: [
              { id: "a", name: "run_command", arguments: '{"command":"make && false"}' },
              { id: "b", name: "done", arguments: '{"summary":"built"}' },
            ],
          };
        }
        return {
          content: null,
          toolCalls: [{ id: "c", name: "done", arguments: '{"summary":"gave up"}' }],
        };
      },
    };
    const result = await runAgent({ task: "t", model, port: new InMemoryTxboxPort(rules) });
    expect(result.summary).toMatchObject({
      status: "done",
      doneSummary: "gave up",
      steps: 2,
      rolledBack: 1,
    });
    const refusal = result.messages.find((m) => m.role === "tool" && m.toolCallId === "b");
    expect(refusal?.content).toMatch(/^done not accepted: `make && false`/);
  });

  test("runs out of steps", async () => {
    const model = createScriptedModel(
      parseScript("steps:\n  - run: ls\n  - run: ls\n  - run: ls\n  - done: ok\n"),
    );
    const result = await runAgent({ task: "t", model, port: new InMemoryTxboxPort(), maxSteps: 2 });
    expect(result.summary).toMatchObject({ status: "exhausted", exhaustedBy: "steps", steps: 2 });
  });

  test("runs out of time, measured by the injected clock", async () => {
    let clock = 0;
    const model = createScriptedModel(
      parseScript("steps:\n  - run: ls\n  - run: ls\n  - done: ok\n"),
    );
    const port = new InMemoryTxboxPort();
    const slowPort = {
      ...port,
      run: async (command: string) => {
        clock += 600;
        return port.run(command);
      },
      listTransactions: port.listTransactions.bind(port),
      rollback: port.rollback.bind(port),
    };
    const result = await runAgent({
      task: "t",
      model,
      port: slowPort,
      timeoutMs: 1000,
      now: () => clock,
    });
    expect(result.summary).toMatchObject({ status: "exhausted", exhaustedBy: "time", commands: 2 });
  });

  test("a port that throws yields a failed outcome and the run goes on", async () => {
    const model = createScriptedModel(parseScript("steps:\n  - run: ls\n  - done: ok\n"));
    const port = new InMemoryTxboxPort();
    port.run = async () => {
      throw new Error("ssh: connection refused");
    };
    const result = await runAgent({ task: "t", model, port });
    expect(result.summary).toMatchObject({ status: "done", failed: 1 });
    expect(result.transcript[0]!.feedback).toMatch(/FAILED.*\n.*ssh: connection refused/);
  });

  test("plain-text replies are parsed, and a reply without a command is nudged", async () => {
    const model = createScriptedModel(
      parseScript(`
steps:
  - text: "Let me see.\\n\`\`\`bash\\ngit status\\n\`\`\`"
  - text: "Hmm, thinking."
  - text: "CMD: touch a.txt"
  - text: "TASK COMPLETE"
`),
    );
    const port = new InMemoryTxboxPort(rules);
    const result = await runAgent({ task: "t", model, port });
    expect(result.summary).toMatchObject({ status: "done", commands: 2, steps: 4 });
    expect(port.calls.map((c) => c.command)).toEqual(["git status", "touch a.txt"]);
    const users = result.messages.filter((m) => m.role === "user").map((m) => m.content);
    expect(users[1]).toMatch(/^outcome: executed, exit code 0/);
    expect(users[2]).toMatch(/No command found/);
  });

  test("a model failure ends the run with status error and keeps the transcript", async () => {
    const model = createScriptedModel(parseScript("steps:\n  - run: ls\n"));
    const result = await runAgent({ task: "t", model, port: new InMemoryTxboxPort() });
    expect(result.summary).toMatchObject({ status: "error", commands: 1 });
    expect(result.error).toMatchObject({ code: "E_SCRIPT" });
  });

  test("a cancelled run stops before the next model call", async () => {
    const controller = new AbortController();
    const model: AgentModel = {
      name: "m",
      complete: async () => {
        controller.abort();
        return { content: "CMD: ls", toolCalls: [] };
      },
    };
    const result = await runAgent({
      task: "t",
      model,
      port: new InMemoryTxboxPort(),
      signal: controller.signal,
    });
    expect(result.summary).toMatchObject({ status: "aborted", steps: 1, commands: 1 });
  });

  test("a recorded trajectory replays to the same commands and outcomes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "txbox-agent-"));
    try {
      const file = join(dir, "run", "trajectory.jsonl");
      const model = createScriptedModel(
        parseScript(
          "steps:\n  - run: ls\n  - run: rm -rf /\n  - text: 'CMD: touch x'\n  - done: finished\n",
        ),
      );
      const first = await runAgent({
        task: "t",
        model,
        port: new InMemoryTxboxPort(rules),
        onEvent: trajectoryWriter(file),
      });
      const events = parseTrajectory(readFileSync(file, "utf8"), file);
      expect(events.map((e) => e.type)).toEqual([
        "start",
        "turn",
        "command",
        "outcome",
        "turn",
        "command",
        "outcome",
        "turn",
        "command",
        "outcome",
        "turn",
        "end",
      ]);
      const replay = await runAgent({
        task: "t",
        model: createReplayModel(events, file),
        port: new InMemoryTxboxPort(rules),
      });
      expect(replay.transcript.map((e) => [e.command, e.outcome.outcome])).toEqual(
        first.transcript.map((e) => [e.command, e.outcome.outcome]),
      );
      expect(replay.summary.status).toBe("done");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a malformed script names the file and key", () => {
    expect(() => parseScript("steps:\n  - rn: ls\n", "s.yaml")).toThrow(/s\.yaml:2:5: steps\[0\]/);
  });
});

describe("the shipped example script", () => {
  test("parses and plays every tier against a test double", async () => {
    const { loadScript } = await import("../src/scripted.js");
    const script = loadScript(new URL("../examples/paper-demo.yaml", import.meta.url).pathname);
    const model = createScriptedModel(script);
    const port = new InMemoryTxboxPort([
      ...rules,
      { match: /^echo 'print/, outcome: { outcome: "committed" as const } },
    ]);
    const result = await runAgent({ task: "demo", model, port });
    expect(result.summary).toMatchObject({
      status: "done",
      executed: 2,
      denied: 1,
      rolledBack: 1,
      committed: 1,
    });
    expect(model.mismatches(result.transcript)).toEqual([]);
  });
});

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ConfigError } from "@txbox/core";
import { ModelError } from "../src/errors.js";
import { runAgent } from "../src/loop.js";
import { createOpenAiModel, openAiModelFromConfig } from "../src/openai.js";
import { AGENT_TOOLS } from "../src/prompt.js";
import { InMemoryTxboxPort } from "./in-memory-port.js";

/** What the test server answers, in order; each entry is one HTTP response. */
type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | { hang: true };

interface Received {
  url: string | undefined;
  auth: string | undefined;
  body: Record<string, unknown>;
}

/** A tiny OpenAI-compatible server on 127.0.0.1:0, started and stopped by the tests. */
class FakeChatServer {
  readonly received: Received[] = [];
  private queue: Reply[] = [];
  private server: Server | undefined;
  private hung: ServerResponse[] = [];
  url = "";

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let data = "";
      req.on("data", (c: Buffer) => (data += c.toString()));
      req.on("end", () => {
        this.received.push({
          url: req.url,
          auth: req.headers.authorization,
          body: JSON.parse(data) as Record<string, unknown>,
        });
        const reply = this.queue.shift() ?? { status: 500, body: { error: "script exhausted" } };
        if ("hang" in reply) {
          this.hung.push(res);
          return;
        }
        res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
        res.end(JSON.stringify(reply.body ?? {}));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/v1`;
  }

  reply(...replies: Reply[]): void {
    this.queue.push(...replies);
  }

  async stop(): Promise<void> {
    for (const res of this.hung) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

const toolCall = (name: string, args: unknown, id = "call_1") => ({
  status: 200,
  body: {
    choices: [
      {
        message: {
          role: "assistant",
          content: null,
          tool_calls: [
            { id, type: "function", function: { name, arguments: JSON.stringify(args) } },
          ],
        },
      },
    ],
  },
});
const text = (content: string) => ({
  status: 200,
  body: { choices: [{ message: { role: "assistant", content } }] },
});

let server: FakeChatServer;
beforeEach(async () => {
  server = new FakeChatServer();
  await server.start();
});
afterEach(async () => {
  await server.stop();
});

const fast = { backoffMs: 1, maxBackoffMs: 5 };

describe("createOpenAiModel against a local server", () => {
  test("sends the conversation and tools, and reads tool calls", async () => {
    server.reply(toolCall("run_command", { command: "ls" }));
    const model = createOpenAiModel({
      baseUrl: server.url,
      model: "tiny",
      apiKey: "sk-test",
      ...fast,
    });
    const turn = await model.complete({
      messages: [
        { role: "system", content: "s" },
        { role: "user", content: "u" },
        {
          role: "assistant",
          content: null,
          toolCalls: [{ id: "a", name: "run_command", arguments: "{}" }],
        },
        { role: "tool", toolCallId: "a", name: "run_command", content: "outcome" },
      ],
      tools: AGENT_TOOLS,
    });
    expect(turn).toEqual({
      content: null,
      toolCalls: [{ id: "call_1", name: "run_command", arguments: '{"command":"ls"}' }],
    });
    const req = server.received[0]!;
    expect(req.url).toBe("/v1/chat/completions");
    expect(req.auth).toBe("Bearer sk-test");
    expect(req.body).toMatchObject({
      model: "tiny",
      tool_choice: "auto",
      messages: [
        { role: "system", content: "s" },
        { role: "user", content: "u" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "a", type: "function", function: { name: "run_command", arguments: "{}" } },
          ],
        },
        { role: "tool", tool_call_id: "a", name: "run_command", content: "outcome" },
      ],
    });
    expect((req.body.tools as unknown[]).length).toBe(2);
  });

  test("reads plain text, and arguments sent as an object", async () => {
    server.reply(text("```bash\nls\n```"), {
      status: 200,
      body: {
        choices: [
          {
            message: {
              content: "",
              tool_calls: [{ function: { name: "done", arguments: { summary: "x" } } }],
            },
          },
        ],
      },
    });
    const model = createOpenAiModel({ baseUrl: server.url + "/", model: "m", ...fast });
    expect(await model.complete({ messages: [], tools: [] })).toEqual({
      content: "```bash\nls\n```",
      toolCalls: [],
    });
    expect(server.received[0]!.body.tools).toBeUndefined();
    expect(server.received[0]!.auth).toBeUndefined();
    expect(await model.complete({ messages: [], tools: [] })).toEqual({
      content: "",
      toolCalls: [{ id: "call_0", name: "done", arguments: '{"summary":"x"}' }],
    });
  });

  test("retries 429 and 5xx with backoff, then succeeds", async () => {
    server.reply(
      { status: 429, body: { error: "slow down" }, headers: { "retry-after": "0" } },
      { status: 500, body: { error: "boom" } },
      { status: 503, body: { error: "loading" } },
      text("DONE"),
    );
    const waits: number[] = [];
    const model = createOpenAiModel({
      baseUrl: server.url,
      model: "m",
      backoffMs: 10,
      maxBackoffMs: 1000,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    expect(await model.complete({ messages: [], tools: [] })).toEqual({
      content: "DONE",
      toolCalls: [],
    });
    expect(server.received).toHaveLength(4);
    // Retry-After (0 s) first, then exponential backoff.
    expect(waits).toEqual([0, 20, 40]);
  });

  test("gives up after maxRetries with the last HTTP error", async () => {
    server.reply({ status: 502 }, { status: 502 }, { status: 502 });
    const model = createOpenAiModel({ baseUrl: server.url, model: "m", maxRetries: 2, ...fast });
    const error = await model.complete({ messages: [], tools: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({
      code: "E_MODEL_HTTP",
      retryable: true,
      details: { httpStatus: 502, attempt: 3 },
    });
    expect(server.received).toHaveLength(3);
  });

  test("does not retry a 400", async () => {
    server.reply({ status: 400, body: { error: "tools not supported" } }, text("never"));
    const model = createOpenAiModel({ baseUrl: server.url, model: "m", ...fast });
    await expect(model.complete({ messages: [], tools: [] })).rejects.toMatchObject({
      code: "E_MODEL_HTTP",
      retryable: false,
      details: { httpStatus: 400 },
    });
    expect(server.received).toHaveLength(1);
  });

  test("falls back to the text protocol when the server rejects tools", async () => {
    server.reply(
      { status: 400, body: { error: '"auto" tool choice requires --enable-auto-tool-choice' } },
      text("CMD: ls"),
      text("DONE"),
    );
    const model = createOpenAiModel({ baseUrl: server.url, model: "m", ...fast });
    const history = [
      { role: "user" as const, content: "task" },
      {
        role: "assistant" as const,
        content: null,
        toolCalls: [{ id: "a", name: "run_command", arguments: '{"command":"pwd"}' }],
      },
      { role: "tool" as const, toolCallId: "a", name: "run_command", content: "outcome: executed" },
    ];
    expect(await model.complete({ messages: history, tools: AGENT_TOOLS })).toEqual({
      content: "CMD: ls",
      toolCalls: [],
    });
    expect(server.received[0]!.body.tools).toBeDefined();
    expect(server.received[1]!.body.tools).toBeUndefined();
    expect(server.received[1]!.body.messages).toEqual([
      { role: "user", content: "task" },
      { role: "assistant", content: "CMD: pwd" },
      { role: "user", content: "Result of run_command:\noutcome: executed" },
    ]);
    // It stays on the text protocol: no second rejected request.
    await model.complete({ messages: [], tools: AGENT_TOOLS });
    expect(server.received).toHaveLength(3);
    expect(server.received[2]!.body.tools).toBeUndefined();
  });

  test("times out a request that hangs, retries, and then succeeds", async () => {
    server.reply({ hang: true }, text("CMD: ls"));
    const model = createOpenAiModel({
      baseUrl: server.url,
      model: "m",
      requestTimeoutMs: 200,
      ...fast,
    });
    expect(await model.complete({ messages: [], tools: [] })).toEqual({
      content: "CMD: ls",
      toolCalls: [],
    });
    expect(server.received).toHaveLength(2);
  });

  test("an unreachable server is E_MODEL_UNREACHABLE after the retries", async () => {
    const url = server.url;
    await server.stop();
    server = new FakeChatServer();
    await server.start();
    const model = createOpenAiModel({ baseUrl: url, model: "m", maxRetries: 1, ...fast });
    await expect(model.complete({ messages: [], tools: [] })).rejects.toMatchObject({
      code: "E_MODEL_UNREACHABLE",
      retryable: true,
    });
  });

  test("a body without choices is E_MODEL_RESPONSE", async () => {
    server.reply({ status: 200, body: { object: "error" } });
    const model = createOpenAiModel({ baseUrl: server.url, model: "m", ...fast });
    await expect(model.complete({ messages: [], tools: [] })).rejects.toMatchObject({
      code: "E_MODEL_RESPONSE",
    });
  });

  test("the caller's abort is final and not retried", async () => {
    server.reply({ hang: true }, text("never"));
    const model = createOpenAiModel({ baseUrl: server.url, model: "m", ...fast });
    const controller = new AbortController();
    const pending = model.complete({ messages: [], tools: [] }, controller.signal);
    setTimeout(() => controller.abort(new Error("cancelled")), 50);
    await expect(pending).rejects.toThrow("cancelled");
    expect(server.received).toHaveLength(1);
  });
});

describe("openAiModelFromConfig", () => {
  test("reads the key from the named variable", async () => {
    server.reply(text("DONE"));
    const model = openAiModelFromConfig(
      { baseUrl: server.url, model: "m", apiKeyEnv: "MY_KEY", maxSteps: 3, timeout: "1m" },
      { MY_KEY: "k1" },
    );
    await model.complete({ messages: [], tools: [] });
    expect(server.received[0]!.auth).toBe("Bearer k1");
  });

  test("a missing baseUrl is a ConfigError naming the key", () => {
    expect(() =>
      openAiModelFromConfig({ apiKeyEnv: "K", maxSteps: 3, timeout: "1m", model: "m" }, {}),
    ).toThrow(ConfigError);
    expect(() =>
      openAiModelFromConfig({ apiKeyEnv: "K", maxSteps: 3, timeout: "1m", model: "m" }, {}),
    ).toThrow(/agent\.baseUrl/);
  });
});

describe("runAgent end to end over HTTP", () => {
  test("tool calls, a 500, a text reply and done", async () => {
    server.reply(
      toolCall("run_command", { command: "ls -la" }, "c1"),
      { status: 500, body: { error: "oops" } },
      text("Now:\n```bash\ntouch notes.txt\n```"),
      toolCall("done", { summary: "notes created" }, "c2"),
    );
    const port = new InMemoryTxboxPort([{ match: /^touch/, outcome: { outcome: "committed" } }]);
    const model = createOpenAiModel({ baseUrl: server.url, model: "m", ...fast });
    const result = await runAgent({ task: "make notes", model, port, maxSteps: 5 });
    expect(result.summary).toMatchObject({
      status: "done",
      doneSummary: "notes created",
      steps: 3,
      executed: 1,
      committed: 1,
    });
    // The third request carries the tool result of the first command.
    const third = server.received[3]!.body.messages as Record<string, unknown>[];
    expect(third.at(-1)).toMatchObject({ role: "user" });
    expect(third.at(-3)).toMatchObject({ role: "tool", tool_call_id: "c1" });
    expect(String(third.at(-3)!.content)).toMatch(/^outcome: executed, exit code 0/);
  });
});

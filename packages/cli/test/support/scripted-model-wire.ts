/**
 * The scripted model (scripted-model.ts) on loopback, speaking the wire protocols the coding
 * agents use for a custom endpoint:
 * - Anthropic Messages, `POST …/v1/messages` (Claude Code with ANTHROPIC_BASE_URL), streaming SSE
 *   (message_start, content_block_*, message_delta, message_stop) or one JSON message;
 * - OpenAI Responses, `POST …/responses` (Codex's model providers), streaming SSE
 *   (response.created, response.output_item.done, response.completed);
 * - OpenAI Chat Completions, `POST …/chat/completions` (Qwen Code with OPENAI_BASE_URL, opencode's
 *   openai-compatible provider), streaming chunks ending in `[DONE]`, or one JSON completion;
 * - `GET …/models`, which some agents list at start.
 * Every request is recorded, so a test can show what an agent sent when it misbehaves.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import {
  nextTurn,
  type DeferredTool,
  type ModelTurn,
  type Observation,
  type ScriptStep,
  type ToolExchange,
} from "./scripted-model.js";

type Json = Record<string, unknown>;
export type Protocol = "anthropic" | "responses" | "chat";

/** One request the server answered. */
export interface ModelRequest {
  method: string;
  path: string;
  protocol: Protocol | "other";
  stream: boolean;
  tools: string[];
  answer: "tool" | "text" | "none";
}

export interface ScriptedModelServer {
  /** `http://127.0.0.1:<port>`: agents append their own paths (`/v1/messages`, `/v1/responses`). */
  url: string;
  requests: ModelRequest[];
  /** The outcomes the model had read when it gave its final answer (last one wins). */
  final: Observation[] | undefined;
  /** Forget requests and the final answer (between two agents). */
  reset(): void;
  close(): Promise<void>;
}

const MODEL = "txbox-scripted";
/** Joins a Responses namespace and its tool into one name the script can pick. */
const NS = "__";

const text = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v ?? ""));
const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);

/** Tool names and earlier tool results of a request, per protocol. */
function parse(protocol: Protocol, body: Json): { tools: string[]; exchanges: ToolExchange[] } {
  if (protocol === "anthropic") {
    const tools = arr(body.tools).map((t) => String(t.name));
    const exchanges = arr(body.messages)
      .flatMap((m) => arr(m.content))
      .filter((b) => b.type === "tool_result")
      .map((b) => ({ id: String(b.tool_use_id), resultText: text(b.content) }));
    return { tools, exchanges };
  }
  if (protocol === "responses") {
    // Codex offers each MCP server's tools as a namespace (`mcp__txbox` holding `run_command`).
    const tools = arr(body.tools).flatMap((t) =>
      t.type === "namespace"
        ? arr(t.tools).map((u) => `${String(t.name)}${NS}${String(u.name)}`)
        : [String(t.name ?? "")],
    );
    const exchanges = arr(body.input)
      .filter((i) => i.type === "function_call_output")
      .map((i) => ({ id: String(i.call_id), resultText: text(i.output) }));
    return { tools, exchanges };
  }
  const tools = arr(body.tools).map((t) => String((t.function as Json | undefined)?.name ?? ""));
  const exchanges = arr(body.messages)
    .filter((m) => m.role === "tool")
    .map((m) => ({ id: String(m.tool_call_id), resultText: text(m.content) }));
  return { tools, exchanges };
}

/** A run_command tool the agent names in its prompt but offers only through a loader. */
function deferredTool(tools: string[], raw: string): DeferredTool | undefined {
  const name = /mcp__[A-Za-z0-9-]+__run_command/.exec(raw)?.[0];
  const loader = tools.find((t) => t === "ToolSearch" || t === "tool_search");
  if (name === undefined || loader === undefined) return undefined;
  return tools.includes("tool_call") ? { name, loader, bridge: "tool_call" } : { name, loader };
}

function sse(res: ServerResponse, events: [string | undefined, unknown][]): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  for (const [name, data] of events)
    res.write(`${name === undefined ? "" : `event: ${name}\n`}data: ${text(data)}\n\n`);
  res.end();
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function anthropic(res: ServerResponse, turn: ModelTurn, stream: boolean): void {
  const usage = { input_tokens: 10, output_tokens: 5 };
  const block =
    turn.kind === "tool"
      ? { type: "tool_use", id: turn.id, name: turn.tool, input: turn.input }
      : { type: "text", text: turn.text };
  const stop = turn.kind === "tool" ? "tool_use" : "end_turn";
  const message = { id: "msg_txbox", type: "message", role: "assistant", model: MODEL };
  if (!stream) {
    json(res, 200, { ...message, content: [block], stop_reason: stop, stop_sequence: null, usage });
    return;
  }
  const start = turn.kind === "tool" ? { ...block, input: {} } : { type: "text", text: "" };
  const delta =
    turn.kind === "tool"
      ? { type: "input_json_delta", partial_json: JSON.stringify(turn.input) }
      : { type: "text_delta", text: turn.text };
  sse(res, [
    [
      "message_start",
      {
        type: "message_start",
        message: { ...message, content: [], stop_reason: null, stop_sequence: null, usage },
      },
    ],
    ["content_block_start", { type: "content_block_start", index: 0, content_block: start }],
    ["content_block_delta", { type: "content_block_delta", index: 0, delta }],
    ["content_block_stop", { type: "content_block_stop", index: 0 }],
    [
      "message_delta",
      {
        type: "message_delta",
        delta: { stop_reason: stop, stop_sequence: null },
        usage: { output_tokens: 5 },
      },
    ],
    ["message_stop", { type: "message_stop" }],
  ]);
}

/** A Responses function call names a namespaced tool by its own name plus the namespace. */
function namespaced(tool: string): { name: string; namespace?: string } {
  const cut = tool.lastIndexOf(NS);
  return cut < 0
    ? { name: tool }
    : { name: tool.slice(cut + NS.length), namespace: tool.slice(0, cut) };
}

function responses(res: ServerResponse, turn: ModelTurn): void {
  const item =
    turn.kind === "tool"
      ? {
          type: "function_call",
          id: `fc_${turn.id}`,
          call_id: turn.id,
          ...namespaced(turn.tool),
          arguments: JSON.stringify(turn.input),
          status: "completed",
        }
      : {
          type: "message",
          id: "msg_txbox",
          role: "assistant",
          status: "completed",
          content: [{ type: "output_text", text: turn.text, annotations: [] }],
        };
  const usage = {
    input_tokens: 10,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 5,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 15,
  };
  const response = {
    id: "resp_txbox",
    object: "response",
    model: MODEL,
    status: "in_progress",
    output: [],
  };
  sse(res, [
    ["response.created", { type: "response.created", response }],
    ["response.output_item.added", { type: "response.output_item.added", output_index: 0, item }],
    ["response.output_item.done", { type: "response.output_item.done", output_index: 0, item }],
    [
      "response.completed",
      {
        type: "response.completed",
        response: { ...response, status: "completed", output: [item], usage },
      },
    ],
  ]);
}

function chat(res: ServerResponse, turn: ModelTurn, stream: boolean): void {
  const base = { id: "chatcmpl-txbox", created: Math.floor(Date.now() / 1000), model: MODEL };
  const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
  const call =
    turn.kind === "tool"
      ? {
          id: turn.id,
          type: "function",
          function: { name: turn.tool, arguments: JSON.stringify(turn.input) },
        }
      : undefined;
  const finish = turn.kind === "tool" ? "tool_calls" : "stop";
  if (!stream) {
    const message =
      call === undefined
        ? { role: "assistant", content: turn.kind === "text" ? turn.text : "" }
        : { role: "assistant", content: null, tool_calls: [call] };
    json(res, 200, {
      ...base,
      object: "chat.completion",
      choices: [{ index: 0, message, finish_reason: finish }],
      usage,
    });
    return;
  }
  const delta =
    call === undefined
      ? { role: "assistant", content: turn.kind === "text" ? turn.text : "" }
      : { role: "assistant", content: null, tool_calls: [{ index: 0, ...call }] };
  const chunk = (choices: unknown[], extra: Json = {}) =>
    [undefined, { ...base, object: "chat.completion.chunk", choices, ...extra }] as [
      undefined,
      unknown,
    ];
  sse(res, [
    chunk([{ index: 0, delta, finish_reason: null }]),
    chunk([{ index: 0, delta: {}, finish_reason: finish }]),
    chunk([], { usage }),
    [undefined, "[DONE]"],
  ]);
}

function protocolOf(path: string): Protocol | undefined {
  if (/\/messages$/.test(path)) return "anthropic";
  if (/\/responses$/.test(path)) return "responses";
  if (/\/chat\/completions$/.test(path)) return "chat";
  return undefined;
}

async function readBody(req: IncomingMessage): Promise<string> {
  let data = "";
  for await (const c of req) data += String(c);
  return data;
}

/** Start the scripted model on 127.0.0.1 at a free port. */
export async function startScriptedModel(
  steps: readonly ScriptStep[],
  options: { dumpDir?: string } = {},
): Promise<ScriptedModelServer> {
  const state: Pick<ScriptedModelServer, "requests" | "final"> = { requests: [], final: undefined };
  const server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? "/").split("?")[0]!;
      const raw = await readBody(req);
      const protocol = req.method === "POST" ? protocolOf(path) : undefined;
      const record: ModelRequest = {
        method: req.method ?? "",
        path,
        protocol: protocol ?? "other",
        stream: false,
        tools: [],
        answer: "none",
      };
      state.requests.push(record);
      if (options.dumpDir !== undefined)
        writeFileSync(join(options.dumpDir, `${state.requests.length}.json`), raw || path);
      if (protocol === undefined) {
        if (/\/models$/.test(path))
          return json(res, 200, {
            object: "list",
            data: [{ id: MODEL, object: "model", created: 0, owned_by: "txbox" }],
          });
        return json(res, 404, { error: { message: `scripted model: no ${req.method} ${path}` } });
      }
      let body: Json;
      try {
        body = JSON.parse(raw) as Json;
      } catch {
        return json(res, 400, { error: { message: "scripted model: body is not JSON" } });
      }
      const { tools, exchanges } = parse(protocol, body);
      const prefix = protocol === "anthropic" ? "toolu_" : "call_";
      const { turn, seen } = nextTurn(steps, tools, exchanges, prefix, deferredTool(tools, raw));
      Object.assign(record, { stream: body.stream === true, tools, answer: turn.kind });
      if (turn.kind === "text" && tools.length > 0) state.final = seen;
      if (protocol === "anthropic") return anthropic(res, turn, body.stream === true);
      if (protocol === "responses") return responses(res, turn);
      return chat(res, turn, body.stream === true);
    })().catch((error: unknown) => json(res, 500, { error: { message: String(error) } }));
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    get final() {
      return state.final;
    },
    reset() {
      state.requests = [];
      state.final = undefined;
    },
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

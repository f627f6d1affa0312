/**
 * A client for the OpenAI-compatible chat-completions API (served by vLLM, Ollama, llama.cpp,
 * nano-vllm, …). Each request has its own timeout; 429, 5xx and network errors are retried a
 * bounded number of times with exponential backoff (honouring `Retry-After`); every other status
 * fails at once, because resending a bad request cannot help.
 */
import { ConfigError, durationMs, errorMessage, sleep, type AgentConfig } from "@txbox/core";
import { ModelError } from "./errors.js";
import type { AgentModel, AssistantTurn, ChatMessage, ModelRequest, ToolCall } from "./model.js";

/** Options of {@link createOpenAiModel}. */
export interface OpenAiModelOptions {
  /** Base URL including the API prefix, e.g. `http://127.0.0.1:8000/v1`. */
  baseUrl: string;
  model: string;
  /** Sent as `Authorization: Bearer …` when set; local servers usually need none. */
  apiKey?: string;
  /** Budget of one HTTP request in ms. Default 120 000 (small models on CPUs are slow). */
  requestTimeoutMs?: number;
  /** Retries after the first attempt, for 429/5xx/network errors. Default 4. */
  maxRetries?: number;
  /** First backoff in ms, doubled each retry, capped by `maxBackoffMs`. Default 500. */
  backoffMs?: number;
  maxBackoffMs?: number;
  temperature?: number;
  maxTokens?: number;
  /**
   * When the server rejects function calling (HTTP 400 mentioning tools, as vLLM does without a
   * tool parser), resend without tools and keep to the text protocol from then on. Default true.
   */
  toolsFallback?: boolean;
  /** Injected for tests; default the global `fetch`. */
  fetch?: typeof fetch;
  /** Injected for tests; default a timer that honours the abort signal. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** The wire form of our messages. */
export function toWireMessages(
  messages: ChatMessage[],
  options: { tools: boolean } = { tools: true },
): Record<string, unknown>[] {
  return messages.map((m) => {
    // Without function calling, calls and their results are rendered as the text protocol.
    if (!options.tools && m.role === "assistant" && m.toolCalls && m.toolCalls.length > 0) {
      const lines = m.toolCalls.map((c) => {
        const args = (() => {
          try {
            return JSON.parse(c.arguments) as { command?: unknown; summary?: unknown };
          } catch {
            return {};
          }
        })();
        if (c.name === "run_command") return `CMD: ${String(args.command ?? "")}`;
        return c.name === "done" ? `DONE: ${String(args.summary ?? "")}` : `(${c.name})`;
      });
      return {
        role: "assistant",
        content: [m.content ?? "", ...lines].filter((l) => l).join("\n"),
      };
    }
    if (!options.tools && m.role === "tool") {
      return { role: "user", content: `Result of ${m.name}:\n${m.content}` };
    }
    switch (m.role) {
      case "system":
      case "user":
        return { role: m.role, content: m.content };
      case "assistant":
        return {
          role: "assistant",
          content: m.content,
          ...(m.toolCalls && m.toolCalls.length > 0
            ? {
                tool_calls: m.toolCalls.map((c) => ({
                  id: c.id,
                  type: "function",
                  function: { name: c.name, arguments: c.arguments },
                })),
              }
            : {}),
        };
      case "tool":
        return { role: "tool", tool_call_id: m.toolCallId, name: m.name, content: m.content };
    }
  });
}

/** Read the first choice of a chat-completions body; anything unusable is a `E_MODEL_RESPONSE`. */
export function parseCompletion(body: unknown): AssistantTurn {
  const choice = (body as { choices?: unknown[] } | null)?.choices?.[0] as
    { message?: { content?: unknown; tool_calls?: unknown } } | undefined;
  const message = choice?.message;
  if (message === undefined || message === null || typeof message !== "object") {
    throw new ModelError(
      "E_MODEL_RESPONSE",
      "the model server answered without choices[0].message",
      {
        details: { body: JSON.stringify(body).slice(0, 500) },
      },
    );
  }
  const content = typeof message.content === "string" ? message.content : null;
  const toolCalls: ToolCall[] = [];
  const raw = Array.isArray(message.tool_calls) ? message.tool_calls : [];
  raw.forEach((call: unknown, index: number) => {
    const c = call as { id?: unknown; function?: { name?: unknown; arguments?: unknown } };
    const name = c.function?.name;
    if (typeof name !== "string") return;
    const args = c.function?.arguments;
    toolCalls.push({
      id: typeof c.id === "string" && c.id !== "" ? c.id : `call_${index}`,
      name,
      // Ollama sends arguments as an object, OpenAI as JSON text.
      arguments: typeof args === "string" ? args : JSON.stringify(args ?? {}),
    });
  });
  return { content, toolCalls };
}

function retryAfterMs(response: Response): number | undefined {
  const value = response.headers.get("retry-after");
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Create a model client for an OpenAI-compatible server. */
export function createOpenAiModel(options: OpenAiModelOptions): AgentModel {
  let base: URL;
  try {
    base = new URL(options.baseUrl.replace(/\/+$/, "") + "/");
  } catch (cause) {
    throw new ConfigError(`agent.baseUrl: not a URL (got ${JSON.stringify(options.baseUrl)})`, {
      details: { key: "agent.baseUrl", value: options.baseUrl },
      cause,
    });
  }
  const client = new ChatClient(options, new URL("chat/completions", base).toString());
  return { name: options.model, complete: (request, signal) => client.complete(request, signal) };
}

/** One attempt's end: a turn, or the error to retry (or not) after. */
type Attempt = { turn: AssistantTurn } | { error: ModelError };

/** Chat completions with retries, back-off, `Retry-After`, and a fallback for servers without tools. */
class ChatClient {
  private readonly fetch: typeof fetch;
  private readonly sleep: NonNullable<OpenAiModelOptions["sleep"]>;
  private readonly requestTimeoutMs: number;
  private readonly maxRetries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly toolsFallback: boolean;
  private toolsRejected = false;

  constructor(
    private readonly options: OpenAiModelOptions,
    private readonly url: string,
  ) {
    this.fetch = options.fetch ?? fetch;
    this.sleep = options.sleep ?? sleep;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 120_000;
    this.maxRetries = options.maxRetries ?? 4;
    this.backoffMs = options.backoffMs ?? 500;
    this.maxBackoffMs = options.maxBackoffMs ?? 10_000;
    this.toolsFallback = options.toolsFallback ?? true;
  }

  async complete(request: ModelRequest, signal?: AbortSignal): Promise<AssistantTurn> {
    const tools = request.tools.length > 0;
    try {
      return await this.send(request, !this.toolsRejected && tools, signal);
    } catch (error) {
      const status = error instanceof ModelError ? error.details.httpStatus : undefined;
      const text = error instanceof ModelError ? error.message : "";
      // A server that refuses function calling: ask again without tools, and from now on.
      if (
        this.toolsFallback &&
        !this.toolsRejected &&
        tools &&
        status === 400 &&
        /tool/i.test(text)
      ) {
        this.toolsRejected = true;
        return this.send(request, false, signal);
      }
      throw error;
    }
  }

  private body(request: ModelRequest, withTools: boolean): string {
    const { options } = this;
    return JSON.stringify({
      model: options.model,
      messages: toWireMessages(request.messages, { tools: withTools }),
      ...(withTools
        ? {
            tools: request.tools.map((t) => ({ type: "function", function: t })),
            tool_choice: "auto",
          }
        : {}),
      ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
      ...(options.maxTokens === undefined ? {} : { max_tokens: options.maxTokens }),
    });
  }

  private async send(
    request: ModelRequest,
    withTools: boolean,
    signal?: AbortSignal,
  ): Promise<AssistantTurn> {
    const body = this.body(request, withTools);
    let lastError: ModelError | undefined;
    for (let attempt = 0; attempt <= this.maxRetries; attempt++) {
      if (attempt > 0) {
        const wait = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (attempt - 1));
        const hinted = lastError?.details.retryAfterMs;
        const ms = typeof hinted === "number" ? Math.min(this.maxBackoffMs, hinted) : wait;
        await this.sleep(ms, signal);
      }
      const end = await this.attempt(body, attempt, signal);
      if ("turn" in end) return end.turn;
      lastError = end.error;
      if (!lastError.retryable) throw lastError;
    }
    throw lastError ?? new ModelError("E_MODEL_UNREACHABLE", `model server ${this.url} failed`);
  }

  private async attempt(body: string, attempt: number, signal?: AbortSignal): Promise<Attempt> {
    const { url, requestTimeoutMs } = this;
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    const perRequest = AbortSignal.timeout(requestTimeoutMs);
    let response: Response;
    try {
      response = await this.fetch(url, {
        method: "POST",
        headers,
        body,
        signal: signal ? AbortSignal.any([signal, perRequest]) : perRequest,
      });
    } catch (cause) {
      // The caller's cancellation is final; our own timeout and network errors are retried.
      if (signal?.aborted) throw signal.reason ?? cause;
      return {
        error: new ModelError(
          "E_MODEL_UNREACHABLE",
          perRequest.aborted
            ? `model server ${url} did not answer within ${requestTimeoutMs} ms`
            : `model server ${url} unreachable: ${errorMessage((cause as Error).cause ?? cause)}`,
          { retryable: true, cause, details: { url, attempt: attempt + 1 } },
        ),
      };
    }
    const text = await response.text();
    if (!response.ok) return { error: httpError(url, response, text, attempt) };
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      throw new ModelError("E_MODEL_RESPONSE", `model server ${url} answered non-JSON`, {
        details: { url, body: text.slice(0, 500) },
        cause,
      });
    }
    return { turn: parseCompletion(parsed) };
  }
}

/** An HTTP error answer: retryable for 429 and 5xx, with the server's `Retry-After` and a hint. */
function httpError(url: string, response: Response, text: string, attempt: number): ModelError {
  const retryable = response.status === 429 || response.status >= 500;
  const hint = retryAfterMs(response);
  return new ModelError(
    "E_MODEL_HTTP",
    `model server ${url} answered HTTP ${response.status}: ${text.slice(0, 300)}`,
    {
      retryable,
      details: {
        url,
        httpStatus: response.status,
        attempt: attempt + 1,
        ...(hint === undefined ? {} : { retryAfterMs: hint }),
      },
      hint:
        response.status === 401 || response.status === 403
          ? "set the API key in the variable named by agent.apiKeyEnv"
          : response.status === 404
            ? "agent.baseUrl usually ends with /v1; check agent.model names a served model"
            : undefined,
    },
  );
}

/**
 * Build the client from the `agent` section of `txbox.yaml`; the API key is read from the
 * environment variable it names. `agent.timeout` is the budget of the whole run, not of a request.
 */
export function openAiModelFromConfig(
  config: AgentConfig,
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<OpenAiModelOptions> = {},
): AgentModel {
  const baseUrl = overrides.baseUrl ?? config.baseUrl;
  const model = overrides.model ?? config.model;
  if (baseUrl === undefined) {
    throw new ConfigError("agent.baseUrl is not set", {
      details: { key: "agent.baseUrl" },
      hint: "set agent.baseUrl in txbox.yaml, e.g. http://127.0.0.1:8000/v1",
    });
  }
  if (model === undefined) {
    throw new ConfigError("agent.model is not set", {
      details: { key: "agent.model" },
      hint: "set agent.model in txbox.yaml to a model the server serves",
    });
  }
  const apiKey = env[config.apiKeyEnv];
  return createOpenAiModel({
    ...overrides,
    baseUrl,
    model,
    ...(apiKey ? { apiKey } : {}),
  });
}

/** The run's wall-clock budget from the `agent` section, in ms. */
export function agentTimeoutMs(config: AgentConfig): number {
  return durationMs(config.timeout);
}

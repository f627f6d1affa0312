/**
 * The model seen by the agent loop: a function from the conversation so far to the next assistant
 * turn. The OpenAI-compatible HTTP client, the scripted model and the trajectory replay all
 * implement {@link AgentModel}, so the loop has one code path for all of them.
 */

/** A function call requested by the model (OpenAI `tool_calls[]`). `arguments` is JSON text. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** One message of an OpenAI-style chat conversation. */
export type ChatMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string }
  | { role: "assistant"; content: string | null; toolCalls?: ToolCall[] }
  | { role: "tool"; toolCallId: string; name: string; content: string };

/** A function offered to the model (OpenAI `tools[].function`). */
export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
}

/** What the model answered: free text, function calls, or both. */
export interface AssistantTurn {
  content: string | null;
  toolCalls: ToolCall[];
}

/** The input of one model call. */
export interface ModelRequest {
  messages: ChatMessage[];
  tools: ToolSpec[];
}

/** Anything that can produce the next assistant turn of a conversation. */
export interface AgentModel {
  /** A short name for logs and transcripts (model id, `scripted:<file>`, …). */
  readonly name: string;
  complete(request: ModelRequest, signal?: AbortSignal): Promise<AssistantTurn>;
}

/**
 * Reading what the model wants from an assistant turn. Pure functions: function calls are
 * validated, and plain-text replies (for models or servers without function calling) are scanned
 * for a fenced shell block, `CMD:` lines, and `DONE` / `TASK COMPLETE`.
 */
import type { AssistantTurn } from "./model.js";

/** One thing the model asked for, in the order it asked. */
export type AgentAction =
  | { kind: "run"; command: string; cwd?: string; verify?: string[]; toolCallId?: string }
  | { kind: "done"; summary: string; toolCallId?: string }
  | { kind: "invalid"; message: string; toolCallId?: string; toolName?: string };

const SHELL_LANGS = new Set(["", "bash", "sh", "shell", "zsh", "console"]);
const FENCE = /^```[ \t]*([A-Za-z0-9_-]*)[^\n]*\n([\s\S]*?)^```[ \t]*$/gm;
const CMD_LINE = /^[ \t>*-]*`?CMD:[ \t]*(.+?)`?[ \t]*$/gim;
const DONE_LINE = /^[ \t>*#]*\**(DONE|TASK COMPLETE(?:D)?)\**(?:[ \t]*[:.!-][ \t]*(.*))?[ \t]*$/im;

/** Strip a leading `$ ` prompt from each line, as models often paste console sessions. */
function stripPrompts(block: string): string {
  return block
    .split("\n")
    .map((line) => line.replace(/^\s*\$ /, ""))
    .join("\n")
    .trim();
}

/**
 * Parse a plain-text reply. A fenced shell block is one command (a multi-line block runs as one
 * script); `CMD:` lines are one command each. `DONE` counts only when the reply has no command,
 * so that a model cannot finish before it has seen the outcome of its last command.
 */
export function parseTextReply(text: string): AgentAction[] {
  const found: { at: number; command: string }[] = [];
  const outside: string[] = [];
  let last = 0;
  for (const m of text.matchAll(FENCE)) {
    outside.push(text.slice(last, m.index));
    last = m.index + m[0].length;
    const lang = (m[1] ?? "").toLowerCase();
    const body = stripPrompts(m[2] ?? "");
    if (SHELL_LANGS.has(lang) && body !== "") found.push({ at: m.index, command: body });
  }
  outside.push(text.slice(last));
  const prose = outside.join("\n");
  for (const m of text.matchAll(CMD_LINE)) {
    const command = (m[1] ?? "").trim();
    // A CMD: line inside a fenced block is part of that block, not a command of its own.
    if (command !== "" && prose.includes(m[0])) found.push({ at: m.index, command });
  }
  found.sort((a, b) => a.at - b.at);
  if (found.length > 0) return found.map((f) => ({ kind: "run", command: f.command }));
  const done = DONE_LINE.exec(prose);
  if (done) return [{ kind: "done", summary: (done[2] ?? "").trim() }];
  return [];
}

function parseArgs(raw: string): Record<string, unknown> | string {
  if (raw.trim() === "") return {};
  try {
    const value: unknown = JSON.parse(raw);
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      return "arguments must be a JSON object";
    }
    return value as Record<string, unknown>;
  } catch {
    return `arguments are not valid JSON: ${raw.slice(0, 200)}`;
  }
}

/** Validate one function call into an action; a malformed call becomes an `invalid` action. */
export function actionFromToolCall(call: {
  id: string;
  name: string;
  arguments: string;
}): AgentAction {
  const args = parseArgs(call.arguments);
  const base = { toolCallId: call.id };
  if (typeof args === "string") {
    return { kind: "invalid", message: args, ...base, toolName: call.name };
  }
  if (call.name === "done") {
    return { kind: "done", summary: typeof args.summary === "string" ? args.summary : "", ...base };
  }
  if (call.name !== "run_command") {
    return {
      kind: "invalid",
      message: `unknown tool "${call.name}"; the tools are run_command and done`,
      ...base,
      toolName: call.name,
    };
  }
  const { command, cwd, verify } = args;
  if (typeof command !== "string" || command.trim() === "") {
    return {
      kind: "invalid",
      message: 'run_command needs a non-empty string "command"',
      ...base,
      toolName: call.name,
    };
  }
  const action: AgentAction = { kind: "run", command, ...base };
  if (typeof cwd === "string" && cwd !== "") action.cwd = cwd;
  if (Array.isArray(verify) && verify.every((v) => typeof v === "string")) {
    action.verify = verify as string[];
  }
  return action;
}

/** Every action of a turn: function calls when there are any, otherwise the parsed text. */
export function actionsOf(turn: AssistantTurn): AgentAction[] {
  if (turn.toolCalls.length > 0) return turn.toolCalls.map(actionFromToolCall);
  return parseTextReply(turn.content ?? "");
}

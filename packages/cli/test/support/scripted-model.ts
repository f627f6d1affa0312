/**
 * A scripted model: the test double of the LLM behind a real coding agent (Claude Code, Codex,
 * Qwen Code, opencode) — not of txbox. It plays a fixed list of shell commands through the
 * agent's txbox MCP tool, one per turn, and then answers in text. Which step comes next is read
 * from the conversation the agent sends back (the tool results of the earlier steps), never from
 * a counter of requests: agents make side requests (titles, summaries) and retry on their own.
 * The outcome of each step is whatever txbox reported in that tool result; the final answer and
 * `observed` say what the model saw. This file is the pure part; the wire protocols are in
 * `scripted-model-wire.ts`.
 */

/** One command the model asks the agent to run through txbox's `run_command`. */
export interface ScriptStep {
  /** A short name for the step (read, commit, deny, rollback). */
  name: string;
  command: string;
}

/** The outcome txbox reported for a step, as the model read it from the tool result. */
export type SeenOutcome =
  "executed" | "committed" | "rolled-back" | "denied" | "timed-out" | "failed" | "unrecognised";

/** A tool call the model made earlier in the conversation and the result the agent sent back. */
export interface ToolExchange {
  /** The id the model gave the call (carries the step index, see {@link callId}). */
  id: string;
  /** Every text the agent put in the tool result. */
  resultText: string;
}

/** What the model says next: a call of the run_command tool, or the final text. */
export type ModelTurn =
  | { kind: "tool"; id: string; tool: string; input: Record<string, unknown>; step: number }
  | { kind: "text"; text: string };

/** The tool name suffix the model looks for among the agent's tools (agents prefix MCP tools). */
export const TOOL_SUFFIX = "run_command";

/** The id of the tool call for step `i`; `prefix` matches what the wire protocol expects. */
export function callId(prefix: string, i: number): string {
  return `${prefix}txbox_step_${i}`;
}

/** The step index carried by a call id, or undefined for an id this model did not make. */
export function stepOf(id: string): number | undefined {
  const m = /txbox_step_(\d+)$/.exec(id);
  return m === null ? undefined : Number(m[1]);
}

/** The outcome txbox wrote in a tool result (its text, or its structured JSON). */
export function readOutcome(text: string): SeenOutcome {
  const m = /\boutcome\W{0,8}(executed|committed|rolled[ -]back|denied|timed[ -]out|failed)/i.exec(
    text,
  );
  if (m === null) return "unrecognised";
  return m[1]!.toLowerCase().replace(" ", "-") as SeenOutcome;
}

/** The run_command tool the agent offers (its own name for it), or undefined. */
export function pickTool(toolNames: readonly string[]): string | undefined {
  return toolNames.find((n) => n === TOOL_SUFFIX || n.endsWith(`_${TOOL_SUFFIX}`));
}

/** One step's record: what was asked and what came back. */
export interface Observation {
  step: number;
  name: string;
  command: string;
  outcome: SeenOutcome;
}

/**
 * A tool the agent offers only by name until the model loads it: Claude Code defers MCP tools
 * behind `ToolSearch` (once selected, the tool is offered as usual); Qwen Code behind
 * `tool_search`, after which the tool is called through its `tool_call` bridge. The model first
 * asks for it, as a real model does.
 */
export interface DeferredTool {
  /** The deferred tool's full name, e.g. `mcp__txbox__run_command`. */
  name: string;
  /** The loader tool to call with `{ query: "select:<name>" }`. */
  loader: string;
  /** The tool that calls a deferred tool by name (`{ name, arguments }`), if the agent has one. */
  bridge?: string;
}

/**
 * The next turn of the script for a conversation: the first step without a tool result is
 * called; once every step has one, a text answer listing the outcomes. A conversation that does
 * not offer the tool (a side request such as a title) gets a short text.
 */
export function nextTurn(
  steps: readonly ScriptStep[],
  toolNames: readonly string[],
  exchanges: readonly ToolExchange[],
  idPrefix: string,
  deferred?: DeferredTool,
): { turn: ModelTurn; seen: Observation[] } {
  const seen: Observation[] = [];
  for (const x of exchanges) {
    const i = stepOf(x.id);
    const step = i === undefined ? undefined : steps[i];
    if (i === undefined || step === undefined || seen.some((s) => s.step === i)) continue;
    seen.push({
      step: i,
      name: step.name,
      command: step.command,
      outcome: readOutcome(x.resultText),
    });
  }
  const next = steps.findIndex((_, i) => !seen.some((s) => s.step === i));
  if (next < 0) {
    const summary = seen.map((s) => `${s.name}: ${s.outcome}`).join("; ");
    return { turn: { kind: "text", text: `Done. txbox reported ${summary}.` }, seen };
  }
  const input = { command: steps[next]!.command };
  const call = (tool: string, args: Record<string, unknown>): ModelTurn => ({
    kind: "tool",
    id: callId(idPrefix, next),
    tool,
    input: args,
    step: next,
  });
  const tool = pickTool(toolNames);
  if (tool !== undefined) return { turn: call(tool, input), seen };
  if (deferred === undefined) return { turn: { kind: "text", text: "txbox scripted task" }, seen };
  const loaded = exchanges.some((x) => x.id.includes("txbox_load"));
  if (!loaded) {
    const id = `${idPrefix}txbox_load`;
    const query = { query: `select:${deferred.name}` };
    return { turn: { kind: "tool", id, tool: deferred.loader, input: query, step: -1 }, seen };
  }
  if (deferred.bridge !== undefined)
    return { turn: call(deferred.bridge, { name: deferred.name, arguments: input }), seen };
  return { turn: { kind: "text", text: `The agent never offered ${deferred.name}.` }, seen };
}

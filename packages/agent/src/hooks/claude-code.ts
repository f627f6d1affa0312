import { z } from "zod";
import type { Decision } from "../outcome.js";

/**
 * Claude Code's PreToolUse hook, answered by the txbox gate. Formats as the Claude Code hooks
 * reference documents them (code.claude.com/docs/en/hooks, "PreToolUse"): the hook reads one JSON
 * object on stdin (`session_id`, `transcript_path`, `cwd`, `permission_mode`, `hook_event_name`,
 * `tool_name`, `tool_input`, `tool_use_id`) and answers, with exit 0, a JSON object whose
 * `hookSpecificOutput` carries `hookEventName: "PreToolUse"`, `permissionDecision`
 * (`allow` | `deny` | `ask`) and `permissionDecisionReason` (shown to Claude on deny). Exit 2
 * blocks the call with stderr as the reason; no output leaves the decision to Claude Code's own
 * permission rules. Pure: input and the gate's verdict in, the answer out.
 */

/** The fields txbox reads; Claude Code sends more, and newer versions may add some. */
export const claudeCodeHookInput = z
  .object({
    hook_event_name: z.string(),
    tool_name: z.string(),
    tool_input: z.record(z.string(), z.unknown()),
    cwd: z.string().optional(),
  })
  .loose();
export type ClaudeCodeHookInput = z.infer<typeof claudeCodeHookInput>;

/** The gate's verdict on one command, as the hook needs it. */
export interface GateVerdict {
  decision: Decision;
  ruleIds: string[];
  reasons: string[];
  alternative?: string;
}

/**
 * What to do with a command the gate would run inside a transaction: `redirect` refuses it and
 * points Claude at txbox's `run_command` MCP tool (which snapshots the guest); `allow` lets it
 * through, for set-ups where Claude Code itself runs inside a guest txbox snapshots otherwise.
 */
export type TransactMode = "redirect" | "allow";

/** The MCP tool name Claude Code gives txbox's `run_command` when the server is named `txbox`. */
export const RUN_COMMAND_TOOL = "mcp__txbox__run_command";

export interface HookAnswer {
  /** Text for stdout: the JSON answer, or empty for "no opinion". */
  stdout: string;
  exitCode: 0;
  /** What txbox decided, for logs and tests (never printed to Claude Code). */
  verdict: "allow" | "deny" | "redirect" | "none";
}

const answer = (
  decision: "allow" | "deny",
  reason: string,
  verdict: HookAnswer["verdict"],
): HookAnswer => ({
  stdout: `${JSON.stringify({
    hookSpecificOutput: {
      hookEventName: "PreToolUse",
      permissionDecision: decision,
      permissionDecisionReason: reason,
    },
  })}\n`,
  exitCode: 0,
  verdict,
});

/** Answer one PreToolUse call. Only the Bash tool runs shell commands; others get no opinion. */
export function answerClaudeCodeHook(
  input: ClaudeCodeHookInput,
  gate: (command: string) => GateVerdict,
  mode: TransactMode = "redirect",
): HookAnswer {
  const none: HookAnswer = { stdout: "", exitCode: 0, verdict: "none" };
  if (input.hook_event_name !== "PreToolUse" || input.tool_name !== "Bash") return none;
  const command = input.tool_input.command;
  if (typeof command !== "string" || command.trim() === "")
    return answer("deny", "txbox: the Bash call has no command to check", "deny");
  const v = gate(command);
  const rules = v.ruleIds.length > 0 ? ` (rules: ${v.ruleIds.join(", ")})` : "";
  const why = v.reasons.join("; ");
  if (v.decision === "deny") {
    const instead = v.alternative ? ` Instead: ${v.alternative}` : "";
    return answer("deny", `txbox policy denied this command: ${why}${rules}.${instead}`, "deny");
  }
  if (v.decision === "transact" && mode === "redirect")
    return answer(
      "deny",
      `txbox: this command changes state (${why}), so it runs only inside a guest transaction. ` +
        `Call the ${RUN_COMMAND_TOOL} tool with the same command: txbox snapshots the guest, ` +
        "runs it, and rolls it back if it fails.",
      "redirect",
    );
  const kind = v.decision === "allow" ? "reads only" : "allowed through (gate-only mode)";
  return answer("allow", `txbox: ${kind}${rules}`, "allow");
}

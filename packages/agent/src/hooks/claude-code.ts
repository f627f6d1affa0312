/**
 * Claude Code's PreToolUse hook, answered by the txbox gate (code.claude.com/docs/en/hooks,
 * "PreToolUse"): the hook reads one JSON object on stdin (`session_id`, `transcript_path`, `cwd`,
 * `permission_mode`, `hook_event_name`, `tool_name`, `tool_input`, `tool_use_id`) and answers,
 * with exit 0, a JSON object whose `hookSpecificOutput` carries `hookEventName: "PreToolUse"`,
 * `permissionDecision` (`allow` | `deny` | `ask`) and `permissionDecisionReason` (shown to Claude
 * on deny). The shared format lives in pre-tool-use.ts; this file keeps Claude Code's names.
 */
import {
  answerPreToolUse,
  CLAUDE_CODE_DIALECT,
  MCP_RUN_COMMAND,
  preToolUseInput,
  type HookAnswer,
  type PreToolUseInput,
} from "./pre-tool-use.js";
import type { GateVerdict, TransactMode } from "./shell-call.js";

export const claudeCodeHookInput = preToolUseInput;
export type ClaudeCodeHookInput = PreToolUseInput;

/** The MCP tool name Claude Code gives txbox's `run_command` when the server is named `txbox`. */
export const RUN_COMMAND_TOOL = MCP_RUN_COMMAND;

/** Answer one PreToolUse call. Only the Bash tool runs shell commands; others get no opinion. */
export function answerClaudeCodeHook(
  input: ClaudeCodeHookInput,
  gate: (command: string) => GateVerdict,
  mode: TransactMode = "redirect",
): HookAnswer {
  return answerPreToolUse(CLAUDE_CODE_DIALECT, input, gate, mode);
}

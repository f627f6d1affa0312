/**
 * The `PreToolUse` hook as three agents speak it — Claude Code's format, which Qwen Code and Codex
 * adopted. Each agent runs a configured command before a tool call with one JSON object on stdin
 * and reads, on exit 0, a JSON object whose `hookSpecificOutput` carries `hookEventName:
 * "PreToolUse"`, `permissionDecision` and `permissionDecisionReason`; exit 2 blocks the call with
 * stderr as the reason; empty output leaves the decision to the agent.
 *
 * Sources, checked against the pinned versions' bundled code:
 * - Claude Code (2.1.332): code.claude.com/docs/en/hooks, "PreToolUse"; the shell tool is `Bash`.
 * - Qwen Code (0.24.4): docs/users/features/hooks.md in QwenLM/qwen-code; its bundle's
 *   `PreToolUseHookOutput` reads `hookSpecificOutput.permissionDecision` (allow | deny | ask) and
 *   `permissionDecisionReason`, exit 2 is a blocking error; the shell tool is `run_shell_command`.
 * - Codex (0.171.0): developers.openai.com/codex/hooks and codex-rs/hooks/src/engine/
 *   output_parser.rs in openai/codex: `permissionDecision: "deny"` needs a non-empty reason,
 *   `"allow"` without `updatedInput` is rejected as unsupported (so txbox allows by printing
 *   nothing), exit 2 with a reason on stderr blocks; the shell tool reaches hooks as `Bash`.
 */
import { z } from "zod";
import { commandOf, decideShellCall, type GateVerdict, type TransactMode } from "./shell-call.js";

/** The fields txbox reads; the agents send more, and newer versions may add some. */
export const preToolUseInput = z
  .object({
    hook_event_name: z.string(),
    tool_name: z.string(),
    tool_input: z.record(z.string(), z.unknown()),
    cwd: z.string().optional(),
  })
  .loose();
export type PreToolUseInput = z.infer<typeof preToolUseInput>;

/** How one agent spells the PreToolUse exchange. */
export interface PreToolUseDialect {
  /** Tool names that run shell commands (their `tool_input.command` is gated). */
  shellTools: readonly string[];
  /** The name under which the agent offers txbox's `run_command` to its model. */
  runCommandTool: string;
  /** `json`: allow is a `permissionDecision: "allow"` answer; `silent`: allow is no output. */
  allowAs: "json" | "silent";
}

/**
 * MCP tools reach Claude Code, Qwen Code and Codex as `mcp__<server>__<tool>`; txbox's server is
 * registered as `txbox`.
 */
export const MCP_RUN_COMMAND = "mcp__txbox__run_command";

export const CLAUDE_CODE_DIALECT: PreToolUseDialect = {
  shellTools: ["Bash"],
  runCommandTool: MCP_RUN_COMMAND,
  allowAs: "json",
};

export const QWEN_CODE_DIALECT: PreToolUseDialect = {
  // `run_shell_command` is the canonical name the hook sees; the aliases are what older
  // settings and Gemini CLI call it.
  shellTools: ["run_shell_command", "Shell", "ShellTool"],
  runCommandTool: MCP_RUN_COMMAND,
  allowAs: "json",
};

export const CODEX_DIALECT: PreToolUseDialect = {
  // `Bash` is the canonical hook name; the others are Codex's own tool names, gated too in case a
  // version passes them through.
  shellTools: ["Bash", "shell", "local_shell", "shell_command", "exec_command"],
  runCommandTool: MCP_RUN_COMMAND,
  allowAs: "silent",
};

export interface HookAnswer {
  /** Text for stdout: the JSON answer, or empty for "no opinion" / a silent allow. */
  stdout: string;
  exitCode: 0;
  /** What txbox decided, for logs and tests (never printed to the agent). */
  verdict: "allow" | "deny" | "redirect" | "none";
}

function spell(decision: "allow" | "deny", reason: string): string {
  const hookSpecificOutput = {
    hookEventName: "PreToolUse",
    permissionDecision: decision,
    permissionDecisionReason: reason,
  };
  return `${JSON.stringify({ hookSpecificOutput })}\n`;
}

/** Answer one PreToolUse call in `dialect`. Tools that do not run shell commands get no opinion. */
export function answerPreToolUse(
  dialect: PreToolUseDialect,
  input: PreToolUseInput,
  gate: (command: string) => GateVerdict,
  mode: TransactMode = "redirect",
): HookAnswer {
  if (input.hook_event_name !== "PreToolUse" || !dialect.shellTools.includes(input.tool_name))
    return { stdout: "", exitCode: 0, verdict: "none" };
  const a = decideShellCall(
    commandOf(input.tool_input.command),
    gate,
    mode,
    dialect.runCommandTool,
  );
  if (a.kind === "allow")
    return {
      stdout: dialect.allowAs === "json" ? spell("allow", a.reason) : "",
      exitCode: 0,
      verdict: "allow",
    };
  return { stdout: spell("deny", a.reason), exitCode: 0, verdict: a.kind };
}

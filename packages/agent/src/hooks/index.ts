/**
 * `txbox hook <agent>`: which input schema and answer each agent's pre-tool hook uses. Every agent
 * txbox sets up has one (Claude Code, Qwen Code and Codex a `PreToolUse` command hook in Claude
 * Code's format; opencode a plugin that calls txbox), so none is refused here.
 */
import type { z } from "zod";
import { opencodeHookInput, answerOpencodeHook } from "./opencode.js";
import {
  answerPreToolUse,
  CLAUDE_CODE_DIALECT,
  CODEX_DIALECT,
  preToolUseInput,
  QWEN_CODE_DIALECT,
  type HookAnswer,
} from "./pre-tool-use.js";
import type { GateVerdict, TransactMode } from "./shell-call.js";

/** The agents txbox sets up (`txbox init agent`) and answers (`txbox hook`). */
export const AGENTS = ["claude-code", "codex", "qwen-code", "opencode"] as const;
export type AgentName = (typeof AGENTS)[number];

export function isAgentName(name: string): name is AgentName {
  return (AGENTS as readonly string[]).includes(name);
}

export interface AgentHook {
  input: z.ZodType<unknown>;
  answer(input: unknown, gate: (command: string) => GateVerdict, mode: TransactMode): HookAnswer;
}

const preToolUse = (dialect: typeof CODEX_DIALECT): AgentHook => ({
  input: preToolUseInput,
  answer: (input, gate, mode) =>
    answerPreToolUse(dialect, preToolUseInput.parse(input), gate, mode),
});

export const AGENT_HOOKS: Record<AgentName, AgentHook> = {
  "claude-code": preToolUse(CLAUDE_CODE_DIALECT),
  codex: preToolUse(CODEX_DIALECT),
  "qwen-code": preToolUse(QWEN_CODE_DIALECT),
  opencode: {
    input: opencodeHookInput,
    answer: (input, gate, mode) => answerOpencodeHook(opencodeHookInput.parse(input), gate, mode),
  },
};

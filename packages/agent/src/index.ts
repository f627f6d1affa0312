export type {
  CommandOutcome,
  Decision,
  OutcomeKind,
  OutcomeTimings,
  RunOptions,
  TxboxPort,
} from "./outcome.js";
export { AgentInitError, ModelError, ScriptError } from "./errors.js";
export type {
  AgentModel,
  AssistantTurn,
  ChatMessage,
  ModelRequest,
  ToolCall,
  ToolSpec,
} from "./model.js";
export { SYSTEM_PROMPT, AGENT_TOOLS } from "./prompt.js";
export { parseTextReply, actionFromToolCall, actionsOf, type AgentAction } from "./reply.js";
export {
  normaliseCommand,
  shellWords,
  observeCommand,
  initialStubbornness,
  DEFAULT_STUBBORNNESS_THRESHOLD,
  type StubbornnessOptions,
  type StubbornnessState,
  type StubbornnessVerdict,
} from "./stubbornness.js";
export { formatOutcome, clip, DEFAULT_OUTPUT_LIMIT } from "./feedback.js";
export { runAgent } from "./loop.js";
export type {
  AgentOptions,
  AgentResult,
  AgentSummary,
  AgentStatus,
  AgentEvent,
  TranscriptEntry,
} from "./loop-types.js";
export {
  createOpenAiModel,
  openAiModelFromConfig,
  agentTimeoutMs,
  parseCompletion,
  toWireMessages,
  type OpenAiModelOptions,
} from "./openai.js";
export {
  createScriptedModel,
  createReplayModel,
  parseScript,
  loadScript,
  parseTrajectory,
  trajectoryWriter,
  scriptSchema,
  type Script,
  type ScriptStep,
  type ScriptMismatch,
  type ScriptedModel,
} from "./scripted.js";
export { createMcpServer, serveStdio, type McpServerOptions } from "./mcp.js";
export {
  answerClaudeCodeHook,
  claudeCodeHookInput,
  RUN_COMMAND_TOOL,
  type ClaudeCodeHookInput,
} from "./hooks/claude-code.js";
export {
  answerPreToolUse,
  preToolUseInput,
  CLAUDE_CODE_DIALECT,
  CODEX_DIALECT,
  QWEN_CODE_DIALECT,
  MCP_RUN_COMMAND,
  type HookAnswer,
  type PreToolUseDialect,
  type PreToolUseInput,
} from "./hooks/pre-tool-use.js";
export {
  answerOpencodeHook,
  opencodeHookInput,
  OPENCODE_RUN_COMMAND,
  type OpencodeHookInput,
} from "./hooks/opencode.js";
export { decideShellCall, type GateVerdict, type TransactMode } from "./hooks/shell-call.js";
export { AGENTS, AGENT_HOOKS, isAgentName, type AgentName, type AgentHook } from "./hooks/index.js";
export {
  applyInit,
  previewInit,
  planInit,
  opencodePlugin,
  MCP_SERVER_NAME,
  type Change,
  type Conflict,
  type InitPlan,
  type InitRequest,
  type PlannedFile,
} from "./init/index.js";

/** The agent loop's options, events and result. */
import type { AgentModel, AssistantTurn, ChatMessage } from "./model.js";
import type { CommandOutcome, TxboxPort } from "./outcome.js";

/** How a run ended. */
export type AgentStatus = "done" | "exhausted" | "stubborn" | "aborted" | "error";

/** One command of the run and what came of it. */
export interface TranscriptEntry {
  step: number;
  command: string;
  cwd?: string;
  outcome: CommandOutcome;
  /** The text the model was given about it. */
  feedback: string;
}

/** Counts and the reason a run ended. */
export interface AgentSummary {
  status: AgentStatus;
  /** One line on why the run ended. */
  reason: string;
  /** Model turns taken. */
  steps: number;
  commands: number;
  executed: number;
  committed: number;
  denied: number;
  rolledBack: number;
  timedOut: number;
  failed: number;
  /** The model's own summary, when it said it was done. */
  doneSummary?: string;
  /** Which budget ran out, when `status` is `exhausted`. */
  exhaustedBy?: "steps" | "time";
  /** The canonical command that was refused too often, when `status` is `stubborn`. */
  stubbornCommand?: string;
  durationMs: number;
}

/** Everything the loop reports while it runs, in order; also the lines of a trajectory file. */
export type AgentEvent =
  | { type: "start"; task: string; model: string; at: number }
  | { type: "turn"; step: number; turn: AssistantTurn }
  | { type: "command"; step: number; command: string; cwd?: string }
  | { type: "outcome"; step: number; command: string; outcome: CommandOutcome; feedback: string }
  | { type: "note"; step: number; message: string }
  | { type: "end"; summary: AgentSummary };

/** The result of {@link runAgent}. */
export interface AgentResult {
  summary: AgentSummary;
  transcript: TranscriptEntry[];
  /** The whole conversation, system prompt included. */
  messages: ChatMessage[];
  /** The error that ended the run, when `status` is `error` (a TxboxError's JSON view). */
  error?: Record<string, unknown>;
}

/** Options of {@link runAgent}. */
export interface AgentOptions {
  task: string;
  model: AgentModel;
  port: TxboxPort;
  /** Model turns allowed. Default 30 (the `agent.maxSteps` default). */
  maxSteps?: number;
  /** Wall-clock budget of the run in ms. Default 30 minutes (the `agent.timeout` default). */
  timeoutMs?: number;
  signal?: AbortSignal;
  onEvent?: (event: AgentEvent) => void;
  /** Denied attempts of equivalent commands after which the run stops. Default 3. */
  stubbornThreshold?: number;
  /** Working directory passed with every command that does not name one. */
  cwd?: string;
  systemPrompt?: string;
  /** Offer the run_command/done tools (function calling). Default true. */
  useTools?: boolean;
  /** The clock, injected for tests. Default `Date.now`. */
  now?: () => number;
}

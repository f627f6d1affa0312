/**
 * The headless agent loop: ask the model for the next command, run it through txbox, feed the
 * outcome back, until the model says it is done, a step or time budget runs out, or the model
 * keeps retrying a refused command. It never waits for a person.
 */
import { errorMessage, isTxboxError } from "@txbox/core";
import { formatOutcome } from "./feedback.js";
import type { AgentModel, AssistantTurn, ChatMessage } from "./model.js";
import type { CommandOutcome, OutcomeKind, TxboxPort } from "./outcome.js";
import { AGENT_TOOLS, SYSTEM_PROMPT } from "./prompt.js";
import { actionsOf, type AgentAction } from "./reply.js";
import {
  DEFAULT_STUBBORNNESS_THRESHOLD,
  initialStubbornness,
  observeCommand,
  type StubbornnessVerdict,
} from "./stubbornness.js";

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

const NUDGE =
  "No command found in your reply. Call run_command (or reply with one ```bash block or a line `CMD: <command>`), or call done (or reply DONE) when the task is complete.";

/** A failed outcome for a command the port could not run at all. */
function portFailure(command: string, error: unknown): CommandOutcome {
  return {
    guest: "",
    decision: "transact",
    outcome: "failed",
    exitCode: null,
    stdout: "",
    stderr: "",
    rules: [],
    reason: `txbox could not run \`${command}\`: ${errorMessage(error)}`,
    timings: { policyMs: 0, snapshotMs: 0, execMs: 0, verifyMs: 0, totalMs: 0 },
  };
}

function errorJson(error: unknown): Record<string, unknown> {
  if (isTxboxError(error)) return error.toJSON();
  return { error: error instanceof Error ? error.name : "Error", message: errorMessage(error) };
}

/**
 * Run an agent on a task until it is done or a budget runs out. Model failures (after the
 * client's own retries) end the run with status `error`; the transcript so far is returned.
 * Commands already sent to the port are never abandoned half-way: budgets are checked between
 * commands, and the transaction engine bounds each command with its own timeout.
 */
export async function runAgent(options: AgentOptions): Promise<AgentResult> {
  const now = options.now ?? Date.now;
  const maxSteps = options.maxSteps ?? 30;
  const timeoutMs = options.timeoutMs ?? 30 * 60_000;
  const threshold = options.stubbornThreshold ?? DEFAULT_STUBBORNNESS_THRESHOLD;
  const emit = options.onEvent ?? (() => undefined);
  const started = now();
  const deadline = started + timeoutMs;
  const tools = options.useTools === false ? [] : AGENT_TOOLS;
  const messages: ChatMessage[] = [
    { role: "system", content: options.systemPrompt ?? SYSTEM_PROMPT },
    { role: "user", content: options.task },
  ];
  const transcript: TranscriptEntry[] = [];
  const counts = { executed: 0, committed: 0, denied: 0, rolledBack: 0, timedOut: 0, failed: 0 };
  let stubbornness = initialStubbornness();
  let steps = 0;
  emit({ type: "start", task: options.task, model: options.model.name, at: started });

  const finish = (
    status: AgentStatus,
    reason: string,
    extra: Partial<AgentSummary> = {},
    error?: unknown,
  ): AgentResult => {
    const summary: AgentSummary = {
      status,
      reason,
      steps,
      commands: transcript.length,
      ...counts,
      ...extra,
      durationMs: now() - started,
    };
    emit({ type: "end", summary });
    return {
      summary,
      transcript,
      messages,
      ...(error === undefined ? {} : { error: errorJson(error) }),
    };
  };

  const runOne = async (
    action: Extract<AgentAction, { kind: "run" }>,
  ): Promise<{ feedback: string; verdict: StubbornnessVerdict; outcome: OutcomeKind }> => {
    const cwd = action.cwd ?? options.cwd;
    emit({ type: "command", step: steps, command: action.command, ...(cwd ? { cwd } : {}) });
    let outcome: CommandOutcome;
    try {
      outcome = await options.port.run(action.command, {
        ...(cwd ? { cwd } : {}),
        ...(action.verify ? { verify: action.verify } : {}),
      });
    } catch (error) {
      outcome = portFailure(action.command, error);
    }
    const observed = observeCommand(stubbornness, action.command, outcome.outcome === "denied", {
      threshold,
    });
    stubbornness = observed.state;
    const key =
      outcome.outcome === "rolled-back"
        ? "rolledBack"
        : outcome.outcome === "timed-out"
          ? "timedOut"
          : outcome.outcome;
    counts[key]++;
    const feedback = formatOutcome(action.command, outcome, observed.verdict);
    transcript.push({
      step: steps,
      command: action.command,
      ...(cwd ? { cwd } : {}),
      outcome,
      feedback,
    });
    emit({ type: "outcome", step: steps, command: action.command, outcome, feedback });
    return { feedback, verdict: observed.verdict, outcome: outcome.outcome };
  };

  while (true) {
    if (options.signal?.aborted) return finish("aborted", "the run was cancelled");
    if (steps >= maxSteps) {
      return finish("exhausted", `step budget of ${maxSteps} model turns used up`, {
        exhaustedBy: "steps",
      });
    }
    const remaining = deadline - now();
    if (remaining <= 0) {
      return finish("exhausted", `time budget of ${timeoutMs} ms used up`, { exhaustedBy: "time" });
    }
    steps++;
    const budget = AbortSignal.timeout(remaining);
    const signal = options.signal ? AbortSignal.any([options.signal, budget]) : budget;
    let turn: AssistantTurn;
    try {
      turn = await options.model.complete({ messages: [...messages], tools }, signal);
    } catch (error) {
      if (options.signal?.aborted) return finish("aborted", "the run was cancelled");
      if (budget.aborted || now() >= deadline) {
        return finish("exhausted", `time budget of ${timeoutMs} ms used up`, {
          exhaustedBy: "time",
        });
      }
      return finish("error", `the model failed: ${errorMessage(error)}`, {}, error);
    }
    emit({ type: "turn", step: steps, turn });
    messages.push({
      role: "assistant",
      content: turn.content,
      ...(turn.toolCalls.length > 0 ? { toolCalls: turn.toolCalls } : {}),
    });
    const actions = actionsOf(turn);
    if (actions.length === 0) {
      emit({ type: "note", step: steps, message: NUDGE });
      messages.push({ role: "user", content: NUDGE });
      continue;
    }
    const replies: string[] = [];
    let done: { summary: string } | undefined;
    let stubborn: string | undefined;
    let setback: string | undefined;
    for (const action of actions) {
      // Every function call must be answered, even those after a stop, or the next request is invalid.
      const answer = (text: string): void => {
        if (action.toolCallId !== undefined) {
          messages.push({
            role: "tool",
            toolCallId: action.toolCallId,
            name:
              action.kind === "invalid"
                ? (action.toolName ?? "unknown")
                : action.kind === "run"
                  ? "run_command"
                  : "done",
            content: text,
          });
        } else replies.push(text);
      };
      if (stubborn !== undefined || done !== undefined) {
        answer("not run: the run has ended");
      } else if (action.kind === "invalid") {
        emit({ type: "note", step: steps, message: action.message });
        answer(`error: ${action.message}`);
      } else if (action.kind === "done" && setback !== undefined) {
        // A model that declares victory in the same turn as a failed command has not seen it fail.
        const message = `done not accepted: \`${setback}\` in this same reply did not succeed; read its outcome above first.`;
        emit({ type: "note", step: steps, message });
        answer(message);
      } else if (action.kind === "done") {
        done = { summary: action.summary };
        answer("ok");
      } else {
        const { feedback, verdict, outcome } = await runOne(action);
        answer(feedback);
        if (verdict.stubborn) stubborn = verdict.key;
        if (outcome !== "executed" && outcome !== "committed") setback ??= action.command;
      }
    }
    if (replies.length > 0) messages.push({ role: "user", content: replies.join("\n\n") });
    if (stubborn !== undefined) {
      const message = `Stopped: the same refused command was attempted ${threshold} times (\`${stubborn}\`). The policy will not allow it; the run ends here.`;
      messages.push({ role: "user", content: message });
      return finish("stubborn", message, { stubbornCommand: stubborn });
    }
    if (done !== undefined) {
      return finish("done", done.summary || "the model said the task is complete", {
        doneSummary: done.summary,
      });
    }
  }
}

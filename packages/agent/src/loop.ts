/**
 * The headless agent loop: ask the model for the next command, run it through txbox, feed the
 * outcome back, until the model says it is done, a step or time budget runs out, or the model
 * keeps retrying a refused command. It never waits for a person.
 */
import { errorMessage, isTxboxError } from "@txbox/core";
import { formatOutcome } from "./feedback.js";
import type {
  AgentOptions,
  AgentResult,
  AgentStatus,
  AgentSummary,
  TranscriptEntry,
} from "./loop-types.js";
import type { AssistantTurn, ChatMessage } from "./model.js";
import type { CommandOutcome, OutcomeKind } from "./outcome.js";
import { AGENT_TOOLS, SYSTEM_PROMPT } from "./prompt.js";
import { actionsOf, type AgentAction } from "./reply.js";
import {
  DEFAULT_STUBBORNNESS_THRESHOLD,
  initialStubbornness,
  observeCommand,
  type StubbornnessVerdict,
} from "./stubbornness.js";

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
  return new AgentRun(options).run();
}

type RunAction = Extract<AgentAction, { kind: "run" }>;

/** What one model turn's actions came to. */
interface TurnEnd {
  done?: { summary: string };
  /** The canonical command refused too often. */
  stubborn?: string;
}

/** One run's state: the conversation, the transcript, the counts and the stubbornness tracker. */
class AgentRun {
  private readonly now: () => number;
  private readonly maxSteps: number;
  private readonly timeoutMs: number;
  private readonly threshold: number;
  private readonly emit: NonNullable<AgentOptions["onEvent"]>;
  private readonly started: number;
  private readonly deadline: number;
  private readonly messages: ChatMessage[];
  private readonly transcript: TranscriptEntry[] = [];
  private readonly counts: Counts = {
    executed: 0,
    committed: 0,
    denied: 0,
    rolledBack: 0,
    timedOut: 0,
    failed: 0,
  };
  private stubbornness = initialStubbornness();
  private steps = 0;

  constructor(private readonly options: AgentOptions) {
    this.now = options.now ?? Date.now;
    this.maxSteps = options.maxSteps ?? 30;
    this.timeoutMs = options.timeoutMs ?? 30 * 60_000;
    this.threshold = options.stubbornThreshold ?? DEFAULT_STUBBORNNESS_THRESHOLD;
    this.emit = options.onEvent ?? (() => undefined);
    this.started = this.now();
    this.deadline = this.started + this.timeoutMs;
    this.messages = [
      { role: "system", content: options.systemPrompt ?? SYSTEM_PROMPT },
      { role: "user", content: options.task },
    ];
  }

  async run(): Promise<AgentResult> {
    const { options } = this;
    this.emit({ type: "start", task: options.task, model: options.model.name, at: this.started });
    while (true) {
      if (options.signal?.aborted) return this.finish("aborted", "the run was cancelled");
      if (this.steps >= this.maxSteps) {
        return this.finish("exhausted", `step budget of ${this.maxSteps} model turns used up`, {
          exhaustedBy: "steps",
        });
      }
      const remaining = this.deadline - this.now();
      if (remaining <= 0) return this.outOfTime();
      this.steps++;
      const turn = await this.ask(remaining);
      if ("summary" in turn) return turn;
      const end = await this.answer(turn);
      if (end === undefined) continue;
      if (end.stubborn !== undefined) {
        const message = `Stopped: the same refused command was attempted ${this.threshold} times (\`${end.stubborn}\`). The policy will not allow it; the run ends here.`;
        this.messages.push({ role: "user", content: message });
        return this.finish("stubborn", message, { stubbornCommand: end.stubborn });
      }
      if (end.done !== undefined) {
        return this.finish("done", end.done.summary || "the model said the task is complete", {
          doneSummary: end.done.summary,
        });
      }
    }
  }

  private outOfTime(): AgentResult {
    return this.finish("exhausted", `time budget of ${this.timeoutMs} ms used up`, {
      exhaustedBy: "time",
    });
  }

  /** The model's next turn, recorded in the conversation; or the run's end when it failed. */
  private async ask(remaining: number): Promise<AssistantTurn | AgentResult> {
    const { options } = this;
    const budget = AbortSignal.timeout(remaining);
    const signal = options.signal ? AbortSignal.any([options.signal, budget]) : budget;
    let turn: AssistantTurn;
    try {
      const tools = options.useTools === false ? [] : AGENT_TOOLS;
      turn = await options.model.complete({ messages: [...this.messages], tools }, signal);
    } catch (error) {
      if (options.signal?.aborted) return this.finish("aborted", "the run was cancelled");
      if (budget.aborted || this.now() >= this.deadline) return this.outOfTime();
      return this.finish("error", `the model failed: ${errorMessage(error)}`, {}, error);
    }
    this.emit({ type: "turn", step: this.steps, turn });
    this.messages.push({
      role: "assistant",
      content: turn.content,
      ...(turn.toolCalls.length > 0 ? { toolCalls: turn.toolCalls } : {}),
    });
    return turn;
  }

  /**
   * Carry out a turn's actions and answer each; undefined when the run goes on. A turn with no
   * action gets a nudge.
   */
  private async answer(turn: AssistantTurn): Promise<TurnEnd | undefined> {
    const actions = actionsOf(turn);
    if (actions.length === 0) {
      this.emit({ type: "note", step: this.steps, message: NUDGE });
      this.messages.push({ role: "user", content: NUDGE });
      return undefined;
    }
    const replies: string[] = [];
    const end: TurnEnd = {};
    let setback: string | undefined;
    for (const action of actions) {
      // Every function call must be answered, even those after a stop, or the next request is invalid.
      const answer = (text: string): void => {
        if (action.toolCallId === undefined) replies.push(text);
        else this.messages.push(toolReply(action, text));
      };
      if (end.stubborn !== undefined || end.done !== undefined) {
        answer("not run: the run has ended");
      } else if (action.kind === "invalid") {
        this.emit({ type: "note", step: this.steps, message: action.message });
        answer(`error: ${action.message}`);
      } else if (action.kind === "done" && setback !== undefined) {
        // A model that declares victory in the same turn as a failed command has not seen it fail.
        const message = `done not accepted: \`${setback}\` in this same reply did not succeed; read its outcome above first.`;
        this.emit({ type: "note", step: this.steps, message });
        answer(message);
      } else if (action.kind === "done") {
        end.done = { summary: action.summary };
        answer("ok");
      } else {
        const { feedback, verdict, outcome } = await this.runOne(action);
        answer(feedback);
        if (verdict.stubborn) end.stubborn = verdict.key;
        if (outcome !== "executed" && outcome !== "committed") setback ??= action.command;
      }
    }
    if (replies.length > 0) this.messages.push({ role: "user", content: replies.join("\n\n") });
    return end.stubborn !== undefined || end.done !== undefined ? end : undefined;
  }

  private async runOne(
    action: RunAction,
  ): Promise<{ feedback: string; verdict: StubbornnessVerdict; outcome: OutcomeKind }> {
    const { options, steps } = this;
    const cwd = action.cwd ?? options.cwd;
    this.emit({ type: "command", step: steps, command: action.command, ...(cwd ? { cwd } : {}) });
    let outcome: CommandOutcome;
    try {
      outcome = await options.port.run(action.command, {
        ...(cwd ? { cwd } : {}),
        ...(action.verify ? { verify: action.verify } : {}),
      });
    } catch (error) {
      outcome = portFailure(action.command, error);
    }
    const denied = outcome.outcome === "denied";
    const observed = observeCommand(this.stubbornness, action.command, denied, {
      threshold: this.threshold,
    });
    this.stubbornness = observed.state;
    this.counts[countKey(outcome.outcome)]++;
    const feedback = formatOutcome(action.command, outcome, observed.verdict);
    this.transcript.push({
      step: steps,
      command: action.command,
      ...(cwd ? { cwd } : {}),
      outcome,
      feedback,
    });
    this.emit({ type: "outcome", step: steps, command: action.command, outcome, feedback });
    return { feedback, verdict: observed.verdict, outcome: outcome.outcome };
  }

  private finish(
    status: AgentStatus,
    reason: string,
    extra: Partial<AgentSummary> = {},
    error?: unknown,
  ): AgentResult {
    const summary: AgentSummary = {
      status,
      reason,
      steps: this.steps,
      commands: this.transcript.length,
      ...this.counts,
      ...extra,
      durationMs: this.now() - this.started,
    };
    this.emit({ type: "end", summary });
    return {
      summary,
      transcript: this.transcript,
      messages: this.messages,
      ...(error === undefined ? {} : { error: errorJson(error) }),
    };
  }
}

type Counts = Pick<
  AgentSummary,
  "executed" | "committed" | "denied" | "rolledBack" | "timedOut" | "failed"
>;

/** The summary's counter of an outcome. */
function countKey(o: OutcomeKind): keyof Counts {
  return o === "rolled-back" ? "rolledBack" : o === "timed-out" ? "timedOut" : o;
}

/** The tool message answering a function call. */
function toolReply(action: AgentAction, text: string): ChatMessage {
  const name =
    action.kind === "invalid"
      ? (action.toolName ?? "unknown")
      : action.kind === "run"
        ? "run_command"
        : "done";
  return { role: "tool", toolCallId: action.toolCallId!, name, content: text };
}

/**
 * Models without a model server: a scripted model (a YAML list of steps) and the replay of a
 * recorded trajectory (the JSONL the loop writes through {@link trajectoryWriter}). They let the
 * loop, the CLI and the benchmarks run end to end, deterministically, with no LLM.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { OUTCOMES, loadYamlFile, parseYaml } from "@txbox/core";
import { z } from "zod";
import { ScriptError } from "./errors.js";
import type { AgentEvent, TranscriptEntry } from "./loop-types.js";
import type { AgentModel, AssistantTurn } from "./model.js";

const outcomeKind = z.enum(OUTCOMES);

const stepSchema = z.union([
  z
    .object({
      run: z.string().min(1).describe("A command, sent as a run_command function call"),
      cwd: z.string().optional(),
      verify: z.array(z.string()).optional(),
      expect: outcomeKind.optional().describe("The outcome this command must have"),
    })
    .strict(),
  z.object({ text: z.string().describe("A plain-text reply, parsed as a model's text") }).strict(),
  z.object({ done: z.union([z.string(), z.literal(true)]) }).strict(),
]);

/** The schema of a script file: `steps:` a list of `run`, `text` or `done` entries. */
export const scriptSchema = z
  .object({
    name: z.string().optional(),
    steps: z.array(stepSchema).min(1),
  })
  .strict();

export type Script = z.infer<typeof scriptSchema>;
export type ScriptStep = z.infer<typeof stepSchema>;

/** A scripted command whose outcome was not the expected one. */
export interface ScriptMismatch {
  /** Index of the step in the script (0-based). */
  index: number;
  command: string;
  expected: string;
  actual: string | undefined;
}

/** A model that plays a script, and can check the run against the script's expectations. */
export interface ScriptedModel extends AgentModel {
  /** Steps played so far. */
  readonly played: number;
  /** Expectations not met by the transcript of the run that played this script. */
  mismatches(transcript: TranscriptEntry[]): ScriptMismatch[];
}

function turnOf(step: ScriptStep, index: number): AssistantTurn {
  if ("run" in step) {
    const args = {
      command: step.run,
      ...(step.cwd === undefined ? {} : { cwd: step.cwd }),
      ...(step.verify === undefined ? {} : { verify: step.verify }),
    };
    return {
      content: null,
      toolCalls: [{ id: `call_${index}`, name: "run_command", arguments: JSON.stringify(args) }],
    };
  }
  if ("text" in step) return { content: step.text, toolCalls: [] };
  const summary = step.done === true ? "" : step.done;
  return {
    content: null,
    toolCalls: [{ id: `call_${index}`, name: "done", arguments: JSON.stringify({ summary }) }],
  };
}

/** A model that answers each turn with the next step of `script`. */
export function createScriptedModel(
  script: Script,
  name = script.name ?? "scripted",
): ScriptedModel {
  let played = 0;
  // Loop step (model turn number, 1-based) at which each script step was played.
  const turnOfStep: number[] = [];
  return {
    name: `scripted:${name}`,
    get played() {
      return played;
    },
    async complete(request, signal) {
      signal?.throwIfAborted();
      const step = script.steps[played];
      if (step === undefined) {
        throw new ScriptError(
          `script ${name} has no step ${played + 1}: it ended without a done step`,
          { details: { steps: script.steps.length } },
        );
      }
      turnOfStep[played] = request.messages.filter((m) => m.role === "assistant").length + 1;
      played++;
      return turnOf(step, played);
    },
    mismatches(transcript) {
      const out: ScriptMismatch[] = [];
      script.steps.forEach((step, index) => {
        if (!("run" in step) || step.expect === undefined) return;
        const turn = turnOfStep[index];
        const entry = transcript.find((e) => e.step === turn && e.command === step.run);
        if (entry?.outcome.outcome !== step.expect) {
          out.push({
            index,
            command: step.run,
            expected: step.expect,
            actual: entry?.outcome.outcome,
          });
        }
      });
      return out;
    },
  };
}

/** Parse a script from YAML text; errors name the file, line and key. */
export function parseScript(text: string, file = "<script>"): Script {
  return parseYaml(text, scriptSchema, file);
}

/** Load a script file. */
export function loadScript(file: string): Script {
  return loadYamlFile(file, scriptSchema);
}

/** Parse a trajectory JSONL (one {@link AgentEvent} a line). Blank lines are skipped. */
export function parseTrajectory(text: string, file = "<trajectory>"): AgentEvent[] {
  const events: AgentEvent[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (cause) {
      throw new ScriptError(`${file}:${i + 1}: not a JSON line`, {
        details: { file, line: i + 1 },
        cause,
      });
    }
    if (
      value === null ||
      typeof value !== "object" ||
      typeof (value as { type?: unknown }).type !== "string"
    ) {
      throw new ScriptError(`${file}:${i + 1}: not an agent event (no "type")`, {
        details: { file, line: i + 1 },
      });
    }
    events.push(value as AgentEvent);
  });
  return events;
}

/**
 * A model that replays the assistant turns of a recorded trajectory, in order, so that a run can
 * be reproduced against another txbox (another policy, another guest) without the model.
 */
export function createReplayModel(events: AgentEvent[], name = "replay"): AgentModel {
  const turns = events.flatMap((e) => (e.type === "turn" ? [e.turn] : []));
  if (turns.length === 0) throw new ScriptError(`trajectory ${name} has no model turns`);
  let next = 0;
  return {
    name: `replay:${name}`,
    async complete(_request, signal) {
      signal?.throwIfAborted();
      const turn = turns[next];
      if (turn === undefined) {
        throw new ScriptError(`trajectory ${name} has only ${turns.length} model turns`);
      }
      next++;
      return { content: turn.content, toolCalls: [...turn.toolCalls] };
    },
  };
}

/**
 * An `onEvent` handler that appends each event to a JSONL file (created with its directory).
 * Synchronous appends keep the file complete up to the last event even if the process dies.
 */
export function trajectoryWriter(file: string): (event: AgentEvent) => void {
  mkdirSync(dirname(file), { recursive: true });
  return (event) => appendFileSync(file, JSON.stringify(event) + "\n");
}

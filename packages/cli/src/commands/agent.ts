import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { ConfigError, UsageError } from "@txbox/core";
import {
  agentTimeoutMs,
  createReplayModel,
  createScriptedModel,
  loadScript,
  openAiModelFromConfig,
  parseTrajectory,
  runAgent,
  trajectoryWriter,
  type AgentEvent,
  type AgentModel,
  type AgentResult,
  type ScriptedModel,
  type ScriptMismatch,
} from "@txbox/agent";
import type { GuestRef } from "@txbox/tx";
import type { Register } from "../main.js";
import { EXIT, printJson, type Io } from "../output.js";
import { sessionPort, type Session } from "@txbox/runtime";
import { guestSessionOptions, withGuestSession } from "../session.js";
import {
  parseCount,
  parseDuration,
  parseGuest,
  withTxCommon,
  type TxCommonOptions,
} from "./common-tx.js";

interface AgentRunOptions extends TxCommonOptions {
  guest?: string;
  script?: string;
  replay?: string;
  model?: string;
  baseUrl?: string;
  task?: string;
  maxSteps?: string;
  timeout?: string;
  record?: string;
  cwd?: string;
  policy?: string[];
  keepSnapshot?: boolean;
  showOutput?: boolean;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function oneLine(text: string, max = 70): string {
  const t = text.replace(/\s+/g, " ").trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** The last `max` lines of a command's output, indented under its progress line. Pure. */
export function outputTail(stdout: string, stderr: string, max = 8): string {
  const lines = `${stdout}${stdout && !stdout.endsWith("\n") ? "\n" : ""}${stderr}`
    .split("\n")
    .filter((l) => l.trim() !== "");
  const shown = lines
    .slice(-max)
    .map((l) => `           | ${l.length > 150 ? `${l.slice(0, 149)}…` : l}`);
  if (lines.length > max) shown.unshift(`           | … ${lines.length - max} more lines`);
  return shown.length === 0 ? "" : `\n${shown.join("\n")}`;
}

/**
 * One progress line for a loop event, or nothing for events a person need not see; with
 * `output`, the tail of each command's output under it. Pure.
 */
export function progressLine(event: AgentEvent, output = false): string | undefined {
  switch (event.type) {
    case "start":
      return `agent: task started with model ${event.model}`;
    case "outcome": {
      const o = event.outcome;
      const tx = o.txid === undefined || o.decision === "allow" ? "" : ` tx ${o.txid}`;
      const exit = o.exitCode === null ? "" : ` exit ${o.exitCode}`;
      const why =
        o.outcome === "denied" || o.outcome === "rolled-back" || o.outcome === "failed"
          ? `\n           why: ${oneLine(o.reason, 110)}${o.rules.length ? ` [${o.rules.join(", ")}]` : ""}`
          : "";
      const out = output ? outputTail(o.stdout, o.stderr) : "";
      return `agent: [step ${event.step}] ${o.outcome.toUpperCase().padEnd(11)} ${oneLine(event.command)}  (${o.decision}${tx}${exit}, ${Math.round(o.timings.totalMs)} ms)${why}${out}`;
    }
    case "note":
      return `agent: [step ${event.step}] note: ${oneLine(event.message, 110)}`;
    case "end":
      return undefined;
    default:
      return undefined;
  }
}

/** The model a run uses, from exactly one of --script, --replay, --model. */
function modelFor(
  opts: AgentRunOptions,
  io: Io,
  agentConfig: Parameters<typeof openAiModelFromConfig>[0],
): { model: AgentModel; scripted?: ScriptedModel; defaultTask?: string } {
  const chosen = [opts.script, opts.replay, opts.model].filter((x) => x !== undefined);
  if (chosen.length > 1) throw new UsageError("give only one of --script, --replay and --model");
  if (opts.script !== undefined) {
    const file = resolve(io.cwd, opts.script);
    const script = loadScript(file);
    const scripted = createScriptedModel(script);
    return {
      model: scripted,
      scripted,
      defaultTask: `Scripted run${script.name ? ` ${script.name}` : ""} (${file})`,
    };
  }
  if (opts.replay !== undefined) {
    const file = resolve(io.cwd, opts.replay);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (cause) {
      throw new ConfigError(`${file}: cannot read the trajectory`, { cause });
    }
    const events = parseTrajectory(text, file);
    const start = events.find((e) => e.type === "start");
    return {
      model: createReplayModel(events, file),
      ...(start?.type === "start" ? { defaultTask: start.task } : {}),
    };
  }
  if (opts.model === undefined && agentConfig.model === undefined) {
    throw new UsageError("no model: give --script FILE, --replay FILE or --model NAME", {
      hint: "e.g. txbox agent run --guest 101 --script packages/agent/examples/paper-demo.yaml",
    });
  }
  return {
    model: openAiModelFromConfig(agentConfig, io.env, {
      ...(opts.model === undefined ? {} : { model: opts.model }),
      ...(opts.baseUrl === undefined ? {} : { baseUrl: opts.baseUrl }),
    }),
  };
}

/** The body of `txbox agent run --json`. */
export function agentJson(
  guest: number,
  model: string,
  r: AgentResult,
  mismatches: ScriptMismatch[],
): Record<string, unknown> {
  return {
    guest,
    model,
    ...r.summary,
    ok: r.summary.status === "done" && mismatches.length === 0,
    mismatches,
    transcript: r.transcript.map((e) => ({
      step: e.step,
      command: e.command,
      ...(e.cwd === undefined ? {} : { cwd: e.cwd }),
      txid: e.outcome.txid,
      decision: e.outcome.decision,
      outcome: e.outcome.outcome,
      exitCode: e.outcome.exitCode,
      rules: e.outcome.rules,
      reason: e.outcome.reason,
      totalMs: e.outcome.timings.totalMs,
    })),
    ...(r.error === undefined ? {} : { error: r.error }),
  };
}

export const registerAgent: Register = (program, io, outcome) => {
  const agent = program
    .command("agent")
    .description("run a coding agent headless, every command through the gate and a transaction");

  withTxCommon(agent.command("run") as Command)
    .description("the agent loop on one guest until the task is done or a budget runs out")
    .requiredOption("--guest <vmid>", "the guest the agent works on")
    .option("--script <file>", "a scripted model (YAML steps), no LLM needed")
    .option("--replay <file>", "replay the model turns of a recorded trajectory (--record)")
    .option("--model <name>", "an OpenAI-compatible model (agent.model in txbox.yaml)")
    .option("--base-url <url>", "the model server, e.g. http://127.0.0.1:8000/v1 (agent.baseUrl)")
    .option("--task <text>", "what the agent should do")
    .option("--max-steps <n>", "model turns allowed (agent.maxSteps, default 30)")
    .option("--timeout <duration>", "wall-clock budget of the run (agent.timeout, default 30m)")
    .option("--record <file>", "append every loop event to this JSONL trajectory")
    .option("--cwd <dir>", "the guest directory commands run in when they name none")
    .option("--policy <file>", "an extra rule pack (repeatable)", collect)
    .option("--show-output", "print the last lines of each command's output under its step")
    .option("--keep-snapshot", "keep snapshots after commits (txbox tx rollback can undo them)")
    .addHelpText(
      "after",
      "\nExit status: 0 the task is done (and a script's expectations held), 1 otherwise, 2 usage.\n" +
        "Example: txbox agent run --guest 101 --script packages/agent/examples/paper-demo.yaml",
    )
    .action(async (opts: AgentRunOptions) => {
      outcome.code = await agentRunAction(io, opts);
    });
};

/** Run the agent loop on a session holding the guest, interruptible by SIGINT/SIGTERM. */
async function loopOnSession(
  io: Io,
  opts: AgentRunOptions,
  s: Session,
  guest: GuestRef,
  budget: { maxSteps: number | undefined; timeoutMs: number | undefined },
) {
  const err = (t: string): void => void io.stderr.write(`${t}\n`);
  const chosen = modelFor(opts, io, s.loaded.config.agent);
  const task = opts.task ?? chosen.defaultTask;
  if (task === undefined) throw new UsageError("--task is required with --model");
  const record =
    opts.record === undefined ? undefined : trajectoryWriter(resolve(io.cwd, opts.record));
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const r = await runAgent({
      task,
      model: chosen.model,
      port: sessionPort(s, guest, opts.cwd === undefined ? {} : { cwd: opts.cwd }),
      maxSteps: budget.maxSteps ?? s.loaded.config.agent.maxSteps,
      timeoutMs: budget.timeoutMs ?? agentTimeoutMs(s.loaded.config.agent),
      signal: abort.signal,
      ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
      onEvent: (event) => {
        record?.(event);
        const line = progressLine(event, opts.showOutput === true);
        if (line !== undefined) err(line);
      },
    });
    return {
      result: r,
      model: chosen.model.name,
      mismatches: chosen.scripted?.mismatches(r.transcript) ?? [],
    };
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** `txbox agent run`: parse the budgets, run the loop, print its summary; the exit status. */
async function agentRunAction(io: Io, opts: AgentRunOptions): Promise<number> {
  const guest = parseGuest(opts.guest);
  if (guest === undefined) throw new UsageError("--guest is required");
  const maxSteps = parseCount(opts.maxSteps, "--max-steps");
  if (maxSteps === 0) throw new UsageError("--max-steps: must be at least 1");
  const timeoutMs =
    opts.timeout === undefined ? undefined : parseDuration(opts.timeout, "--timeout");
  const err = (t: string): void => void io.stderr.write(`${t}\n`);
  const { result, model, mismatches } = await withGuestSession(
    io,
    guestSessionOptions(opts),
    guest,
    (s) => loopOnSession(io, opts, s, guest, { maxSteps, timeoutMs }),
  );
  const ok = result.summary.status === "done" && mismatches.length === 0;
  if (opts.json) {
    printJson(io, agentJson(guest.vmid, model, result, mismatches));
  } else {
    const x = result.summary;
    err(
      `agent: ${x.status} after ${x.steps} steps, ${x.commands} commands: ` +
        `${x.executed} executed, ${x.committed} committed, ${x.denied} denied, ` +
        `${x.rolledBack} rolled back, ${x.failed} failed (${(x.durationMs / 1000).toFixed(1)} s)`,
    );
    err(`agent: ${oneLine(x.reason, 200)}`);
    for (const m of mismatches) {
      err(
        `agent: script step ${m.index + 1} (${oneLine(m.command, 50)}) expected ${m.expected}, got ${m.actual ?? "not run"}`,
      );
    }
  }
  return ok ? EXIT.ok : EXIT.failure;
}

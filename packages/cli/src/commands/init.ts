import { accessSync, constants } from "node:fs";
import { homedir } from "node:os";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import {
  AGENTS,
  applyInit,
  isAgentName,
  previewInit,
  type InitPlan,
  type InitRequest,
  type PlannedFile,
} from "@txbox/agent";
import { UsageError } from "@txbox/core";
import type { Register } from "../main.js";
import { EXIT, printJson, println, type Io } from "../output.js";

interface InitAgentOptions {
  guest?: string;
  dir?: string;
  global?: boolean;
  config?: string;
  cwd?: string;
  transact: string;
  txbox: string;
  force?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

function onPath(io: Io, name: string): boolean {
  return (io.env.PATH ?? "").split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function requestOf(io: Io, agent: string, opts: InitAgentOptions): InitRequest {
  if (!isAgentName(agent))
    throw new UsageError(`init agent: unknown agent ${agent} (known: ${AGENTS.join(", ")})`);
  if (opts.guest === undefined || opts.guest.trim() === "")
    throw new UsageError("init agent: --guest <vmid> is required (the guest commands run on)");
  if (opts.transact !== "redirect" && opts.transact !== "allow")
    throw new UsageError(`--transact: expected redirect or allow, got ${opts.transact}`);
  const txbox = opts.txbox.trim().split(/\s+/);
  if (txbox[0] === "") throw new UsageError("--txbox: expected the command that starts txbox");
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(io.cwd, p));
  return {
    agent,
    scope: opts.global ? "global" : "project",
    dir: abs(opts.dir ?? "."),
    home: io.env.HOME ?? homedir(),
    env: io.env,
    txbox,
    guest: opts.guest,
    ...(opts.config === undefined ? {} : { config: abs(opts.config) }),
    ...(opts.cwd === undefined ? {} : { guestCwd: opts.cwd }),
    transact: opts.transact,
    force: opts.force ?? false,
  };
}

function printFile(io: Io, f: PlannedFile): void {
  println(io, `  ${f.action.padEnd(9)} ${f.path}`);
  for (const c of f.changes) {
    const value = JSON.stringify(c.value);
    const text =
      c.op === "add"
        ? `${c.key} += ${value}`
        : `${c.key} = ${value}${c.op === "replace" ? ` (was ${JSON.stringify(c.previous)})` : ""}`;
    println(io, `              ${c.op === "replace" ? "~" : "+"} ${text}`);
  }
  for (const c of f.conflicts)
    println(
      io,
      `              ! ${c.key}: ${c.why} (found ${JSON.stringify(c.found)}); --force overwrites`,
    );
}

function printPlan(io: Io, plan: InitPlan, written: boolean): void {
  const where = plan.scope === "global" ? "your user configuration" : "the project";
  println(io, `txbox init agent ${plan.agent}: ${written ? "set up" : "would set up"} ${where}`);
  for (const f of plan.files) printFile(io, f);
  for (const n of plan.notes) println(io, `note: ${n}`);
}

export const registerInit: Register = (program, io, outcome) => {
  const init = program.command("init").description("write configuration for tools that use txbox");
  init
    .command("agent")
    .description(
      "set a coding agent up to run its shell commands through txbox: its built-in shell tool " +
        "denied, txbox's MCP server (run_command) in its place, and its pre-tool hook answered " +
        "by `txbox hook`. Writes the agent's project files (merged into existing ones); " +
        "--global writes your user files instead",
    )
    .argument("<agent>", `the agent: ${AGENTS.join(", ")}`)
    .option("--guest <vmid>", "the guest commands run on (required)")
    .option("--dir <dir>", "the project directory", ".")
    .option("--global", "write the agent's user-level configuration instead of the project's")
    .option("--config <file>", "txbox.yaml the agent's txbox uses (made absolute)")
    .option("--cwd <dir>", "the guest directory commands run in when they name none")
    .option(
      "--transact <mode>",
      "the hook's answer to state changes: redirect (to run_command) or allow (gate only)",
      "redirect",
    )
    .option("--txbox <command>", "how the agent starts txbox (words split on spaces)", "txbox")
    .option("--force", "overwrite settings of yours that contradict txbox's (backups are kept)")
    .option("--dry-run", "print what would change; write nothing")
    .option("--json", "print the plan as JSON")
    .action((agent: string, opts: InitAgentOptions) => {
      const req = requestOf(io, agent, opts);
      const plan = opts.dryRun ? previewInit(req) : applyInit(req);
      if (req.txbox.length === 1 && !req.txbox[0]!.includes("/") && !onPath(io, req.txbox[0]!))
        plan.notes.push(
          `${req.txbox[0]} is not on this PATH: the agent will not find it; pass --txbox with the full command`,
        );
      if (opts.json)
        printJson(io, {
          ...plan,
          dryRun: opts.dryRun ?? false,
          files: plan.files.map(({ before: _before, ...f }) => f),
        });
      else printPlan(io, plan, !opts.dryRun);
      outcome.code = EXIT.ok;
    });
};

import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { UsageError } from "@txbox/core";
import { defaultIo, epochNow, EXIT, reportError, type Io } from "./output.js";
import { registerServe } from "./commands/serve.js";
import { registerPolicy } from "./commands/policy.js";
import { registerDoctor } from "./commands/doctor.js";
import { registerConfig } from "./commands/config.js";
import { registerTestbed } from "./commands/testbed.js";
import { registerRun } from "./commands/run.js";
import { registerTx } from "./commands/tx.js";
import { registerSnapshot } from "./commands/snapshot.js";
import { registerNet } from "./commands/net.js";
import { registerAgent } from "./commands/agent.js";
import { registerMcp } from "./commands/mcp.js";
import { registerBench } from "./commands/bench.js";
import { registerHook } from "./commands/hook.js";
import { registerCompletion } from "./commands/completion.js";

/** The result of one command: its exit status. Handlers set it; main returns it. */
export interface Outcome {
  code: number;
}

export type Register = (program: Command, io: Io, outcome: Outcome) => void;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

/** Build the `txbox` program; exported for tests that drive it in-process. */
export function buildProgram(io: Io, outcome: Outcome): Command {
  const program = new Command("txbox")
    .description(
      "Safe headless AI coding agents on Proxmox: a policy gate, snapshot transactions and isolated networks",
    )
    .version(version(), "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .enablePositionalOptions()
    .exitOverride();
  for (const register of [
    registerPolicy,
    registerRun,
    registerTx,
    registerSnapshot,
    registerNet,
    registerAgent,
    registerMcp,
    registerHook,
    registerServe,
    registerBench,
    registerTestbed,
    registerConfig,
    registerDoctor,
    registerCompletion,
  ]) {
    register(program, io, outcome);
  }
  for (const sub of program.commands) sub.exitOverride();
  return program;
}

/**
 * Run `txbox` with `argv` (as process.argv: node, script, args…); returns the exit status.
 * `mainStart` is when this process reached txbox (epoch ms), for `--json` timings.
 */
export async function main(
  argv: string[],
  io: Io = defaultIo(),
  mainStart: number = epochNow(),
): Promise<number> {
  io.clock ??= { processStart: performance.timeOrigin, mainStart };
  const outcome: Outcome = { code: EXIT.ok };
  const program = buildProgram(io, outcome);
  const json = argv.includes("--json");
  try {
    await program.parseAsync(argv);
    return outcome.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === "commander.helpDisplayed" ||
        error.code === "commander.version" ||
        error.code === "commander.help"
      ) {
        return EXIT.ok;
      }
      // Commander already printed its message; usage errors exit 2.
      if (json) return reportError(io, new UsageError(error.message.replace(/^error: /, "")), true);
      return EXIT.usage;
    }
    return reportError(io, error, json);
  }
}

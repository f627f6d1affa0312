import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { UsageError } from "@txbox/core";
import { defaultIo, epochNow, EXIT, reportError, type Io } from "./output.js";

/**
 * Each command's module, loaded only when needed: a command line names one command, and loading
 * the others (the MCP SDK, SQLite, ssh2, the network planner) would cost it most of its start.
 * The order is the order of `txbox --help`.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  policy: async () => (await import("./commands/policy.js")).registerPolicy,
  run: async () => (await import("./commands/run.js")).registerRun,
  tx: async () => (await import("./commands/tx.js")).registerTx,
  snapshot: async () => (await import("./commands/snapshot.js")).registerSnapshot,
  net: async () => (await import("./commands/net.js")).registerNet,
  agent: async () => (await import("./commands/agent.js")).registerAgent,
  mcp: async () => (await import("./commands/mcp.js")).registerMcp,
  hook: async () => (await import("./commands/hook.js")).registerHook,
  serve: async () => (await import("./commands/serve.js")).registerServe,
  bench: async () => (await import("./commands/bench.js")).registerBench,
  testbed: async () => (await import("./commands/testbed.js")).registerTestbed,
  config: async () => (await import("./commands/config.js")).registerConfig,
  doctor: async () => (await import("./commands/doctor.js")).registerDoctor,
  completion: async () => (await import("./commands/completion.js")).registerCompletion,
};

/** The command `argv` names (its first word that is not an option), when it is one of ours. Pure. */
export function commandOf(argv: string[]): string | undefined {
  const first = argv.slice(2).find((w) => !w.startsWith("-"));
  return first !== undefined && Object.hasOwn(COMMANDS, first) ? first : undefined;
}

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

/**
 * Build the `txbox` program with the commands named (default: all, as `--help` lists them);
 * exported for tests that drive it in-process.
 */
export async function buildProgram(
  io: Io,
  outcome: Outcome,
  only: string[] = Object.keys(COMMANDS),
): Promise<Command> {
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
  // One after the other: jest's ESM loader fails on concurrent imports of a shared module.
  for (const name of only) (await COMMANDS[name]!())(program, io, outcome);
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
  // Completion scripts list every command: it needs them all.
  const named = commandOf(argv) === "completion" ? undefined : commandOf(argv);
  const versionOnly = named === undefined && (argv.includes("-V") || argv.includes("--version"));
  const program = await buildProgram(
    io,
    outcome,
    versionOnly ? [] : named === undefined ? undefined : [named],
  );
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

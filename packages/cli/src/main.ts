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
  init: async () => (await import("./commands/init.js")).registerInit,
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
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // Usage errors are printed by main() in txbox's own shape (or as JSON), not by commander.
      outputError: () => {},
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
      return reportError(io, usageErrorOf(error, program, argv), json);
    }
    return reportError(io, error, json);
  }
}

/**
 * A commander parse error as a txbox usage error: the first line is the message, commander's
 * suggestion ("Did you mean list?") and the pointer to --help become the hint.
 */
function usageErrorOf(error: CommanderError, program: Command, argv: string[]): UsageError {
  const [first = "usage error", ...rest] = error.message.replace(/^error: /, "").split("\n");
  // The command path the user reached: leading words that name subcommands, nothing else.
  const path: string[] = [];
  let at = program;
  for (const word of argv.slice(2)) {
    if (word === "--") break;
    if (word.startsWith("-")) continue;
    const sub = at.commands.find((c) => c.name() === word);
    if (!sub) break;
    path.push(word);
    at = sub;
  }
  const help = `run ${["txbox", ...path].join(" ")} --help for usage`;
  const suggestion = rest.map((l) => l.replace(/^\((.*)\)$/, "$1")).join(" ");
  return new UsageError(first, { hint: suggestion ? `${suggestion}; ${help}` : help });
}

/**
 * What every agent's configuration says about txbox: how to start its MCP server, the hook
 * command line, and the tool names. Pure functions of the {@link InitRequest}.
 */
import type { InitRequest } from "./types.js";

/** The MCP server's name in every agent's configuration (its tools become `mcp__txbox__…`). */
export const SERVER = "txbox";

/** txbox's three MCP tools. */
export const TOOLS = ["run_command", "list_transactions", "rollback"] as const;

/** Seconds an agent waits for the hook; the gate answers in well under one. */
export const HOOK_TIMEOUT_S = 30;

/**
 * How long an agent waits for one MCP call. Commands run inside a transaction (snapshot, run,
 * verify, commit or roll back): a package install or a test suite takes minutes, and several
 * agents' defaults (opencode 5 s, Codex 60 s) would cut them off.
 */
export const TOOL_TIMEOUT_S = 3600;

/** `txbox mcp …` arguments (after the txbox command itself). */
export function mcpArgs(req: InitRequest): string[] {
  return [
    "mcp",
    "--guest",
    req.guest,
    ...(req.config === undefined ? [] : ["--config", req.config]),
    ...(req.guestCwd === undefined ? [] : ["--cwd", req.guestCwd]),
  ];
}

/** The whole argv of the MCP server. */
export function mcpArgv(req: InitRequest): string[] {
  return [...req.txbox, ...mcpArgs(req)];
}

/** The whole argv of `txbox hook <agent>`. */
export function hookArgv(req: InitRequest): string[] {
  return [
    ...req.txbox,
    "hook",
    req.agent,
    "--guest",
    req.guest,
    ...(req.config === undefined ? [] : ["--config", req.config]),
    ...(req.transact === "allow" ? ["--transact", "allow"] : []),
  ];
}

/** POSIX-shell quoting: hook commands are run by a shell (`sh -c` or the user's shell). */
export function shellQuote(argv: readonly string[]): string {
  return argv
    .map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`))
    .join(" ");
}

/** Whether a hook entry (`{matcher, hooks: [{command}]}`) is txbox's own for `agent`. */
export function isTxboxHookEntry(agent: string): (entry: unknown) => boolean {
  const needle = ` hook ${agent}`;
  return (entry) => {
    const hooks = (entry as { hooks?: unknown } | null)?.hooks;
    return (
      Array.isArray(hooks) &&
      hooks.some((h) => {
        const c = (h as { command?: unknown } | null)?.command;
        return typeof c === "string" && c.includes(needle) && c.includes("txbox");
      })
    );
  };
}

/** Whether an MCP server entry's arguments are txbox's `mcp` command (an earlier `init`). */
export function isTxboxServerArgs(args: unknown): boolean {
  return Array.isArray(args) && args.includes("mcp") && args.includes("--guest");
}

/** `$HOME`-relative directories, honouring the variables each agent documents. */
export function userDir(req: InitRequest, variable: string, fallback: string): string {
  const v = req.env[variable];
  return v !== undefined && v !== "" ? v : `${req.home}/${fallback}`;
}

/** txbox's entry in a Claude-Code-format `PreToolUse` list: the hook on the agent's shell tool. */
export function hookEntry(
  req: InitRequest,
  matcher: string,
  handler: Record<string, unknown> = {},
) {
  return {
    matcher,
    hooks: [
      { type: "command", ...handler, command: shellQuote(hookArgv(req)), timeout: HOOK_TIMEOUT_S },
    ],
  };
}

/** Permission rules naming txbox's MCP tools the way Claude Code and Qwen Code do. */
export const TOOL_RULES = TOOLS.map((t) => `mcp__${SERVER}__${t}`);

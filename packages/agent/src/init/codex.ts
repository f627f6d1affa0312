/**
 * Codex's configuration, `.codex/config.toml` (project; `$CODEX_HOME/config.toml`, default
 * `~/.codex`, global), as developers.openai.com/codex/config-reference, /codex/mcp and
 * /codex/hooks document it and the 0.171.0 binary reads it:
 * - `[features] shell_tool = false` removes every built-in shell tool (codex-rs tool_config:
 *   shell_type is `Disabled` when the feature is off, unified exec included).
 * - `[mcp_servers.txbox]`: `command`, `args`, `tool_timeout_sec` (default 60 s, too short for a
 *   transaction), `default_tools_approval_mode = "approve"` (txbox gates the calls itself).
 * - `[[hooks.PreToolUse]]` with `matcher = "Bash"` and one `[[hooks.PreToolUse.hooks]]` handler
 *   `{type = "command", command, timeout}`, in Claude Code's format.
 * Codex loads a project's `.codex/` only once the project is trusted, and runs a non-managed hook
 * only once it is reviewed (or with `--dangerously-bypass-hook-trust`): see the notes.
 */
import type { AgentSetup, InitRequest } from "./types.js";
import {
  hookEntry,
  SERVER,
  TOOL_TIMEOUT_S,
  isTxboxHookEntry,
  isTxboxServerArgs,
  mcpArgv,
  userDir,
} from "./common.js";
import type { DocEditor } from "./edit.js";

export function codexSetup(req: InitRequest): AgentSetup {
  const global = req.scope === "global";
  const path = global
    ? `${userDir(req, "CODEX_HOME", ".codex")}/config.toml`
    : `${req.dir}/.codex/config.toml`;
  const [command, ...args] = mcpArgv(req);
  return {
    files: [
      {
        path,
        format: "toml",
        edit: (ed: DocEditor) => {
          ed.set(["features", "shell_tool"], false, "the built-in shell must be off under txbox");
          ed.entry(
            ["mcp_servers", SERVER],
            {
              command,
              args,
              tool_timeout_sec: TOOL_TIMEOUT_S,
              default_tools_approval_mode: "approve",
              // Codex starts MCP servers alongside the first turn, which then lacks txbox's tools;
              // a required server is waited for, and Codex stops when txbox cannot start.
              required: true,
            },
            (e) => isTxboxServerArgs(e.args),
            "another server is named txbox",
          );
          ed.hook(["hooks", "PreToolUse"], hookEntry(req, "Bash"), isTxboxHookEntry("codex"));
        },
      },
    ],
    notes: global
      ? [
          "Codex runs a new or changed hook only after review: open /hooks in codex once, or pass --dangerously-bypass-hook-trust to a headless codex exec you have checked.",
        ]
      : [
          "Codex reads a project's .codex/config.toml only in a trusted project: run `codex exec --trust` once in this directory (or trust it when Codex asks).",
          "Codex runs a new or changed hook only after review: open /hooks in codex once, or pass --dangerously-bypass-hook-trust to a headless codex exec you have checked.",
        ],
  };
}

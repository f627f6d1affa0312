/**
 * Claude Code's configuration (code.claude.com/docs/en/settings, /mcp, /hooks; keys checked in the
 * 2.1.332 bundle's settings schema):
 * - `.claude/settings.json` (project; `~/.claude/settings.json` global): `permissions.deny`
 *   `["Bash"]` takes the built-in shell away (deny rules win over allow and ask);
 *   `permissions.allow` lets txbox's MCP tools run without a prompt (txbox gates them itself);
 *   `enabledMcpjsonServers` approves the project's `.mcp.json` server; `hooks.PreToolUse` with
 *   matcher `Bash` runs `txbox hook claude-code` on any shell call that still happens.
 * - `.mcp.json` (project) or `~/.claude.json` (user scope): `mcpServers.txbox` = `{type: "stdio",
 *   command, args}`.
 * `CLAUDE_CONFIG_DIR` moves the user files, as Claude Code documents.
 */
import type { InitRequest, AgentSetup } from "./types.js";
import {
  hookEntry,
  TOOL_RULES,
  SERVER,
  isTxboxHookEntry,
  isTxboxServerArgs,
  mcpArgv,
  userDir,
} from "./common.js";
import type { DocEditor } from "./edit.js";

export function claudeCodeSetup(req: InitRequest): AgentSetup {
  const global = req.scope === "global";
  const configDir = userDir(req, "CLAUDE_CONFIG_DIR", ".claude");
  const settings = global ? `${configDir}/settings.json` : `${req.dir}/.claude/settings.json`;
  const servers = global
    ? req.env.CLAUDE_CONFIG_DIR
      ? `${configDir}/.claude.json`
      : `${req.home}/.claude.json`
    : `${req.dir}/.mcp.json`;
  const [command, ...args] = mcpArgv(req);
  return {
    files: [
      {
        path: servers,
        format: "json",
        edit: (ed: DocEditor) => {
          ed.entry(
            ["mcpServers", SERVER],
            { type: "stdio", command, args },
            (e) => isTxboxServerArgs(e.args),
            "another server is named txbox",
          );
        },
      },
      {
        path: settings,
        format: "json",
        edit: (ed: DocEditor) => {
          ed.union(["permissions", "deny"], ["Bash"]);
          ed.union(["permissions", "allow"], TOOL_RULES);
          if (!global) ed.union(["enabledMcpjsonServers"], [SERVER]);
          // `claude -p` starts MCP servers without waiting for them: its first turn would have no
          // txbox tool, with the shell denied. "false" makes it wait (checked on 2.1.332).
          ed.set(
            ["env", "MCP_CONNECTION_NONBLOCKING"],
            "false",
            "txbox must be up before the first turn",
          );
          ed.hook(["hooks", "PreToolUse"], hookEntry(req, "Bash"), isTxboxHookEntry("claude-code"));
        },
      },
    ],
    notes: global
      ? []
      : [
          // Seen with the 2.1.332 binary: `claude mcp get txbox` stays "Pending approval" with the
          // project's enabledMcpjsonServers alone, and connects once ~/.claude/settings.json has it.
          'Claude Code approves a project\'s .mcp.json servers only from your own settings while the workspace is not trusted: approve txbox when claude asks, or start it with --mcp-config .mcp.json (headless runs), or add "txbox" to enabledMcpjsonServers in ~/.claude/settings.json.',
        ],
  };
}

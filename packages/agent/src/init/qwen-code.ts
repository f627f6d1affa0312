/**
 * Qwen Code's configuration, `.qwen/settings.json` (project; `~/.qwen/settings.json` global), as
 * the 0.24.4 bundle's settings schema defines it (docs/users/configuration/settings.md and
 * docs/users/features/hooks.md in QwenLM/qwen-code):
 * - `permissions.deny: ["run_shell_command"]` removes the shell tool ("Tools or commands that are
 *   always blocked. Highest priority rule"); `permissions.allow` lets txbox's MCP tools run
 *   without confirmation (txbox gates them itself).
 * - `mcpServers.txbox`: `{command, args, timeout (ms), description}`.
 * - `hooks.PreToolUse`: `[{matcher, hooks: [{type: "command", command, timeout (s)}]}]`, the
 *   Claude Code format; the hook sees the shell tool as `run_shell_command`.
 * Project hooks run only in a trusted folder when folder trust is on, and a hook that fails to run
 * does not block the call (Qwen Code fails open): the deny rule is what takes the shell away.
 */
import type { AgentSetup, InitRequest } from "./types.js";
import {
  hookEntry,
  TOOL_RULES,
  SERVER,
  TOOL_TIMEOUT_S,
  isTxboxHookEntry,
  isTxboxServerArgs,
  mcpArgv,
} from "./common.js";
import type { DocEditor } from "./edit.js";

export function qwenCodeSetup(req: InitRequest): AgentSetup {
  const path =
    req.scope === "global" ? `${req.home}/.qwen/settings.json` : `${req.dir}/.qwen/settings.json`;
  const [command, ...args] = mcpArgv(req);
  return {
    files: [
      {
        path,
        format: "json",
        edit: (ed: DocEditor) => {
          ed.union(["permissions", "deny"], ["run_shell_command"]);
          ed.union(["permissions", "allow"], TOOL_RULES);
          ed.entry(
            ["mcpServers", SERVER],
            {
              command,
              args,
              timeout: TOOL_TIMEOUT_S * 1000,
              description:
                "txbox: every shell command through the policy gate, state changes in guest transactions",
            },
            (e) => isTxboxServerArgs(e.args),
            "another server is named txbox",
          );
          ed.hook(
            ["hooks", "PreToolUse"],
            hookEntry(req, "run_shell_command", { name: "txbox-gate" }),
            isTxboxHookEntry("qwen-code"),
          );
        },
      },
    ],
    notes: [
      "Qwen Code runs a project's hooks only in a trusted folder when folder trust is on (security.folderTrust.enabled); the permissions.deny rule takes the shell away either way.",
    ],
  };
}

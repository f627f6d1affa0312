/**
 * opencode's configuration (opencode.ai/docs/config, /permissions, /mcp-servers, /plugins; the
 * 1.18.33 binary's config schema):
 * - `opencode.json` (project root; `$XDG_CONFIG_HOME/opencode/opencode.json`, default
 *   `~/.config/opencode`, global): `permission.bash = "deny"` refuses the built-in shell;
 *   `permission["txbox_*"] = "allow"` lets txbox's MCP tools (opencode names them
 *   `<server>_<tool>`) run without a prompt; `mcp.txbox` = `{type: "local", command: [argv],
 *   enabled, timeout (ms; default 5000, far too short for a transaction)}`.
 * - `.opencode/plugins/txbox-gate.js` (opencode loads `{plugin,plugins}/*.{ts,js}` from its config
 *   directories): a plugin whose `tool.execute.before` pipes every `bash` call to `txbox hook
 *   opencode` and throws txbox's reason when the answer is not `allow` (also when txbox cannot be
 *   run: fail closed).
 */
import type { AgentSetup, InitRequest } from "./types.js";
import {
  HOOK_TIMEOUT_S,
  SERVER,
  TOOL_TIMEOUT_S,
  hookArgv,
  isTxboxServerArgs,
  mcpArgv,
  userDir,
} from "./common.js";
import type { DocEditor } from "./edit.js";

export const PLUGIN_MARKER = "// Written by `txbox init agent opencode`";

/** The plugin's source: plain JavaScript that opencode's runtime (Bun) loads as is. */
export function opencodePlugin(req: InitRequest): string {
  return `${PLUGIN_MARKER}: opencode's pre-tool hook, answered by the txbox gate.
// The next \`txbox init agent opencode\` rewrites this file; change txbox's flags there.
import { spawnSync } from "node:child_process";

const HOOK = ${JSON.stringify(hookArgv(req))};

export const TxboxGate = async () => ({
  "tool.execute.before": async (input, output) => {
    if (input.tool !== "bash") return;
    const question = { tool: input.tool, sessionID: input.sessionID, callID: input.callID, args: output.args };
    const run = spawnSync(HOOK[0], HOOK.slice(1), {
      input: JSON.stringify(question),
      encoding: "utf8",
      timeout: ${HOOK_TIMEOUT_S * 1000},
    });
    let answer;
    try {
      answer = JSON.parse(run.stdout);
    } catch {
      answer = undefined;
    }
    if (run.status === 0 && answer?.decision === "allow") return;
    // Anything but a clear allow refuses the call: the gate fails closed.
    throw new Error(
      answer?.reason ?? \`txbox hook refused the call: \${(run.stderr || run.error?.message || "no answer").trim()}\`,
    );
  },
});
`;
}

export function opencodeSetup(req: InitRequest): AgentSetup {
  const dir =
    req.scope === "global" ? `${userDir(req, "XDG_CONFIG_HOME", ".config")}/opencode` : req.dir;
  const pluginDir = req.scope === "global" ? `${dir}/plugins` : `${dir}/.opencode/plugins`;
  return {
    files: [
      {
        path: `${dir}/opencode.json`,
        format: "json",
        edit: (ed: DocEditor) => {
          if (Object.keys(ed.doc).length === 0)
            ed.set(["$schema"], "https://opencode.ai/config.json", "");
          ed.set(["permission", "bash"], "deny", "the built-in shell must be refused under txbox");
          ed.set(["permission", `${SERVER}_*`], "allow", "txbox gates its own tools");
          ed.entry(
            ["mcp", SERVER],
            { type: "local", command: mcpArgv(req), enabled: true, timeout: TOOL_TIMEOUT_S * 1000 },
            (e) => isTxboxServerArgs(e.command),
            "another MCP server is named txbox",
          );
        },
      },
      {
        path: `${pluginDir}/txbox-gate.js`,
        format: "text",
        content: opencodePlugin(req),
        marker: PLUGIN_MARKER,
      },
    ],
    notes: [],
  };
}

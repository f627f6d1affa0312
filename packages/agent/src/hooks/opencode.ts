/**
 * opencode has no command hooks: its pre-tool hook is a plugin function, `tool.execute.before`,
 * called with `input` = `{ tool, sessionID, callID }` and `output` = `{ args }`; throwing an Error
 * refuses the call and the message reaches the model (opencode.ai/docs/plugins, "tool.execute.
 * before"; the 1.18.33 binary triggers it as `trigger("tool.execute.before", {tool, sessionID,
 * callID}, {args})` before every built-in and MCP tool). txbox's plugin (written by `txbox init
 * agent opencode`, see init/opencode.ts) pipes `{ tool, sessionID, callID, args }` to `txbox hook
 * opencode` and throws when the answer is `deny`. The answer is txbox's own, since opencode
 * prescribes none: `{ "decision": "allow" | "deny", "reason": string }` on stdout, exit 0.
 */
import { z } from "zod";
import { decideShellCall, type GateVerdict, type TransactMode } from "./shell-call.js";
import type { HookAnswer } from "./pre-tool-use.js";

export const opencodeHookInput = z
  .object({
    tool: z.string(),
    sessionID: z.string().optional(),
    callID: z.string().optional(),
    args: z.record(z.string(), z.unknown()),
  })
  .loose();
export type OpencodeHookInput = z.infer<typeof opencodeHookInput>;

/** opencode names MCP tools `<server>_<tool>` (each part with non-[A-Za-z0-9_-] as `_`). */
export const OPENCODE_RUN_COMMAND = "txbox_run_command";

/** Answer one `tool.execute.before` call. Only the `bash` tool runs shell commands. */
export function answerOpencodeHook(
  input: OpencodeHookInput,
  gate: (command: string) => GateVerdict,
  mode: TransactMode = "redirect",
): HookAnswer {
  if (input.tool !== "bash")
    return {
      stdout: `${JSON.stringify({ decision: "allow", reason: "txbox: not a shell call" })}\n`,
      exitCode: 0,
      verdict: "none",
    };
  const a = decideShellCall(input.args.command, gate, mode, OPENCODE_RUN_COMMAND);
  const decision = a.kind === "allow" ? "allow" : "deny";
  return {
    stdout: `${JSON.stringify({ decision, reason: a.reason })}\n`,
    exitCode: 0,
    verdict: a.kind,
  };
}

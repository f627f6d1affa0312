/**
 * The decision every agent hook shares: one shell call the agent is about to make, the gate's
 * verdict on its command, and what txbox answers — allow, deny (with the gate's reason, rules and
 * safer alternative), or redirect (refuse, and point the agent at txbox's `run_command` tool,
 * which runs the command inside a guest transaction). The agents differ only in how they spell
 * the question and the answer (see the sibling files). Pure.
 */
import type { Decision } from "../outcome.js";

/** The gate's verdict on one command, as the hooks need it. */
export interface GateVerdict {
  decision: Decision;
  ruleIds: string[];
  reasons: string[];
  alternative?: string;
}

/**
 * What to do with a command the gate would run inside a transaction: `redirect` refuses it and
 * points the agent at txbox's `run_command` MCP tool (which snapshots the guest); `allow` lets it
 * through, for set-ups where the agent itself runs inside a guest txbox snapshots otherwise.
 */
export type TransactMode = "redirect" | "allow";

/** txbox's answer to one shell call, before an agent's format spells it. */
export interface ShellCallAnswer {
  kind: "allow" | "deny" | "redirect";
  /** The text the agent (and its model) is shown. */
  reason: string;
}

/**
 * Decide one shell call. `runCommandTool` is the name under which the agent offers txbox's
 * `run_command` to its model (each agent prefixes MCP tools its own way).
 */
export function decideShellCall(
  command: unknown,
  gate: (command: string) => GateVerdict,
  mode: TransactMode,
  runCommandTool: string,
): ShellCallAnswer {
  if (typeof command !== "string" || command.trim() === "")
    return { kind: "deny", reason: "txbox: the shell call has no command to check" };
  const v = gate(command);
  const rules = v.ruleIds.length > 0 ? ` (rules: ${v.ruleIds.join(", ")})` : "";
  const why = v.reasons.join("; ");
  if (v.decision === "deny") {
    const instead = v.alternative ? ` Instead: ${v.alternative}` : "";
    return { kind: "deny", reason: `txbox policy denied this command: ${why}${rules}.${instead}` };
  }
  if (v.decision === "transact" && mode === "redirect")
    return {
      kind: "redirect",
      reason:
        `txbox: this command changes state (${why}), so it runs only inside a guest transaction. ` +
        `Call the ${runCommandTool} tool with the same command: txbox snapshots the guest, ` +
        "runs it, and rolls it back if it fails.",
    };
  const kind = v.decision === "allow" ? "reads only" : "allowed through (gate-only mode)";
  return { kind: "allow", reason: `txbox: ${kind}${rules}` };
}

/**
 * The command string of a shell tool's input: a string as most agents send it, or an argv array
 * (older Codex shell tools) — `bash -lc <script>` yields the script, other argv words are joined
 * with POSIX quoting so the gate sees what would run.
 */
export function commandOf(value: unknown): unknown {
  if (!Array.isArray(value) || !value.every((w) => typeof w === "string")) return value;
  const words = value as string[];
  if (
    words.length === 3 &&
    /^(?:\/\S*\/)?(?:ba|z|da)?sh$/.test(words[0]!) &&
    /^-l?c$/.test(words[1]!)
  )
    return words[2];
  return words
    .map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`))
    .join(" ");
}

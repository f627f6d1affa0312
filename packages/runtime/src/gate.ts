import {
  decide,
  type Decision,
  type DecideOptions,
  type Policy,
  type PolicyContext,
} from "@txbox/policy";
import { commandTextProblem } from "./command-text.js";

/**
 * The gate, as every entry point asks it (`txbox run`, `policy check`, agent, MCP, bench): the
 * command text is checked first — a NUL byte or text that was not UTF-8 is refused before the
 * policy (and so before any snapshot) — then the compiled policy decides, with the content of the
 * scripts the command runs that earlier commands wrote (`options.scripts`). Pure.
 */
export function gate(
  policy: Policy,
  command: string,
  ctx: Partial<PolicyContext>,
  options: DecideOptions = {},
): Decision {
  const problem = commandTextProblem(command);
  if (problem !== undefined) {
    return {
      decision: "deny",
      ruleIds: [problem.rule],
      reasons: [problem.reason],
      alternative:
        "send the command as UTF-8 text without NUL bytes; to write binary data, encode it (base64 -d)",
    };
  }
  return decide(policy, command, ctx, options);
}

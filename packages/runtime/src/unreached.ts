import { errorMessage, isTxboxError, newId } from "@txbox/core";
import type { Decision } from "@txbox/policy";
import type { GuestRef, Journal } from "@txbox/tx";

/**
 * The audit record of a command that never ran because its guest could not be reached,
 * authenticated to or verified over SSH (the handshake precedes any snapshot): the operator's
 * `tx audit` shows every command txbox was asked to run, this one with outcome `unreached`
 * and the error's code — a wrong host key is exactly what an audit should not lose.
 */
export function auditUnreached(
  journal: Journal,
  input: { guest: GuestRef; command: string; actor: string | null },
  decision: Decision,
  error: unknown,
  policyMs: number,
): void {
  const code = isTxboxError(error) ? `${error.code}: ` : "";
  journal.audit({
    txid: newId(Date.now()),
    actor: input.actor,
    guest: input.guest,
    command: input.command,
    decision: decision.decision,
    ruleIds: decision.ruleIds,
    reason: `not run: ${code}${errorMessage(error)}`,
    outcome: "unreached",
    exitCode: null,
    stdoutSha256: null,
    stderrSha256: null,
    timings: { policyMs, snapshotMs: 0, execMs: 0, verifyMs: 0, totalMs: policyMs },
  });
}

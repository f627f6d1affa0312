/**
 * Adapters from a {@link Session} to the ports of `@txbox/agent` ({@link TxboxPort}) and
 * `@txbox/bench` ({@link BenchRunner}): both run every command through {@link Session.execute}.
 */
import { TxboxError } from "@txbox/core";
import type { CommandOutcome, TxboxPort } from "@txbox/agent";
import type { BenchDecision, BenchRunner, PlainResult } from "@txbox/bench";
import { treeDigestVia } from "@txbox/bench";
import type { GuestRef, RunResult } from "@txbox/tx";
import type { ExecuteResult, Session } from "./session.js";

/** The agent's view of one engine result. Pure. */
export function outcomeOf(r: RunResult): CommandOutcome {
  return {
    // Only transactions are journalled: the id of a direct or refused command names nothing.
    ...(r.decision === "transact" ? { txid: r.txid } : {}),
    guest: String(r.guest.vmid),
    decision: r.decision,
    outcome: r.outcome,
    exitCode: r.exitCode,
    stdout: r.stdout,
    stderr: r.stderr,
    ...(r.streams === undefined ? {} : { streams: r.streams }),
    rules: r.rules,
    reason: r.error ? `${r.reason} [${r.error.code}: ${r.error.message}]` : r.reason,
    ...(r.alternative === undefined ? {} : { alternative: r.alternative }),
    timings: r.timings,
  };
}

/** Options of {@link sessionPort} and {@link sessionBenchRunner}. */
export interface PortOptions {
  /** Working directory of commands that name none. */
  cwd?: string;
  /** Budget of one plain (ungated) command in ms. Default 120 s. */
  plainTimeoutMs?: number;
}

/** Run one command through the session with the guest's configured checks plus `verify`. */
async function gated(
  session: Session,
  guest: GuestRef,
  command: string,
  cwd: string | undefined,
  verify: string[] = [],
): Promise<ExecuteResult> {
  return await session.execute({
    guest,
    command,
    ...(cwd === undefined ? {} : { cwd }),
    checks: verify,
  });
}

/** A {@link TxboxPort} over a session: every command passes the gate and the engine. */
export function sessionPort(
  session: Session,
  guest: GuestRef,
  options: PortOptions = {},
): TxboxPort {
  return {
    async run(command, opts = {}) {
      return outcomeOf(await gated(session, guest, command, opts.cwd ?? options.cwd, opts.verify));
    },
    async listTransactions(opts = {}) {
      return session.journal.listTxs({
        guest,
        ...(opts.limit === undefined ? {} : { limit: opts.limit }),
      });
    },
    async rollback(txid) {
      return await session.engine.rollbackTransaction(txid);
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A {@link BenchRunner} over a session; `decide` asks the same policy the engine uses. */
export function sessionBenchRunner(
  session: Session,
  guest: GuestRef,
  options: PortOptions = {},
): BenchRunner {
  const timeoutMs = options.plainTimeoutMs ?? 120_000;
  const runPlain = async (command: string, opts: { cwd?: string } = {}): Promise<PlainResult> => {
    const cwd = opts.cwd ?? options.cwd;
    // A guest that has just been rolled back may still be starting: the command never ran, retry.
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await session.exec.run(guest, command, {
          timeoutMs,
          ...(cwd === undefined ? {} : { cwd }),
        });
        return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (code !== "E_UNREACHABLE" || attempt >= 40) throw error;
        await sleep(500);
      }
    }
  };
  return {
    async run(command, opts = {}) {
      return outcomeOf(await gated(session, guest, command, opts.cwd ?? options.cwd));
    },
    runPlain,
    treeDigest: treeDigestVia(runPlain),
    decide(command): BenchDecision {
      return session.gate(command, guest, options.cwd).decision;
    },
    async recover() {
      const report = await session.engine.recover({ guest });
      if (report.errors.length > 0) {
        throw new TxboxError(
          "E_RECOVER",
          `recovery of guest ${guest.vmid} failed: ${report.errors.map((e) => e.message).join("; ")}`,
        );
      }
    },
  };
}

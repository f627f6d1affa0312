/** Effect `verify`: judge the command's outcome (exit code, guest health, protected paths, checks). */
import { errorMessage } from "@txbox/core";
import type { TxPatch, TxRecord } from "../journal.js";
import { verifyOutcome, type VerifyReport } from "../verify.js";
import {
  crashPoint,
  isCrashSignal,
  requireRun,
  stopwatch,
  type DriveContext,
  type Engine,
  type Outcome,
} from "./context.js";

export async function verify(e: Engine, tx: TxRecord, ctx: DriveContext): Promise<Outcome> {
  const elapsed = stopwatch(e);
  const run = requireRun(ctx);
  const result = run.result;
  let report: VerifyReport;
  const prepared = run.probePrepared;
  delete run.probePrepared;
  if (result === undefined) {
    report = { ok: false, checks: [], reasons: ["no result of the command"] };
  } else {
    let first = true;
    try {
      report = await verifyOutcome(
        e.exec,
        tx.guest,
        result,
        run.baseline,
        run.verifyPolicy,
        async () => {
          if (first) await crashPoint(e, ctx, "during-verify");
          first = false;
        },
        prepared,
      );
    } catch (error) {
      prepared?.cancel();
      if (isCrashSignal(error)) throw error;
      report = {
        ok: false,
        checks: [],
        reasons: [`verification could not complete: ${errorMessage(error)}`],
      };
    }
  }
  prepared?.cancel(); // not started when an earlier check failed
  run.report = report;
  const patch: TxPatch = { verify: report, timings: { verifyMs: elapsed() } };
  return report.ok
    ? { event: { type: "VERIFY_PASS", keepSnapshot: tx.keepSnapshot }, patch }
    : {
        event: { type: "VERIFY_FAIL", reasons: report.reasons },
        patch: { ...patch, error: report.reasons.join("; ") },
      };
}

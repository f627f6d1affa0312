/**
 * `txbox bench paper` below the CLI: which guest, which faults the target can inject, the run
 * itself on the session's runner, and the transactions it left FAILED by design.
 */
import { UsageError } from "@txbox/core";
import {
  runPaperBench,
  type BenchProgress,
  type BenchSize,
  type FaultInjector,
  type PaperBenchOptions,
  type PaperBenchResult,
} from "@txbox/bench";
import type { GuestRef } from "@txbox/tx";
import { sessionBenchRunner } from "./adapters.js";
import type { RuntimeEnv } from "./environment.js";
import { testbedFaults, TESTBED_FAULT_KINDS } from "./faults.js";
import type { Session } from "./session.js";
import { findTestbedState, readTestbedState } from "./testbed-state.js";

export interface PaperOnSession {
  /** The guest; default 101 on the testbed, else the first of txbox.yaml's guests. */
  guest?: GuestRef;
  size: BenchSize;
  /** Fault kinds to inject (comma-separated), all of them (true/undefined), or none (false). */
  faults?: string | boolean;
  faultTrials?: number;
  /** Measure the overhead (its pip install workload is the slowest part). Default true. */
  overhead?: boolean;
  onProgress?: (p: BenchProgress) => void;
  /** Notes for the operator (skipped parts, transactions left for them). */
  note: (text: string) => void;
  /** Recover the guest before the run (the caller reports what was recovered). */
  recover: (guest: GuestRef) => Promise<void>;
}

/** The bench's guest: the one given, else 101 on the testbed, else txbox.yaml's first. */
export function benchGuest(s: Session, given: GuestRef | undefined): GuestRef {
  if (given !== undefined) return given;
  if (s.target.source === "testbed") return { vmid: 101 };
  const configured = s.loaded.config.guests[0]?.vmid;
  if (configured !== undefined) return { vmid: configured };
  throw new UsageError("--guest is required (no testbed and no guests in txbox.yaml)");
}

/** The testbed's fault injector for `guest`, or undefined (with a note why) when there is none. */
async function faultsFor(
  s: Session,
  env: Pick<RuntimeEnv, "env" | "cwd">,
  guest: GuestRef,
  wanted: string | boolean | undefined,
  note: (text: string) => void,
): Promise<FaultInjector | undefined> {
  if (wanted === false) {
    note("bench: fault injection skipped (--no-faults)");
    return undefined;
  }
  if (s.target.source !== "testbed") {
    note(
      `bench: fault injection skipped: the target (${s.target.origin}) is not the testbed; ` +
        "rollback under faults needs the testbed's /testbed/faults endpoint",
    );
    return undefined;
  }
  const file = findTestbedState(env);
  if (file === undefined) {
    note("bench: fault injection skipped: no testbed state file found");
    return undefined;
  }
  const kinds =
    typeof wanted === "string"
      ? wanted
          .split(",")
          .map((k) => k.trim())
          .filter((k) => k !== "")
      : TESTBED_FAULT_KINDS;
  return testbedFaults(readTestbedState(file), guest.vmid, kinds);
}

/** Run the paper's benchmark on the session's target. */
export async function paperBenchOn(
  s: Session,
  env: Pick<RuntimeEnv, "env" | "cwd">,
  input: PaperOnSession,
): Promise<PaperBenchResult> {
  const guest = benchGuest(s, input.guest);
  const faults = await faultsFor(s, env, guest, input.faults, input.note);
  await input.recover(guest);
  input.note(
    `bench: reproducing arXiv:2512.12806 (size ${input.size}) on guest ${guest.vmid} of ${s.target.source} (${s.target.origin})`,
  );
  if (input.overhead === false) input.note("bench: overhead measurement skipped (--no-overhead)");
  const startedAt = Date.now();
  const parts: PaperBenchOptions["parts"] = ["scenarios", "interception", "faults"];
  const result = await runPaperBench({
    runner: sessionBenchRunner(s, guest),
    size: input.size,
    ...(faults === undefined ? {} : { faults }),
    ...(input.faultTrials === undefined ? {} : { faultTrials: input.faultTrials }),
    ...(input.overhead === false ? { parts } : {}),
    ...(input.onProgress ? { onProgress: input.onProgress } : {}),
  });
  // Injected rollback failures leave transactions FAILED with their snapshots kept, by design.
  const failed = s.journal
    .listTxs({ guest, limit: 10_000 })
    .filter((t) => t.createdAt >= startedAt && t.state === "FAILED");
  if (failed.length > 0)
    input.note(
      `bench: ${failed.length} transaction(s) ended FAILED with their snapshot kept for the operator ` +
        `(${failed.map((t) => t.txid).join(", ")}); see txbox tx show TXID`,
    );
  return result;
}

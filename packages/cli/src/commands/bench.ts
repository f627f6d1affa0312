import { resolve } from "node:path";
import type { Command } from "commander";
import { UsageError } from "@txbox/core";
import {
  formatProgress,
  renderConsoleTable,
  runPaperBench,
  writeReports,
  type BenchProgress,
  type BenchSize,
  type FaultInjector,
  type PaperBenchOptions,
  type PaperBenchResult,
} from "@txbox/bench";
import type { Register } from "../main.js";
import { EXIT, printJson, println, type Io } from "../output.js";
import {
  findTestbedState,
  readTestbedState,
  sessionBenchRunner,
  testbedFaults,
  TESTBED_FAULT_KINDS,
} from "@txbox/runtime";
import { recoverGuest, withSession } from "../session.js";
import { parseGuest, withTxCommon, type TxCommonOptions } from "./common-tx.js";

interface BenchOptions extends TxCommonOptions {
  out?: string;
  size?: string;
  guest?: string;
  faults?: string | boolean;
  overhead?: boolean;
  faultTrials?: string;
  policy?: string[];
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `2026-11-27T00-31-05Z`: a timestamp usable as a directory name. */
function stamp(date = new Date()): string {
  return date
    .toISOString()
    .replace(/\.\d+Z$/, "Z")
    .replace(/:/g, "-");
}

/** True when every Table 1 scenario that ran reached 100 %. Pure. */
export function table1Passed(result: PaperBenchResult): boolean {
  return result.scenarios.length > 0 && result.scenarios.every((s) => s.passed === s.total);
}

/** Progress on stderr: one rewritten line on a terminal, else a line per phase and per tenth. */
function progressWriter(io: Io): { tick(p: BenchProgress): void; end(): void } {
  const tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
  let phase = "";
  let lastTenth = -1;
  let drawn = false;
  return {
    tick(p) {
      if (tty) {
        io.stderr.write(`\r\x1b[K${formatProgress(p)}`);
        drawn = true;
        return;
      }
      const tenth = p.total > 0 ? Math.floor((10 * p.done) / p.total) : 0;
      if (p.phase !== phase || tenth !== lastTenth) {
        phase = p.phase;
        lastTenth = tenth;
        io.stderr.write(`${formatProgress(p)}\n`);
      }
    },
    end() {
      if (drawn) io.stderr.write("\n");
    },
  };
}

export const registerBench: Register = (program, io, outcome) => {
  const bench = program
    .command("bench")
    .description("benchmarks: reproduce the paper's figures on the current target");

  withTxCommon(bench.command("paper") as Command)
    .description(
      "Table 1's four scenarios, interception, rollback under faults and overhead, beside the paper's figures",
    )
    .option("--out <dir>", "report directory (default .txbox/bench/<timestamp>)")
    .option("--size <size>", "ci (quick subset) or full (the paper's sizes)", "ci")
    .option("--guest <vmid>", "the guest to run on (default: 101 on the testbed)")
    .option(
      "--faults <kinds>",
      `comma-separated testbed fault kinds (default all: ${TESTBED_FAULT_KINDS.join(",")})`,
    )
    .option("--no-faults", "skip fault injection")
    .option(
      "--no-overhead",
      "skip the overhead measurement (its pip install workload is the slowest part)",
    )
    .option("--fault-trials <n>", "trials per fault kind (default: 2 for ci, 5 for full)")
    .option("--policy <file>", "an extra rule pack (repeatable)", collect)
    .addHelpText(
      "after",
      "\nExit status: 0 every Table 1 scenario at 100 %, 1 otherwise, 2 usage.\n" +
        "Writes report.md, report.json, overhead.svg and phases.svg to --out.",
    )
    .action(async (opts: BenchOptions) => {
      const size = opts.size as BenchSize;
      if (size !== "ci" && size !== "full")
        throw new UsageError(`--size: expected ci or full, got ${JSON.stringify(opts.size)}`);
      const faultTrials = opts.faultTrials === undefined ? undefined : Number(opts.faultTrials);
      if (faultTrials !== undefined && !(Number.isInteger(faultTrials) && faultTrials >= 1))
        throw new UsageError(
          `--fault-trials: expected a whole number of at least 1, got ${JSON.stringify(opts.faultTrials)}`,
        );
      const out = resolve(io.cwd, opts.out ?? `.txbox/bench/${stamp()}`);
      const err = (t: string): void => void io.stderr.write(`${t}\n`);
      const result = await withSession(
        io,
        {
          ...(opts.config === undefined ? {} : { config: opts.config }),
          ...(opts.policy === undefined ? {} : { policy: opts.policy }),
        },
        async (s) => {
          let guest = parseGuest(opts.guest);
          if (guest === undefined) {
            const configured = s.loaded.config.guests[0]?.vmid;
            if (s.target.source === "testbed") guest = { vmid: 101 };
            else if (configured !== undefined) guest = { vmid: configured };
            else
              throw new UsageError("--guest is required (no testbed and no guests in txbox.yaml)");
          }
          let faults: FaultInjector | undefined;
          if (opts.faults === false) {
            err("bench: fault injection skipped (--no-faults)");
          } else if (s.target.source !== "testbed") {
            err(
              `bench: fault injection skipped: the target (${s.target.origin}) is not the testbed; ` +
                "rollback under faults needs the testbed's /testbed/faults endpoint",
            );
          } else {
            const file = findTestbedState(io);
            if (file === undefined) {
              err("bench: fault injection skipped: no testbed state file found");
            } else {
              const kinds =
                typeof opts.faults === "string"
                  ? opts.faults
                      .split(",")
                      .map((k) => k.trim())
                      .filter((k) => k !== "")
                  : TESTBED_FAULT_KINDS;
              faults = await testbedFaults(readTestbedState(file), guest.vmid, kinds);
            }
          }
          await recoverGuest(io, s, guest);
          err(
            `bench: reproducing arXiv:2512.12806 (size ${size}) on guest ${guest.vmid} of ${s.target.source} (${s.target.origin})`,
          );
          if (opts.overhead === false) err("bench: overhead measurement skipped (--no-overhead)");
          const progress = progressWriter(io);
          const startedAt = Date.now();
          try {
            const r = await runPaperBench({
              runner: sessionBenchRunner(s, guest),
              size,
              ...(faults === undefined ? {} : { faults }),
              ...(faultTrials === undefined ? {} : { faultTrials }),
              ...(opts.overhead === false
                ? {
                    parts: [
                      "scenarios",
                      "interception",
                      "faults",
                    ] satisfies PaperBenchOptions["parts"],
                  }
                : {}),
              onProgress: (p) => progress.tick(p),
            });
            progress.end();
            // Injected rollback failures leave transactions FAILED with their snapshots kept, by design.
            const failed = s.journal
              .listTxs({ guest, limit: 10_000 })
              .filter((t) => t.createdAt >= startedAt && t.state === "FAILED");
            if (failed.length > 0) {
              err(
                `bench: ${failed.length} transaction(s) ended FAILED with their snapshot kept for the operator ` +
                  `(${failed.map((t) => t.txid).join(", ")}); see txbox tx show TXID`,
              );
            }
            return r;
          } catch (error) {
            progress.end();
            throw error;
          }
        },
      );
      const { files } = writeReports(out, result);
      if (opts.json) {
        printJson(io, { out, files, passed: table1Passed(result), comparison: result.comparison });
      } else {
        println(io, renderConsoleTable(result.comparison).trimEnd());
        println(io);
        println(io, `reports: ${out}/{report.md,report.json,overhead.svg,phases.svg}`);
        println(io, `duration: ${(result.durationMs / 1000).toFixed(1)} s`);
        for (const sc of result.scenarios) {
          for (const c of sc.commands.filter((x) => !x.passed))
            err(`bench: ${sc.category}: ${c.command}: ${c.failure ?? "failed"}`);
        }
      }
      outcome.code = table1Passed(result) ? EXIT.ok : EXIT.failure;
    });
};

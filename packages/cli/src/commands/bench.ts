import { resolve } from "node:path";
import type { Command } from "commander";
import { UsageError } from "@txbox/core";
import {
  formatProgress,
  renderConsoleTable,
  writeReports,
  type BenchProgress,
  type BenchSize,
  type PaperBenchResult,
} from "@txbox/bench";
import type { Register } from "../main.js";
import { EXIT, printJson, println, type Io } from "../output.js";
import { paperBenchOn, TESTBED_FAULT_KINDS } from "@txbox/runtime";
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
      drawn = false;
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
      outcome.code = await benchPaperAction(io, opts);
    });
};

/** `--size` and `--fault-trials`, checked. */
function benchSizes(opts: BenchOptions): { size: BenchSize; faultTrials: number | undefined } {
  const size = opts.size as BenchSize;
  if (size !== "ci" && size !== "full")
    throw new UsageError(`--size: expected ci or full, got ${JSON.stringify(opts.size)}`);
  const faultTrials = opts.faultTrials === undefined ? undefined : Number(opts.faultTrials);
  if (faultTrials !== undefined && !(Number.isInteger(faultTrials) && faultTrials >= 1))
    throw new UsageError(
      `--fault-trials: expected a whole number of at least 1, got ${JSON.stringify(opts.faultTrials)}`,
    );
  return { size, faultTrials };
}

/** `txbox bench paper`: run the paper's bench on a session, write the reports; the exit status. */
async function benchPaperAction(io: Io, opts: BenchOptions): Promise<number> {
  const { size, faultTrials } = benchSizes(opts);
  const out = resolve(io.cwd, opts.out ?? `.txbox/bench/${stamp()}`);
  const progress = progressWriter(io);
  // A note ends a progress line drawn on a terminal first.
  const note = (t: string): void => {
    progress.end();
    io.stderr.write(`${t}\n`);
  };
  const result = await withSession(
    io,
    {
      ...(opts.config === undefined ? {} : { config: opts.config }),
      ...(opts.policy === undefined ? {} : { policy: opts.policy }),
    },
    async (s) => {
      const guest = parseGuest(opts.guest);
      try {
        return await paperBenchOn(s, io, {
          ...(guest === undefined ? {} : { guest }),
          size,
          ...(opts.faults === undefined ? {} : { faults: opts.faults }),
          ...(faultTrials === undefined ? {} : { faultTrials }),
          overhead: opts.overhead !== false,
          onProgress: (p) => progress.tick(p),
          note,
          recover: (g) => recoverGuest(io, s, g),
        });
      } finally {
        progress.end();
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
        io.stderr.write(`bench: ${sc.category}: ${c.command}: ${c.failure ?? "failed"}\n`);
    }
  }
  return table1Passed(result) ? EXIT.ok : EXIT.failure;
}

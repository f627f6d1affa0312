import { configFor, runDoctor, type DoctorReport } from "@txbox/runtime";
import type { Register } from "../main.js";
import { EXIT, printJson, println, type Io } from "../output.js";

/** Print a doctor report, grouped by feature; returns the exit code (1 when a required check failed). */
export function printDoctor(io: Io, rep: DoctorReport, json: boolean): number {
  if (json) {
    printJson(io, rep);
    return rep.ok ? EXIT.ok : EXIT.failure;
  }
  if (rep.target !== undefined)
    println(io, `target: ${rep.target.url} (${rep.target.source}: ${rep.target.origin})`);
  let feature = "";
  for (const c of rep.checks) {
    if (c.feature !== feature) {
      feature = c.feature;
      println(io, `${feature}:`);
    }
    const mark = c.ok ? "ok  " : c.optional ? "warn" : "FAIL";
    println(io, `  ${mark} ${c.name.padEnd(22)} ${c.detail}`);
    if (!c.ok && c.fix) println(io, `       → fix: ${c.fix}`);
  }
  const failed = rep.checks.filter((c) => !c.ok && !c.optional).length;
  println(io, failed === 0 ? "all required checks pass" : `${failed} required check(s) failed`);
  return rep.ok ? EXIT.ok : EXIT.failure;
}

/** `txbox doctor` and `txbox testbed doctor` (the latter registered by the testbed command). */
export async function doctorCommand(
  io: Io,
  opts: { json?: boolean; config?: string; testbed?: boolean },
): Promise<number> {
  const loaded = configFor(io, opts.config);
  const rep = await runDoctor(io, loaded, opts.testbed ? { testbed: true } : {});
  return printDoctor(io, rep, opts.json === true);
}

export const registerDoctor: Register = (program, io, outcome) => {
  program
    .command("doctor")
    .description(
      "check the configured Proxmox target as txbox will use it (API, TLS, token privileges, version, guests, SSH), each failure with its fix; no root needed",
    )
    .option("--config <file>", "txbox.yaml to use (default: found upwards from the cwd)")
    .option("--json", "machine-readable output")
    .action(async (opts: { json?: boolean; config?: string }) => {
      outcome.code = await doctorCommand(io, opts);
    });
};

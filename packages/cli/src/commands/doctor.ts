import { accessSync, constants, statSync } from "node:fs";
import { join } from "node:path";
import { configFor, runDoctor, type Check, type DoctorReport } from "@txbox/runtime";
import { packageRoot } from "../client.js";
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

/**
 * Whether the installed command runs the native thin client (built by scripts/bootstrap) or the
 * Node client. Optional: both behave the same; without it each command pays Node's start.
 */
export function nativeClientCheck(root: string = packageRoot()): Check {
  const bin = join(root, "native", "txbox-client");
  const base = { feature: "core", name: "native client", optional: true };
  const fix = "packages/cli/native/build (needs a C compiler: cc, gcc or clang)";
  let built: number;
  try {
    accessSync(bin, constants.X_OK);
    built = statSync(bin).mtimeMs;
  } catch {
    return { ...base, ok: false, detail: "not built: txbox runs its Node client", fix };
  }
  const sources = ["txbox-client.c", "support.c", "build-id.c", "common.h"];
  const newer = sources.some(
    (f) => (statSync(join(root, "native", f), { throwIfNoEntry: false })?.mtimeMs ?? 0) > built,
  );
  if (newer) return { ...base, ok: false, detail: `${bin} is older than its source`, fix };
  return { ...base, ok: true, detail: bin };
}

/** `txbox doctor` and `txbox testbed doctor` (the latter registered by the testbed command). */
export async function doctorCommand(
  io: Io,
  opts: { json?: boolean; config?: string; testbed?: boolean },
): Promise<number> {
  const loaded = configFor(io, opts.config);
  const rep = await runDoctor(io, loaded, opts.testbed ? { testbed: true } : {});
  // beside the other core checks, which come first
  const at = rep.checks.filter((c) => c.feature === "core").length;
  rep.checks.splice(at, 0, nativeClientCheck());
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

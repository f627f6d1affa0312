// Helpers of the escape suite: running the probe inside a guest (over SSH) or, as a positive
// control, in the guest's sandbox with one measure removed; the table of attempts for the README.
import { spawn } from "node:child_process";
import { open } from "node:fs/promises";

import {
  GUEST_CAPABILITIES,
  procMasks,
  sandboxArgv,
  type HostRealiser,
} from "../../src/realise/host/index.js";
import { existsSync } from "node:fs";

/** One line of the probe's output. `ok` = the attempt worked. */
export interface Attempt {
  attempt: string;
  ok: boolean;
  detail: string;
}

export const PROBE = "/root/escape-probe.py";

export function parseAttempts(stdout: string): Attempt[] {
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Attempt);
}

/** A shell line that reports like the probe: the attempt's name, whether `cmd` succeeded, its error. */
export function shellCheck(name: string, cmd: string): string {
  if (/['"\\]/.test(name)) throw new Error(`shellCheck: quote in name ${name}`);
  const clean = String.raw`$(printf %s "$e" | head -n1 | tr -d '"\\' | cut -c1-80)`;
  return (
    `if e=$( (${cmd}) 2>&1 >/dev/null); then ok=true; else ok=false; fi; ` +
    `printf '{"attempt": "%s", "ok": %s, "detail": "%s"}\n' '${name}' "$ok" "${clean}"`
  );
}

/** Which measures a control sandbox keeps; everything else is the guest's own confinement. */
export interface ControlMeasures {
  seccomp?: boolean;
  masks?: boolean;
  unsharePid?: boolean;
  /** Capabilities added to the guest's set. */
  addCapabilities?: string[];
}

/**
 * Runs `command` in the guest's sandbox on `root` (same bwrap mounts, namespaces, capabilities,
 * /proc masks and seccomp filter as a guest) minus the measures switched off, in the host's
 * network namespace. This is the positive control: the attempt must work here.
 */
export async function inControlSandbox(
  r: HostRealiser,
  root: string,
  m: ControlMeasures,
  command: string[],
  timeoutMs = 60_000,
): Promise<Attempt[]> {
  const filter = await open(r.seccompFile(), "r");
  try {
    const argv = sandboxArgv(
      {
        root,
        hostname: "control",
        capabilities: [...GUEST_CAPABILITIES, ...(m.addCapabilities ?? [])],
        masks: m.masks === false ? { files: [], dirs: [] } : procMasks(existsSync),
        ...(m.seccomp === false ? {} : { seccompFd: 3 }),
        unsharePid: m.unsharePid !== false,
      },
      command,
    );
    const child = spawn(argv[0] ?? "bwrap", argv.slice(1), {
      stdio: ["ignore", "pipe", "pipe", filter.fd],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    await new Promise((res) => child.once("close", res));
    clearTimeout(timer);
    const attempts = parseAttempts(stdout);
    if (attempts.length === 0) throw new Error(`control sandbox printed nothing: ${stderr}`);
    return attempts;
  } finally {
    await filter.close();
  }
}

/** The README's escape table: one row per attempt, guest result and control result. */
export interface TableRow {
  attempt: string;
  measure: string;
  guest: string;
  control: string;
}

export function renderTable(rows: TableRow[]): string {
  const lines = [
    "| attempt (from inside a guest, as root) | measure that stops it | in the guest | positive control (measure removed) |",
    "|---|---|---|---|",
    ...rows.map((r) => `| ${r.attempt} | ${r.measure} | ${r.guest} | ${r.control} |`),
  ];
  return `${lines.join("\n")}\n`;
}

/** "refused (EPERM)" / "works (detail)" for a table cell. */
export function cell(a: Attempt | undefined): string {
  if (a === undefined) return "not run";
  const verdict = a.ok ? "works" : "fails";
  return a.detail === "" ? verdict : `${verdict} (${a.detail})`;
}

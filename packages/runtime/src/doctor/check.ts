/** One line of `txbox doctor`: what was checked, the finding, and what fixes a failure. */
export interface Check {
  /** The group it belongs to: core, api, privileges, guest 101, firewall, ssh, testbed… */
  feature: string;
  name: string;
  ok: boolean;
  detail: string;
  /** What to do (a command, a setting) when it fails. */
  fix?: string;
  /** A failing optional check only warns: txbox works, with the limit `detail` names. */
  optional?: boolean;
}

/** The report: every check, and whether all required ones passed. */
export interface DoctorReport {
  ok: boolean;
  /** `config` (txbox.yaml), `testbed` (a local testbed that is up), or none. */
  target?: { source: "config" | "testbed"; origin: string; url: string };
  checks: Check[];
}

export const report = (checks: Check[], target?: DoctorReport["target"]): DoctorReport => ({
  ok: checks.every((c) => c.ok || c.optional === true),
  ...(target === undefined ? {} : { target }),
  checks,
});

/** The message of an unknown thrown value, first line only. */
export function reason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split("\n")[0]!.trim();
}

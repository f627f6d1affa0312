/** The PVE major releases txbox is built and tested against (the API schema is 9.1's). */
export const SUPPORTED_PVE_MAJORS: readonly number[] = [8, 9];

/** `GET /version`'s `version` (`9.1.1`, `8.4.0`) against {@link SUPPORTED_PVE_MAJORS}. Pure. */
export function checkPveVersion(version: unknown): { ok: boolean; major?: number; reason: string } {
  const m = typeof version === "string" ? /^(\d+)\.(\d+)/.exec(version) : null;
  if (m === null)
    return { ok: false, reason: `unrecognised PVE version ${JSON.stringify(version)}` };
  const major = Number(m[1]);
  const range = SUPPORTED_PVE_MAJORS.map((v) => `${v}.x`).join(" and ");
  if (SUPPORTED_PVE_MAJORS.includes(major))
    return { ok: true, major, reason: `PVE ${version} (supported: ${range})` };
  return {
    ok: false,
    major,
    reason:
      major < SUPPORTED_PVE_MAJORS[0]!
        ? `PVE ${version} is older than txbox supports (${range}): its API lacks calls txbox makes`
        : `PVE ${version} is newer than txbox was tested against (${range})`,
  };
}

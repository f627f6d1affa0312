/**
 * The effectful shell of `txbox init agent`: read the agent's files, plan (plan.ts), refuse on
 * conflicts unless forced, and write each changed file atomically (a temporary file renamed over
 * it), keeping a `.txbox-backup` of any file `--force` overwrites settings in.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { AgentInitError } from "../errors.js";
import { planInit } from "./plan.js";
import type { InitPlan, InitRequest } from "./types.js";

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Plan without writing (`--dry-run`); conflicts are in the plan, not thrown. */
export function previewInit(req: InitRequest): InitPlan {
  return planInit(req, readIfExists);
}

/** Plan and write. Throws `E_AGENT_CONFLICT` (nothing written) when a setting needs `--force`. */
export function applyInit(req: InitRequest): InitPlan {
  const plan = planInit(req, readIfExists);
  const conflicts = plan.files.flatMap((f) => f.conflicts.map((c) => ({ path: f.path, ...c })));
  if (conflicts.length > 0)
    throw new AgentInitError(
      "E_AGENT_CONFLICT",
      `txbox would overwrite ${conflicts.length} of your settings: ` +
        conflicts.map((c) => `${c.path}: ${c.key} (${c.why})`).join("; "),
      {
        details: { conflicts },
        hint: "check them with --dry-run; --force overwrites them (a .txbox-backup of each file is kept)",
      },
    );
  for (const f of plan.files) {
    if (f.action === "unchanged") continue;
    mkdirSync(dirname(f.path), { recursive: true });
    if (req.force && f.before !== undefined) writeFileSync(`${f.path}.txbox-backup`, f.before);
    const tmp = `${f.path}.txbox-${process.pid}.tmp`;
    writeFileSync(tmp, f.content);
    renameSync(tmp, f.path);
  }
  return plan;
}

import { createHash } from "node:crypto";
import { SpecError, PlanStaleError } from "./errors.js";
import type { Plan } from "./plan.js";

/**
 * A plan saved by `net plan --out FILE` and carried out by `net apply FILE`, as terraform's saved
 * plans are: apply does exactly what was reviewed, or refuses. The file keeps the plan, the spec
 * file and its SHA-256, and the API it was made against; apply observes the cluster again, plans
 * again from the same spec, and refuses (E_NET_PLAN_STALE) unless the result is the same plan.
 * Comparing plans rather than whole cluster states ignores changes the plan does not depend on
 * (a guest of someone else started) and catches every one it does. Pure.
 */
export const SAVED_PLAN_FORMAT = "txbox-net-plan/1";

export interface SavedPlan {
  format: typeof SAVED_PLAN_FORMAT;
  name: string;
  createdAt: string;
  /** The API URL of the target the plan was made against. */
  target: string;
  /** Absolute path of the spec, and the SHA-256 of its text when planned. */
  specFile: string;
  specSha256: string;
  /** SHA-256 of the plan's canonical JSON (actions, conflicts, prerequisites). */
  planSha256: string;
  plan: Plan;
}

/** JSON with object keys sorted, so that equal plans have equal digests. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object")
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(value);
}

export const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/** The digest of what a plan would do. */
export function planDigest(p: Plan): string {
  return sha256(
    canonical({ actions: p.actions, conflicts: p.conflicts, prerequisites: p.prerequisites }),
  );
}

export function savePlan(
  p: Plan,
  meta: { target: string; specFile: string; specText: string; now: Date },
): SavedPlan {
  return {
    format: SAVED_PLAN_FORMAT,
    name: p.name,
    createdAt: meta.now.toISOString(),
    target: meta.target,
    specFile: meta.specFile,
    specSha256: sha256(meta.specText),
    planSha256: planDigest(p),
    plan: p,
  };
}

/** Whether a file's text is a saved plan (JSON with our format tag) rather than a YAML spec. */
export function isSavedPlan(text: string): boolean {
  return /^\s*\{/.test(text) && text.includes(`"${SAVED_PLAN_FORMAT}"`);
}

/** Read a saved plan; a damaged or foreign file is an E_NET_SPEC naming it. */
export function parseSavedPlan(text: string, file: string): SavedPlan {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new SpecError(`${file}: not a saved plan (invalid JSON)`, { details: { file }, cause });
  }
  const s = raw as Partial<SavedPlan>;
  for (const key of ["name", "target", "specFile", "specSha256", "planSha256"] as const)
    if (typeof s[key] !== "string")
      throw new SpecError(`${file}: saved plan without ${key}`, { details: { file, key } });
  if (s.format !== SAVED_PLAN_FORMAT || typeof s.plan !== "object" || s.plan === null)
    throw new SpecError(`${file}: not a saved plan of this txbox (${String(s.format)})`, {
      details: { file },
    });
  if (planDigest(s.plan) !== s.planSha256)
    throw new SpecError(`${file}: the saved plan was edited after it was made`, {
      details: { file },
    });
  return s as SavedPlan;
}

/**
 * Refuse a saved plan that would not do what it says: another target, a changed spec, or a
 * cluster that plans differently now. `fresh` is the plan made now from the same spec.
 */
export function checkSavedPlan(
  saved: SavedPlan,
  now: { target: string; specText: string; fresh: Plan },
): void {
  const stale = (reason: string, details: Record<string, unknown> = {}): PlanStaleError =>
    new PlanStaleError(`the saved plan "${saved.name}" (${saved.createdAt}) ${reason}`, {
      details: { reason, ...details },
    });
  if (now.target !== saved.target)
    throw stale(`was made for ${saved.target}, not ${now.target}`, {
      planned: saved.target,
      target: now.target,
    });
  if (sha256(now.specText) !== saved.specSha256)
    throw stale(`no longer matches ${saved.specFile}: the spec changed since`, {
      specFile: saved.specFile,
    });
  if (planDigest(now.fresh) !== saved.planSha256) {
    const was = new Set(saved.plan.actions.map((a) => `${a.op} ${a.id}`));
    const is = new Set(now.fresh.actions.map((a) => `${a.op} ${a.id}`));
    const gone = [...was].filter((a) => !is.has(a));
    const added = [...is].filter((a) => !was.has(a));
    throw stale("is stale: the cluster changed since it was made", {
      noLongerPlanned: gone,
      nowPlanned: added,
      ...(gone.length + added.length === 0 ? { note: "the same steps with other values" } : {}),
    });
  }
}

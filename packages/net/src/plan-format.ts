/** A plan rendered for people, like `terraform plan`. */
import type { Action, Plan } from "./plan-types.js";

function prerequisiteCall(p: Plan, a: Action): string {
  const scope = a.step.type === "firewall-enable" ? a.step.scope : "";
  return p.prerequisites.find((x) => x.scope === scope)?.call ?? "";
}

function show(value: unknown): string {
  if (value === undefined) return "(none)";
  if (Array.isArray(value))
    return value.length === 0
      ? "[]"
      : `[${value.map((v) => `\n          ${String(v)}`).join("")}\n        ]`;
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

const SIGN = { create: "+", change: "~", delete: "-", apply: "*", start: "~" } as const;
const VERB = {
  create: "create",
  change: "change",
  delete: "delete",
  apply: "apply ",
  start: "start ",
} as const;

/**
 * Render a plan like `terraform plan`: one block per action, field-level before → after for
 * changes, and a summary line. An empty plan says so.
 */
export function formatPlan(p: Plan): string {
  const lines: string[] = [];
  if (p.conflicts.length > 0) {
    lines.push(`Plan for "${p.name}" cannot be applied:`);
    for (const c of p.conflicts) lines.push(`  ! ${c}`);
    lines.push("");
  }
  if (p.actions.length === 0) {
    lines.push("No changes. The cluster matches the spec.");
    return lines.join("\n");
  }
  lines.push(`txbox will perform these actions for "${p.name}":`, "");
  for (const a of p.actions) {
    const what =
      a.kind === "sdn"
        ? "sdn (PUT /cluster/sdn, wait for reloadnetworkall)"
        : a.kind === "firewall-switch"
          ? `firewall ${a.id} (needs --enable-firewall: ${prerequisiteCall(p, a)})`
          : `${a.kind} ${a.id}`;
    lines.push(`  ${SIGN[a.op]} ${VERB[a.op]} ${what}`);
    const width = Math.max(0, ...a.changes.map((c) => c.field.length));
    for (const c of a.changes) {
      const field = c.field.padEnd(width);
      if (a.op === "create") lines.push(`      ${field} = ${show(c.after)}`);
      else lines.push(`      ${field} : ${show(c.before)} -> ${show(c.after)}`);
    }
  }
  const s = p.summary;
  lines.push("", `Plan: ${s.create} to create, ${s.change} to change, ${s.delete} to delete.`);
  return lines.join("\n");
}

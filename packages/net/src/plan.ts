/**
 * The network planner: compare what a spec wants with what the cluster has and list the actions
 * that make them equal. Pure: no I/O, no clock. The SDN objects are planned in plan-sdn.ts, the
 * guests in plan-guests.ts, the field diffs in plan-diff.ts; this module orders the actions.
 */
import { compileSpec, type Desired } from "./desired.js";
import type { Observed } from "./ports.js";
import { planGuests } from "./plan-guests.js";
import { planApply, planContext, planSdn, planVnetFirewalls } from "./plan-sdn.js";
import type { Action, Plan } from "./plan-types.js";
import { firewallPrerequisites } from "./prerequisites.js";
import type { NetSpec } from "./spec.js";

export type { Action, FieldChange, GuestSsh, ObjectKind, Plan, Step } from "./plan-types.js";
export { formatRule } from "./plan-diff.js";
export { formatPlan } from "./plan-format.js";

/**
 * The plan for a spec. Only objects txbox manages for `spec.name` are ever changed or deleted
 * (see docs/adr/0005-networks.md); a spec object that exists and is foreign is a conflict.
 */
export function plan(spec: NetSpec, observed: Observed): Plan {
  return planDesired(compileSpec(spec), observed);
}

/** The plan that removes everything txbox manages for the spec named `name`. Pure. */
export function planDestroy(name: string, observed: Observed): Plan {
  return planDesired(
    {
      name,
      controllers: [],
      zones: [],
      vnets: [],
      subnets: [],
      vnetFirewalls: {},
      egress: [],
      guests: [],
    },
    observed,
  );
}

function planDesired(desired: Desired, observed: Observed): Plan {
  const ctx = planContext(desired, observed);
  const sdn = planSdn(ctx);
  const apply = planApply(ctx, sdn);
  const vnetFw = planVnetFirewalls(ctx);
  const guests = planGuests(ctx);
  const prerequisites = firewallPrerequisites(desired, observed.firewall, observed.nodes);
  const switches: Action[] = prerequisites.map((p) => ({
    op: "change",
    kind: "firewall-switch",
    id: p.scope === "datacenter" ? "datacenter" : `node ${p.scope}`,
    changes: [{ field: p.setting, before: p.current, after: p.required }],
    step: { type: "firewall-enable", scope: p.scope },
  }));
  const actions = [
    // First, so that everything after it is enforced from the moment it exists (fail closed).
    ...switches,
    ...guests.deletes,
    ...sdn.deletes,
    ...sdn.upserts,
    ...apply,
    ...vnetFw,
    ...guests.upserts,
    ...guests.firewalls,
    ...guests.starts,
  ];
  const created = new Set(guests.upserts.filter((a) => a.op === "create").map((a) => a.id));
  // A start of a guest created by this plan is part of its creation, not a change.
  const summary = {
    create: actions.filter((a) => a.op === "create").length,
    change: actions.filter((a) => a.op === "change" || (a.op === "start" && !created.has(a.id)))
      .length,
    delete: actions.filter((a) => a.op === "delete").length,
  };
  return { name: desired.name, actions, conflicts: ctx.conflicts, prerequisites, summary };
}

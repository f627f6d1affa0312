/**
 * The SDN half of a plan: controllers, zones, vnets and subnets to create, change or delete, the
 * egress rules that cannot work, the cluster-wide apply, and the vnet firewalls. Pure.
 */
import { marker, within, type Desired, type DesiredSdn } from "./desired.js";
import type { Observed, PendingFields } from "./ports.js";
import { allFields, diffFields, diffFirewall, effective, updateParams } from "./plan-diff.js";
import type { Action, ObjectKind } from "./plan-types.js";

/** What a planner sees of the cluster and which of it belongs to the spec. */
export interface PlanContext {
  desired: Desired;
  observed: Observed;
  /** The spec's ownership marker (vnet alias, firewall rule comment prefix). */
  mark: string;
  /** Why the plan cannot be applied; the planners append in plan order. */
  conflicts: string[];
  ledgerZones: Set<string>;
  ledgerControllers: Set<string>;
  /** PVE's effective pending view of the SDN objects (deleted ones are gone). */
  controllers: Map<string, Record<string, unknown>>;
  zones: Map<string, Record<string, unknown>>;
  vnets: Map<string, Record<string, unknown>>;
  subnets: Observed["subnets"];
  managedVnet(id: string): boolean;
}

function effectiveById<T extends PendingFields>(
  items: T[],
  id: (item: T) => string,
): Map<string, T> {
  return new Map(
    items.flatMap((item) => {
      const e = effective(item);
      return e ? [[id(e), e] as const] : [];
    }),
  );
}

export function planContext(desired: Desired, observed: Observed): PlanContext {
  const mark = marker(desired.name);
  const vnets = effectiveById(observed.vnets, (v) => v.vnet);
  return {
    desired,
    observed,
    mark,
    conflicts: [],
    ledgerZones: new Set(observed.ledger.zones),
    ledgerControllers: new Set(observed.ledger.controllers),
    controllers: effectiveById(observed.controllers, (c) => c.controller),
    zones: effectiveById(observed.zones, (z) => z.zone),
    vnets,
    subnets: observed.subnets.flatMap((s) => {
      const e = effective(s);
      return e ? [e] : [];
    }),
    managedVnet: (id) => vnets.get(id)?.alias === mark,
  };
}

export interface SdnActions {
  upserts: Action[];
  deletes: Action[];
}

/** Objects with one id namespace each: controller, zone, vnet. */
function upsertSdn(
  ctx: PlanContext,
  out: SdnActions,
  object: "controller" | "zone" | "vnet",
  want: DesiredSdn[],
  owned: (id: string) => boolean,
): void {
  const have =
    object === "controller" ? ctx.controllers : object === "zone" ? ctx.zones : ctx.vnets;
  for (const d of want) {
    const cur = have.get(d.id);
    if (cur === undefined) {
      out.upserts.push({
        op: "create",
        kind: object,
        id: d.id,
        changes: allFields(d.params, false),
        step: { type: "sdn-create", object, params: { [object]: d.id, ...d.params } },
      });
    } else if (!owned(d.id)) {
      ctx.conflicts.push(
        `${object} ${d.id} exists and is not managed by txbox spec "${ctx.desired.name}"`,
      );
    } else if (
      d.params.type !== undefined &&
      cur.type !== undefined &&
      cur.type !== d.params.type
    ) {
      ctx.conflicts.push(
        `${object} ${d.id} is of type ${String(cur.type)}; changing it to ${d.params.type} needs destroy first`,
      );
    } else {
      const changes = diffFields(d.fields, cur, d.params);
      if (changes.length > 0)
        out.upserts.push({
          op: "change",
          kind: object,
          id: d.id,
          changes,
          step: { type: "sdn-update", object, id: d.id, params: updateParams(changes, d.params) },
        });
    }
  }
  for (const id of have.keys())
    if (owned(id) && !want.some((d) => d.id === id))
      out.deletes.push({
        op: "delete",
        kind: object,
        id,
        changes: [],
        step: { type: "sdn-delete", object, id },
      });
}

/** Subnets: owned when their vnet is; the id encodes the cidr, so a new cidr is delete + create. */
function planSubnets(ctx: PlanContext, out: SdnActions): void {
  const { desired, subnets, managedVnet } = ctx;
  for (const d of desired.subnets) {
    const cur = subnets.find((s) => s.vnet === d.vnet && s.subnet === d.id);
    const id = `${d.vnet}/${d.id}`;
    if (cur === undefined) {
      const params = { subnet: d.cidr, ...d.params };
      out.upserts.push({
        op: "create",
        kind: "subnet",
        id,
        changes: allFields(params, false),
        step: { type: "subnet-create", vnet: d.vnet, id: d.id, params },
      });
    } else if (ctx.vnets.has(d.vnet) && !managedVnet(d.vnet)) {
      // The vnet conflict is already reported.
    } else {
      const changes = diffFields(d.fields, cur, d.params);
      if (changes.length > 0)
        out.upserts.push({
          op: "change",
          kind: "subnet",
          id,
          changes,
          step: {
            type: "subnet-update",
            vnet: d.vnet,
            id: d.id,
            params: updateParams(changes, d.params),
          },
        });
    }
  }
  for (const s of subnets)
    if (managedVnet(s.vnet) && !desired.subnets.some((d) => d.vnet === s.vnet && d.id === s.subnet))
      out.deletes.push({
        op: "delete",
        kind: "subnet",
        id: `${s.vnet}/${s.subnet}`,
        changes: [],
        step: { type: "subnet-delete", vnet: s.vnet, id: s.subnet },
      });
}

/** An egress into a vnet this spec does not manage cannot work: that vnet's rules decide. */
function egressConflicts(ctx: PlanContext): void {
  const { desired } = ctx;
  for (const e of desired.egress) {
    const foreign = ctx.subnets.find(
      (s) =>
        !desired.vnets.some((v) => v.id === s.vnet) &&
        within(e.dest, s.cidr ?? s.subnet.replace(/^.*-(\d+\.\d+\.\d+\.\d+)-(\d+)$/, "$1/$2")),
    );
    if (foreign !== undefined)
      ctx.conflicts.push(
        `egress from ${e.vnet} to ${e.dest} lies in vnet ${foreign.vnet}, which spec "${desired.name}" does not manage: traffic into a vnet is judged by that vnet's firewall, so the rule would not take effect; add ${e.vnet}'s subnets to ${foreign.vnet}'s firewall instead`,
      );
  }
}

/**
 * The SDN objects' creates and changes (dependencies first) and deletes (dependents first), with
 * the conflicts they meet.
 */
export function planSdn(ctx: PlanContext): SdnActions {
  const out: SdnActions = { upserts: [], deletes: [] };
  const { desired } = ctx;
  upsertSdn(ctx, out, "controller", desired.controllers, (id) => ctx.ledgerControllers.has(id));
  upsertSdn(ctx, out, "zone", desired.zones, (id) => ctx.ledgerZones.has(id));
  upsertSdn(ctx, out, "vnet", desired.vnets, ctx.managedVnet);
  planSubnets(ctx, out);
  egressConflicts(ctx);
  const order = { controller: 0, zone: 1, vnet: 2, subnet: 3 } as Record<ObjectKind, number>;
  out.upserts.sort((a, b) => order[a.kind]! - order[b.kind]!);
  out.deletes.sort((a, b) => order[b.kind]! - order[a.kind]!);
  return out;
}

/** Whether an object txbox manages (or the spec wants) has pending changes not yet applied. */
function pendingOwned(ctx: PlanContext): boolean {
  const { desired, observed } = ctx;
  const pending = <T extends PendingFields>(
    items: T[],
    id: (i: T) => string,
    owned: (id: string) => boolean,
  ) => items.some((i) => i.state !== undefined && owned(id(i)));
  const wanted = (list: DesiredSdn[]) => (id: string) => list.some((d) => d.id === id);
  return (
    pending(
      observed.controllers,
      (c) => c.controller,
      (id) => ctx.ledgerControllers.has(id) || wanted(desired.controllers)(id),
    ) ||
    pending(
      observed.zones,
      (z) => z.zone,
      (id) => ctx.ledgerZones.has(id) || wanted(desired.zones)(id),
    ) ||
    pending(
      observed.vnets,
      (v) => v.vnet,
      (id) => ctx.managedVnet(id) || wanted(desired.vnets)(id),
    ) ||
    pending(
      observed.subnets,
      (s) => s.vnet,
      (id) => ctx.managedVnet(id) || wanted(desired.vnets)(id),
    )
  );
}

/**
 * The cluster-wide apply: needed after any SDN change, for pending changes on objects txbox
 * manages even when nothing else changes (resume), and when a node's reload did not finish (or
 * failed) so that it still runs the old config.
 */
export function planApply(ctx: PlanContext, sdn: SdnActions): Action[] {
  const { desired, ledgerZones } = ctx;
  const needApply = sdn.upserts.length + sdn.deletes.length > 0 || pendingOwned(ctx);
  const ourZone = (id: string) => ledgerZones.has(id) || desired.zones.some((d) => d.id === id);
  const unrealised = ctx.observed.zoneStatus.filter(
    (z) => z.status !== "available" && ourZone(z.zone),
  );
  if (!needApply && unrealised.length === 0) return [];
  return [
    {
      op: "apply",
      kind: "sdn",
      id: "cluster",
      changes: unrealised.map((z) => ({
        field: `zone ${z.zone} on ${z.node}`,
        before: z.status,
        after: "available",
      })),
      step: {
        type: "sdn-apply",
        zones: [...new Set([...desired.zones.map((z) => z.id), ...ledgerZones])].sort(),
      },
    },
  ];
}

/** The vnet firewalls the spec sets, on vnets it manages or creates. */
export function planVnetFirewalls(ctx: PlanContext): Action[] {
  const out: Action[] = [];
  for (const [vnet, state] of Object.entries(ctx.desired.vnetFirewalls)) {
    if (ctx.vnets.has(vnet) && !ctx.managedVnet(vnet)) continue;
    const cur = ctx.observed.vnetFirewalls[vnet];
    const changes = diffFirewall(cur, state, ctx.mark);
    if (changes.length > 0)
      out.push({
        op: cur === undefined || !ctx.vnets.has(vnet) ? "create" : "change",
        kind: "vnet-firewall",
        id: vnet,
        changes,
        step: { type: "vnet-firewall", vnet, state, marker: ctx.mark },
      });
  }
  return out;
}

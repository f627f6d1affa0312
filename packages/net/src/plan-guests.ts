/**
 * The guest half of a plan: clones to create, configs to change, guest firewalls, starts and
 * deletes. A guest is owned when tagged with the spec's tag, or when the spec's vmid holds a guest
 * of the spec's name (a clone that crashed before it was tagged). Pure.
 */
import { decideClone } from "./clone-rule.js";
import { guestTag, type Desired } from "./desired.js";
import type { ObservedGuest } from "./ports.js";
import { allFields, diffFirewall, diffGuestConfig } from "./plan-diff.js";
import type { PlanContext } from "./plan-sdn.js";
import type { Action, GuestSsh } from "./plan-types.js";

type DesiredGuest = Desired["guests"][number];

export interface GuestActions {
  deletes: Action[];
  upserts: Action[];
  firewalls: Action[];
  starts: Action[];
}

function guestSsh(s: GuestSsh): GuestSsh {
  return {
    user: s.user,
    ...(s.publicKey === undefined ? {} : { publicKey: s.publicKey }),
    ...(s.publicKeyFile === undefined ? {} : { publicKeyFile: s.publicKeyFile }),
  };
}

function guestLabel(g: { name: string; vmid: number; node: string }): string {
  return `${g.name} (${g.vmid}@${g.node})`;
}

function deleteGuest(o: ObservedGuest, changes: Action["changes"]): Action {
  return {
    op: "delete",
    kind: "guest",
    id: guestLabel(o),
    changes,
    step: { type: "guest-delete", guest: { node: o.node, vmid: o.vmid, type: o.type } },
  };
}

/** The clone that creates a guest, or the conflict that prevents it. */
function createGuest(ctx: PlanContext, d: DesiredGuest): Action | undefined {
  const g = d.spec;
  const template = ctx.observed.guests.find((o) => o.vmid === g.template);
  if (template === undefined || !template.template || template.type !== g.type) {
    ctx.conflicts.push(
      `guest ${g.name}: template ${g.template} ${template === undefined ? "does not exist" : `is not a ${g.type} template`}`,
    );
    return undefined;
  }
  const how = decideClone(g, template, ctx.observed.storages);
  if (!how.ok) {
    ctx.conflicts.push(how.reason);
    return undefined;
  }
  const storage = how.storage === undefined ? {} : { storage: how.storage };
  return {
    op: "create",
    kind: "guest",
    id: guestLabel(g),
    changes: allFields(
      {
        template: g.template,
        linked: how.linked ? 1 : 0,
        ...storage,
        ...(how.note === undefined ? {} : { note: how.note }),
        ...d.config,
      },
      false,
    ),
    step: {
      type: "guest-create",
      clone: {
        ...d.ref,
        template: g.template,
        templateNode: template.node,
        name: g.name,
        linked: how.linked,
        ...storage,
        ...(how.migrate === true ? { migrate: true } : {}),
      },
      config: d.config,
      ssh: guestSsh(g.ssh),
    },
  };
}

/** A change of an existing guest's config; an untagged clone of ours also gets its keys again. */
function updateGuest(
  ctx: PlanContext,
  d: DesiredGuest,
  cur: ObservedGuest,
  owned: boolean,
): Action | undefined {
  const { changes, update } = diffGuestConfig(cur, d.config, ctx.desired.name);
  if (changes.length === 0) return undefined;
  // An untagged clone of ours: its creation stopped before the end (the tag is set last), so its
  // keys may be missing too; finish the creation rather than just the config.
  return {
    op: "change",
    kind: "guest",
    id: guestLabel(d.spec),
    changes,
    step: {
      type: "guest-update",
      guest: d.ref,
      config: update,
      ...(owned ? {} : { ssh: guestSsh(d.spec.ssh) }),
    },
  };
}

/** The actions for one guest the spec wants, or the conflict that stops them. */
function planGuest(ctx: PlanContext, d: DesiredGuest, out: GuestActions): void {
  const g = d.spec;
  const cur = ctx.observed.guests.find((o) => o.vmid === d.ref.vmid);
  const owned = cur !== undefined && cur.tags.includes(guestTag(ctx.desired.name));
  if (cur !== undefined && !owned && (cur.name !== g.name || cur.template)) {
    ctx.conflicts.push(
      `guest ${cur.vmid} exists as "${cur.name}" and is not managed by txbox spec "${ctx.desired.name}"`,
    );
    return;
  }
  const moved = cur !== undefined && (cur.node !== g.node || cur.type !== g.type);
  if (moved)
    out.deletes.push(
      deleteGuest(cur, [
        { field: "node/type", before: `${cur.node}/${cur.type}`, after: `${g.node}/${g.type}` },
      ]),
    );
  const fresh = cur === undefined || moved;
  if (fresh) {
    const create = createGuest(ctx, d);
    if (create === undefined) return;
    out.upserts.push(create);
  } else {
    const update = updateGuest(ctx, d, cur, owned);
    if (update !== undefined) out.upserts.push(update);
  }
  if (d.firewall) {
    const fw = fresh ? undefined : ctx.observed.guestFirewalls[String(g.vmid)];
    const changes = diffFirewall(fw, d.firewall, ctx.mark);
    if (changes.length > 0)
      out.firewalls.push({
        op: fresh ? "create" : "change",
        kind: "guest-firewall",
        id: guestLabel(g),
        changes,
        step: { type: "guest-firewall", guest: d.ref, state: d.firewall, marker: ctx.mark },
      });
  }
  if (fresh || cur.status !== "running")
    out.starts.push({
      op: "start",
      kind: "guest",
      id: guestLabel(g),
      changes: fresh ? [] : [{ field: "status", before: cur.status, after: "running" }],
      step: { type: "guest-start", guest: d.ref, sshUser: g.ssh.user },
    });
}

/** Every guest action of the plan, and the deletes of owned guests the spec no longer names. */
export function planGuests(ctx: PlanContext): GuestActions {
  const out: GuestActions = { deletes: [], upserts: [], firewalls: [], starts: [] };
  const { desired, observed } = ctx;
  for (const d of desired.guests) planGuest(ctx, d, out);
  for (const o of observed.guests)
    if (
      o.tags.includes(guestTag(desired.name)) &&
      !desired.guests.some((d) => d.ref.vmid === o.vmid)
    )
      out.deletes.push(deleteGuest(o, []));
  return out;
}

import { compileSpec, guestTag, marker, within, type Desired, type DesiredSdn } from "./desired.js";
import { decideClone } from "./clone-rule.js";
import type {
  CloneRequest,
  FirewallRule,
  FirewallState,
  GuestRef,
  Observed,
  ObservedGuest,
  PendingFields,
} from "./ports.js";
import { firewallPrerequisites, type FirewallPrerequisite } from "./prerequisites.js";
import type { NetSpec } from "./spec.js";

export type ObjectKind =
  | "controller"
  | "zone"
  | "vnet"
  | "subnet"
  | "sdn"
  | "vnet-firewall"
  | "guest"
  | "guest-firewall"
  | "firewall-switch";

/** One field of an object, before and after (undefined = absent). */
export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

/** What the engine does for one action. JSON-safe, so a plan can be saved and shown later. */
export type Step =
  | { type: "sdn-create"; object: "controller" | "zone" | "vnet"; params: Record<string, unknown> }
  | {
      type: "sdn-update";
      object: "controller" | "zone" | "vnet";
      id: string;
      params: Record<string, unknown>;
    }
  | { type: "sdn-delete"; object: "controller" | "zone" | "vnet"; id: string }
  | { type: "subnet-create"; vnet: string; id: string; params: Record<string, unknown> }
  | { type: "subnet-update"; vnet: string; id: string; params: Record<string, unknown> }
  | { type: "subnet-delete"; vnet: string; id: string }
  /** `zones`: the spec's zones, each of which must be `available` on every node afterwards. */
  | { type: "sdn-apply"; zones?: string[] }
  /** Turn on the datacenter firewall (`scope: "datacenter"`) or a node's nftables mode. */
  | { type: "firewall-enable"; scope: string }
  | { type: "vnet-firewall"; vnet: string; state: FirewallState; marker: string }
  | { type: "guest-firewall"; guest: GuestRef; state: FirewallState; marker: string }
  | {
      type: "guest-create";
      clone: CloneRequest;
      config: Record<string, string | number>;
      ssh: GuestSsh;
    }
  | {
      type: "guest-update";
      guest: GuestRef;
      config: Record<string, string | number>;
      /** Set when adopting an untagged clone: its creation may have crashed before the keys. */
      ssh?: GuestSsh;
    }
  | { type: "guest-start"; guest: GuestRef; sshUser: string }
  | { type: "guest-delete"; guest: GuestRef };

/** Who logs in to a guest, and with which public key (inline or from a file). */
export interface GuestSsh {
  user: string;
  publicKey?: string;
  publicKeyFile?: string;
}

function guestSsh(s: GuestSsh): GuestSsh {
  return {
    user: s.user,
    ...(s.publicKey === undefined ? {} : { publicKey: s.publicKey }),
    ...(s.publicKeyFile === undefined ? {} : { publicKeyFile: s.publicKeyFile }),
  };
}

export interface Action {
  op: "create" | "change" | "delete" | "apply" | "start";
  kind: ObjectKind;
  /** Display id: `tenanta`, `agentsa/tenanta-10.10.1.0-24`, `agent1 (201@pve1)`. */
  id: string;
  changes: FieldChange[];
  step: Step;
}

export interface Plan {
  /** The spec's name (the ownership marker). */
  name: string;
  /** In execution order: dependencies first for creates, last for deletes. */
  actions: Action[];
  /** Objects the spec wants that exist and are not txbox's: the plan must not be applied. */
  conflicts: string[];
  /**
   * Firewall switches PVE needs before it enforces the spec's rules; their `firewall-switch`
   * actions lead the plan, and apply carries them out only when told to (`--enable-firewall`).
   */
  prerequisites: FirewallPrerequisite[];
  summary: { create: number; change: number; delete: number };
}

/** PVE's effective pending view of an item: pending values over running ones; deleted = gone. */
function effective<T extends PendingFields>(item: T): T | undefined {
  if (item.state === "deleted") return undefined;
  return { ...item, ...(item.pending ?? {}) } as T;
}

const LIST_FIELDS = new Set(["peers", "exitnodes", "nodes"]);
const FLAG_FIELDS = new Set(["snat", "advertise-subnets"]);

function norm(field: string, value: unknown): string | undefined {
  if (value === undefined || value === null || value === "")
    return FLAG_FIELDS.has(field) ? "0" : undefined;
  if (LIST_FIELDS.has(field))
    return String(value)
      .split(/[,;\s]+/)
      .filter(Boolean)
      .sort()
      .join(",");
  if (typeof value === "boolean") return value ? "1" : "0";
  return String(value);
}

function diffFields(
  fields: string[],
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): FieldChange[] {
  const out: FieldChange[] = [];
  for (const f of fields)
    if (norm(f, before[f]) !== norm(f, after[f]))
      out.push({ field: f, before: before[f], after: after[f] });
  return out;
}

function allFields(params: Record<string, unknown>, asBefore: boolean): FieldChange[] {
  return Object.entries(params).map(([field, v]) =>
    asBefore ? { field, before: v, after: undefined } : { field, before: undefined, after: v },
  );
}

/** Update params for a diff: new values, plus PVE's `delete` list for fields that go away. */
function updateParams(
  changes: FieldChange[],
  desired: Record<string, unknown>,
): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  const del: string[] = [];
  for (const c of changes) {
    if (desired[c.field] === undefined) del.push(c.field);
    else params[c.field] = desired[c.field];
  }
  if (del.length > 0) params.delete = del.join(",");
  return params;
}

function ruleKey(r: FirewallRule): string {
  return [r.type, r.action, r.iface, r.source, r.dest, r.proto, r.dport, r.comment, r.enable ?? 1]
    .map((v) => (v === undefined || v === "" ? "-" : String(v)))
    .join(" ");
}

/** A rule as one line for plans: `forward ACCEPT 10.0.0.0/24 -> 0.0.0.0/0 tcp/443`. */
export function formatRule(r: FirewallRule): string {
  const parts = [r.type, r.action];
  if (r.iface) parts.push(`iface=${r.iface}`);
  parts.push(`${r.source ?? "any"} -> ${r.dest ?? "any"}`);
  if (r.proto) parts.push(r.dport ? `${r.proto}/${r.dport}` : r.proto);
  return parts.join(" ");
}

function diffFirewall(
  observed: FirewallState | undefined,
  desired: FirewallState,
  mark: string,
): FieldChange[] {
  const changes: FieldChange[] = [];
  const opts = observed?.options ?? {};
  for (const [k, v] of Object.entries(desired.options))
    if (norm(k, opts[k]) !== norm(k, v))
      changes.push({ field: `options.${k}`, before: opts[k], after: v });
  const mine = (observed?.rules ?? []).filter((r) => r.comment?.startsWith(`${mark}:`));
  const before = mine.map(ruleKey);
  const after = desired.rules.map(ruleKey);
  if (before.join("\n") !== after.join("\n"))
    changes.push({
      field: "rules",
      before: mine.map(formatRule),
      after: desired.rules.map(formatRule),
    });
  return changes;
}

/** Parse a PVE property string (`name=eth0,bridge=x,…`); a qemu NIC's first token is key `model`. */
function propertyString(text: string): Map<string, string> {
  const out = new Map<string, string>();
  text.split(",").forEach((part, i) => {
    const eq = part.indexOf("=");
    const key = eq < 0 ? part : part.slice(0, eq);
    if (i === 0 && /^(virtio|e1000|rtl8139|vmxnet3)$/.test(key)) out.set("model", key);
    else out.set(key, eq < 0 ? "" : part.slice(eq + 1));
  });
  return out;
}

/** Compare a NIC on the keys txbox sets; keep the guest's MAC when it must be rewritten. */
function nicDiff(before: unknown, after: string): { same: boolean; value: string } {
  if (typeof before !== "string") return { same: false, value: after };
  const b = propertyString(before);
  const a = propertyString(after);
  const same = [...a].every(([k, v]) => b.get(k) === v);
  if (same) return { same, value: after };
  const hwaddr = b.get("hwaddr");
  if (hwaddr !== undefined && !a.has("hwaddr")) return { same, value: `${after},hwaddr=${hwaddr}` };
  // qemu keeps its MAC in the model token: `virtio=BC:24:11:…`.
  const first = before.split(",")[0]!;
  if (a.has("model") && first.startsWith(`${a.get("model")}=`))
    return { same, value: [first, ...after.split(",").slice(1)].join(",") };
  return { same, value: after };
}

function diffGuestConfig(
  observed: ObservedGuest,
  desired: Record<string, string | number>,
  name: string,
): { changes: FieldChange[]; update: Record<string, string | number> } {
  const changes: FieldChange[] = [];
  const update: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(desired)) {
    const before = observed.config[k];
    if (/^net\d+$/.test(k)) {
      const d = nicDiff(before, String(v));
      if (!d.same) {
        changes.push({ field: k, before, after: v });
        update[k] = d.value;
      }
    } else if (k === "tags") {
      if (!observed.tags.includes(guestTag(name))) {
        const tags = [...observed.tags, guestTag(name)].join(";");
        changes.push({ field: k, before: observed.tags.join(";") || undefined, after: tags });
        update[k] = tags;
      }
    } else if (norm(k, before) !== norm(k, v)) {
      changes.push({ field: k, before, after: v });
      update[k] = v;
    }
  }
  return { changes, update };
}

function guestLabel(g: { name: string; vmid: number; node: string }): string {
  return `${g.name} (${g.vmid}@${g.node})`;
}

/**
 * Compare what a spec wants with what the cluster has and list the actions that make them equal.
 * Pure: no I/O, no clock. Only objects txbox manages for `spec.name` are ever changed or deleted
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
  const mark = marker(desired.name);
  const conflicts: string[] = [];
  const ledgerZones = new Set(observed.ledger.zones);
  const ledgerControllers = new Set(observed.ledger.controllers);

  const controllers = new Map(
    observed.controllers.flatMap((c) => {
      const e = effective(c);
      return e ? [[e.controller, e] as const] : [];
    }),
  );
  const zones = new Map(
    observed.zones.flatMap((z) => {
      const e = effective(z);
      return e ? [[e.zone, e] as const] : [];
    }),
  );
  const vnets = new Map(
    observed.vnets.flatMap((v) => {
      const e = effective(v);
      return e ? [[e.vnet, e] as const] : [];
    }),
  );
  const subnets = observed.subnets.flatMap((s) => {
    const e = effective(s);
    return e ? [e] : [];
  });
  const managedVnet = (id: string) => vnets.get(id)?.alias === mark;

  const sdnDeletes: Action[] = [];
  const sdnUpserts: Action[] = [];

  // Objects with one id namespace each: controller, zone, vnet.
  const upsertSdn = (
    object: "controller" | "zone" | "vnet",
    want: DesiredSdn[],
    have: Map<string, Record<string, unknown>>,
    owned: (id: string) => boolean,
    idField: string,
  ) => {
    for (const d of want) {
      const cur = have.get(d.id);
      if (cur === undefined) {
        sdnUpserts.push({
          op: "create",
          kind: object,
          id: d.id,
          changes: allFields(d.params, false),
          step: { type: "sdn-create", object, params: { [idField]: d.id, ...d.params } },
        });
      } else if (!owned(d.id)) {
        conflicts.push(
          `${object} ${d.id} exists and is not managed by txbox spec "${desired.name}"`,
        );
      } else if (
        d.params.type !== undefined &&
        cur.type !== undefined &&
        cur.type !== d.params.type
      ) {
        conflicts.push(
          `${object} ${d.id} is of type ${String(cur.type)}; changing it to ${d.params.type} needs destroy first`,
        );
      } else {
        const changes = diffFields(d.fields, cur, d.params);
        if (changes.length > 0)
          sdnUpserts.push({
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
        sdnDeletes.push({
          op: "delete",
          kind: object,
          id,
          changes: [],
          step: { type: "sdn-delete", object, id },
        });
  };

  upsertSdn(
    "controller",
    desired.controllers,
    controllers,
    (id) => ledgerControllers.has(id),
    "controller",
  );
  upsertSdn("zone", desired.zones, zones, (id) => ledgerZones.has(id), "zone");
  upsertSdn("vnet", desired.vnets, vnets, managedVnet, "vnet");

  // Subnets: owned when their vnet is; the id encodes the cidr, so a new cidr is delete + create.
  for (const d of desired.subnets) {
    const cur = subnets.find((s) => s.vnet === d.vnet && s.subnet === d.id);
    if (cur === undefined) {
      sdnUpserts.push({
        op: "create",
        kind: "subnet",
        id: `${d.vnet}/${d.id}`,
        changes: allFields({ subnet: d.cidr, ...d.params }, false),
        step: {
          type: "subnet-create",
          vnet: d.vnet,
          id: d.id,
          params: { subnet: d.cidr, ...d.params },
        },
      });
    } else if (vnets.has(d.vnet) && !managedVnet(d.vnet)) {
      // The vnet conflict is already reported.
    } else {
      const changes = diffFields(d.fields, cur, d.params);
      if (changes.length > 0)
        sdnUpserts.push({
          op: "change",
          kind: "subnet",
          id: `${d.vnet}/${d.id}`,
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
      sdnDeletes.push({
        op: "delete",
        kind: "subnet",
        id: `${s.vnet}/${s.subnet}`,
        changes: [],
        step: { type: "subnet-delete", vnet: s.vnet, id: s.subnet },
      });

  // An egress into a vnet this spec does not manage cannot work: that vnet's rules decide.
  for (const e of desired.egress) {
    const foreign = subnets.find(
      (s) =>
        !desired.vnets.some((v) => v.id === s.vnet) &&
        within(e.dest, s.cidr ?? s.subnet.replace(/^.*-(\d+\.\d+\.\d+\.\d+)-(\d+)$/, "$1/$2")),
    );
    if (foreign !== undefined)
      conflicts.push(
        `egress from ${e.vnet} to ${e.dest} lies in vnet ${foreign.vnet}, which spec "${desired.name}" does not manage: traffic into a vnet is judged by that vnet's firewall, so the rule would not take effect; add ${e.vnet}'s subnets to ${foreign.vnet}'s firewall instead`,
      );
  }

  const order = { controller: 0, zone: 1, vnet: 2, subnet: 3 } as Record<ObjectKind, number>;
  sdnUpserts.sort((a, b) => order[a.kind]! - order[b.kind]!);
  sdnDeletes.sort((a, b) => order[b.kind]! - order[a.kind]!);

  // Pending changes on objects txbox manages need an apply even when nothing else changes (resume).
  const pending = (
    items: PendingFields[],
    id: (i: never) => string,
    owned: (id: string) => boolean,
  ) => items.some((i) => i.state !== undefined && owned(id(i as never)));
  const wanted = (list: DesiredSdn[]) => (id: string) => list.some((d) => d.id === id);
  const needApply =
    sdnUpserts.length + sdnDeletes.length > 0 ||
    pending(
      observed.controllers,
      (c: { controller: string }) => c.controller,
      (id) => ledgerControllers.has(id) || wanted(desired.controllers)(id),
    ) ||
    pending(
      observed.zones,
      (z: { zone: string }) => z.zone,
      (id) => ledgerZones.has(id) || wanted(desired.zones)(id),
    ) ||
    pending(
      observed.vnets,
      (v: { vnet: string }) => v.vnet,
      (id) => managedVnet(id) || wanted(desired.vnets)(id),
    ) ||
    pending(
      observed.subnets,
      (s: { vnet: string }) => s.vnet,
      (id) => managedVnet(id) || wanted(desired.vnets)(id),
    );
  // A node whose reload did not finish (or failed) still runs the old config: reload again.
  const ourZone = (id: string) => ledgerZones.has(id) || wanted(desired.zones)(id);
  const unrealised = observed.zoneStatus.filter((z) => z.status !== "available" && ourZone(z.zone));
  const applyActions: Action[] =
    needApply || unrealised.length > 0
      ? [
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
        ]
      : [];

  const vnetFw: Action[] = [];
  for (const [vnet, state] of Object.entries(desired.vnetFirewalls)) {
    if (vnets.has(vnet) && !managedVnet(vnet)) continue;
    const cur = observed.vnetFirewalls[vnet];
    const changes = diffFirewall(cur, state, mark);
    if (changes.length > 0)
      vnetFw.push({
        op: cur === undefined || !vnets.has(vnet) ? "create" : "change",
        kind: "vnet-firewall",
        id: vnet,
        changes,
        step: { type: "vnet-firewall", vnet, state, marker: mark },
      });
  }

  // Guests: owned when tagged, or when the spec's vmid holds a guest of the spec's name (a clone
  // that crashed before it was tagged).
  const guestDeletes: Action[] = [];
  const guestUpserts: Action[] = [];
  const guestFw: Action[] = [];
  const guestStarts: Action[] = [];
  const ownsGuest = (o: ObservedGuest) => o.tags.includes(guestTag(desired.name));
  for (const d of desired.guests) {
    const cur = observed.guests.find((o) => o.vmid === d.ref.vmid);
    const g = d.spec;
    let fresh = false;
    if (cur !== undefined && !ownsGuest(cur) && (cur.name !== g.name || cur.template)) {
      conflicts.push(
        `guest ${cur.vmid} exists as "${cur.name}" and is not managed by txbox spec "${desired.name}"`,
      );
      continue;
    }
    if (cur !== undefined && (cur.node !== g.node || cur.type !== g.type)) {
      guestDeletes.push({
        op: "delete",
        kind: "guest",
        id: guestLabel(cur),
        changes: [
          { field: "node/type", before: `${cur.node}/${cur.type}`, after: `${g.node}/${g.type}` },
        ],
        step: { type: "guest-delete", guest: { node: cur.node, vmid: cur.vmid, type: cur.type } },
      });
    }
    if (cur === undefined || cur.node !== g.node || cur.type !== g.type) {
      const template = observed.guests.find((o) => o.vmid === g.template);
      if (template === undefined || !template.template || template.type !== g.type) {
        conflicts.push(
          `guest ${g.name}: template ${g.template} ${template === undefined ? "does not exist" : `is not a ${g.type} template`}`,
        );
        continue;
      }
      const how = decideClone(g, template, observed.storages);
      if (!how.ok) {
        conflicts.push(how.reason);
        continue;
      }
      fresh = true;
      guestUpserts.push({
        op: "create",
        kind: "guest",
        id: guestLabel(g),
        changes: allFields(
          {
            template: g.template,
            linked: how.linked ? 1 : 0,
            ...(how.storage === undefined ? {} : { storage: how.storage }),
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
            ...(how.storage === undefined ? {} : { storage: how.storage }),
            ...(how.migrate === true ? { migrate: true } : {}),
          },
          config: d.config,
          ssh: guestSsh(g.ssh),
        },
      });
    } else {
      const { changes, update } = diffGuestConfig(cur, d.config, desired.name);
      // An untagged clone of ours: its creation stopped before the end (the tag is set last), so
      // its keys may be missing too; finish the creation rather than just the config.
      const adopting = !ownsGuest(cur);
      if (changes.length > 0)
        guestUpserts.push({
          op: "change",
          kind: "guest",
          id: guestLabel(g),
          changes,
          step: {
            type: "guest-update",
            guest: d.ref,
            config: update,
            ...(adopting ? { ssh: guestSsh(g.ssh) } : {}),
          },
        });
    }
    if (d.firewall) {
      const fw = fresh ? undefined : observed.guestFirewalls[String(g.vmid)];
      const changes = diffFirewall(fw, d.firewall, mark);
      if (changes.length > 0)
        guestFw.push({
          op: fresh ? "create" : "change",
          kind: "guest-firewall",
          id: guestLabel(g),
          changes,
          step: { type: "guest-firewall", guest: d.ref, state: d.firewall, marker: mark },
        });
    }
    if (fresh || cur?.status !== "running")
      guestStarts.push({
        op: "start",
        kind: "guest",
        id: guestLabel(g),
        changes: fresh ? [] : [{ field: "status", before: cur?.status, after: "running" }],
        step: { type: "guest-start", guest: d.ref, sshUser: g.ssh.user },
      });
  }
  for (const o of observed.guests)
    if (ownsGuest(o) && !desired.guests.some((d) => d.ref.vmid === o.vmid))
      guestDeletes.push({
        op: "delete",
        kind: "guest",
        id: guestLabel(o),
        changes: [],
        step: { type: "guest-delete", guest: { node: o.node, vmid: o.vmid, type: o.type } },
      });

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
    ...guestDeletes,
    ...sdnDeletes,
    ...sdnUpserts,
    ...applyActions,
    ...vnetFw,
    ...guestUpserts,
    ...guestFw,
    ...guestStarts,
  ];
  const created = new Set(guestUpserts.filter((a) => a.op === "create").map((a) => a.id));
  // A start of a guest created by this plan is part of its creation, not a change.
  const summary = {
    create: actions.filter((a) => a.op === "create").length,
    change: actions.filter((a) => a.op === "change" || (a.op === "start" && !created.has(a.id)))
      .length,
    delete: actions.filter((a) => a.op === "delete").length,
  };
  return { name: desired.name, actions, conflicts, prerequisites, summary };
}

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

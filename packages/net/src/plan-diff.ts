/**
 * The planner's pure diff helpers: PVE's pending view of an object, value normalisation, field and
 * firewall diffs, NIC comparison. No knowledge of which objects txbox owns (that is plan-sdn.ts
 * and plan-guests.ts).
 */
import { guestTag } from "./desired.js";
import type { FirewallRule, FirewallState, ObservedGuest, PendingFields } from "./ports.js";
import type { FieldChange } from "./plan-types.js";

/** PVE's effective pending view of an item: pending values over running ones; deleted = gone. */
export function effective<T extends PendingFields>(item: T): T | undefined {
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

export function diffFields(
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

export function allFields(params: Record<string, unknown>, asBefore: boolean): FieldChange[] {
  return Object.entries(params).map(([field, v]) =>
    asBefore ? { field, before: v, after: undefined } : { field, before: undefined, after: v },
  );
}

/** Update params for a diff: new values, plus PVE's `delete` list for fields that go away. */
export function updateParams(
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

export function diffFirewall(
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

export function diffGuestConfig(
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

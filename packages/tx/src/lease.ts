/**
 * The cluster-visible guest lease: one line in the guest's own `description` (the "Notes" of the
 * PVE web UI), written only with `PUT …/config` carrying the `digest` of the config it was read
 * from — PVE's compare-and-swap (`assert_if_modified` under the config lock). Whoever wrote the
 * line last with a matching digest holds the guest until `until`. PVE keeps a guest's description
 * through snapshot and rollback (`__snapshot_copy_config` skips it, `__snapshot_apply_config`
 * keeps it), so rolling a guest back never resurrects or drops a lease. The decision whether a
 * lease may be taken is {@link leaseVerdict}, pure; docs/adr/0014-cluster-lease.md has the why.
 *
 *     txbox-lease/1 {"token":…,"orchestrator":{…},"txid":…,"acquiredAt":…,"until":…,"ttlMs":…}
 */
import { orchestratorId, type Orchestrator } from "./record.js";

export const LEASE_TAG = "txbox-lease/1";
/** PVE's limit of a guest description (apidata.json: `description` maxLength 8192). */
export const DESCRIPTION_MAX_CHARS = 8192;

/** A lease as it stands in a guest's description. */
export interface Lease {
  /** Random per acquisition: tells one holding apart from the next by the same orchestrator. */
  token: string;
  orchestrator: Orchestrator;
  /** The transaction being run under it, when known. */
  txid?: string;
  acquiredAt: number;
  /** Expiry on the holder's clock; renewals move it. */
  until: number;
  ttlMs: number;
}

/** A guest description split into its lease line and everything else (the operator's notes). */
export interface SplitDescription {
  lease?: Lease;
  /** A line with the tag that does not parse: treated as held, never overwritten silently. */
  damaged?: string;
  notes: string;
}

function parseLease(json: string): Lease | undefined {
  try {
    const v = JSON.parse(json) as Record<string, unknown>;
    const o = v.orchestrator as Record<string, unknown> | undefined;
    if (
      typeof v.token !== "string" ||
      typeof v.acquiredAt !== "number" ||
      typeof v.until !== "number" ||
      typeof v.ttlMs !== "number" ||
      o === undefined ||
      typeof o.host !== "string" ||
      typeof o.user !== "string" ||
      typeof o.journal !== "string"
    )
      return undefined;
    return v as unknown as Lease;
  } catch {
    return undefined;
  }
}

/** Split a guest description into the lease and the rest. Pure. */
export function splitDescription(description: string | undefined): SplitDescription {
  const lines = (description ?? "").split("\n");
  const notes: string[] = [];
  const out: SplitDescription = { notes: "" };
  for (const line of lines) {
    if (line.startsWith(`${LEASE_TAG} `)) {
      const lease = parseLease(line.slice(LEASE_TAG.length + 1));
      if (lease === undefined) out.damaged = line;
      else out.lease = lease;
    } else notes.push(line);
  }
  // PVE stores the description as comment lines; a trailing newline is not ours to keep.
  while (notes.length > 0 && notes[notes.length - 1] === "") notes.pop();
  out.notes = notes.join("\n");
  return out;
}

/** The description with `lease` as its last line (none: the line removed). Pure. */
export function joinDescription(notes: string, lease: Lease | undefined): string {
  if (lease === undefined) return notes;
  const line = `${LEASE_TAG} ${JSON.stringify(lease)}`;
  return notes === "" ? line : `${notes}\n${line}`;
}

/** What the caller may do with a guest's lease. */
export type LeaseVerdict =
  | { kind: "free" }
  | { kind: "mine"; lease: Lease }
  | { kind: "expired"; lease: Lease }
  | { kind: "gone"; lease: Lease }
  | { kind: "held"; lease: Lease; reason: string };

/** What {@link leaseVerdict} knows besides the lease. */
export interface LeaseView {
  /** The token of the caller's current holding, if any. */
  myToken?: string;
  me: Orchestrator;
  /** The caller's clock, ms since the epoch. */
  now: number;
  /** How far apart two orchestrators' clocks may be: an expiry counts only once past by this much. */
  maxSkewMs: number;
  /**
   * How long the caller has watched this very lease (token and `until`) stay unchanged, on its own
   * monotonic clock: a holder renews every ttl/3, so a lease unchanged for a whole ttl is
   * abandoned whatever the clocks say.
   */
  unchangedForMs?: number;
  /** Whether a process of this host is alive (pid, start time): a dead holder here is gone at once. */
  alive?: (pid: number, pidStart: string | undefined) => boolean;
  /** The caller's host name, to know when {@link alive} can judge the holder. */
  host: string;
}

/**
 * Whether a lease may be taken. Pure. `free`: no lease; `mine`: the caller's own holding;
 * `gone`: the holder was a process of this host that is no longer running; `expired`: past its
 * `until` by more than the allowed clock skew, or seen unchanged for a whole ttl; `held` otherwise.
 */
export function leaseVerdict(lease: Lease | undefined, view: LeaseView): LeaseVerdict {
  if (lease === undefined) return { kind: "free" };
  if (view.myToken !== undefined && lease.token === view.myToken) return { kind: "mine", lease };
  const h = lease.orchestrator;
  if (h.host === view.host && h.pid !== undefined && view.alive !== undefined) {
    if (!view.alive(h.pid, h.pidStart)) return { kind: "gone", lease };
  }
  if (view.now > lease.until + view.maxSkewMs) return { kind: "expired", lease };
  if (view.unchangedForMs !== undefined && view.unchangedForMs >= lease.ttlMs + view.maxSkewMs)
    return { kind: "expired", lease };
  const left = Math.max(0, lease.until - view.now);
  return {
    kind: "held",
    lease,
    reason: `${orchestratorId(h)}${h.pid === undefined ? "" : ` (pid ${h.pid})`} holds it${lease.txid ? ` for transaction ${lease.txid}` : ""}, ${Math.round(left / 1000)} s left`,
  };
}

/** Whether the verdict lets the caller write its own lease. */
export function mayTake(v: LeaseVerdict): boolean {
  return v.kind !== "held";
}

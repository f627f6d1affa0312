/**
 * The transaction record a txbox snapshot carries in its PVE `description`, so that the cluster
 * itself says which transaction a snapshot belongs to, what it ran, how far it got and who drives
 * it — readable from any host with API access, no journal needed (docs/adr/0014-cluster-lease.md).
 *
 * Format (version 1), two lines:
 *
 *     txbox-tx/1 <txid>
 *     {"v":1,"txid":…,"state":…,"command":…,"commandSha256":…,"orchestrator":{…},"startedAt":…,"leaseUntil":…,"keep":…}
 *
 * The first line is fixed for the snapshot's life (create's idempotence check matches it); the
 * second is JSON, replaced on state changes with `PUT …/snapshot/{name}/config`. Pure.
 */
import { createHash } from "node:crypto";
import { redactText } from "@txbox/core";
import { TX_STATES, type TxState } from "./machine.js";

export const RECORD_TAG = "txbox-tx/1";
/** PVE documents 8192 as the most a guest `description` takes; a snapshot's is held to the same. */
export const RECORD_MAX_CHARS = 8192;
/** Command text kept in a record (redacted, then cut); its digest covers the whole command. */
export const RECORD_COMMAND_CHARS = 2048;

/** Who drives a transaction: one journal of one user on one host (plus the process, for liveness). */
export interface Orchestrator {
  host: string;
  user: string;
  journal: string;
  pid?: number;
  /** The process start time (`/proc/<pid>/stat` field 22): a reused pid is another process. */
  pidStart?: string;
}

/** The stable id of an orchestrator: `user@host:journal`. */
export function orchestratorId(o: Orchestrator): string {
  return `${o.user}@${o.host}:${o.journal}`;
}

/** A transaction as its snapshot describes it. */
export interface ClusterRecord {
  v: 1;
  txid: string;
  state: TxState;
  /** The command, secrets redacted, at most {@link RECORD_COMMAND_CHARS} characters. */
  command: string;
  /** SHA-256 of the whole command as it ran (before redaction). */
  commandSha256: string;
  orchestrator: Orchestrator;
  /** Milliseconds since the epoch (the orchestrator's clock). */
  startedAt: number;
  /** Until when the orchestrator's guest lease ran when the record was written (its clock). */
  leaseUntil: number;
  /** Whether a commit keeps the snapshot (retention keep). */
  keep: boolean;
}

/** The snapshot of a transaction without a record: made by a txbox before records existed. */
export interface LegacyRecord {
  v: 0;
  txid: string;
}

/** The first line of a transaction's record: fixed for the life of its snapshot. */
export function recordMarker(txid: string): string {
  return `${RECORD_TAG} ${txid}`;
}

/** The record of a transaction, built from what the engine knows of it. */
export function newRecord(input: {
  txid: string;
  state: TxState;
  command: string;
  orchestrator: Orchestrator;
  startedAt: number;
  leaseUntil: number;
  keep: boolean;
}): ClusterRecord {
  const redacted = redactText(input.command);
  return {
    v: 1,
    txid: input.txid,
    state: input.state,
    command:
      redacted.length > RECORD_COMMAND_CHARS
        ? `${redacted.slice(0, RECORD_COMMAND_CHARS - 1)}…`
        : redacted,
    commandSha256: createHash("sha256").update(input.command).digest("hex"),
    orchestrator: input.orchestrator,
    startedAt: input.startedAt,
    leaseUntil: input.leaseUntil,
    keep: input.keep,
  };
}

/** The description text of a record (≤ {@link RECORD_MAX_CHARS}: the command is cut further if needed). */
export function encodeRecord(record: ClusterRecord): string {
  let r = record;
  for (;;) {
    const text = `${recordMarker(r.txid)}\n${JSON.stringify(r)}`;
    if (text.length <= RECORD_MAX_CHARS || r.command.length === 0) return text;
    const cut = Math.max(0, r.command.length - (text.length - RECORD_MAX_CHARS) - 1);
    r = { ...r, command: `${r.command.slice(0, cut)}…`.slice(0, cut) };
  }
}

function isOrchestrator(o: unknown): o is Orchestrator {
  if (o === null || typeof o !== "object") return false;
  const x = o as Record<string, unknown>;
  return typeof x.host === "string" && typeof x.user === "string" && typeof x.journal === "string";
}

/**
 * The record in a snapshot description: version 1, a legacy `txbox:<txid>` description, or
 * undefined for anything else (not txbox's, or damaged — then the snapshot is left alone).
 */
export function decodeRecord(
  description: string | undefined,
): ClusterRecord | LegacyRecord | undefined {
  if (description === undefined) return undefined;
  const text = description.replace(/\r\n/g, "\n").trim();
  const legacy = /^txbox:([a-z0-9][a-z0-9_-]*)$/.exec(text);
  if (legacy !== null) return { v: 0, txid: legacy[1]! };
  const nl = text.indexOf("\n");
  if (nl < 0) return undefined;
  const head = /^txbox-tx\/1 (\S+)$/.exec(text.slice(0, nl).trim());
  if (head === null) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text.slice(nl + 1));
  } catch {
    return undefined;
  }
  if (body === null || typeof body !== "object") return undefined;
  const b = body as Record<string, unknown>;
  if (
    b.v !== 1 ||
    b.txid !== head[1] ||
    typeof b.state !== "string" ||
    !(TX_STATES as readonly string[]).includes(b.state) ||
    typeof b.command !== "string" ||
    typeof b.commandSha256 !== "string" ||
    !isOrchestrator(b.orchestrator) ||
    typeof b.startedAt !== "number" ||
    typeof b.leaseUntil !== "number" ||
    typeof b.keep !== "boolean"
  )
    return undefined;
  return b as unknown as ClusterRecord;
}

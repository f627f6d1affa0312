import { isUtf8 } from "node:buffer";

/**
 * The record of one command run through txbox — what the gate decided and what happened — shared
 * by the transaction engine (its run result and audit rows), the agent loop and the benchmarks.
 * Defined once here so that a new outcome reaches every reader through the type checker.
 */

/** The gate's tier for a command. */
export const DECISIONS = ["allow", "transact", "deny"] as const;
export type Decision = (typeof DECISIONS)[number];

/**
 * What happened to a command: run directly (`executed`), committed or rolled back in a
 * transaction, stopped by its time budget (`timed-out`: killed; inside a transaction also rolled
 * back), refused by the gate (`denied`), or could not be carried out (`failed`).
 */
export const OUTCOMES = [
  "executed",
  "committed",
  "rolled-back",
  "timed-out",
  "denied",
  "failed",
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Milliseconds spent in each phase of one command. Phases that did not run are 0. */
export interface PhaseTimings {
  policyMs: number;
  snapshotMs: number;
  execMs: number;
  verifyMs: number;
  commitMs?: number;
  rollbackMs?: number;
  totalMs: number;
}

/**
 * One output stream of a command, described exactly: the record's `stdout`/`stderr` text is the
 * kept bytes themselves when they are UTF-8 (`encoding: "utf8"`), else their base64.
 */
export interface StreamInfo {
  encoding: "utf8" | "base64";
  /** Bytes the stream produced in all (more than kept when truncated). */
  bytes: number;
  /** SHA-256 (hex) of all those bytes. */
  sha256: string;
  /** Only the first bytes are kept in the record. */
  truncated: boolean;
  /** The file holding the whole stream, when it was truncated. */
  file?: string;
  /** Why the whole stream could not be kept in a file, when it could not. */
  fileError?: string;
}

/** One command's result as every reader sees it; each context adds its own fields. */
export interface CommandRecord {
  /** The command's id (a transaction id when it ran inside one). */
  txid?: string;
  decision: Decision;
  outcome: Outcome;
  /** Null when the command did not run, was killed or timed out. */
  exitCode: number | null;
  /** The kept output: its bytes as text when they are UTF-8, else base64 (see `streams`). */
  stdout: string;
  stderr: string;
  /** How `stdout`/`stderr` encode the bytes, their full size and digest; absent when nothing ran. */
  streams?: { stdout: StreamInfo; stderr: StreamInfo };
  /** Ids of the policy rules that matched. */
  rules: string[];
  /** Why the gate decided so, or why the transaction was rolled back / failed. */
  reason: string;
  /** A safer command or approach, when the gate knows one. */
  alternative?: string;
  timings: PhaseTimings;
}

/** The record's text for a stream's kept bytes: the bytes themselves when UTF-8, else base64. Pure. */
export function encodeStream(data: Buffer): { text: string; encoding: StreamInfo["encoding"] } {
  return isUtf8(data)
    ? { text: data.toString("utf8"), encoding: "utf8" }
    : { text: data.toString("base64"), encoding: "base64" };
}

/** The exact kept bytes of a record's stream, whichever way the record encodes them. Pure. */
export function streamBytes(
  r: Pick<CommandRecord, "stdout" | "stderr" | "streams">,
  which: "stdout" | "stderr",
): Buffer {
  return Buffer.from(r[which], r.streams?.[which].encoding === "base64" ? "base64" : "utf8");
}

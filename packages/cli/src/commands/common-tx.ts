import type { Command } from "commander";
import { durationMs, UsageError } from "@txbox/core";
import type { GuestRef, RecoveryReport } from "@txbox/tx";
import { println, type Io } from "../output.js";

/** Options shared by the transaction commands. */
export interface TxCommonOptions {
  json?: boolean;
  config?: string;
}

/** `--json` and `--config`, as every transaction command takes them. */
export function withTxCommon(cmd: Command): Command {
  return cmd
    .option("--json", "machine-readable output")
    .option("--config <file>", "txbox.yaml to use");
}

/** Parse a `--timeout` value (`90s`, `5m`, `1500` ms); a bad one is a usage error. */
export function parseDuration(value: string, flag: string): number {
  const text = /^\d+$/.test(value) ? Number(value) : value;
  try {
    return durationMs(text);
  } catch {
    throw new UsageError(`${flag}: not a duration: ${JSON.stringify(value)} (e.g. 30s, 5m, 1500)`);
  }
}

/** A `--guest` value: a Proxmox vmid. */
export function parseGuest(value: string | undefined, flag = "--guest"): GuestRef | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 100) {
    throw new UsageError(
      `${flag}: expected a vmid (an integer ≥ 100), got ${JSON.stringify(value)}`,
    );
  }
  return { vmid: Number(value) };
}

/** A non-negative integer option. */
export function parseCount(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) {
    throw new UsageError(`${flag}: expected a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

/** True when a recovery report says nothing was done. */
export function recoveryEmpty(r: RecoveryReport): boolean {
  return (
    r.transactions.length === 0 &&
    r.orphansRemoved.length === 0 &&
    r.unlocked.length === 0 &&
    r.staleLocksReleased.length === 0 &&
    r.errors.length === 0
  );
}

/** A recovery report for a person. */
export function printRecovery(
  io: Io,
  r: RecoveryReport,
  write = (t: string) => println(io, t),
): void {
  if (recoveryEmpty(r) && r.skipped.length === 0) {
    write("recovery: nothing to do");
    return;
  }
  for (const t of r.transactions)
    write(`recovered ${t.txid} on ${t.guest.vmid}: ${t.from} → ${t.to}`);
  for (const o of r.orphansRemoved)
    write(`removed orphan snapshot ${o.snapshot} of ${o.guest.vmid}`);
  for (const u of r.unlocked) write(`cleared a stale snapshot-delete lock on ${u.vmid}`);
  for (const l of r.staleLocksReleased) {
    write(
      `released the lock of dead process ${l.pid} on ${l.guestKey}${l.txid ? ` (${l.txid})` : ""}`,
    );
  }
  for (const s of r.skipped) write(`skipped ${s.guest.vmid}: ${s.reason}`);
  for (const e of r.errors)
    write(`error on ${e.guest.vmid}${e.txid ? ` (${e.txid})` : ""}: ${e.message}`);
}

/**
 * Process identity for crash-surviving guest locks: a lock row names its owner by pid and the
 * process start time, so that a lock left by a dead process (or by a pid since reused) is stale.
 */
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import type { LockOwner } from "./journal.js";

/** The start time of a process in clock ticks since boot, or "" where /proc is not available. */
export function processStartTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? "";
  } catch {
    return "";
  }
}

/** Whether a process with this pid exists (EPERM means it exists but is not ours). */
function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Whether the owner of a lock is still running: same pid and, where known, same start time. */
export function ownerAlive(owner: LockOwner): boolean {
  if (!pidExists(owner.pid)) return false;
  if (owner.start === "") return true;
  const start = processStartTime(owner.pid);
  return start === "" || start === owner.start;
}

/** A lock owner for this process and one engine instance within it. */
export function currentOwner(): LockOwner {
  return {
    pid: process.pid,
    start: processStartTime(process.pid),
    token: randomBytes(8).toString("hex"),
  };
}

/**
 * How long a kind of task took lately, so that its next wait polls around when it should end.
 * PVE has no call that waits for a task (`GET …/tasks/{upid}/status` answers at once, and the
 * GUI and `pvesh` poll too); a fixed interval leaves the wait up to one interval past the task's
 * end (≤ 10 ms for a transaction's snapshot, ~5 ms on average, on every transaction's path). A
 * wait that knows the recent durations of the same task on the same guest sleeps until a little
 * before the shortest of them, then polls every `fineMs` until well past their median, and falls
 * back to the preset's backoff after that. Pure bookkeeping, no I/O.
 */
import type { TaskPoll } from "./tasks.js";

/** Durations kept per kind of task. */
const KEPT = 5;
/** The first poll comes at this share of the shortest recent duration. */
const LEAD = 0.8;
/** Fine polling lasts until this multiple of the median recent duration. */
const SPAN = 1.5;

/** When a wait polls: first after `firstMs`, then every `fineMs` until `fineUntilMs` (all from the task's start). */
export interface PaceAim {
  firstMs: number;
  fineUntilMs: number;
}

export class TaskPace {
  private readonly seen = new Map<string, number[]>();

  /** The aim for a task of `key`, when `poll` polls finely and durations of `key` are known. */
  aim(key: string, poll: TaskPoll): PaceAim | undefined {
    const recent = this.seen.get(key);
    if (poll.fineMs === undefined || recent === undefined) return undefined;
    const sorted = [...recent].sort((a, b) => a - b);
    const median = sorted[sorted.length >> 1] as number;
    return {
      firstMs: Math.round(LEAD * (sorted[0] as number)),
      fineUntilMs: Math.round(SPAN * median),
    };
  }

  /** A finished task of `key` was seen stopped `ms` after it started. */
  record(key: string, ms: number): void {
    const recent = this.seen.get(key) ?? [];
    recent.push(ms);
    if (recent.length > KEPT) recent.shift();
    this.seen.set(key, recent);
  }
}

/** The key of a task: its node, type and guest (`pve1/qmsnapshot/102`), from its UPID's parts. */
export function paceKey(node: string, type: string | undefined, id: string | undefined): string {
  return `${node}/${type ?? "?"}/${id ?? ""}`;
}

/**
 * The sleep before the next poll, `elapsedMs` after the task started: fine while inside the
 * aim's window, else the preset's backoff (`interval`, grown by the caller). Pure.
 */
export function nextSleep(
  poll: TaskPoll,
  aim: PaceAim | undefined,
  elapsedMs: number,
  interval: number,
): number {
  if (aim !== undefined && poll.fineMs !== undefined && elapsedMs < aim.fineUntilMs)
    return poll.fineMs;
  return interval;
}

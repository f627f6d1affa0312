/**
 * How long a kind of task took lately, so that its next wait polls around when it should end.
 * PVE has no call that waits for a task (`GET …/tasks/{upid}/status` answers at once, and the
 * GUI and `pvesh` poll too); a fixed interval leaves the wait up to one interval past the task's
 * end (≤ 10 ms for a transaction's snapshot, ~5 ms on average, on every transaction's path). A
 * wait that knows the recent durations of the same task on the same guest sleeps until a little
 * before the shortest of them, polls every `fineMs` a few times, and falls back to the preset's
 * backoff after that. Only short tasks are aimed at: the blind first sleep is what a task faster
 * than its history is seen late by, so it stays ≤ {@link MAX_FIRST_MS} (16 concurrent transactions
 * on 8 guests took seconds each; aimed at, the next ones on the same guests waited for nothing).
 * Pure bookkeeping, no I/O.
 */
import type { TaskPoll } from "./tasks.js";

/** Durations kept per kind of task. */
const KEPT = 5;
/** The first poll comes at this share of the shortest recent duration. */
const LEAD = 0.8;
/** The longest first sleep: tasks whose shortest recent run was longer are polled as before. */
export const MAX_FIRST_MS = 60;
/** Polls every `fineMs` after the first (≈ 20–40 ms of them), then the preset's backoff. */
const FINE_POLLS = 10;

/** When a wait polls: first after `firstMs` from the task's start, then `finePolls` times every `fineMs`. */
export interface PaceAim {
  firstMs: number;
  finePolls: number;
}

export class TaskPace {
  private readonly seen = new Map<string, number[]>();

  /** The aim for a task of `key`, when `poll` polls finely and durations of `key` are known. */
  aim(key: string, poll: TaskPoll): PaceAim | undefined {
    const recent = this.seen.get(key);
    if (poll.fineMs === undefined || recent === undefined) return undefined;
    const firstMs = Math.round(LEAD * Math.min(...recent));
    return firstMs > MAX_FIRST_MS ? undefined : { firstMs, finePolls: FINE_POLLS };
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
 * The sleep after the `polls`-th poll (1 = the first): fine for the aim's fine polls, else the
 * preset's backoff (`interval`, grown by the caller). Pure.
 */
export function nextSleep(
  poll: TaskPoll,
  aim: PaceAim | undefined,
  polls: number,
  interval: number,
): number {
  if (aim !== undefined && poll.fineMs !== undefined && polls <= aim.finePolls) return poll.fineMs;
  return interval;
}

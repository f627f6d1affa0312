import { ApiError, Locked, TaskFailed, Timeout, type ProxmoxError } from "./errors.js";
import { isProxmoxError } from "./guards.js";
import { isTaskSuccess, mapTaskExit } from "./mapping.js";
import { sleep } from "@txbox/core";
import { RETRY, withRetry } from "./retry.js";
import { nextSleep, paceKey, type TaskPace } from "./task-pace.js";
import { parseUpid } from "./upid.js";

/** Sends one API request (the client's bottom layer). */
export type Requester = (
  method: string,
  path: string,
  params?: Record<string, unknown>,
) => Promise<unknown>;

/** Status of a task as `GET /nodes/{node}/tasks/{upid}/status` reports it. */
export interface TaskStatus {
  upid: string;
  node: string;
  status: "running" | "stopped";
  exitstatus?: string;
  type?: string;
  id?: string;
  starttime?: number;
}

/** A finished, successful task: `exitstatus` is `OK` or `WARNINGS: N`. `upid` is null when nothing had to be done. */
export interface TaskResult {
  upid: string | null;
  exitstatus: string;
  durationMs: number;
}

/**
 * How a task is polled: the first poll after `firstMs`, each next one `factor` times later, never
 * more than `maxMs` apart. A poll is one small GET on a kept-alive connection, so short operations
 * can afford to start at a few milliseconds: the wait then ends within a poll or two of the task.
 */
export interface TaskPoll {
  readonly firstMs: number;
  readonly maxMs: number;
  readonly factor: number;
  /**
   * With a {@link TaskPace} that knows the task's recent durations: the first poll shortly
   * before the shortest of them, then a few every `fineMs` (`task-pace.ts`).
   */
  readonly fineMs?: number;
}

/**
 * Poll presets per kind of operation:
 * - `quick`: snapshot create/delete, start, stop — tens of milliseconds on CoW storage, hundreds
 *   on a loaded host, and on every transaction's path: polled at least every 20 ms, so the wait
 *   ends within 20 ms of the task (at 50 ms the snapshot's wait ran ≈ 25 ms past it on average);
 *   short ones seen before on the guest (the window's snapshot delete, which the next transaction
 *   on the guest waits for) are aimed at as `snapshot` is.
 * - `snapshot`: a transaction's snapshot create, which its command waits for: 30–70 ms on the
 *   testbed's btrfs; polled every ≤ 10 ms, so the wait ends within 10 ms of the task (≈ 5 GETs);
 *   once the client saw a few short ones on the guest, polled every 2 ms around their usual end.
 * - `rollback`: stop, restore, start — hundreds of milliseconds to seconds, and what an agent waits
 *   for after a failed command, so the poll stays within 25 ms of the task's end (a 2 s rollback
 *   costs ≈ 80 small GETs on the kept-alive connection).
 * - `long`: clone, create, destroy, SDN apply — seconds to minutes; polling fast buys nothing.
 */
export const POLL = {
  quick: { firstMs: 10, maxMs: 20, factor: 1.5, fineMs: 2 },
  snapshot: { firstMs: 5, maxMs: 10, factor: 1.5, fineMs: 2 },
  rollback: { firstMs: 10, maxMs: 25, factor: 1.5 },
  long: { firstMs: 100, maxMs: 2000, factor: 1.5 },
} as const satisfies Record<string, TaskPoll>;

export interface WaitTaskOptions {
  /** Budget for the whole wait, separate from (and longer than) the HTTP timeout. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Called after each poll with the task's status. */
  onProgress?: (status: TaskStatus) => void;
  /** How long a freshly created task may be unknown (`400 no such task`), default 5 s. */
  unknownGraceMs?: number;
  /** How to poll (default {@link POLL.long}). */
  poll?: TaskPoll;
  /** Recent durations of tasks (the client's): a poll with `fineMs` aims at them and adds this one. */
  pace?: TaskPace;
}

function isNoSuchTask(err: unknown): boolean {
  return err instanceof ApiError && err.httpStatus === 400 && /no such task/i.test(err.message);
}

/** The last `limit` lines of a task's log (best effort: an empty list when it cannot be read). */
export async function taskLog(
  request: Requester,
  node: string,
  upid: string,
  limit = 50,
): Promise<string[]> {
  try {
    const first = (await request("GET", `/nodes/${node}/tasks/${encodeURIComponent(upid)}/log`, {
      start: 0,
      limit: 5000,
    })) as { n: number; t: string }[] | null;
    const lines = (first ?? []).map((l) => l.t);
    return lines.slice(-limit);
  } catch {
    return [];
  }
}

/**
 * Wait for a task to stop. Polls with backoff; `400 no such task` is retried for a short grace
 * period; transient poll failures are retried within the budget; `WARNINGS: N` is success. A failed
 * task throws {@link TaskFailed} with its log, or {@link Locked} when it failed at the lock check
 * (nothing changed then, so the caller may retry). Running out of budget throws {@link Timeout};
 * the task itself keeps running.
 */
export async function waitTask(
  request: Requester,
  node: string,
  upid: string,
  options: WaitTaskOptions,
): Promise<TaskResult> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const grace = options.unknownGraceMs ?? 5000;
  const poll = options.poll ?? POLL.long;
  const parsed = parseUpid(upid);
  const vmid = Number(parsed?.id) || undefined;
  const path = `/nodes/${node}/tasks/${encodeURIComponent(upid)}/status`;
  const key = paceKey(node, parsed?.type, parsed?.id);
  const aim = options.pace?.aim(key, poll);
  if (aim !== undefined) await sleep(Math.min(aim.firstMs, options.timeoutMs), options.signal);
  let interval = poll.firstMs;
  for (let polls = 1; ; polls++) {
    if (options.signal?.aborted) throw options.signal.reason;
    let status: TaskStatus | undefined;
    try {
      status = (await withRetry(RETRY.read, () => request("GET", path) as Promise<TaskStatus>, {
        ...(options.signal ? { signal: options.signal } : {}),
      })) as TaskStatus;
    } catch (err) {
      const unknownTooLong = Date.now() - started > grace;
      if (!isNoSuchTask(err) || unknownTooLong) {
        if (isProxmoxError(err) && err.retryable && Date.now() < deadline) {
          status = undefined; // a transient failure outlived RETRY.read: keep polling within budget
        } else {
          throw err;
        }
      }
    }
    if (status) {
      options.onProgress?.(status);
      if (status.status === "stopped") {
        const exitstatus = status.exitstatus ?? "unknown";
        const durationMs = Date.now() - started;
        if (isTaskSuccess(exitstatus)) {
          options.pace?.record(key, durationMs);
          return { upid, exitstatus, durationMs };
        }
        const log = await taskLog(request, node, upid);
        const mapped = mapTaskExit(exitstatus);
        const context = { upid, vmid, path };
        if (mapped.lock !== undefined) {
          throw new Locked(`task ${upid} failed: ${exitstatus}`, mapped.lock, {
            context,
            details: { log: log.slice(-20) },
          });
        }
        throw new TaskFailed(`task ${upid} failed: ${exitstatus}`, exitstatus, log, {
          context,
          retryable: mapped.transient,
        });
      }
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new Timeout(`task ${upid} still running after ${options.timeoutMs} ms`, {
        context: { upid, vmid },
        hint: "the task keeps running on the server; wait again or inspect it in the task list",
      });
    }
    const next = nextSleep(poll, aim, polls, interval);
    await sleep(Math.min(next, left), options.signal);
    interval = Math.min(poll.maxMs, Math.round(interval * poll.factor));
  }
}

export type { ProxmoxError };

import { errorMessage } from "@txbox/core";
import type { Store } from "./store.js";

/** A task as PVE's task list shows it, plus its log. */
export interface TaskRecord {
  upid: string;
  node: string;
  pid: number;
  pstart: number;
  starttime: number;
  type: string;
  id: string;
  user: string;
  tokenid?: string;
  status: "running" | "stopped";
  exitstatus?: string;
  endtime?: number;
  log: string[];
}

/** What a running task can do: append log lines and count warnings. */
export interface TaskContext {
  upid: string;
  log(line: string): void;
  warn(line: string): void;
  /** Aborted by `DELETE /nodes/{node}/tasks/{upid}`. */
  readonly signal: AbortSignal;
}

const hex8 = (n: number): string => (n >>> 0).toString(16).toUpperCase().padStart(8, "0");

/** Build a UPID: `UPID:<node>:<pid>:<pstart>:<starttime>:<type>:<id>:<user>:`. */
export function formatUpid(t: {
  node: string;
  pid: number;
  pstart: number;
  starttime: number;
  type: string;
  id: string;
  user: string;
}): string {
  return `UPID:${t.node}:${hex8(t.pid)}:${hex8(t.pstart)}:${hex8(t.starttime)}:${t.type}:${t.id}:${t.user}:`;
}

/** Parse a UPID as PVE's `decode_upid` does; undefined when it does not parse. */
export function parseUpid(upid: string):
  | {
      node: string;
      pid: number;
      pstart: number;
      starttime: number;
      type: string;
      id: string;
      user: string;
    }
  | undefined {
  const m =
    /^UPID:([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?):([0-9A-F]{8}):([0-9A-F]{8,9}):([0-9A-F]{8}):([^:\s]+):([^:\s]*):([^:\s]+):$/.exec(
      upid,
    );
  if (m === null) return undefined;
  return {
    node: m[1]!,
    pid: parseInt(m[3]!, 16),
    pstart: parseInt(m[4]!, 16),
    starttime: parseInt(m[5]!, 16),
    type: m[6]!,
    id: m[7]!,
    user: m[8]!,
  };
}

/** Injected task failure: the next `count` tasks of `type` fail with `error`. */
export interface TaskFailure {
  type: string;
  error: string;
  count: number;
}

/**
 * Runs long operations as PVE workers: each gets a UPID at once, runs in the background, writes a
 * log whose last line is `TASK OK`, `TASK WARNINGS: N` or `TASK ERROR: <msg>`, and is persisted.
 */
export class TaskManager {
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly running = new Map<string, { abort: AbortController; done: Promise<void> }>();
  private nextPid = 0x1000 + (process.pid % 0x1000) * 0x10;
  private readonly pstart = Math.floor(process.uptime() * 100) + 0x100000;

  /** Lines in the archive of ended tasks; rewritten with the newest {@link KEEP} past 2×. */
  private archived = 0;

  constructor(
    private readonly store: Store,
    private readonly faults: () => { taskFailures: TaskFailure[]; taskDelayMs: number },
  ) {
    // Ended tasks from the archive, then the active list (a state dir of an older testbed: one
    // file of all tasks); an ended task wins over its stale "running" entry.
    const lines = (store.readText(INDEX) ?? "").split("\n").filter((l) => l !== "");
    this.archived = lines.length;
    const ended = lines.flatMap((l) => {
      try {
        return [JSON.parse(l) as TaskRecord];
      } catch {
        return []; // the torn last line of an append a crash cut short
      }
    });
    const active = [
      ...(store.read<TaskRecord[]>("tasks.json") ?? []),
      ...(store.read<TaskRecord[]>(ACTIVE) ?? []),
    ];
    const byUpid = new Map([...active, ...ended].map((t) => [t.upid, t]));
    const loaded = [...byUpid.values()].sort((a, b) => a.starttime - b.starttime || a.pid - b.pid);
    for (const t of loaded) {
      this.tasks.set(t.upid, t);
      // A task that was running when the server went down ended with it, as on PVE.
      if (t.status === "running") {
        t.status = "stopped";
        t.exitstatus = "unexpected status";
        t.endtime = Math.floor(Date.now() / 1000);
        t.log.push("TASK ERROR: unexpected status");
      }
    }
    this.trim();
    this.rewrite();
  }

  get(upid: string): TaskRecord | undefined {
    return this.tasks.get(upid);
  }

  list(): TaskRecord[] {
    return [...this.tasks.values()];
  }

  /** Start a worker; returns its UPID at once. */
  start(
    opts: { node: string; type: string; id: string; user: string; tokenid?: string },
    fn: (ctx: TaskContext) => Promise<void>,
  ): string {
    const starttime = Math.floor(Date.now() / 1000);
    const pid = this.nextPid++;
    const userField = opts.tokenid === undefined ? opts.user : `${opts.user}!${opts.tokenid}`;
    const upid = formatUpid({ ...opts, pid, pstart: this.pstart, starttime, user: userField });
    const rec: TaskRecord = {
      upid,
      node: opts.node,
      pid,
      pstart: this.pstart,
      starttime,
      type: opts.type,
      id: opts.id,
      user: opts.user,
      ...(opts.tokenid === undefined ? {} : { tokenid: opts.tokenid }),
      status: "running",
      log: [],
    };
    this.tasks.set(upid, rec);
    this.trim();
    this.persistActive();
    const abort = new AbortController();
    let warnings = 0;
    const ctx: TaskContext = {
      upid,
      log: (line) => {
        rec.log.push(line);
      },
      warn: (line) => {
        warnings++;
        rec.log.push(`WARN: ${line}`);
      },
      signal: abort.signal,
    };
    const done = (async () => {
      try {
        const f = this.faults();
        if (f.taskDelayMs > 0) await new Promise((r) => setTimeout(r, f.taskDelayMs));
        const injected = f.taskFailures.find((x) => x.type === opts.type && x.count > 0);
        if (injected !== undefined) {
          injected.count--;
          throw new Error(injected.error);
        }
        await fn(ctx);
        if (abort.signal.aborted) throw new Error("received interrupt");
        rec.exitstatus = warnings > 0 ? `WARNINGS: ${warnings}` : "OK";
        rec.log.push(warnings > 0 ? `TASK WARNINGS: ${warnings}` : "TASK OK");
      } catch (err) {
        // fork_worker (pve-common RESTEnvironment): `chomp $err; $err =~ s/\n/ /mg;` — a
        // multi-line error is one line joined with spaces, in the log and in the exit status
        rec.exitstatus = errorMessage(err).replace(/\n+$/, "").replace(/\n/g, " ");
        rec.log.push(`TASK ERROR: ${rec.exitstatus}`);
      } finally {
        rec.status = "stopped";
        rec.endtime = Math.floor(Date.now() / 1000);
        this.running.delete(upid);
        this.archive(rec);
      }
    })();
    this.running.set(upid, { abort, done });
    return upid;
  }

  /** Request a running task to stop (it ends with `received interrupt`). */
  stop(upid: string): void {
    this.running.get(upid)?.abort.abort();
  }

  /** Wait until every running task has ended (shutdown/restart). */
  async drain(): Promise<void> {
    await Promise.all([...this.running.values()].map((r) => r.done));
  }

  /**
   * As PVE keeps them (pve-common RESTEnvironment `active_workers`): the running tasks in a small
   * file rewritten at each start and end (`/var/log/pve/tasks/active`), each ended task appended
   * to an archive (`/var/log/pve/tasks/index`). Rewriting one file of every task at each start
   * and end cost the API's event loop up to 15 ms twice per task (1,000 tasks, measured).
   */
  private persistActive(): void {
    this.store.write(
      ACTIVE,
      [...this.tasks.values()].filter((t) => t.status === "running"),
    );
  }

  private archive(rec: TaskRecord): void {
    this.trim();
    this.store.append(INDEX, `${JSON.stringify(rec)}\n`);
    this.persistActive();
    if (++this.archived > 2 * KEEP) this.rewrite();
  }

  /** The archive rewritten with the tasks kept; the file of an older testbed removed. */
  private rewrite(): void {
    const ended = [...this.tasks.values()].filter((t) => t.status === "stopped");
    this.store.writeText(INDEX, ended.map((t) => `${JSON.stringify(t)}\n`).join(""));
    this.archived = ended.length;
    this.persistActive();
    this.store.remove("tasks.json");
  }

  /** Keep the newest {@link KEEP} tasks. */
  private trim(): void {
    const all = [...this.tasks.keys()];
    for (const upid of all.slice(0, Math.max(0, all.length - KEEP)))
      if (!this.running.has(upid)) this.tasks.delete(upid);
  }
}

const ACTIVE = "tasks-active.json";
const INDEX = "tasks-index.jsonl";
const KEEP = 1000;

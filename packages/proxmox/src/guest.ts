import { ApiError, Locked, NotFound, TaskFailed, Timeout } from "./errors.js";
import type { EffectOptions, ProxmoxClient } from "./client.js";
import { sleep } from "@txbox/core";
import { RETRY } from "./retry.js";
import { POLL, type TaskPoll, type TaskResult } from "./tasks.js";
import {
  afterLateTimeout,
  assertRollbackPossible,
  blockedByOutsideSnapshot,
  clearHalfDeleted,
  isPowerMgmtDenied,
  rollsBackOnlyToNewestSnapshot,
  waitStartAfterRollback,
} from "./guest-rules.js";

export type GuestType = "qemu" | "lxc";

/** `GET .../status/current`, reduced to what txbox uses. */
export interface GuestStatus {
  status: string;
  lock?: string;
  uptime: number;
  pid?: number;
  mem: number;
  maxmem: number;
  cpu: number;
  name?: string;
}

/** One snapshot of a guest. */
export interface Snapshot {
  name: string;
  description: string;
  snaptime?: number;
  parent?: string;
  vmstate?: boolean;
  /** `prepare` while being created, `delete` while being deleted. */
  snapstate?: string;
}

export interface SnapshotTreeNode extends Snapshot {
  children: SnapshotTreeNode[];
}

/** Snapshots, the `current` pseudo-entry apart, and the tree built from `parent`. */
export interface SnapshotList {
  snapshots: Snapshot[];
  current: { parent?: string; running?: boolean; digest?: string };
  roots: SnapshotTreeNode[];
}

/** Build the snapshot forest from `parent` links (a parent that is not listed makes a root). Pure. */
export function snapshotTree(snapshots: Snapshot[]): SnapshotTreeNode[] {
  const byName = new Map<string, SnapshotTreeNode>();
  for (const s of snapshots) byName.set(s.name, { ...s, children: [] });
  const roots: SnapshotTreeNode[] = [];
  const bySnaptime = (a: SnapshotTreeNode, b: SnapshotTreeNode): number =>
    (a.snaptime ?? 0) - (b.snaptime ?? 0) || a.name.localeCompare(b.name);
  for (const node of byName.values()) {
    const parent = node.parent !== undefined ? byName.get(node.parent) : undefined;
    if (parent && parent !== node) parent.children.push(node);
    else roots.push(node);
  }
  for (const n of byName.values()) n.children.sort(bySnaptime);
  return roots.sort(bySnaptime);
}

type RawSnapshot = Record<string, unknown>;

function toSnapshot(r: RawSnapshot): Snapshot {
  return {
    name: String(r.name),
    description: typeof r.description === "string" ? r.description : "",
    ...(typeof r.snaptime === "number" ? { snaptime: r.snaptime } : {}),
    ...(typeof r.parent === "string" && r.parent !== "" ? { parent: r.parent } : {}),
    ...(r.vmstate !== undefined ? { vmstate: Boolean(Number(r.vmstate)) } : {}),
    ...(typeof r.snapstate === "string" ? { snapstate: r.snapstate } : {}),
  };
}

const noop = (exitstatus = "OK"): TaskResult => ({ upid: null, exitstatus, durationMs: 0 });

/**
 * A qemu VM or an LXC container behind one interface. Effects wait for their task by default and
 * return `{upid, exitstatus, durationMs}`; each is idempotent (`upid: null` when nothing had to be done).
 */
export class Guest {
  constructor(
    /** The client this guest's calls go through. */
    readonly client: ProxmoxClient,
    readonly vmid: number,
    readonly node: string,
    readonly type: GuestType,
  ) {}

  /** API path of this guest, e.g. `/nodes/pve/qemu/100`. */
  get path(): string {
    return `/nodes/${this.node}/${this.type}/${this.vmid}`;
  }

  async status(): Promise<GuestStatus> {
    const r = await this.client.get<Record<string, unknown>>(`${this.path}/status/current`);
    return {
      status: String(r.status),
      ...(typeof r.lock === "string" && r.lock !== "" ? { lock: r.lock } : {}),
      uptime: Number(r.uptime ?? 0),
      ...(r.pid !== undefined && r.pid !== null ? { pid: Number(r.pid) } : {}),
      mem: Number(r.mem ?? 0),
      maxmem: Number(r.maxmem ?? 0),
      cpu: Number(r.cpu ?? 0),
      ...(typeof r.name === "string" ? { name: r.name } : {}),
    };
  }

  /** Start; a running guest is success. */
  async start(options: EffectOptions = {}): Promise<TaskResult> {
    if ((await this.status()).status === "running") return noop();
    return await this.tolerate(/already running/i, () =>
      this.client.effect("POST", `${this.path}/status/start`, undefined, {
        poll: POLL.quick,
        ...options,
        alreadyDone: async () => ((await this.status()).status === "running" ? noop() : undefined),
      }),
    );
  }

  /** Hard stop; a stopped guest is success. */
  async stop(options: EffectOptions = {}): Promise<TaskResult> {
    if ((await this.status()).status === "stopped") return noop();
    return await this.tolerate(/not running/i, () =>
      this.client.effect("POST", `${this.path}/status/stop`, undefined, {
        poll: POLL.quick,
        ...options,
        alreadyDone: async () => ((await this.status()).status === "stopped" ? noop() : undefined),
      }),
    );
  }

  /** Clean shutdown within `timeout` seconds (then a hard stop when `forceStop`). */
  async shutdown(
    options: EffectOptions & { timeout?: number; forceStop?: boolean } = {},
  ): Promise<TaskResult> {
    if ((await this.status()).status === "stopped") return noop();
    const { timeout, forceStop, ...effect } = options;
    const params = {
      ...(timeout !== undefined ? { timeout } : {}),
      ...(forceStop !== undefined ? { forceStop } : {}),
    };
    return await this.tolerate(/not running/i, () =>
      this.client.effect("POST", `${this.path}/status/shutdown`, params, {
        poll: POLL.long,
        ...effect,
        alreadyDone: async () => ((await this.status()).status === "stopped" ? noop() : undefined),
      }),
    );
  }

  config(): Promise<Record<string, unknown>> {
    return this.client.get(`${this.path}/config`);
  }

  /** PUT config (synchronous). Idempotent, so an unknown outcome is simply sent again. */
  async updateConfig(params: Record<string, unknown>): Promise<void> {
    await this.client.request("PUT", `${this.path}/config`, params, RETRY.effect, {
      alreadyDone: async () => undefined,
    });
  }

  /** Replace a snapshot's description (`PUT …/snapshot/{name}/config`, synchronous, idempotent). */
  async describeSnapshot(name: string, description: string): Promise<void> {
    await this.client.request(
      "PUT",
      `${this.path}/snapshot/${encodeURIComponent(name)}/config`,
      { description },
      RETRY.effect,
      { alreadyDone: async () => undefined },
    );
  }

  /** Clone to `newid`; when `newid` already exists after an unknown outcome, that is taken as done. */
  async clone(
    newid: number,
    options: EffectOptions & {
      name?: string;
      full?: boolean;
      target?: string;
      storage?: string;
    } = {},
  ): Promise<TaskResult> {
    const { name, full, target, storage, ...effect } = options;
    const params = {
      newid,
      ...(name !== undefined ? { [this.type === "qemu" ? "name" : "hostname"]: name } : {}),
      ...(full !== undefined ? { full } : {}),
      ...(target !== undefined ? { target } : {}),
      ...(storage !== undefined ? { storage } : {}),
    };
    return await this.client.effect("POST", `${this.path}/clone`, params, {
      poll: POLL.long,
      ...effect,
      alreadyDone: async () => {
        const exists = (await this.client.resources("vm")).some((r) => Number(r.vmid) === newid);
        return exists ? noop() : undefined;
      },
    });
  }

  /**
   * Offline migration to `target` (the guest must be stopped). Local disks move with it: qemu's
   * offline migration copies them anyway (QemuMigrate `prepare` only demands `with-local-disks`
   * of a running VM); it is sent so that the request means the same on every PVE version.
   * Done = the guest is listed on `target`.
   */
  async migrate(target: string, options: EffectOptions = {}): Promise<TaskResult> {
    const params = { target, ...(this.type === "qemu" ? { "with-local-disks": true } : {}) };
    const onTarget = async (): Promise<boolean> =>
      (await this.client.resources("vm")).some(
        (r) => Number(r.vmid) === this.vmid && r.node === target,
      );
    if (await onTarget()) return noop();
    return await this.client.effect("POST", `${this.path}/migrate`, params, {
      poll: POLL.long,
      ...options,
      alreadyDone: async () => ((await onTarget()) ? noop() : undefined),
    });
  }

  /** Stop if needed and destroy; a guest that does not exist is success. */
  async destroy(options: EffectOptions & { purge?: boolean } = {}): Promise<TaskResult> {
    const { purge, ...effect } = options;
    try {
      await this.stop(effect);
      return await this.client.effect(
        "DELETE",
        this.path,
        purge !== undefined ? { purge } : undefined,
        {
          poll: POLL.long,
          ...effect,
          alreadyDone: async () => {
            const exists = (await this.client.resources("vm")).some(
              (r) => Number(r.vmid) === this.vmid,
            );
            return exists ? undefined : noop();
          },
        },
      );
    } catch (err) {
      if (err instanceof NotFound) return noop();
      throw err;
    }
  }

  /** All snapshots, the `current` pseudo-entry separated, and their tree. */
  async snapshots(): Promise<SnapshotList> {
    const raw = await this.client.get<RawSnapshot[]>(`${this.path}/snapshot`);
    const cur = raw.find((r) => r.name === "current");
    const snapshots = raw.filter((r) => r.name !== "current").map(toSnapshot);
    return {
      snapshots,
      current: {
        ...(typeof cur?.parent === "string" ? { parent: cur.parent } : {}),
        ...(cur?.running !== undefined ? { running: Boolean(Number(cur.running)) } : {}),
        ...(typeof cur?.digest === "string" ? { digest: cur.digest } : {}),
      },
      roots: snapshotTree(snapshots),
    };
  }

  private async findSnapshot(name: string): Promise<Snapshot | undefined> {
    return (await this.snapshots()).snapshots.find((s) => s.name === name);
  }

  /**
   * Create snapshot `name`. Idempotent: one that exists and whose description starts with `marker`
   * (default: the whole description) is ours and counts as done — after waiting for it to leave the
   * `prepare` state; one that exists without the marker is an {@link ApiError}.
   */
  async createSnapshot(
    name: string,
    options: EffectOptions & {
      description?: string;
      vmstate?: boolean;
      marker?: string;
      /**
       * The name was never used (a new transaction's): skip looking for it before the POST. A
       * re-sent request that did run is still recognised from PVE's "already used" answer.
       */
      fresh?: boolean;
    } = {},
  ): Promise<TaskResult> {
    const { description, vmstate, marker, fresh, ...effect } = options;
    if (vmstate && this.type === "lxc") {
      throw new ApiError(`snapshot ${name}: vmstate is for qemu VMs only`, {
        context: { vmid: this.vmid },
      });
    }
    const mark = marker ?? description;
    const ours = async (): Promise<TaskResult | undefined> => {
      const s = await this.findSnapshot(name);
      if (!s) return undefined;
      if (mark === undefined || mark === "" || !s.description.startsWith(mark)) {
        throw new ApiError(`snapshot name '${name}' already used by a snapshot that is not ours`, {
          context: { vmid: this.vmid, path: `${this.path}/snapshot` },
          details: { snapshot: name, description: s.description },
        });
      }
      if (s.snapstate === "prepare") await this.waitSnapstateGone(name, effect.timeoutMs);
      return noop();
    };
    const existing = fresh === true ? undefined : await ours();
    if (existing) return existing;
    const params = {
      snapname: name,
      ...(description !== undefined ? { description } : {}),
      ...(vmstate !== undefined ? { vmstate } : {}),
    };
    try {
      return await this.client.effect("POST", `${this.path}/snapshot`, params, {
        poll: POLL.snapshot,
        ...effect,
        alreadyDone: ours,
        afterTransient: (err) => afterLateTimeout(this, "snapshot", name, err),
      });
    } catch (err) {
      // Raced with ourselves (a re-sent request that did run): recognise our own snapshot.
      if (err instanceof TaskFailed && /already used/.test(err.exitstatus)) {
        const again = await ours();
        if (again) return again;
      }
      throw err;
    }
  }

  /**
   * Roll back to `name` (PVE stops the guest first); `start` starts it afterwards — PVE does that
   * in a task of its own, which this waits for. Checked before any effect: on storage that rolls
   * back only to the newest snapshot, a newer one PVE lists is a {@link RollbackBlocked}; one made
   * outside PVE is reported the same way when the storage refuses.
   */
  async rollback(
    name: string,
    options: EffectOptions & { start?: boolean } = {},
  ): Promise<TaskResult> {
    const { start, ...effect } = options;
    await assertRollbackPossible(this, name);
    const send = (withStart: boolean): Promise<TaskResult> =>
      this.client.effect(
        "POST",
        `${this.path}/snapshot/${encodeURIComponent(name)}/rollback`,
        withStart ? { start: true } : undefined,
        {
          poll: POLL.rollback,
          ...effect,
          // A rollback that started holds the `rollback` lock: wait for it instead of sending another.
          alreadyDone: async () => {
            if ((await this.status()).lock !== "rollback") return undefined;
            await this.waitLockGone("rollback", effect.timeoutMs);
            return noop();
          },
          afterTransient: (err) => afterLateTimeout(this, "rollback", name, err),
        },
      );
    let r: TaskResult;
    try {
      r = await send(start === true);
    } catch (err) {
      // qemu-server checks VM.PowerMgmt for start=1 up front: roll back, then start on its own
      if (start === true && isPowerMgmtDenied(err)) r = await send(false);
      else throw blockedByOutsideSnapshot(this, name, err);
    }
    if (start === true && effect.wait !== false)
      await waitStartAfterRollback(this, r, effect.timeoutMs);
    return r;
  }

  /** Whether a disk of this guest is on storage that rolls back only to the newest snapshot. */
  rollsBackOnlyToNewest(): Promise<boolean> {
    return rollsBackOnlyToNewestSnapshot(this);
  }

  /** Delete snapshot `name`; a snapshot that does not exist is success. */
  async deleteSnapshot(
    name: string,
    options: EffectOptions & { force?: boolean } = {},
  ): Promise<TaskResult> {
    const { force: asked, ...effect } = options;
    const snap = await this.findSnapshot(name);
    if (!snap) return noop();
    // a leftover of a failed delete: PVE needs the lock cleared, and force
    const force = (await clearHalfDeleted(this, snap)) ? true : asked;
    try {
      return await this.client.effect(
        "DELETE",
        `${this.path}/snapshot/${encodeURIComponent(name)}`,
        force !== undefined ? { force } : undefined,
        {
          poll: POLL.quick,
          ...effect,
          afterTransient: (err) => afterLateTimeout(this, "delsnapshot", name, err),
          alreadyDone: async () => {
            const s = await this.findSnapshot(name);
            if (!s) return noop();
            if (s.snapstate !== "delete") return undefined;
            await this.waitSnapstateGone(name, effect.timeoutMs, true);
            return noop();
          },
        },
      );
    } catch (err) {
      if (err instanceof NotFound) return noop();
      if (err instanceof TaskFailed && /does not exist/.test(err.exitstatus)) return noop();
      throw err;
    }
  }

  /**
   * Clear a stale lock. PVE allows it over the API only as `delete=lock` with `skiplock=1` on a
   * qemu guest, and skiplock only to root@pam itself — never to an API token (whose identity is
   * `user@realm!id`); the LXC API has no skiplock at all. Where the API cannot, this fails with
   * E_LOCKED naming the command to run on the node (`qm unlock` / `pct unlock`). A guest without a
   * lock is success.
   */
  async unlock(): Promise<{ cleared: string | undefined }> {
    const lock = (await this.status()).lock;
    if (lock === undefined) return { cleared: undefined };
    const onNode = (why: string): Locked =>
      new Locked(
        `${this.type === "qemu" ? "VM" : "CT"} ${this.vmid} keeps its stale '${lock}' lock: ${why}`,
        lock,
        {
          retryable: false,
          hint: `on node ${this.node}, as root: ${this.type === "qemu" ? "qm" : "pct"} unlock ${this.vmid}`,
          context: { vmid: this.vmid },
        },
      );
    if (this.type === "lxc") throw onNode("the LXC API cannot clear a lock");
    try {
      await this.client.request(
        "PUT",
        `${this.path}/config`,
        { delete: "lock", skiplock: true },
        RETRY.effect,
        { alreadyDone: async () => undefined },
      );
    } catch (err) {
      if (err instanceof ApiError && err.errors?.skiplock !== undefined)
        throw onNode("only root@pam (not an API token) may use skiplock");
      throw err;
    }
    return { cleared: lock };
  }

  private async waitUntil(
    what: string,
    check: () => Promise<boolean>,
    timeoutMs?: number,
    poll: TaskPoll = POLL.quick,
  ): Promise<void> {
    const budget = timeoutMs ?? this.client.taskTimeoutMs;
    const end = Date.now() + budget;
    let interval = poll.firstMs;
    while (!(await check())) {
      if (Date.now() > end) {
        throw new Timeout(`guest ${this.vmid}: ${what} after ${budget} ms`, {
          context: { vmid: this.vmid },
        });
      }
      await sleep(interval);
      interval = Math.min(poll.maxMs, interval * poll.factor);
    }
  }

  private waitLockGone(lock: string, timeoutMs?: number): Promise<void> {
    return this.waitUntil(
      `still locked (${lock})`,
      async () => (await this.status()).lock !== lock,
      timeoutMs,
      lock === "rollback" ? POLL.rollback : POLL.quick,
    );
  }

  private waitSnapstateGone(name: string, timeoutMs?: number, gone = false): Promise<void> {
    return this.waitUntil(
      `snapshot ${name} still in progress`,
      async () => {
        const s = await this.findSnapshot(name);
        if (gone) return s === undefined;
        if (s === undefined) {
          throw new ApiError(`snapshot ${name} disappeared while being created`, {
            context: { vmid: this.vmid, path: `${this.path}/snapshot` },
          });
        }
        return s.snapstate === undefined;
      },
      timeoutMs,
    );
  }

  private async tolerate(pattern: RegExp, fn: () => Promise<TaskResult>): Promise<TaskResult> {
    try {
      return await fn();
    } catch (err) {
      if (
        (err instanceof TaskFailed && pattern.test(err.exitstatus)) ||
        (err instanceof ApiError && pattern.test(err.message))
      ) {
        return noop();
      }
      throw err;
    }
  }
}

import { ApiError, RollbackBlocked, TaskFailed, Unsupported } from "./errors.js";
import type { Guest, Snapshot } from "./guest.js";
import { rollbackBlockedOn } from "./mapping.js";
import { diskStorages, rollsBackOnlyToNewest, type StorageDef } from "./storage.js";
import { POLL, type TaskResult } from "./tasks.js";
import { parseUpid } from "./upid.js";

/**
 * What PVE's guest operations do beyond one request, read from their sources, and how txbox
 * meets it: the newest-snapshot rule of some storages, config-lock timeouts in a task's late
 * phase, and the separate start task of a rollback with `start=1`.
 */

const noop = (exitstatus = "OK"): TaskResult => ({ upid: null, exitstatus, durationMs: 0 });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A task as `GET /nodes/{node}/tasks` lists it. */
interface TaskItem {
  upid: string;
  type: string;
  id?: string;
  starttime: number;
  status?: string;
  endtime?: number;
}

/** Tasks of this guest of `type` (qemu or LXC flavour chosen by the guest), newest first. */
export async function guestTasks(
  g: Guest,
  kind: "start" | "rollback" | "delsnapshot" | "snapshot",
  source: "all" | "active" = "all",
): Promise<TaskItem[]> {
  const type = `${g.type === "qemu" ? "qm" : "vz"}${kind}`;
  const items = await g.client.get<TaskItem[]>(`/nodes/${g.node}/tasks`, {
    vmid: g.vmid,
    typefilter: type,
    source,
    limit: 50,
  });
  return items.filter((t) => t.type === type).sort((a, b) => b.starttime - a.starttime);
}

/** Storage definitions by id (`GET /storage`). */
async function storages(g: Guest): Promise<Map<string, StorageDef>> {
  const all = await g.client.get<StorageDef[]>("/storage");
  return new Map(all.map((s) => [s.storage, s]));
}

/**
 * Whether some disk of the guest (its current config) is on storage that rolls back only to the
 * newest snapshot (`volume_rollback_is_possible`: ZFS, ZFS over iSCSI, qcow2 volume chains).
 */
export async function rollsBackOnlyToNewestSnapshot(g: Guest): Promise<boolean> {
  const defs = await storages(g);
  return diskStorages(await g.config()).some((id) => {
    const d = defs.get(id);
    return d !== undefined && rollsBackOnlyToNewest(d);
  });
}

/**
 * Before any effect: on newest-only storage, the snapshots PVE lists that are newer than `name`
 * block a rollback to it. Throws {@link RollbackBlocked}; nothing has happened then.
 */
export async function assertRollbackPossible(g: Guest, name: string): Promise<void> {
  try {
    await checkNewest(g, name);
  } catch (err) {
    // an API that cannot list (a proxy, a partial implementation): PVE's own check remains
    if (err instanceof Unsupported) return;
    throw err;
  }
}

async function checkNewest(g: Guest, name: string): Promise<void> {
  const { snapshots } = await g.snapshots();
  const target = snapshots.find((s) => s.name === name);
  if (target === undefined) return; // PVE says "does not exist" itself
  const snapConf = await g.client.get<Record<string, unknown>>(
    `${g.path}/snapshot/${encodeURIComponent(name)}/config`,
  );
  const defs = await storages(g);
  const strict = diskStorages(snapConf).filter((id) => {
    const d = defs.get(id);
    return d !== undefined && rollsBackOnlyToNewest(d);
  });
  if (strict.length === 0) return;
  // newer: taken later, or below it in the tree (snaptime has a one-second grain)
  const byName = new Map(snapshots.map((s) => [s.name, s]));
  const below = (s: Snapshot): boolean => {
    for (let p = s.parent, hops = 0; p !== undefined && hops < 10_000; hops++) {
      if (p === name) return true;
      p = byName.get(p)?.parent;
    }
    return false;
  };
  const newer = snapshots
    .filter(
      (s: Snapshot) => s.name !== name && ((s.snaptime ?? 0) > (target.snaptime ?? 0) || below(s)),
    )
    .map((s) => s.name);
  if (newer.length > 0)
    throw new RollbackBlocked(
      `guest ${g.vmid}: storage ${strict.join(", ")} rolls back only to the newest snapshot, and ${newer.join(", ")} ${newer.length > 1 ? "are" : "is"} newer than ${name}`,
      newer,
      false,
      { context: { vmid: g.vmid, path: `${g.path}/snapshot` } },
    );
}

/** A storage's refusal met by the task (`is not most recent snapshot`): made outside PVE. */
export function blockedByOutsideSnapshot(g: Guest, name: string, err: unknown): unknown {
  if (!(err instanceof TaskFailed)) return err;
  const vol = rollbackBlockedOn(err.exitstatus);
  if (vol === undefined) return err;
  return new RollbackBlocked(
    `guest ${g.vmid}: cannot roll back to ${name}: a snapshot newer than it exists on ${vol} that Proxmox does not list (made on the storage outside PVE)`,
    [],
    true,
    { context: { vmid: g.vmid, upid: err.upid }, cause: err },
  );
}

/**
 * After a rollback with `start=1`: PVE starts the guest in a task of its own (`vm_start` through
 * the API, after the rollback task ends). Wait for that task; when none shows up (an older PVE,
 * or the guest already running) start the guest ourselves if it is not running.
 */
export async function waitStartAfterRollback(
  g: Guest,
  rollback: TaskResult,
  timeoutMs?: number,
): Promise<void> {
  const since = rollback.upid === null ? 0 : (parseUpid(rollback.upid)?.starttime ?? 0);
  const deadline = Date.now() + 5000;
  for (;;) {
    const start = (await guestTasks(g, "start")).find((t) => t.starttime >= since);
    if (start !== undefined) {
      // Polled at the rollback's pace: with the default (long) preset the wait for a start of a
      // few hundred milliseconds ended 200–300 ms after it, the largest part of rollback → SSH.
      await g.client.waitTask(g.node, start.upid, {
        poll: POLL.rollback,
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      });
      return;
    }
    if ((await g.status()).status === "running") return;
    if (Date.now() > deadline) break;
    await sleep(200);
  }
  await g.start(timeoutMs === undefined ? {} : { timeoutMs });
}

/**
 * A task failed with a config-lock timeout (`can't lock file … - got timeout`). PVE's snapshot
 * operations take that lock in several phases (pve-guest-common `snapshot_create`,
 * `snapshot_rollback`, `snapshot_delete`): in the first nothing changed, in a later one the
 * volumes did. Read the guest to tell which, and never send again blindly:
 * - rollback: `lock: rollback` left = the volumes were rolled back but not the config: clear the
 *   lock and roll back again (rolling the volumes back once more is harmless);
 * - snapshot: the snapshot in `prepare` with `lock: snapshot` = taken but not committed: clear
 *   the lock and delete it with `force` (PVE's own cleanup), then take it again; a complete one
 *   is done;
 * - delete: gone = done; `snapstate: delete` with `lock: snapshot-delete` = clear the lock and
 *   delete with `force` (the volume snapshots may be gone already).
 */
export async function afterLateTimeout(
  g: Guest,
  op: "rollback" | "snapshot" | "delsnapshot",
  name: string,
  err: TaskFailed,
): Promise<"resend" | TaskResult> {
  if (!/got timeout/.test(err.exitstatus)) return "resend";
  const [status, list] = await Promise.all([g.status(), g.snapshots()]);
  const snap = list.snapshots.find((s) => s.name === name);
  const busy = async (): Promise<boolean> => (await guestTasks(g, op, "active")).length > 0;
  if (op === "rollback") {
    if (status.lock !== "rollback") return "resend";
    if (await busy()) throw err;
    await g.unlock();
    return "resend";
  }
  if (op === "snapshot") {
    if (snap === undefined) return "resend";
    if (snap.snapstate === undefined) return noop();
    if (snap.snapstate === "prepare" && status.lock === "snapshot" && !(await busy())) {
      await g.unlock();
      await g.deleteSnapshot(name, { force: true });
      return "resend";
    }
    throw err;
  }
  if (snap === undefined) return noop();
  if (snap.snapstate === "delete" && status.lock === "snapshot-delete" && !(await busy())) {
    await g.unlock();
    return g.deleteSnapshot(name, { force: true });
  }
  if (snap.snapstate === undefined && status.lock === undefined) return "resend";
  throw err;
}

/**
 * A snapshot left half-deleted (`snapstate: delete` under `lock: snapshot-delete`, no delete task
 * running): PVE's `snapshot_delete` takes the lock with `set_lock`, which fails on any existing
 * lock even with `force`, so clear it first; and delete with `force`, since some volume
 * snapshots may be gone already. Returns whether the snapshot was such a leftover.
 */
export async function clearHalfDeleted(g: Guest, snap: Snapshot): Promise<boolean> {
  if (snap.snapstate !== "delete") return false;
  if ((await g.status()).lock !== "snapshot-delete") return false;
  if ((await guestTasks(g, "delsnapshot", "active")).length > 0) return false;
  await g.unlock();
  return true;
}

/** qemu needs VM.PowerMgmt for `start=1` (qemu-server `rollback`): without it, a 403. */
export function isPowerMgmtDenied(err: unknown): boolean {
  return err instanceof ApiError && err.httpStatus === 403 && /VM\.PowerMgmt/.test(err.message);
}

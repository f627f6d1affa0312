import type { Cluster } from "./api/cluster.js";
import { ApiError } from "./api/errors.js";
import { faultsSchema, type Faults } from "./config.js";

/** Run-time control of fault injection. */
export interface FaultControl {
  get(): Faults;
  /** Merge `patch` into the current faults (validated); one-shot actions (locks) start now. */
  set(patch: unknown): Faults;
  /** Back to no faults at all. */
  clear(): Faults;
}

/**
 * The testbed's faults, starting from `initial`: one-shot actions (guest locks, config-lock holds)
 * start on the current cluster as soon as they are set and are not kept.
 */
export function faultControl(
  initial: unknown,
  cluster: () => Cluster,
): FaultControl & { startInitial(): void } {
  const start = (f: Faults): Faults => {
    const c = cluster();
    for (const l of f.guestLocks)
      void c.guests.holdGuestLock(l.vmid, l.lock, l.ms).catch(() => undefined);
    for (const h of f.configLockHolds) {
      const g = c.guests.byId.get(h.vmid);
      if (g !== undefined) void c.locks.hold(g.type, g.vmid, h.ms).catch(() => undefined);
    }
    return { ...f, guestLocks: [], configLockHolds: [] };
  };
  let faults: Faults = faultsSchema.parse(initial);
  return {
    get: () => faults,
    set: (patch) => {
      const merged = faultsSchema.safeParse({ ...faults, ...(patch as Record<string, unknown>) });
      if (!merged.success)
        throw new ApiError(
          400,
          "Parameter verification failed.",
          Object.fromEntries(
            merged.error.issues.map((i) => [i.path.join(".") || "faults", i.message]),
          ),
        );
      faults = start(merged.data);
      return faults;
    },
    clear: () => {
      faults = faultsSchema.parse({});
      return faults;
    },
    /** Start the configured set's one-shot actions, once the lab is seeded. */
    startInitial: () => {
      faults = start(faults);
    },
  };
}

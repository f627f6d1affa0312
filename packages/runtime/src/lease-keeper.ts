/**
 * A session's cluster leases, kept across its consecutive transactions on a guest: taken once,
 * renewed by the lease's own ttl/3 timer, released when the guest has had no transaction of this
 * session for `idleMs` (`tx.leaseIdle`) or the session closes. Taking and releasing a lease is two
 * API round trips each way (a config read and a digest-checked write); an agent's next command
 * usually follows within seconds. Other orchestrators see the lease held meanwhile and wait:
 * docs/adr/0014-cluster-lease.md, "Keeping the lease".
 */
import { errorMessage } from "@txbox/core";
import { guestKey, type GuestRef } from "@txbox/tx";
import type { GuestLeases, Holding } from "./cluster-lease.js";

interface Kept {
  h: Holding;
  /** Callers inside a transaction (or recovery) on the guest now. */
  users: number;
  /** Whether what an abandoned previous holder left on the guest was looked at. */
  checked: boolean;
  idle?: NodeJS.Timeout;
  releasing?: Promise<void>;
}

/** One caller's use of a kept lease; `done()` once its work on the guest is over. */
export interface LeaseUseOf {
  holding: Holding;
  /** Whether this session already held the lease (nothing was read or written to get it). */
  reused: boolean;
  done(): Promise<void>;
}

export interface KeeperOptions {
  /** How long a lease is kept after its guest's last use; 0: released as soon as that work is done. */
  idleMs: number;
  ttlMs: number;
  /** Awaited before an idle lease is released (the engine's background prunes of the guest). */
  beforeIdleRelease?: () => Promise<void>;
  log?: (level: "warn" | "debug", message: string) => void;
}

export class LeaseKeeper {
  private readonly kept = new Map<string, Kept>();
  /** A take in progress per guest (acquisition, or the check of an abandoned holder's work). */
  private readonly taking = new Map<string, Promise<unknown>>();
  private closed = false;

  constructor(
    private readonly leases: GuestLeases,
    private readonly o: KeeperOptions,
  ) {}

  /** The lease this session holds on `guest` now, if any. */
  holding(guest: GuestRef): Holding | undefined {
    return this.kept.get(guestKey(guest))?.h;
  }

  /**
   * The guest's lease for the caller: the one this session keeps, or a new one. `check` runs once
   * per lease, before any caller uses it (the takeover of an abandoned holder's work); callers on
   * the same guest at once share one lease (the journal's guest lock orders their transactions).
   */
  async take(
    guest: GuestRef,
    options: { timeoutMs: number; force?: boolean },
    check?: (h: Holding) => Promise<void>,
  ): Promise<LeaseUseOf> {
    const key = guestKey(guest);
    for (;;) {
      const pending = this.taking.get(key);
      if (pending !== undefined) {
        await pending.catch(() => {});
        continue;
      }
      const k = this.kept.get(key);
      if (k?.releasing !== undefined) {
        await k.releasing.catch(() => {});
        continue;
      }
      if (k !== undefined && !this.usable(k.h)) {
        this.o.log?.("debug", `the kept lease of guest ${key} is no longer usable: taking it anew`);
        this.kept.delete(key);
        clearTimeout(k.idle);
        if (k.users === 0) await k.h.release();
        continue;
      }
      const p = this.takeOnce(key, guest, k, options, check);
      this.taking.set(key, p);
      try {
        return await p;
      } finally {
        this.taking.delete(key);
      }
    }
  }

  private async takeOnce(
    key: string,
    guest: GuestRef,
    k: Kept | undefined,
    options: { timeoutMs: number; force?: boolean },
    check: ((h: Holding) => Promise<void>) | undefined,
  ): Promise<LeaseUseOf> {
    const reused = k !== undefined;
    const kept = k ?? { h: await this.leases.acquire(guest, options), users: 0, checked: false };
    this.kept.set(key, kept);
    const use = this.use(key, kept, reused);
    if (check !== undefined && !kept.checked) {
      try {
        await check(kept.h);
        kept.checked = true;
      } catch (error) {
        await use.done();
        throw error;
      }
    }
    return use;
  }

  /** A kept lease may be used while no renewal found it taken and a third of its ttl is left. */
  private usable(h: Holding): boolean {
    return !h.lost && h.lease.until - Date.now() > this.o.ttlMs / 3;
  }

  private use(key: string, k: Kept, reused: boolean): LeaseUseOf {
    clearTimeout(k.idle);
    k.idle = undefined;
    k.users++;
    let once = false;
    return {
      holding: k.h,
      reused,
      done: async () => {
        if (once) return;
        once = true;
        if (--k.users > 0) return;
        if (this.kept.get(key) !== k) return void (await k.h.release());
        if (this.closed) return void (await this.release(key, k));
        // Released in the background once idle, after the guest's background work (with idleMs 0
        // too: released at once, its config write would meet the prune's snapshot-delete lock).
        k.idle = setTimeout(() => {
          void (async () => {
            await this.o.beforeIdleRelease?.();
            if (k.users === 0) await this.release(key, k);
          })().catch((error: unknown) =>
            this.o.log?.(
              "warn",
              `releasing the lease of guest ${key} failed: ${errorMessage(error)}`,
            ),
          );
        }, this.o.idleMs);
        k.idle.unref();
      },
    };
  }

  private release(key: string, k: Kept): Promise<void> {
    k.releasing ??= k.h.release().finally(() => {
      if (this.kept.get(key) === k) this.kept.delete(key);
    });
    return k.releasing;
  }

  /** Release every lease no caller is using now (all of them once the session is idle). */
  async releaseIdle(): Promise<void> {
    const idle = [...this.kept].filter(([, k]) => k.users === 0);
    for (const [, k] of idle) clearTimeout(k.idle);
    await Promise.all(idle.map(([key, k]) => this.release(key, k)));
  }

  /** Release the kept leases; leases in use are released when their users are done. */
  async close(): Promise<void> {
    this.closed = true;
    await this.releaseIdle();
  }
}

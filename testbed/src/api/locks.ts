import type { GuestType } from "../realise/types.js";
import { fail } from "./errors.js";

/** The lock file PVE names in its timeout message. */
export function lockFileName(type: GuestType, vmid: number): string {
  return type === "qemu"
    ? `/var/lock/qemu-server/lock-${vmid}.conf`
    : `/run/lock/lxc/pve-config-${vmid}.lock`;
}

/**
 * Per-guest config-file locks (PVE's flock on the lock file): exclusive, FIFO, and a waiter gives
 * up after `timeoutMs` with PVE's `got timeout` message.
 */
export class ConfigLocks {
  private readonly tails = new Map<number, Promise<void>>();

  constructor(private readonly timeoutMs: () => number) {}

  /** Run `fn` holding the config lock of `vmid`. */
  async with<T>(type: GuestType, vmid: number, fn: () => Promise<T> | T): Promise<T> {
    const release = await this.acquire(type, vmid);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** Hold the lock for `ms` (fault injection: contention from "another operation"). */
  hold(type: GuestType, vmid: number, ms: number): Promise<void> {
    return this.with(type, vmid, () => new Promise<void>((r) => setTimeout(r, ms).unref()));
  }

  private async acquire(type: GuestType, vmid: number): Promise<() => void> {
    const prev = this.tails.get(vmid) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    // The queue continues after our release whether we got the lock or timed out.
    let timedOut = false;
    const tail = prev.then(() => (timedOut ? undefined : mine));
    this.tails.set(vmid, tail);
    void tail.then(() => {
      if (this.tails.get(vmid) === tail) this.tails.delete(vmid);
    });
    let timer: NodeJS.Timeout | undefined;
    const won = await Promise.race([
      prev.then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), this.timeoutMs()))),
    ]);
    clearTimeout(timer);
    if (!won) {
      timedOut = true;
      release();
      throw fail(`can't lock file '${lockFileName(type, vmid)}' - got timeout`);
    }
    return release;
  }
}

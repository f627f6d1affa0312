/**
 * The guest lease on the cluster (the pure rules are `@txbox/tx`'s lease.ts): read the guest's
 * config, decide, and write the lease line back with the config's `digest`, so that of two
 * orchestrators writing at once PVE lets exactly one through (`assert_if_modified`, qemu-server
 * `update_vm_api` / pve-container `update_pct_config`, under the config lock). The holder renews
 * it every third of its ttl while it works, and removes it when done. docs/adr/0014-cluster-lease.md.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { errorMessage } from "@txbox/core";
import type { Guest } from "@txbox/proxmox";
import {
  GuestBusy,
  guestKey,
  joinDescription,
  leaseVerdict,
  mayTake,
  ownerAlive,
  processStartTime,
  splitDescription,
  type GuestRef,
  type Lease,
  type LeaseVerdict,
  type Orchestrator,
} from "@txbox/tx";

/** This process as an orchestrator: its host, user and journal (and pid, for liveness here). */
export function localOrchestrator(env: NodeJS.ProcessEnv, journal: string): Orchestrator {
  return {
    host: hostname(),
    user: env.USER ?? env.LOGNAME ?? String(process.getuid?.() ?? "?"),
    journal,
    pid: process.pid,
    pidStart: processStartTime(process.pid),
  };
}

/** A lease this process holds (`lease` follows the renewals); `lost` once a renewal found it taken over. */
export interface Holding {
  guest: GuestRef;
  lease: Lease;
  /** How the lease was found when it was taken (`expired`/`gone`: the previous holder's work is abandoned). */
  found: LeaseVerdict;
  lost: boolean;
  release(): Promise<void>;
}

export interface LeaseOptions {
  me: Orchestrator;
  ttlMs: number;
  maxSkewMs: number;
  /** The Guest object of a ref (the snapshot port's cache). */
  guest: (ref: GuestRef) => Promise<Guest>;
  log?: (level: "warn" | "debug", message: string) => void;
}

/** Answers of a config write that mean "read again and retry", not failure. */
const RETRY_WRITE =
  /detected modified configuration|checksum missmatch|is locked|got timeout|can't lock file|try again/i;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Leases of guests, one orchestrator's view. */
export class GuestLeases {
  /** When this process first saw each lease (token and until) unchanged, by guest. */
  private readonly seen = new Map<string, { key: string; since: number }>();

  constructor(private readonly o: LeaseOptions) {}

  /** The lease of a guest as it stands, and what this orchestrator may do with it. */
  async inspect(
    ref: GuestRef,
    myToken?: string,
  ): Promise<{ verdict: LeaseVerdict; digest: string; notes: string; damaged?: string }> {
    const conf = await (await this.o.guest(ref)).config();
    const split = splitDescription(typeof conf.description === "string" ? conf.description : "");
    const lease = split.lease;
    const now = Date.now();
    const mono = performance.now();
    const k = guestKey(ref);
    let unchangedForMs: number | undefined;
    if (lease !== undefined) {
      const key = `${lease.token}/${lease.until}`;
      const s = this.seen.get(k);
      if (s?.key === key) unchangedForMs = mono - s.since;
      else this.seen.set(k, { key, since: mono });
    }
    const verdict = leaseVerdict(lease, {
      ...(myToken === undefined ? {} : { myToken }),
      me: this.o.me,
      now,
      maxSkewMs: this.o.maxSkewMs,
      ...(unchangedForMs === undefined ? {} : { unchangedForMs }),
      alive: (pid, start) => ownerAlive({ pid, start: start ?? "", token: "" }),
      host: this.o.me.host,
    });
    const damaged: LeaseVerdict | undefined =
      split.damaged !== undefined && lease === undefined
        ? {
            kind: "held",
            lease: {
              token: "?",
              orchestrator: { host: "?", user: "?", journal: "?" },
              acquiredAt: 0,
              until: now,
              ttlMs: 0,
            },
            reason: `its description has a damaged lease line (${split.damaged.slice(0, 80)})`,
          }
        : undefined;
    return {
      verdict: damaged ?? verdict,
      digest: String(conf.digest ?? ""),
      notes: split.notes,
      ...(split.damaged === undefined ? {} : { damaged: split.damaged }),
    };
  }

  /** Write `lease` (or none) if the config is still at `digest`; false when another write came first. */
  private async write(
    ref: GuestRef,
    notes: string,
    lease: Lease | undefined,
    digest: string,
  ): Promise<boolean> {
    try {
      await (
        await this.o.guest(ref)
      ).updateConfig({
        description: joinDescription(notes, lease),
        ...(digest === "" ? {} : { digest }),
      });
      return true;
    } catch (error) {
      if (RETRY_WRITE.test(errorMessage(error))) return false;
      throw error;
    }
  }

  /**
   * Take the guest's lease, waiting up to `timeoutMs` while another orchestrator holds it
   * ({@link GuestBusy} after that). `force` takes it whatever it says (the operator confirmed the
   * holder is gone). The lease is renewed in the background until released.
   */
  async acquire(
    ref: GuestRef,
    options: { txid?: string; timeoutMs: number; force?: boolean },
  ): Promise<Holding> {
    const deadline = Date.now() + options.timeoutMs;
    const token = randomBytes(8).toString("hex");
    let last: LeaseVerdict | undefined;
    for (let attempt = 0; ; attempt++) {
      const { verdict, digest, notes } = await this.inspect(ref, token);
      if (verdict.kind === "mine") return this.holding(ref, verdict.lease, last ?? verdict);
      if (mayTake(verdict) || options.force === true) {
        const now = Date.now();
        const lease: Lease = {
          token,
          orchestrator: this.o.me,
          ...(options.txid === undefined ? {} : { txid: options.txid }),
          acquiredAt: now,
          until: now + this.o.ttlMs,
          ttlMs: this.o.ttlMs,
        };
        last = verdict;
        // Read back after a write: a write that PVE did make but whose answer was lost is ours too.
        if (await this.write(ref, notes, lease, digest)) return this.holding(ref, lease, verdict);
        continue;
      }
      if (Date.now() >= deadline) {
        throw new GuestBusy(
          `guest ${guestKey(ref)} is busy: ${verdict.kind === "held" ? verdict.reason : verdict.kind}`,
          {
            details: {
              vmid: ref.vmid,
              node: ref.node,
              holder: "lease" in verdict ? verdict.lease : null,
              timeoutMs: options.timeoutMs,
            },
            hint: "Another orchestrator runs a transaction on it: retry later; if its owner is gone, `txbox tx recover --guest VMID --force`",
          },
        );
      }
      await sleep(Math.min(500, 100 + attempt * 50) + Math.random() * 100);
    }
  }

  private holding(ref: GuestRef, lease: Lease, found: LeaseVerdict): Holding {
    const h: Holding = {
      guest: ref,
      lease,
      found,
      lost: false,
      release: async () => {
        clearInterval(timer);
        await renewing;
        if (!h.lost) await this.remove(ref, h.lease.token);
      },
    };
    let renewing: Promise<void> = Promise.resolve();
    const timer = setInterval(
      () => {
        renewing = this.renew(ref, h.lease)
          .then((next) => {
            if (next === undefined) {
              h.lost = true;
              clearInterval(timer);
              this.o.log?.(
                "warn",
                `the lease of guest ${guestKey(ref)} was taken over by another orchestrator`,
              );
            } else h.lease = next;
          })
          .catch((error: unknown) =>
            this.o.log?.(
              "warn",
              `renewing the lease of guest ${guestKey(ref)} failed: ${errorMessage(error)}`,
            ),
          );
      },
      Math.max(50, Math.floor(this.o.ttlMs / 3)),
    );
    timer.unref();
    return h;
  }

  /** Move the lease's end a ttl ahead; undefined when it is no longer ours. */
  private async renew(ref: GuestRef, lease: Lease): Promise<Lease | undefined> {
    for (let i = 0; i < 5; i++) {
      const { verdict, digest, notes } = await this.inspect(ref, lease.token);
      if (verdict.kind !== "mine") return undefined;
      const next = { ...lease, until: Date.now() + this.o.ttlMs };
      if (await this.write(ref, notes, next, digest)) return next;
      await sleep(100 + Math.random() * 100);
    }
    return lease; // the guest stayed busy (a task of ours holds its lock): try at the next tick
  }

  /** Remove our lease line; one that is no longer ours is left alone. Retries while the guest is busy. */
  private async remove(ref: GuestRef, token: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { verdict, digest, notes } = await this.inspect(ref, token);
      if (verdict.kind !== "mine") return;
      if (await this.write(ref, notes, undefined, digest)) return;
      if (Date.now() >= deadline) {
        this.o.log?.(
          "warn",
          `could not release the lease of guest ${guestKey(ref)}; it expires on its own`,
        );
        return;
      }
      await sleep(100 + Math.random() * 100);
    }
  }
}

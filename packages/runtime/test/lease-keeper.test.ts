/**
 * A session keeps a guest's cluster lease across its consecutive transactions and releases it
 * after `idleMs` or at close. The guest here is a config with a `digest` that a write must match
 * (PVE's `assert_if_modified` under the config lock, the only behaviour the lease relies on);
 * the end-to-end behaviour against the testbed is in packages/cli/test/e2e/operators.test.ts.
 */
import { createHash } from "node:crypto";
import type { Guest } from "@txbox/proxmox";
import { splitDescription, type GuestRef, type Orchestrator } from "@txbox/tx";
import { GuestLeases } from "../src/cluster-lease.js";
import { LeaseKeeper } from "../src/lease-keeper.js";

/** One guest config: reads return its digest; a write with a stale digest is refused as PVE does. */
class Config {
  description = "operator notes";
  reads = 0;
  writes = 0;
  digest(): string {
    return createHash("sha1").update(this.description).digest("hex");
  }
  guest(): Guest {
    return {
      config: async () => {
        this.reads++;
        return { description: this.description, digest: this.digest() };
      },
      updateConfig: async (p: { description: string; digest?: string }) => {
        if (p.digest !== undefined && p.digest !== this.digest())
          throw new Error(
            "detected modified configuration - file changed by other user? Try again.",
          );
        this.writes++;
        this.description = p.description;
      },
    } as unknown as Guest;
  }
  holder(): string | undefined {
    return splitDescription(this.description).lease?.orchestrator.journal;
  }
}

const G: GuestRef = { vmid: 101 };
const me = (journal: string): Orchestrator => ({ host: "h", user: "u", journal, pid: process.pid });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function keeper(conf: Config, journal: string, idleMs: number, ttlMs = 60_000) {
  const leases = new GuestLeases({
    me: me(journal),
    ttlMs,
    maxSkewMs: 5_000,
    guest: async () => conf.guest(),
  });
  return { leases, keeper: new LeaseKeeper(leases, { idleMs, ttlMs }) };
}

describe("a session's kept leases", () => {
  test("consecutive uses take the lease once; it is released after idleMs, notes kept", async () => {
    const conf = new Config();
    const { keeper: k } = keeper(conf, "/a", 150);
    const first = await k.take(G, { timeoutMs: 1_000 });
    await first.done();
    const calls = conf.reads + conf.writes;
    const second = await k.take(G, { timeoutMs: 1_000 });
    expect({
      reused: second.reused,
      calls: conf.reads + conf.writes,
      holder: conf.holder(),
    }).toEqual({ reused: true, calls, holder: "/a" });
    await second.done();
    expect(conf.holder()).toBe("/a");
    await sleep(400);
    expect({ holder: conf.holder(), notes: conf.description }).toEqual({
      holder: undefined,
      notes: "operator notes",
    });
    const third = await k.take(G, { timeoutMs: 1_000 });
    expect(third.reused).toBe(false);
    await k.close();
    await third.done();
    expect(conf.holder()).toBeUndefined();
  });

  test("idleMs 0 releases in the background right after; another orchestrator then takes it", async () => {
    const conf = new Config();
    const a = keeper(conf, "/a", 0);
    const b = keeper(conf, "/b", 0);
    await (await a.keeper.take(G, { timeoutMs: 1_000 })).done();
    await sleep(50);
    expect(conf.holder()).toBeUndefined();
    const u = await b.keeper.take(G, { timeoutMs: 1_000 });
    expect(conf.holder()).toBe("/b");
    await u.done();
  });

  test("another orchestrator waits for a kept lease, and gets it once it is released", async () => {
    const conf = new Config();
    const a = keeper(conf, "/a", 60_000);
    const b = keeper(conf, "/b", 0);
    await (await a.keeper.take(G, { timeoutMs: 1_000 })).done();
    await expect(b.keeper.take(G, { timeoutMs: 300 })).rejects.toMatchObject({
      code: "E_GUEST_BUSY",
    });
    const waiting = b.keeper.take(G, { timeoutMs: 5_000 });
    await sleep(100);
    await a.keeper.releaseIdle();
    const u = await waiting;
    expect(conf.holder()).toBe("/b");
    await u.done();
  });

  test("callers at once share one lease; the check runs once, before either uses it", async () => {
    const conf = new Config();
    const { keeper: k } = keeper(conf, "/a", 0);
    const order: string[] = [];
    const check = async () => {
      order.push("check start");
      await sleep(50);
      order.push("check end");
    };
    const [x, y] = await Promise.all([
      k.take(G, { timeoutMs: 1_000 }, check),
      k.take(G, { timeoutMs: 1_000 }, check),
    ]);
    order.push("used");
    expect({ order, reused: [x.reused, y.reused].sort() }).toEqual({
      order: ["check start", "check end", "used"],
      reused: [false, true],
    });
    await x.done();
    expect(conf.holder()).toBe("/a"); // y still uses it
    await y.done();
    await sleep(50);
    expect(conf.holder()).toBeUndefined();
  });

  test("a kept lease that another orchestrator took over is not reused", async () => {
    const conf = new Config();
    const a = keeper(conf, "/a", 60_000, 1_500); // renewed every 500 ms
    await (await a.keeper.take(G, { timeoutMs: 1_000 })).done();
    const b = keeper(conf, "/b", 0);
    const forced = await b.keeper.take(G, { timeoutMs: 1_000, force: true });
    await sleep(700); // a's renewal finds the lease taken over
    expect(a.keeper.holding(G)?.lost).toBe(true);
    await expect(a.keeper.take(G, { timeoutMs: 300 })).rejects.toMatchObject({
      code: "E_GUEST_BUSY",
    });
    expect(conf.holder()).toBe("/b");
    await forced.done();
    await a.keeper.close();
  });
});

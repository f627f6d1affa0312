/**
 * Behaviour: task status transitions, locks and lock contention, the snapshot tree under failure,
 * ZFS rollback rules, persistence across restarts, every fault mode, and authentication.
 */
import { afterEach, describe, expect, test } from "@jest/globals";
import { fetch as undiciFetch } from "undici";
import { startBed, run, taskLog, waitTask, type Bed } from "./helpers.js";

let beds: Bed[] = [];
async function bedWith(opts: Parameters<typeof startBed>[0] = {}): Promise<Bed> {
  const b = await startBed(opts);
  beds.push(b);
  return b;
}
afterEach(async () => {
  for (const b of beds) await b.close().catch(() => undefined);
  beds = [];
});

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const PATH = "/api2/json/nodes/pve1";

describe("tasks and locks", () => {
  test("a snapshot task is running with lock: snapshot and snapstate prepare, then stops OK", async () => {
    const bed = await bedWith();
    // long enough for four requests on a loaded machine
    bed.tb.faults.set({ realiseLatencyMs: 2000 });
    const upid = (await bed.raw("POST", `${PATH}/qemu/101/snapshot`, { body: "snapname=slow" }))
      .body.data as string;
    const running = await bed.raw("GET", `${PATH}/tasks/${encodeURIComponent(upid)}/status`);
    expect(running.body.data).toMatchObject({ status: "running" });
    expect(running.body.data).not.toHaveProperty("exitstatus");
    await until("lock: snapshot", async () => {
      const st = await bed.raw("GET", `${PATH}/qemu/101/status/current`);
      return (st.body.data as { lock?: string }).lock === "snapshot" ? true : undefined;
    });
    const list = (await bed.raw("GET", `${PATH}/qemu/101/snapshot`)).body.data as {
      name: string;
      snapstate?: string;
    }[];
    expect(list.find((s) => s.name === "slow")).toMatchObject({ snapstate: "prepare" });
    // any other operation meets the lock
    const put = await bed.raw("PUT", `${PATH}/qemu/101/config`, { body: "description=x" });
    expect([put.status, put.statusText, put.body.message]).toEqual([
      500,
      "VM is locked (snapshot)",
      "VM is locked (snapshot)\n",
    ]);
    const second = (await bed.raw("POST", `${PATH}/qemu/101/snapshot`, { body: "snapname=other" }))
      .body.data as string;
    expect((await waitTask(bed, second)).exitstatus).toBe("VM is locked (snapshot)");
    const log = await taskLog(bed, second);
    expect(log[log.length - 1]).toBe("TASK ERROR: VM is locked (snapshot)");
    expect(await waitTask(bed, upid)).toMatchObject({ status: "stopped", exitstatus: "OK" });
    expect((await bed.raw("GET", `${PATH}/qemu/101/status/current`)).body.data).not.toHaveProperty(
      "lock",
    );
  });

  test("clone and rollback hold their locks while they run (LXC: template `disk`, new CT `create`)", async () => {
    const bed = await bedWith();
    const n = bed.api.nodes.$("pve1");
    bed.tb.faults.set({ realiseLatencyMs: 400 });
    const clone = await n.lxc.$(9000).clone.$post({ newid: 260 });
    expect((await n.lxc.$(260).status.current.$get()).lock).toBe("create");
    expect((await n.lxc.$(9000).status.current.$get()).lock).toBe("disk");
    expect(
      (await bed.raw("PUT", `${PATH}/lxc/260/config`, { body: "description=x" })).body.message,
    ).toBe("CT is locked (create)\n");
    expect(await run(bed, clone)).toBe("OK");
    expect(await n.lxc.$(260).status.current.$get()).not.toHaveProperty("lock");
    expect(await n.lxc.$(9000).status.current.$get()).not.toHaveProperty("lock");
    expect(await run(bed, n.lxc.$(260).snapshot.$post({ snapname: "r1" }))).toBe("OK");
    const rb = await n.lxc.$(260).snapshot.$("r1").rollback.$post();
    await until("lock: rollback", async () =>
      (await n.lxc.$(260).status.current.$get()).lock === "rollback" ? true : undefined,
    );
    expect(await run(bed, rb)).toBe("OK");
  });

  test("config-file lock contention times out with PVE's message (qemu and lxc)", async () => {
    const bed = await bedWith();
    bed.tb.faults.set({
      configLockHolds: [
        { vmid: 101, ms: 3000 },
        { vmid: 201, ms: 3000 },
      ],
    });
    const q = await bed.raw("PUT", `${PATH}/qemu/101/config`, { body: "description=x" });
    expect(q.status).toBe(500);
    expect(q.body.message).toBe(
      "can't lock file '/var/lock/qemu-server/lock-101.conf' - got timeout\n",
    );
    const c = (await bed.raw("POST", `${PATH}/lxc/201/snapshot`, { body: "snapname=c1" })).body
      .data as string;
    expect((await waitTask(bed, c)).exitstatus).toBe(
      "can't lock file '/run/lock/lxc/pve-config-201.lock' - got timeout",
    );
  });

  test("an injected guest lock is reported and refuses operations (VM and CT wording)", async () => {
    const bed = await bedWith();
    bed.tb.faults.set({
      guestLocks: [
        { vmid: 102, lock: "backup", ms: 60000 },
        { vmid: 201, lock: "mounted", ms: 60000 },
      ],
    });
    await until("lock", async () =>
      (await bed.api.nodes.$("pve1").qemu.$(102).status.current.$get()).lock === "backup"
        ? 1
        : undefined,
    );
    expect(await run(bed, bed.api.nodes.$("pve1").qemu.$(102).status.stop.$post())).toBe(
      "VM is locked (backup)",
    );
    await until("ct lock", async () =>
      (await bed.api.nodes.$("pve1").lxc.$(201).status.current.$get()).lock === "mounted"
        ? 1
        : undefined,
    );
    expect(
      await run(bed, bed.api.nodes.$("pve1").lxc.$(201).snapshot.$post({ snapname: "x1" })),
    ).toBe("CT is locked (mounted)");
    // skiplock is root@pam's alone: an API token (even root's) gets PVE's parameter error
    await expect(
      bed.api.nodes.$("pve1").qemu.$(102).status.stop.$post({ skiplock: true }),
    ).rejects.toThrow(/Only root may use this option/);
    // deleting the lock is a config change like any other: refused while locked
    await expect(
      bed.api.nodes.$("pve1").qemu.$(102).config.$put({ delete: "lock" }),
    ).rejects.toThrow(/VM is locked \(backup\)/);
    // root@pam with skiplock gets past it, and unlocks with delete=lock
    expect(
      await run(bed, bed.root.nodes.$("pve1").qemu.$(102).status.stop.$post({ skiplock: true })),
    ).toBe("OK");
    await bed.root.nodes.$("pve1").qemu.$(102).config.$put({ delete: "lock", skiplock: true });
    expect(await bed.api.nodes.$("pve1").qemu.$(102).status.current.$get()).not.toHaveProperty(
      "lock",
    );
    // the LXC API has no skiplock at all: a locked container is unlocked on its node only
    await expect(
      bed.root.nodes.$("pve1").lxc.$(201).config.$put({ delete: "lock" }),
    ).rejects.toThrow(/CT is locked \(mounted\)/);
  });

  test("injected task failures fail the next N tasks of a type", async () => {
    const bed = await bedWith();
    const qm = bed.api.nodes.$("pve1").qemu.$(102);
    await run(bed, qm.status.stop.$post());
    bed.tb.faults.set({
      taskFailures: [{ type: "qmstart", error: "injected: start failed", count: 1 }],
    });
    const upid = await qm.status.start.$post();
    expect((await waitTask(bed, upid)).exitstatus).toBe("injected: start failed");
    expect((await taskLog(bed, upid)).at(-1)).toBe("TASK ERROR: injected: start failed");
    expect(await run(bed, qm.status.start.$post())).toBe("OK");
    const errors = await bed.api.nodes
      .$("pve1")
      .tasks.$get({ errors: true, typefilter: "qmstart" });
    expect(errors.map((t: { upid: string }) => t.upid)).toEqual([upid]);
  });

  test("a task stopped through DELETE ends with an error", async () => {
    const bed = await bedWith();
    bed.tb.faults.set({ realiseLatencyMs: 300 });
    const upid = await bed.api.nodes.$("pve1").qemu.$(101).snapshot.$post({ snapname: "abort1" });
    await bed.api.nodes.$("pve1").tasks.$(upid).$delete();
    expect((await waitTask(bed, upid)).exitstatus).toBe("received interrupt");
  });
});

describe("snapshot failures and ZFS", () => {
  test("a failed snapshot is removed again; a failed delete leaves snapshot-delete behind", async () => {
    const bed = await bedWith();
    const qm = bed.api.nodes.$("pve1").qemu.$(101);
    bed.tb.faults.set({
      taskFailures: [{ type: "realise:snapshotVolume", error: "btrfs: no space left", count: 1 }],
    });
    expect(await run(bed, qm.snapshot.$post({ snapname: "full" }))).toBe("btrfs: no space left");
    expect((await qm.snapshot.$get()).map((s: { name: string }) => s.name)).toEqual(["current"]);
    expect(await qm.status.current.$get()).not.toHaveProperty("lock");

    expect(await run(bed, qm.snapshot.$post({ snapname: "keep" }))).toBe("OK");
    bed.tb.faults.set({
      taskFailures: [{ type: "realise:deleteVolumeSnapshot", error: "dataset is busy", count: 1 }],
    });
    expect(await run(bed, qm.snapshot.$("keep").$delete())).toBe("dataset is busy");
    expect((await qm.status.current.$get()).lock).toBe("snapshot-delete");
    expect(
      (await qm.snapshot.$get()).find((s: { name: string }) => s.name === "keep"),
    ).toMatchObject({ snapstate: "delete" });
    expect(await run(bed, qm.snapshot.$post({ snapname: "next" }))).toBe(
      "VM is locked (snapshot-delete)",
    );
    expect(await run(bed, qm.snapshot.$("keep").$delete())).toBe("VM is locked (snapshot-delete)");
    // unlock (root@pam, skiplock), and the half-deleted snapshot refuses rollback
    await bed.root.nodes.$("pve1").qemu.$(101).config.$put({ delete: "lock", skiplock: true });
    expect(await run(bed, qm.snapshot.$("keep").rollback.$post())).toBe(
      "unable to rollback to incomplete snapshot (snapstate = delete)",
    );
    // force does not skip the lock check (set_lock), so with the lock back it still fails…
    await bed.root.nodes
      .$("pve1")
      .qemu.$(101)
      .config.$put({ lock: "snapshot-delete", skiplock: true });
    expect(await run(bed, qm.snapshot.$("keep").$delete({ force: true }))).toBe(
      "VM is locked (snapshot-delete)",
    );
    // …and once unlocked, force deletes it, storage errors turned into warnings
    await bed.root.nodes.$("pve1").qemu.$(101).config.$put({ delete: "lock", skiplock: true });
    bed.tb.faults.set({
      taskFailures: [{ type: "realise:deleteVolumeSnapshot", error: "dataset is busy", count: 1 }],
    });
    const forced = await qm.snapshot.$("keep").$delete({ force: true });
    expect(await run(bed, forced)).toBe("WARNINGS: 1");
    expect((await taskLog(bed, forced)).slice(-2)).toEqual([
      "WARN: dataset is busy",
      "TASK WARNINGS: 1",
    ]);
    expect((await qm.snapshot.$get()).map((s: { name: string }) => s.name)).toEqual(["current"]);
    expect(await qm.status.current.$get()).not.toHaveProperty("lock");
  });

  test("zfspool rolls back only to the most recent snapshot; btrfs to any", async () => {
    const bed = await bedWith();
    const n = bed.api.nodes.$("pve1");
    expect(await run(bed, n.qemu.$post({ vmid: 500, scsi0: "tank:1" }))).toBe("OK");
    const z = n.qemu.$(500);
    expect(await run(bed, z.snapshot.$post({ snapname: "a1" }))).toBe("OK");
    expect(await run(bed, z.snapshot.$post({ snapname: "b1" }))).toBe("OK");
    expect(await run(bed, z.snapshot.$("a1").rollback.$post())).toBe(
      "can't rollback, 'a1' is not most recent snapshot on 'tank:vm-500-disk-0'",
    );
    expect(await run(bed, z.snapshot.$("b1").rollback.$post())).toBe("OK");
    expect(await run(bed, z.snapshot.$("b1").$delete())).toBe("OK");
    expect(await run(bed, z.snapshot.$("a1").rollback.$post())).toBe("OK");
    const b = n.qemu.$(101);
    expect(await run(bed, b.snapshot.$post({ snapname: "a1" }))).toBe("OK");
    expect(await run(bed, b.snapshot.$post({ snapname: "b1" }))).toBe("OK");
    expect(await run(bed, b.snapshot.$("a1").rollback.$post())).toBe("OK");
  });
});

describe("persistence", () => {
  test("guests, snapshots, SDN, firewall, tasks and tokens survive restart and a new process", async () => {
    const bed = await bedWith({ dir: undefined });
    const n = bed.api.nodes.$("pve1");
    const snapUpid = await n.qemu
      .$(101)
      .snapshot.$post({ snapname: "persist", description: "kept" });
    await waitTask(bed, snapUpid);
    await bed.api.cluster.sdn.zones.$post({ zone: "zp", type: "vxlan", peers: "10.250.0.11" });
    await bed.api.cluster.firewall.rules.$post({
      type: "in",
      action: "ACCEPT",
      dport: "22",
      proto: "tcp",
    });
    await n.lxc.$(201).config.$put({ description: "persisted" });

    await bed.tb.restart(0);
    // the restart closed every connection: let the pool notice before the client reuses one
    await bed.raw("GET", "/api2/json/version").catch(() => undefined);
    const check = async (b: Bed): Promise<void> => {
      const m = b.api.nodes.$("pve1");
      expect(
        (await m.qemu.$(101).snapshot.$get()).find((s: { name: string }) => s.name === "persist"),
      ).toMatchObject({ description: "kept" });
      expect((await b.api.cluster.sdn.zones.$get({ pending: true }))[0]).toMatchObject({
        zone: "zp",
        state: "new",
      });
      expect((await b.api.cluster.firewall.rules.$get())[0]).toMatchObject({ dport: "22" });
      expect((await m.lxc.$(201).config.$get()).description).toBe("persisted");
      expect((await m.tasks.$(snapUpid).status.$get()).exitstatus).toBe("OK");
    };
    await check(bed);

    // a whole new testbed process on the same state dir: same token, same certificate
    const { tokenId, secret, fingerprint } = bed.tb;
    await bed.tb.stop();
    const again = await bedWith({ dir: bed.dir });
    expect([again.tb.tokenId, again.tb.secret, again.tb.fingerprint]).toEqual([
      tokenId,
      secret,
      fingerprint,
    ]);
    await check(again);
    // the lab is not seeded twice, and guests that were running are started again
    expect(again.realiser.calls.filter((c) => c.startsWith("cloneVolume"))).toEqual([]);
    expect(again.realiser.calls.filter((c) => c.startsWith("startGuest")).sort()).toEqual([
      "startGuest 101",
      "startGuest 102",
      "startGuest 201",
    ]);
  });
});

describe("several nodes", () => {
  test("guests live on one node; clone with target moves to another (shared storage)", async () => {
    const bed = await bedWith({
      config: {
        nodes: ["pve1", "pve2"],
        storages: [
          { id: "local-btrfs", type: "btrfs", content: ["images", "rootdir"] },
          { id: "shared", type: "btrfs", shared: true, content: ["images", "rootdir"] },
        ],
        lab: {
          templates: [],
          guests: [{ vmid: 101, type: "qemu", name: "agent1", storage: "shared", start: false }],
        },
      },
    });
    expect((await bed.api.nodes.$get()).map((n: { node: string }) => n.node)).toEqual([
      "pve1",
      "pve2",
    ]);
    expect(await bed.api.nodes.$("pve2").qemu.$get()).toEqual([]);
    const upid = await bed.api.nodes
      .$("pve1")
      .qemu.$(101)
      .clone.$post({ newid: 150, target: "pve2" });
    expect(await run(bed, upid)).toBe("OK");
    expect(
      (await bed.api.nodes.$("pve2").qemu.$get()).map((g: { vmid: number }) => g.vmid),
    ).toEqual([150]);
    const upid2 = await bed.api.nodes.$("pve2").qemu.$(150).snapshot.$post({ snapname: "n2" });
    expect(upid2.split(":")[1]).toBe("pve2");
    expect((await waitTask(bed, upid2)).exitstatus).toBe("OK");
    const wrong = await bed.raw("GET", `${PATH}/qemu/150/config`);
    expect(wrong.body.message).toBe(
      "Configuration file 'nodes/pve1/qemu-server/150.conf' does not exist\n",
    );
    const cs = await bed.api.cluster.status.$get();
    expect(
      cs.filter((x: { type: string }) => x.type === "node").map((x: { name: string }) => x.name),
    ).toEqual(["pve1", "pve2"]);
  });
});

describe("faults", () => {
  test("latency, error answers and dropped connections, per path", async () => {
    const bed = await bedWith();
    bed.tb.faults.set({ latency: [{ ms: 150, path: "^/version$" }] });
    const t0 = Date.now();
    expect((await bed.raw("GET", "/api2/json/version")).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);

    bed.tb.faults.set({ latency: [], errors: [{ fraction: 1, status: 503, path: "^/nodes$" }] });
    const e = await bed.raw("GET", "/api2/json/nodes");
    expect([e.status, e.body.data]).toEqual([503, null]);
    expect((await bed.raw("GET", "/api2/json/version")).status).toBe(200);

    bed.tb.faults.set({ errors: [], drops: [{ fraction: 1, path: "^/cluster/nextid$" }] });
    await expect(bed.raw("GET", "/api2/json/cluster/nextid")).rejects.toThrow();
    expect((await bed.raw("GET", "/api2/json/version")).status).toBe(200);
    bed.tb.faults.clear();
    expect((await bed.raw("GET", "/api2/json/cluster/nextid")).status).toBe(200);
  });

  test("fractions use the injected random source", async () => {
    let i = 0;
    const seq = [0.1, 0.9];
    const bed = await bedWith({ random: () => seq[i++ % 2]! });
    bed.tb.faults.set({ errors: [{ fraction: 0.5, status: 500 }] });
    const a = await bed.raw("GET", "/api2/json/version");
    const b = await bed.raw("GET", "/api2/json/version");
    expect([a.status, b.status]).toEqual([500, 200]);
  });

  test("the fault endpoint: GET/PUT/DELETE /testbed/faults, restart, guests", async () => {
    const bed = await bedWith();
    const put = await bed.raw("PUT", "/testbed/faults", {
      body: JSON.stringify({ latency: [{ ms: 1 }], taskDelayMs: 5 }),
      headers: { "content-type": "application/json" },
    });
    expect(put.status).toBe(200);
    expect((await bed.raw("GET", "/testbed/faults")).body.data).toMatchObject({
      latency: [{ ms: 1 }],
      taskDelayMs: 5,
    });
    const bad = await bed.raw("PUT", "/testbed/faults", {
      body: JSON.stringify({ taskDelayMs: -1 }),
    });
    expect(bad.status).toBe(400);
    expect((await bed.raw("DELETE", "/testbed/faults")).body.data).toMatchObject({
      latency: [],
      taskDelayMs: 0,
    });
    expect((await bed.raw("GET", "/testbed/faults", { auth: false })).status).toBe(401);

    const guests = (await bed.raw("GET", "/testbed/guests")).body.data as {
      vmid: number;
      status: string;
      hostKeyFingerprints: string[];
    }[];
    expect(guests.map((g) => `${g.vmid}:${g.status}`)).toEqual([
      "101:running",
      "102:running",
      "201:running",
      "9000:stopped",
    ]);
    expect(guests[0]!.hostKeyFingerprints[0]).toMatch(/^SHA256:/);

    // restart: the server goes away, closes connections, and comes back with the same state
    const r = await bed.raw("POST", "/testbed/restart?downMs=300");
    expect(r.body.data).toEqual({ restarting: 1, downMs: 300 });
    await until("server down", async () => {
      try {
        await bed.raw("GET", "/api2/json/version");
        return undefined;
      } catch {
        return true;
      }
    });
    const back = await until("server back", async () => {
      try {
        return (await bed.raw("GET", "/api2/json/nodes/pve1/qemu")).body.data as unknown[];
      } catch {
        return undefined;
      }
    });
    expect(back.length).toBe(2);
  });
});

describe("authentication", () => {
  test("token and ticket auth, CSRF, and PVE's 401s", async () => {
    const bed = await bedWith();
    const none = await bed.raw("GET", "/api2/json/version", { auth: false });
    expect([none.status, none.statusText, none.body.message]).toEqual([
      401,
      "No ticket",
      "No ticket\n",
    ]);
    const badTok = await bed.raw("GET", "/api2/json/version", {
      auth: false,
      headers: {
        authorization: `PVEAPIToken=${bed.tb.tokenId}=00000000-0000-0000-0000-000000000000`,
      },
    });
    expect([badTok.status, badTok.statusText]).toEqual([401, "authentication failure"]);

    const login = await bed.raw("POST", "/api2/json/access/ticket", {
      auth: false,
      body: "username=root@pam&password=secret-pw",
    });
    expect(login.status).toBe(200);
    const { ticket, CSRFPreventionToken, username } = login.body.data as Record<string, string>;
    expect(username).toBe("root@pam");
    expect(ticket).toMatch(/^PVE:root@pam:[0-9A-F]{8}::/);
    const cookie = `PVEAuthCookie=${encodeURIComponent(ticket!)}`;
    expect(
      (await bed.raw("GET", "/api2/json/version", { auth: false, headers: { cookie } })).status,
    ).toBe(200);
    const noCsrf = await bed.raw("PUT", "/api2/json/nodes/pve1/qemu/101/config", {
      auth: false,
      headers: { cookie },
      body: "description=t",
    });
    expect([noCsrf.status, noCsrf.statusText]).toEqual([
      401,
      "Permission denied - invalid csrf token",
    ]);
    const withCsrf = await bed.raw("PUT", "/api2/json/nodes/pve1/qemu/101/config", {
      auth: false,
      headers: { cookie, csrfpreventiontoken: CSRFPreventionToken! },
      body: "description=t",
    });
    expect(withCsrf.status).toBe(200);
    const forged = await bed.raw("GET", "/api2/json/version", {
      auth: false,
      headers: { cookie: `PVEAuthCookie=${ticket!.replace(/::.*/, "::AAAA")}` },
    });
    expect([forged.status, forged.statusText]).toEqual([401, "invalid PVE ticket"]);
    const wrongPw = await bed.raw("POST", "/api2/json/access/ticket", {
      auth: false,
      body: "username=root@pam&password=x",
    });
    expect([wrongPw.status, wrongPw.statusText]).toEqual([401, "authentication failure"]);
    // the pinned agent refuses a different certificate fingerprint
    const { pinnedAgent } = await import("./helpers.js");
    const wrongPin = pinnedAgent(bed.tb.certPem, "00:11");
    await expect(
      undiciFetch(`${bed.tb.url}/api2/json/version`, { dispatcher: wrongPin }),
    ).rejects.toThrow();
    await wrongPin.close();
  });

  test("401s are delayed by the configured amount", async () => {
    const bed = await bedWith({
      config: {
        api: {
          port: 0,
          authFailDelayMs: 200,
          lockTimeoutMs: 300,
          ticketLifetimeS: 7200,
          host: "127.0.0.1",
        },
      },
    });
    const t0 = Date.now();
    expect((await bed.raw("GET", "/api2/json/version", { auth: false })).status).toBe(401);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
  });
});

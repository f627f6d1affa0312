/**
 * SDN fidelity (pve-network): PVE 9's global SDN lock and its token, the cluster-wide cfs lock
 * timeout, a node whose network reload fails (the reload task only warns), and VXLAN's
 * `peers`-or-`fabric` rule.
 */
import { afterEach, describe, expect, test } from "@jest/globals";
import { startBed, taskLog, waitTask, type Bed } from "./helpers.js";

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

const form = (o: Record<string, string | number>): string =>
  new URLSearchParams(
    Object.entries(o).map(([k, v]): [string, string] => [k, String(v)]),
  ).toString();

describe("PVE 9 SDN lock (lock_sdn_config)", () => {
  test("a held lock refuses writes without its token, accepts them with it, and PUT releases it", async () => {
    const bed = await bedWith();
    const lock = await bed.raw("POST", "/api2/json/cluster/sdn/lock", { body: "" });
    expect(lock.status).toBe(200);
    const token = lock.body.data as string;
    expect(token).toMatch(/^[0-9a-f-]{36}$/);
    // a second taker, and a writer without the token, meet "invalid lock token provided!"
    const again = await bed.raw("POST", "/api2/json/cluster/sdn/lock", { body: "" });
    expect([again.status, again.statusText]).toEqual([
      500,
      "could not acquire lock for SDN config: invalid lock token provided! at /usr/share/perl5/PVE/Network/SDN.pm line 291.",
    ]);
    const zone = { zone: "lz", type: "vxlan", peers: "10.250.0.11" };
    const denied = await bed.raw("POST", "/api2/json/cluster/sdn/zones", { body: form(zone) });
    expect(denied.status).toBe(500);
    expect(denied.body.message).toMatch(
      /^create sdn zone object failed: invalid lock token provided!/,
    );
    const wrong = await bed.raw("POST", "/api2/json/cluster/sdn/zones", {
      body: form({ ...zone, "lock-token": "00000000-0000-0000-0000-000000000000" }),
    });
    expect(wrong.status).toBe(500);
    const ok = await bed.raw("POST", "/api2/json/cluster/sdn/zones", {
      body: form({ ...zone, "lock-token": token }),
    });
    expect(ok.status).toBe(200);
    // the lock refuses a new taker while the config has pending changes… it is still ours
    const put = await bed.raw("PUT", "/api2/json/cluster/sdn", {
      body: form({ "lock-token": token }),
    });
    expect(put.status).toBe(200);
    expect((await waitTask(bed, put.body.data as string)).exitstatus).toBe("OK");
    // release-lock defaults to 1: the lock is gone, writes without a token pass again
    const after = await bed.raw("POST", "/api2/json/cluster/sdn/zones", {
      body: form({ zone: "lz2", type: "vxlan", peers: "10.250.0.11" }),
    });
    expect(after.status).toBe(200);
  });

  test("taking the lock needs no pending changes (unless allow-pending); DELETE releases by token or force", async () => {
    const bed = await bedWith();
    await bed.api.cluster.sdn.zones.$post({ zone: "pz", type: "vxlan", peers: "10.250.0.11" });
    const pending = await bed.raw("POST", "/api2/json/cluster/sdn/lock", { body: "" });
    expect(pending.statusText).toMatch(
      /^could not acquire lock for SDN config: configuration has pending changes/,
    );
    const token = (
      await bed.raw("POST", "/api2/json/cluster/sdn/lock", { body: "allow-pending=1" })
    ).body.data as string;
    const badRelease = await bed.raw("DELETE", "/api2/json/cluster/sdn/lock");
    expect(badRelease.statusText).toMatch(/^could not release lock: invalid lock token provided!/);
    expect(
      (await bed.raw("DELETE", `/api2/json/cluster/sdn/lock?lock-token=${token}`)).status,
    ).toBe(200);
    await bed.raw("POST", "/api2/json/cluster/sdn/lock", { body: "allow-pending=1" });
    expect((await bed.raw("DELETE", "/api2/json/cluster/sdn/lock?force=1")).status).toBe(200);
    expect((await bed.raw("DELETE", "/api2/json/cluster/sdn/lock?force=1")).status).toBe(200);
  });

  test("contention on the cluster-wide SDN lock: cfs-lock 'domain-sdn' error: got lock request timeout", async () => {
    const bed = await bedWith();
    bed.tb.faults.set({ sdnLockTimeouts: 1 });
    const r = await bed.raw("POST", "/api2/json/cluster/sdn/zones", {
      body: form({ zone: "tz", type: "vxlan", peers: "10.250.0.11" }),
    });
    expect([r.status, r.statusText]).toEqual([
      500,
      "create sdn zone object failed: cfs-lock 'domain-sdn' error: got lock request timeout",
    ]);
    // only that one write: the next goes through
    await bed.api.cluster.sdn.zones.$post({ zone: "tz", type: "vxlan", peers: "10.250.0.11" });
  });
});

describe("reloadnetworkall", () => {
  test("a node whose network reload fails makes the task end WARNINGS, naming the node in its log", async () => {
    const bed = await bedWith({ config: { nodes: ["pve1", "pve2", "pve3"] } });
    bed.tb.faults.set({ sdnReloadFailures: ["pve2"] });
    await bed.api.cluster.sdn.zones.$post({ zone: "wz", type: "vxlan", peers: "10.250.0.11" });
    const upid = await bed.api.cluster.sdn.$put();
    // the commit is done before the task: its failure cannot undo it
    expect((await waitTask(bed, upid)).exitstatus).toBe("WARNINGS: 1");
    const log = await taskLog(bed, upid);
    expect(log).toEqual(
      expect.arrayContaining([
        "pve1: reloading network config",
        "pve2: reloading network config",
        "WARN: command 'pvesh set /nodes/pve2/network --regenerate-frr 1' failed: exit code 255",
        "pve3: reloading network config",
        "TASK WARNINGS: 1",
      ]),
    );
    expect((await bed.api.cluster.sdn.zones.$get({ running: true })).map((z) => z.zone)).toContain(
      "wz",
    );
  });
});

describe("VXLAN zones (VxlanPlugin::on_update_hook)", () => {
  test("take peers or fabric, not both, not neither", async () => {
    const bed = await bedWith();
    const zones = bed.api.cluster.sdn.zones;
    await zones.$post({ zone: "vp", type: "vxlan", peers: "10.250.0.11" });
    // `fabric` is PVE 9's; the client's typings predate it
    await zones.$post({ zone: "vf", type: "vxlan", fabric: "underlay" } as never);
    const both = await bed.raw("POST", "/api2/json/cluster/sdn/zones", {
      body: form({ zone: "vb", type: "vxlan", peers: "10.250.0.11", fabric: "underlay" }),
    });
    expect(both.body.message).toBe(
      "create sdn zone object failed: 400 Parameter verification failed.\n" +
        "fabric: must have exactly one of peers / fabric defined\n" +
        "peers: must have exactly one of peers / fabric defined\n",
    );
  });
});

describe("tasks (pve-common fork_worker, pve-manager Tasks.pm)", () => {
  test("a multi-line task error is one line joined with spaces; an unknown task is 400 errors.upid", async () => {
    const bed = await bedWith();
    bed.tb.faults.set({
      taskFailures: [{ type: "qmstart", error: "first line\nsecond line\n", count: 1 }],
    });
    await bed.api.nodes.$("pve1").qemu.$(101).status.stop.$post();
    const upid = await bed.api.nodes.$("pve1").qemu.$(101).status.start.$post();
    expect((await waitTask(bed, upid)).exitstatus).toBe("first line second line");
    expect((await taskLog(bed, upid)).at(-1)).toBe("TASK ERROR: first line second line");
    const unknown = await bed.raw(
      "GET",
      `/api2/json/nodes/pve1/tasks/${encodeURIComponent("UPID:pve1:00000001:00000002:00000003:qmstart:101:root@pam:")}/status`,
    );
    expect([unknown.status, unknown.statusText, unknown.body.errors]).toEqual([
      400,
      "Parameter verification failed.",
      { upid: "no such task" },
    ]);
  });
});

/**
 * The client against PVE behaviours the testbed models from PVE's sources: the newest-snapshot
 * rule of ZFS (snapshots made outside PVE included), config-lock timeouts in a task's late phase,
 * a half-deleted snapshot's lock, the separate start task of a rollback, a partial SDN reload,
 * and concurrent LXC clones of one template.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestbed, type TestbedHandle } from "@txbox/testbed";
import { ProxmoxClient } from "../src/client.js";
import { Locked, RollbackBlocked, SdnReloadFailed, TaskFailed } from "../src/errors.js";

let tb: TestbedHandle;
let dir: string;
let token: ProxmoxClient;
let root: ProxmoxClient;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "txbox-pve-fidelity-"));
  tb = await startTestbed({
    stateDir: dir,
    port: 0,
    config: {
      realiser: "memory",
      nodes: ["pve1", "pve2"],
      api: { port: 0, authFailDelayMs: 0, lockTimeoutMs: 300 },
      users: [{ userid: "root@pam", password: "pw-root", tokens: [{ id: "txbox" }] }],
      storages: [
        { id: "local-btrfs", type: "btrfs", content: ["images", "rootdir"] },
        { id: "tank", type: "zfspool", content: ["images", "rootdir"] },
      ],
    },
  });
  const common = { url: tb.url, fingerprint: tb.fingerprint, node: "pve1" };
  token = await ProxmoxClient.connect({
    ...common,
    credentials: { kind: "token", tokenId: tb.tokenId, secret: tb.secret },
  });
  root = await ProxmoxClient.connect({
    ...common,
    credentials: { kind: "ticket", username: "root@pam", password: "pw-root" },
  });
}, 60_000);

afterEach(async () => {
  await token?.close();
  await root?.close();
  await tb?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const tasksOf = async (c: ProxmoxClient, type: string): Promise<string[]> =>
  (
    await c.get<{ upid: string; type: string }[]>("/nodes/pve1/tasks", {
      source: "all",
      limit: 500,
    })
  )
    .filter((t) => t.type === type)
    .map((t) => t.upid);

test("ZFS: a rollback past a newer snapshot is refused before any effect; one made outside PVE is reported", async () => {
  await token.effect("POST", "/nodes/pve1/qemu", { vmid: 500, scsi0: "tank:1" });
  const g = await token.guest(500);
  expect(await g.rollsBackOnlyToNewest()).toBe(true);
  expect(await (await token.guest(101)).rollsBackOnlyToNewest()).toBe(false);
  await g.createSnapshot("a1", { description: "a" });
  await g.createSnapshot("b1", { description: "b" });
  const before = await tasksOf(token, "qmrollback");
  const refused = await g.rollback("a1").catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(RollbackBlocked);
  expect(refused).toMatchObject({
    code: "E_ROLLBACK_BLOCKED",
    blockers: ["b1"],
    outsidePve: false,
  });
  expect(await tasksOf(token, "qmrollback")).toEqual(before);
  // `zfs snapshot` on the node: PVE does not list it
  const guests = tb.cluster().guests;
  await guests.snaps.foreign(guests.byId.get(500)!, "autosnap");
  const outside = await g.rollback("b1").catch((e: unknown) => e);
  expect(outside).toBeInstanceOf(RollbackBlocked);
  expect(outside).toMatchObject({ outsidePve: true });
  expect((outside as Error).message).toMatch(/tank:vm-500-disk-0 that Proxmox does not list/);
});

test("rollback with start waits for PVE's separate start task", async () => {
  const g = await token.guest(101);
  await g.createSnapshot("s1", { description: "s" });
  await g.stop();
  await g.rollback("s1", { start: true });
  expect((await g.status()).status).toBe("running");
  expect(await tasksOf(token, "qmstart")).not.toEqual([]);
});

test("a late-phase config-lock timeout in rollback is read, not resent: root clears the lock and finishes; a token gets the node command", async () => {
  const asRoot = await root.guest(101);
  await asRoot.createSnapshot("s1", { description: "s" });
  tb.faults.set({ lateLockHolds: [{ type: "qmrollback", ms: 600, count: 1 }] });
  await asRoot.rollback("s1");
  expect((await asRoot.status()).lock).toBeUndefined();
  expect((await asRoot.config()).parent).toBe("s1");

  const asToken = await token.guest(101);
  tb.faults.set({ lateLockHolds: [{ type: "qmrollback", ms: 600, count: 1 }] });
  const err = await asToken.rollback("s1").catch((e: unknown) => e);
  expect(err).toBeInstanceOf(Locked);
  expect((err as Locked).hint).toMatch(/qm unlock 101/);
  // root: the late failure, then one resend after reading the state; the token: no resend
  const rollbacks = await tasksOf(token, "qmrollback");
  expect(rollbacks).toHaveLength(3);
});

test("a snapshot whose commit met the config lock is cleaned up and taken again", async () => {
  const g = await root.guest(101);
  tb.faults.set({ lateLockHolds: [{ type: "qmsnapshot", ms: 600, count: 1 }] });
  await g.createSnapshot("late", { description: "txbox late" });
  const s = (await g.snapshots()).snapshots.find((x) => x.name === "late");
  expect(s).toBeDefined();
  expect(s?.snapstate).toBeUndefined();
  expect((await g.status()).lock).toBeUndefined();
});

test("a half-deleted snapshot (snapshot-delete lock left) is deleted with force after the lock is cleared", async () => {
  const g = await root.guest(101);
  await g.createSnapshot("old", { description: "o" });
  tb.faults.set({
    taskFailures: [{ type: "realise:deleteVolumeSnapshot", error: "dataset is busy", count: 1 }],
  });
  const failed = await g.deleteSnapshot("old").catch((e: unknown) => e);
  expect(failed).toBeInstanceOf(TaskFailed);
  expect((await g.status()).lock).toBe("snapshot-delete");
  await g.deleteSnapshot("old");
  expect((await g.snapshots()).snapshots.map((x) => x.name)).toEqual([]);
  expect((await g.status()).lock).toBeUndefined();
  const del = await root.get<{ upid: string; type: string }[]>("/nodes/pve1/tasks", {
    typefilter: "qmdelsnapshot",
    source: "all",
  });
  expect(del).toHaveLength(2);
});

test("a node whose network reload fails: applySdn throws SdnReloadFailed naming it", async () => {
  tb.faults.set({ sdnReloadFailures: ["pve2"] });
  await token.sdn.withLock(async () => {
    await token.sdn.createZone({ zone: "rz", type: "vxlan", peers: "10.250.0.11" });
    const err = await token.sdn.applySdn().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SdnReloadFailed);
    expect(err).toMatchObject({ nodes: ["pve2"] });
  });
  // the lock was released
  const t = await token.request<string>("POST", "/cluster/sdn/lock");
  await token.request("DELETE", "/cluster/sdn/lock", { "lock-token": t });
});

test("two clones of one LXC template at once: the second waits for the template's disk lock", async () => {
  tb.faults.set({ realiseLatencyMs: 200 });
  const tpl = await token.guest(9000);
  await Promise.all([tpl.clone(260), tpl.clone(261)]);
  expect((await token.resources("vm")).map((r) => r.vmid)).toEqual(
    expect.arrayContaining([260, 261]),
  );
});

test("snapshot consistency of a running VM: frozen by PVE through the guest agent (agent: 1), RAM saved with vmstate, crash-consistent otherwise; LXC has no vmstate", async () => {
  const vm = await token.guest(101);
  expect((await vm.status()).status).toBe("running");
  const lastLog = async (): Promise<string> => {
    const upid = (await tasksOf(token, "qmsnapshot"))[0]!;
    const lines = await token.get<{ t: string }[]>(
      `/nodes/pve1/tasks/${encodeURIComponent(upid)}/log`,
    );
    return lines.map((l) => l.t).join("\n");
  };
  await vm.createSnapshot("plain", { description: "t" });
  expect(await lastLog()).toContain("no freeze: crash-consistent");
  await vm.updateConfig({ agent: "1" });
  expect(await token.get(`${vm.path}/status/current`)).toMatchObject({ agent: 1 });
  await vm.createSnapshot("frozen", { description: "t" });
  expect(await lastLog()).toContain("guest agent: file systems frozen and thawed");
  // qemu-server saves RAM instead of freezing when vmstate is asked for
  await vm.createSnapshot("withram", { description: "t", vmstate: true });
  expect(await lastLog()).toContain("no freeze: crash-consistent");
  const { snapshots } = await vm.snapshots();
  expect(snapshots.find((s) => s.name === "withram")?.vmstate).toBe(true);
  expect(snapshots.find((s) => s.name === "frozen")).not.toHaveProperty("vmstate");
  const ct = await token.guest(201);
  await expect(ct.createSnapshot("ram", { vmstate: true })).rejects.toThrow(
    "snapshot ram: vmstate is for qemu VMs only",
  );
});

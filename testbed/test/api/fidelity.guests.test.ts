/**
 * Guest fidelity (qemu-server, pve-container, pve-guest-common, pve-storage): clones across nodes
 * need shared storage; LXC clones lock their template `disk`, qemu clones run side by side;
 * "newest snapshot only" for every storage type that has it, snapshots made outside PVE included;
 * a late phase that meets the config lock; rollback's start as a task of its own; what a rollback
 * keeps of the current config.
 */
import { afterEach, describe, expect, test } from "@jest/globals";
import { startBed, run, taskLog, waitTask, type Bed } from "./helpers.js";

let beds: Bed[] = [];
afterEach(async () => {
  for (const b of beds) await b.close().catch(() => undefined);
  beds = [];
});

const STORAGES = [
  { id: "local-btrfs", type: "btrfs", content: ["images", "rootdir"] },
  { id: "tank", type: "zfspool", content: ["images", "rootdir"] },
  { id: "iscsi-zfs", type: "zfs", content: ["images"] },
  { id: "thick", type: "lvm", "snapshot-as-volume-chain": true, content: ["images", "rootdir"] },
  { id: "raw-lvm", type: "lvm", content: ["images", "rootdir"] },
  { id: "nfs", type: "nfs", "snapshot-as-volume-chain": true, content: ["images", "rootdir"] },
  { id: "thin", type: "lvmthin", content: ["images", "rootdir"] },
  { id: "cephish", type: "rbd", content: ["images", "rootdir"] },
];

async function twoNodes(): Promise<Bed> {
  const b = await startBed({
    config: {
      nodes: ["pve1", "pve2"],
      storages: STORAGES,
      lab: {
        templates: [
          { vmid: 9000, type: "lxc", name: "tpl-ct", start: false },
          { vmid: 9001, type: "qemu", name: "tpl-vm", start: false },
          { vmid: 9002, type: "qemu", name: "tpl-shared", storage: "cephish", start: false },
        ],
        guests: [{ vmid: 101, type: "qemu", name: "agent1", from: 9001, start: false }],
      },
    },
  });
  beds.push(b);
  return b;
}

async function failure(p: Promise<{ status: number; statusText: string }>): Promise<string> {
  const r = await p;
  expect(r.status).toBe(500);
  return r.statusText;
}

describe("clone_vm across nodes (qemu-server, pve-container)", () => {
  test("a template on local storage cannot be cloned to another node; on shared storage it can", async () => {
    const bed = await twoNodes();
    const P = "/api2/json/nodes/pve1";
    expect(
      await failure(bed.raw("POST", `${P}/qemu/9001/clone`, { body: "newid=150&target=pve2" })),
    ).toBe("can't clone VM to node 'pve2' (VM uses local storage)");
    // qemu decides by the source volumes: a full clone onto shared storage does not help
    expect(
      await failure(
        bed.raw("POST", `${P}/qemu/9001/clone`, {
          body: "newid=150&target=pve2&full=1&storage=cephish",
        }),
      ),
    ).toBe("can't clone VM to node 'pve2' (VM uses local storage)");
    expect(
      await failure(
        bed.raw("POST", `${P}/qemu/9001/clone`, {
          body: "newid=150&target=pve2&full=1&storage=tank",
        }),
      ),
    ).toBe("can't clone to non-shared storage 'tank'");
    expect(
      await failure(bed.raw("POST", `${P}/lxc/9000/clone`, { body: "newid=151&target=pve2" })),
    ).toBe("can't clone CT to node 'pve2' (CT uses local storage)");
    // the failed LXC clone released the template's `disk` lock again
    expect(await bed.api.nodes.$("pve1").lxc.$(9000).status.current.$get()).not.toHaveProperty(
      "lock",
    );
    // LXC decides by the target storage: a full clone onto shared storage works
    const ct = await bed.api.nodes
      .$("pve1")
      .lxc.$(9000)
      .clone.$post({ newid: 151, target: "pve2", full: true, storage: "nfs" });
    expect(await run(bed, ct)).toBe("OK");
    expect((await bed.api.nodes.$("pve2").lxc.$(151).config.$get()).rootfs).toMatch(
      /^nfs:subvol-151-disk-0,/,
    );
    const vm = await bed.api.nodes
      .$("pve1")
      .qemu.$(9002)
      .clone.$post({ newid: 152, target: "pve2" });
    expect(await run(bed, vm)).toBe("OK");
    expect((await bed.api.nodes.$("pve2").qemu.$(152).config.$get()).scsi0).toMatch(
      /^cephish:vm-152-disk-0,/,
    );
    // /storage and the node's storage list say which is shared
    const defs = (await bed.api.storage.$get()) as { storage: string; shared?: number }[];
    expect(defs.filter((s) => s.shared === 1).map((s) => s.storage)).toEqual([
      "iscsi-zfs",
      "nfs",
      "cephish",
    ]);
  });

  test("LXC: a concurrent clone of one template meets 'CT is locked (disk)'; qemu clones run side by side", async () => {
    const bed = await twoNodes();
    bed.tb.faults.set({ realiseLatencyMs: 300 });
    const n = bed.api.nodes.$("pve1");
    const first = await n.lxc.$(9000).clone.$post({ newid: 160 });
    const second = await bed.raw("POST", "/api2/json/nodes/pve1/lxc/9000/clone", {
      body: "newid=161",
    });
    expect([second.status, second.statusText]).toEqual([500, "CT is locked (disk)"]);
    expect(await run(bed, first)).toBe("OK");
    expect(await run(bed, n.lxc.$(9000).clone.$post({ newid: 161 }))).toBe("OK");
    const a = await n.qemu.$(9001).clone.$post({ newid: 170 });
    const b = await n.qemu.$(9001).clone.$post({ newid: 171 });
    expect((await n.qemu.$(170).status.current.$get()).lock).toBe("clone");
    expect(await n.qemu.$(9001).status.current.$get()).not.toHaveProperty("lock");
    expect([await run(bed, a), await run(bed, b)]).toEqual(["OK", "OK"]);
  });
});

describe("volume_rollback_is_possible (pve-storage plugins)", () => {
  const cases: [string, string | undefined][] = [
    ["tank", "can't rollback, 'a1' is not most recent snapshot on 'tank:vm-500-disk-0'"],
    ["iscsi-zfs", "can't rollback, 'a1' is not most recent snapshot on 'iscsi-zfs:vm-500-disk-0'"],
    ["thick", "can't rollback, 'a1' is not most recent snapshot on 'vm-500-disk-0'"],
    ["nfs", "can't rollback, 'a1' is not most recent snapshot on 'vm-500-disk-0'"],
    ["thin", undefined],
    ["cephish", undefined],
    ["local-btrfs", undefined],
  ];
  test.each(cases)("storage %s", async (storage, error) => {
    const bed = await twoNodes();
    const n = bed.api.nodes.$("pve1");
    expect(await run(bed, n.qemu.$post({ vmid: 500, scsi0: `${storage}:1` }))).toBe("OK");
    const z = n.qemu.$(500);
    expect(await run(bed, z.snapshot.$post({ snapname: "a1" }))).toBe("OK");
    expect(await run(bed, z.snapshot.$post({ snapname: "b1" }))).toBe("OK");
    expect(await run(bed, z.snapshot.$("a1").rollback.$post())).toBe(error ?? "OK");
  });

  test("thick LVM without volume chains cannot snapshot at all", async () => {
    const bed = await twoNodes();
    const n = bed.api.nodes.$("pve1");
    expect(await run(bed, n.qemu.$post({ vmid: 501, scsi0: "raw-lvm:1" }))).toBe("OK");
    expect(await run(bed, n.qemu.$(501).snapshot.$post({ snapname: "a1" }))).toBe(
      "snapshot feature is not available",
    );
  });

  test("on ZFS a snapshot made outside PVE blocks the rollback though PVE lists ours as newest", async () => {
    const bed = await twoNodes();
    const n = bed.api.nodes.$("pve1");
    expect(await run(bed, n.qemu.$post({ vmid: 502, scsi0: "tank:1" }))).toBe("OK");
    expect(await run(bed, n.qemu.$(502).snapshot.$post({ snapname: "ours" }))).toBe("OK");
    const made = await bed.raw("POST", "/testbed/guests/502/volume-snapshot", {
      body: JSON.stringify({ name: "autosnap_hourly" }),
      headers: { "content-type": "application/json" },
    });
    expect(made.status).toBe(200);
    const names = ((await n.qemu.$(502).snapshot.$get()) as { name: string }[]).map((s) => s.name);
    expect(names.sort()).toEqual(["current", "ours"]);
    expect(await run(bed, n.qemu.$(502).snapshot.$("ours").rollback.$post())).toBe(
      "can't rollback, 'ours' is not most recent snapshot on 'tank:vm-502-disk-0'",
    );
  });
});

describe("snapshot_rollback (pve-guest-common) and the rollback API", () => {
  test("a late phase that meets the config lock fails after the volumes were rolled back, lock: rollback left", async () => {
    const bed = await twoNodes();
    const q = bed.api.nodes.$("pve1").qemu.$(101);
    expect(await run(bed, q.snapshot.$post({ snapname: "s1" }))).toBe("OK");
    bed.tb.faults.set({ lateLockHolds: [{ type: "qmrollback", ms: 1000, count: 1 }] });
    const upid = await q.snapshot.$("s1").rollback.$post();
    expect((await waitTask(bed, upid)).exitstatus).toBe(
      "can't lock file '/var/lock/qemu-server/lock-101.conf' - got timeout",
    );
    expect(bed.realiser.calls).toContain("rollbackVolume local-btrfs:vm-101-disk-0 s1");
    expect((await q.status.current.$get()).lock).toBe("rollback");
    // a blind resend (once the other holder let go of the config file) meets the lock
    await new Promise((r) => setTimeout(r, 1100));
    expect(await run(bed, q.snapshot.$("s1").rollback.$post())).toBe("VM is locked (rollback)");
  });

  test("start=1 starts the guest in a task of its own, after the rollback task", async () => {
    const bed = await twoNodes();
    const q = bed.api.nodes.$("pve1").qemu.$(101);
    expect(await run(bed, q.snapshot.$post({ snapname: "s1" }))).toBe("OK");
    const upid = await q.snapshot.$("s1").rollback.$post({ start: true });
    expect((await waitTask(bed, upid)).exitstatus).toBe("OK");
    const log = await taskLog(bed, upid);
    const startUpid = /(UPID:pve1:[^\s]+:qmstart:101:[^\s]+:)/.exec(log.join("\n"))?.[1];
    expect(startUpid).toBeDefined();
    expect((await waitTask(bed, startUpid!)).exitstatus).toBe("OK");
    expect((await q.status.current.$get()).status).toBe("running");
  });

  test("a rollback keeps the current description and unused disks; a snapshot does not record them", async () => {
    const bed = await twoNodes();
    const q = bed.api.nodes.$("pve1").qemu.$(101);
    await q.config.$put({ description: "before", memory: "512" });
    expect(await run(bed, q.snapshot.$post({ snapname: "s1" }))).toBe("OK");
    // the snapshot's `description` is its own comment, not the guest's
    expect((await q.snapshot.$("s1").config.$get()).description).not.toBe("before");
    await q.config.$put({
      description: "after",
      memory: "1024",
      unused0: "local-btrfs:vm-101-disk-9",
    });
    expect(await run(bed, q.snapshot.$("s1").rollback.$post())).toBe("OK");
    expect(await q.config.$get()).toMatchObject({
      description: "after",
      memory: "512",
      unused0: "local-btrfs:vm-101-disk-9",
      parent: "s1",
    });
  });
});

/**
 * Offline migration (qemu-server `migrate_vm`/QemuMigrate, pve-container `migrate_vm`/LXC
 * Migrate): the checks that answer the POST, the `migrate` lock while the worker runs, local
 * volumes moved with the config, shared ones left, and a running CT moved only with `restart`.
 */
import { afterEach, expect, test } from "@jest/globals";
import { startBed, run, taskLog, type Bed } from "./helpers.js";

let beds: Bed[] = [];
afterEach(async () => {
  for (const b of beds) await b.close().catch(() => undefined);
  beds = [];
});

async function twoNodes(): Promise<Bed> {
  const b = await startBed({
    config: {
      nodes: ["pve1", "pve2"],
      storages: [
        { id: "local-btrfs", type: "btrfs", content: ["images", "rootdir"] },
        { id: "cephish", type: "rbd", content: ["images", "rootdir"] },
        { id: "only1", type: "btrfs", nodes: ["pve1"], content: ["images", "rootdir"] },
      ],
      lab: {
        templates: [
          { vmid: 9000, type: "lxc", name: "tpl-ct", start: false },
          { vmid: 9001, type: "qemu", name: "tpl-vm", start: false },
        ],
        guests: [],
      },
    },
  });
  beds.push(b);
  return b;
}

const statusText = async (p: Promise<{ status: number; statusText: string }>) => {
  const r = await p;
  return `${r.status} ${r.statusText}`;
};

test("a full clone on local storage migrates to another node: config and disk move, the source is gone", async () => {
  const bed = await twoNodes();
  const pve1 = bed.api.nodes.$("pve1");
  expect(await run(bed, pve1.qemu.$(9001).clone.$post({ newid: 150, full: true }))).toBe("OK");
  bed.realiser.calls.length = 0;
  const upid = await pve1.qemu.$(150).migrate.$post({ target: "pve2", "with-local-disks": true });
  expect(upid).toMatch(/:qmigrate:150:/);
  expect(await run(bed, upid)).toBe("OK");
  expect(bed.realiser.calls).toEqual([
    "migrateVolume local-btrfs:vm-150-disk-0 pve1->pve2",
    // the guest's firewall follows it to its new node
    "applyFirewall",
  ]);
  expect((await taskLog(bed, upid)).join("\n")).toMatch(
    /copying local disk 'local-btrfs:vm-150-disk-0' \(scsi0\) to node 'pve2'[\s\S]*migration finished successfully/,
  );
  const vm = await bed.api.nodes.$("pve2").qemu.$(150).config.$get();
  expect(vm).not.toHaveProperty("lock");
  expect(await statusText(bed.raw("GET", "/api2/json/nodes/pve1/qemu/150/config"))).toMatch(
    /^500 Configuration file 'nodes\/pve1\/qemu-server\/150.conf' does not exist/,
  );
  const where = (await bed.api.cluster.resources.$get({ type: "vm" })).find((r) => r.vmid === 150);
  expect(where?.node).toBe("pve2");
});

test("the POST's own checks: target, lock, running guests, storage on the target", async () => {
  const bed = await twoNodes();
  const pve1 = bed.api.nodes.$("pve1");
  expect(await run(bed, pve1.lxc.$(9000).clone.$post({ newid: 160, full: true }))).toBe("OK");
  const P = "/api2/json/nodes/pve1/lxc/160/migrate";
  expect(await statusText(bed.raw("POST", P, { body: "target=pve1" }))).toBe(
    "400 Parameter verification failed.",
  );
  expect(await statusText(bed.raw("POST", P, { body: "target=pve9" }))).toBe(
    "500 no such cluster node 'pve9'",
  );
  bed.tb.faults.set({ guestLocks: [{ vmid: 160, lock: "backup", ms: 60_000 }] });
  expect(await statusText(bed.raw("POST", P, { body: "target=pve2" }))).toBe(
    "500 CT is locked (backup)",
  );
});

test("a running CT moves only with restart; a running VM needs online, which is live migration", async () => {
  const bed = await twoNodes();
  const pve1 = bed.api.nodes.$("pve1");
  expect(await run(bed, pve1.lxc.$(9000).clone.$post({ newid: 170, full: true }))).toBe("OK");
  expect(await run(bed, pve1.lxc.$(170).status.start.$post())).toBe("OK");
  expect(
    await statusText(
      bed.raw("POST", "/api2/json/nodes/pve1/lxc/170/migrate", { body: "target=pve2" }),
    ),
  ).toBe("500 can't migrate running container without --online or --restart");
  expect(await run(bed, pve1.lxc.$(170).migrate.$post({ target: "pve2", restart: true }))).toBe(
    "OK",
  );
  expect((await bed.api.nodes.$("pve2").lxc.$(170).status.current.$get()).status).toBe("running");

  expect(await run(bed, pve1.qemu.$(9001).clone.$post({ newid: 171, full: true }))).toBe("OK");
  expect(await run(bed, pve1.qemu.$(171).status.start.$post())).toBe("OK");
  expect(
    await statusText(
      bed.raw("POST", "/api2/json/nodes/pve1/qemu/171/migrate", { body: "target=pve2" }),
    ),
  ).toBe("500 can't migrate running VM without --online");
});

test("a volume on storage not enabled on the target is refused before anything moves", async () => {
  const bed = await twoNodes();
  const pve1 = bed.api.nodes.$("pve1");
  expect(
    await run(bed, pve1.lxc.$(9000).clone.$post({ newid: 180, full: true, storage: "only1" })),
  ).toBe("OK");
  expect(
    await statusText(
      bed.raw("POST", "/api2/json/nodes/pve1/lxc/180/migrate", { body: "target=pve2" }),
    ),
  ).toBe("500 storage 'only1' is not available on node 'pve2' (rootfs)");
});

test("the guest carries the migrate lock while the worker runs", async () => {
  const bed = await twoNodes();
  const pve1 = bed.api.nodes.$("pve1");
  expect(await run(bed, pve1.lxc.$(9000).clone.$post({ newid: 185, full: true }))).toBe("OK");
  bed.tb.faults.set({ realiseLatencyMs: 1000 });
  const upid = await pve1.lxc.$(185).migrate.$post({ target: "pve2" });
  let seen: unknown;
  for (let i = 0; i < 50 && seen === undefined; i++) {
    seen = (await pve1.lxc.$(185).status.current.$get()).lock;
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(seen).toBe("migrate");
  // another operation meets the lock (check_lock in the start worker)
  expect(await run(bed, pve1.lxc.$(185).status.start.$post())).toBe("CT is locked (migrate)");
  expect(await run(bed, upid)).toBe("OK");
  expect(await bed.api.nodes.$("pve2").lxc.$(185).status.current.$get()).not.toHaveProperty("lock");
});

test("shared volumes stay where they are: only the config moves", async () => {
  const bed = await twoNodes();
  const pve1 = bed.api.nodes.$("pve1");
  expect(
    await run(bed, pve1.qemu.$(9001).clone.$post({ newid: 190, full: true, storage: "cephish" })),
  ).toBe("OK");
  bed.realiser.calls.length = 0;
  const upid = await pve1.qemu.$(190).migrate.$post({ target: "pve2" });
  expect(await run(bed, upid)).toBe("OK");
  // nothing to copy: the disk is on shared storage
  expect(bed.realiser.calls.filter((c) => c.startsWith("migrateVolume"))).toEqual([]);
  expect(String((await bed.api.nodes.$("pve2").qemu.$(190).config.$get()).scsi0)).toMatch(
    /^cephish:vm-190-disk-0,/,
  );
});

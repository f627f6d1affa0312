/**
 * Conformance: every implemented endpoint driven through the `proxmox-api` npm client (token auth,
 * pinned certificate), happy paths and the errors SEMANTICS.md names. Every 200 answer is checked
 * against the schema's `returns` by the client's fetch wrapper (see helpers.ts); the last test
 * asserts that none failed and that every implemented route was exercised.
 */
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import proxmoxApi from "proxmox-api";
import { startBed, run, taskLog, waitTask, type Bed } from "./helpers.js";

let bed: Bed;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let node: any;

/** A privilege-separated token of a non-root user, with PVEVMUser on guest 101 only. */
const OPS_SECRET = "0b7e3c1e-4a7e-4c52-9a51-3f0b2a6f5d10";

beforeAll(async () => {
  bed = await startBed({
    config: {
      nodes: ["pve1", "pve2"],
      users: [
        { userid: "root@pam", password: "secret-pw", tokens: [{ id: "txbox" }] },
        { userid: "ops@pve", tokens: [{ id: "doctor", secret: OPS_SECRET, privsep: true }] },
        { userid: "old@pve", tokens: [{ id: "gone", secret: OPS_SECRET, expire: 1 }] },
      ],
      acl: [
        { path: "/", ugid: "ops@pve", roles: ["PVEAuditor"] },
        { path: "/vms", ugid: "ops@pve", roles: ["PVEVMAdmin"] },
        { path: "/vms/101", ugid: "ops@pve!doctor", roles: ["PVEVMUser"] },
        { path: "/", ugid: "ops@pve!doctor", roles: ["PVEAuditor"], propagate: false },
      ],
    },
  });
  node = bed.api.nodes.$("pve1");
});
afterAll(async () => {
  await bed.close();
});

/** The client throws `Error("<METHOD> <url> return Error <status> <reason>: <json>")`. */
async function failure(
  p: Promise<unknown>,
): Promise<{ status: number; message: string; body: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    const text = (err as Error).message;
    // proxmox-api words 401/403 answers apart from others
    const m =
      /return Error (\d{3}) (.*?): (\{.*\})$/s.exec(text) ??
      /failed with (\d{3}) (.*?) return: (\{.*\})$/s.exec(text);
    if (m === null) throw err;
    return {
      status: Number(m[1]),
      message: m[2]!,
      body: JSON.parse(m[3]!) as Record<string, unknown>,
    };
  }
  throw new Error("expected the call to fail");
}

describe("cluster and nodes", () => {
  test("version, nodes, node status, cluster status, nextid, resources, storage", async () => {
    expect(await bed.api.version.$get()).toMatchObject({
      release: "9.1",
      version: expect.stringMatching(/^9\.1/),
    });
    const nodes = await bed.api.nodes.$get();
    expect(nodes.map((n: { node: string }) => n.node)).toEqual(["pve1", "pve2"]);
    expect(nodes[0]!.ssl_fingerprint).toBe(bed.tb.fingerprint);
    expect(await node.status.$get()).toHaveProperty("pveversion");
    const status = await bed.api.cluster.status.$get();
    expect(status.find((s: { type: string }) => s.type === "cluster")).toMatchObject({
      quorate: 1,
      nodes: 2,
    });
    expect(await bed.api.cluster.nextid.$get()).toBe(100);
    expect((await failure(bed.api.cluster.nextid.$get({ vmid: 101 }))).body.errors).toEqual({
      vmid: "VM 101 already exists",
    });
    const vms = await bed.api.cluster.resources.$get({ type: "vm" });
    expect(vms.map((v: { id: string }) => v.id).sort()).toEqual([
      "lxc/201",
      "lxc/9000",
      "qemu/101",
      "qemu/102",
    ]);
    expect(vms.find((v: { vmid?: number }) => v.vmid === 9000)).toMatchObject({
      template: 1,
      status: "stopped",
    });
    const all = await bed.api.cluster.resources.$get();
    expect(new Set(all.map((v: { type: string }) => v.type))).toEqual(
      new Set(["node", "qemu", "lxc", "storage"]),
    );
    expect(
      (await bed.api.storage.$get()).map(
        (s: { storage: string; type?: string }) => `${s.storage}:${s.type}`,
      ),
    ).toEqual(["local-btrfs:btrfs", "tank:zfspool", "local:dir"]);
    const ns = await node.storage.$get({ content: "rootdir" });
    expect(ns[0]).toMatchObject({ storage: "local-btrfs", active: 1, enabled: 1 });
  });

  test("unknown node and unknown path", async () => {
    const f = await failure(bed.api.nodes.$("pve9").qemu.$get());
    expect(f.status).toBe(500);
    expect(f.message).toBe(
      "hostname lookup 'pve9' failed - failed to get address info for: pve9: Name or service not known",
    );
    const r = await bed.raw("GET", "/api2/json/nodes/pve1/nonsense");
    expect(r.status).toBe(501);
    expect(r.statusText).toBe("Method 'GET /nodes/pve1/nonsense' not implemented");
    expect(r.body).toEqual({
      data: null,
      message: "Method 'GET /nodes/pve1/nonsense' not implemented\n",
    });
    expect(r.contentType).toBe("application/json;charset=UTF-8");
  });

  test("schema directory indexes answer with their children", async () => {
    const sub = await node.qemu.$(101).$get();
    expect(sub).toEqual(
      expect.arrayContaining([{ subdir: "config" }, { subdir: "snapshot" }, { subdir: "status" }]),
    );
    expect(await node.qemu.$(101).status.$get()).toEqual(
      expect.arrayContaining([{ subdir: "current" }]),
    );
  });
});

describe("guests", () => {
  test("list, status, config GET/PUT with digest and delete", async () => {
    const list = await node.qemu.$get();
    expect(list.map((g: { vmid: number }) => g.vmid).sort()).toEqual([101, 102]);
    expect(await node.lxc.$(201).status.current.$get()).toMatchObject({
      vmid: 201,
      status: "running",
      ha: { managed: 0 },
    });
    const conf = await node.qemu.$(101).config.$get();
    expect(conf).toMatchObject({ name: "agent1", net0: "virtio,bridge=vmbr0" });
    expect(
      await node.qemu.$(101).config.$put({ description: "hello", digest: conf.digest }),
    ).toBeNull();
    const stale = await failure(
      node.qemu.$(101).config.$put({ description: "again", digest: conf.digest }),
    );
    // qemu-server `update_vm_api` has its own wording; pve-container uses `assert_if_modified`.
    expect(stale.message).toBe("checksum missmatch (file change by other user?)");
    const ct = await node.lxc.$(201).config.$get();
    await node.lxc.$(201).config.$put({ description: "ct", digest: ct.digest });
    const staleCt = await failure(
      node.lxc.$(201).config.$put({ description: "ct again", digest: ct.digest }),
    );
    expect(staleCt.message).toBe(
      "detected modified configuration - file changed by other user? Try again.",
    );
    await node.lxc.$(201).config.$put({ delete: "description" });
    await node.qemu.$(101).config.$put({ delete: "description" });
    expect(await node.qemu.$(101).config.$get()).not.toHaveProperty("description");
    await node.lxc.$(201).config.$put({ net1: "name=eth1,bridge=agents,ip=10.0.0.5/24" });
    expect((await node.lxc.$(201).config.$get()).net1).toBe(
      "name=eth1,bridge=agents,ip=10.0.0.5/24",
    );
    expect(await run(bed, node.qemu.$(101).config.$post({ cores: 2 }))).toBe("OK");
    expect((await node.qemu.$(101).config.$get()).cores).toBe(2);
  });

  test("wrong node or type says the config file does not exist", async () => {
    expect((await failure(node.lxc.$(101).config.$get())).message).toBe(
      "Configuration file 'nodes/pve1/lxc/101.conf' does not exist",
    );
    expect((await failure(node.qemu.$(999).status.current.$get())).message).toBe(
      "Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist",
    );
  });

  test("start, stop, shutdown and their errors", async () => {
    const running = await node.qemu.$(102).status.start.$post();
    expect(await run(bed, running)).toBe("VM 102 already running");
    expect(await run(bed, node.qemu.$(102).status.shutdown.$post({ timeout: 5 }))).toBe("OK");
    expect((await node.qemu.$(102).status.current.$get()).status).toBe("stopped");
    expect(await run(bed, node.qemu.$(102).status.start.$post())).toBe("OK");
    expect(await run(bed, node.qemu.$(102).status.stop.$post())).toBe("OK");
    expect(bed.realiser.calls).toContain("stopGuest 102 graceful=0");
    expect(await run(bed, node.lxc.$(9000).status.start.$post())).toBe(
      "you can't start a ct if it's a template",
    );
    const upid = await node.lxc.$(201).status.stop.$post();
    expect(upid).toMatch(
      /^UPID:pve1:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:vzstop:201:root@pam!txbox:$/,
    );
    await waitTask(bed, upid);
    expect(await run(bed, node.lxc.$(201).status.start.$post())).toBe("OK");
  });

  test("clone from a template (linked), name clash, lock: clone, destroy", async () => {
    const upid = await node.lxc
      .$(9000)
      .clone.$post({ newid: 300, hostname: undefined, description: "c" });
    expect(upid).toContain(":vzclone:9000:");
    await waitTask(bed, upid);
    const conf = await node.lxc.$(300).config.$get();
    expect(conf.rootfs).toMatch(/^local-btrfs:subvol-300-disk-0,/);
    expect(conf).not.toHaveProperty("lock");
    expect(conf).not.toHaveProperty("template");
    expect(bed.realiser.calls).toContain(
      "cloneVolume local-btrfs:subvol-9000-disk-0 local-btrfs:subvol-300-disk-0 linked=1",
    );
    const clash = await failure(node.lxc.$(9000).clone.$post({ newid: 300 }));
    expect(clash.status).toBe(500);
    // pve-container: create_and_lock_config → check_vmid_unused
    expect(clash.message).toBe("CT 300 already exists on node 'pve1'");
    expect((await failure(node.qemu.$(101).clone.$post({ newid: 101 }))).message).toBe(
      "unable to create VM 101: config file already exists",
    );
    expect(await run(bed, node.lxc.$(300).$delete())).toBe("OK");
    // a full clone of a normal VM, to another storage
    expect(
      await run(bed, node.qemu.$(101).clone.$post({ newid: 301, name: "copy", storage: "tank" })),
    ).toBe("OK");
    expect((await node.qemu.$(301).config.$get()).scsi0).toMatch(/^tank:vm-301-disk-0,/);
    expect(bed.realiser.calls).toContain(
      "cloneVolume local-btrfs:vm-101-disk-0 tank:vm-301-disk-0 linked=0",
    );
    expect((await failure(node.qemu.$(101).clone.$post({ newid: 302, full: 0 }))).message).toBe(
      "Linked clone feature is not supported for 'local-btrfs:vm-101-disk-0' (scsi0)",
    );
    expect(await run(bed, node.qemu.$(301).$delete())).toBe("OK");
    expect(bed.realiser.calls).toContain("destroyVolume local-btrfs:subvol-300-disk-0");
    await failure(node.lxc.$(300).config.$get());
  });

  test("offline migration to another node (details: fidelity.migrate.test.ts)", async () => {
    for (const [type, tpl] of [
      ["qemu", 101],
      ["lxc", 9000],
    ] as const) {
      expect(await run(bed, node[type].$(tpl).clone.$post({ newid: 310, full: true }))).toBe("OK");
      const upid = await node[type].$(310).migrate.$post({ target: "pve2" });
      expect(upid).toContain(type === "qemu" ? ":qmigrate:310:" : ":vzmigrate:310:");
      expect(await run(bed, upid)).toBe("OK");
      expect(await run(bed, bed.api.nodes.$("pve2")[type].$(310).$delete())).toBe("OK");
    }
  });

  test("HA resources: create, read, update, delete (details: fidelity.ha.test.ts)", async () => {
    const ha = bed.api.cluster.ha.resources;
    await ha.$post({ sid: "101", state: "ignored" });
    expect(await ha.$("vm:101").$get()).toMatchObject({ sid: "vm:101", state: "ignored" });
    await ha.$("vm:101").$put({ comment: "c" });
    expect((await ha.$get()).map((r) => r.comment)).toEqual(["c"]);
    await ha.$("vm:101").$delete();
    expect(await ha.$get()).toEqual([]);
  });

  test("create (minimal) and template conversion", async () => {
    const upid = await node.qemu.$post({
      vmid: 400,
      name: "fresh",
      memory: "256",
      scsi0: "tank:4",
      net0: "virtio,bridge=vmbr0",
    });
    expect(await run(bed, upid)).toBe("OK");
    expect((await node.qemu.$(400).config.$get()).scsi0).toBe("tank:vm-400-disk-0,size=4G");
    expect(await run(bed, node.qemu.$(400).template.$post())).toBe("OK");
    expect((await node.qemu.$(400).config.$get()).template).toBe(1);
    expect(
      await run(
        bed,
        node.lxc.$post({
          vmid: 401,
          ostemplate: "local:vztmpl/debian.tar.zst",
          rootfs: "local-btrfs:2",
        }),
      ),
    ).toBe("OK");
    expect(await node.lxc.$(401).template.$post()).toBeNull();
    expect(await run(bed, node.qemu.$(400).$delete())).toBe("OK");
    expect(await run(bed, node.lxc.$(401).$delete())).toBe("OK");
  });
});

describe("snapshots", () => {
  test("create, list with tree and current, config GET/PUT, rollback, delete", async () => {
    const qm = node.qemu.$(101);
    const upid = await qm.snapshot.$post({ snapname: "s1", description: "first", vmstate: 1 });
    expect(upid).toContain(":qmsnapshot:101:");
    expect(await run(bed, upid)).toBe("OK");
    expect(await run(bed, qm.snapshot.$post({ snapname: "s2" }))).toBe("OK");
    const list = await qm.snapshot.$get();
    const byName = Object.fromEntries(list.map((s: { name: string }) => [s.name, s]));
    expect(byName.s1).toMatchObject({ description: "first", vmstate: 1 });
    expect(byName.s1).not.toHaveProperty("parent");
    expect(byName.s2).toMatchObject({ parent: "s1" });
    expect(byName.current).toMatchObject({
      description: "You are here!",
      running: 1,
      parent: "s2",
    });
    expect(await qm.snapshot.$("s1").$get()).toEqual([{ cmd: "rollback" }, { cmd: "config" }]);
    expect(await qm.snapshot.$("s1").config.$put({ description: "renamed" })).toBeNull();
    expect((await qm.snapshot.$("s1").config.$get()).description).toBe("renamed");

    // rollback to s1 (btrfs: any snapshot): running guest is hard-stopped, stays stopped
    const rb = await qm.snapshot.$("s1").rollback.$post();
    expect(rb).toContain(":qmrollback:101:");
    expect(await run(bed, rb)).toBe("OK");
    // s1 holds (declared) RAM state, so the guest resumes
    expect((await qm.status.current.$get()).status).toBe("running");
    expect((await qm.config.$get()).parent).toBe("s1");
    expect(bed.realiser.calls).toContain("stopGuest 101 graceful=0");

    // a snapshot after the rollback hangs below s1
    expect(await run(bed, qm.snapshot.$post({ snapname: "s3" }))).toBe("OK");
    expect((await qm.snapshot.$("s3").config.$get()).parent).toBe("s1");

    // delete s1: its children re-point to s1's parent (none)
    expect(await run(bed, qm.snapshot.$("s1").$delete())).toBe("OK");
    const after = await qm.snapshot.$get();
    expect(after.map((s: { name: string }) => s.name).sort()).toEqual(["current", "s2", "s3"]);
    for (const s of after.filter((x: { name: string }) => x.name !== "current"))
      expect(s).not.toHaveProperty("parent");
    expect(after.find((x: { name: string }) => x.name === "current")).toMatchObject({
      parent: "s3",
    });
    expect(await run(bed, qm.snapshot.$("s2").$delete())).toBe("OK");
    expect(await run(bed, qm.snapshot.$("s3").$delete())).toBe("OK");
  });

  test("rollback with start=1 restarts a stopped guest", async () => {
    const ct = node.lxc.$(201);
    expect(await run(bed, ct.snapshot.$post({ snapname: "base" }))).toBe("OK");
    expect(await run(bed, ct.status.stop.$post())).toBe("OK");
    expect(await run(bed, ct.snapshot.$("base").rollback.$post())).toBe("OK");
    expect((await ct.status.current.$get()).status).toBe("stopped");
    expect(await run(bed, ct.snapshot.$("base").rollback.$post({ start: 1 }))).toBe("OK");
    expect((await ct.status.current.$get()).status).toBe("running");
    expect((await ct.snapshot.$get()).map((s: { name: string }) => s.name)).toEqual([
      "base",
      "current",
    ]);
    expect(await ct.snapshot.$("base").$get()).toEqual([{ cmd: "rollback" }, { cmd: "config" }]);
    await ct.snapshot.$("base").config.$put({ description: "ct base" });
    expect(await ct.snapshot.$("base").config.$get()).toMatchObject({
      description: "ct base",
      hostname: "ct1",
    });
    expect((await node.lxc.$get()).map((g: { vmid: number }) => g.vmid).sort()).toEqual([
      201, 9000,
    ]);
    expect(await run(bed, ct.status.shutdown.$post({ timeout: 3 }))).toBe("OK");
    expect(await run(bed, ct.status.start.$post())).toBe("OK");
    expect(await run(bed, ct.snapshot.$("base").$delete())).toBe("OK");
  });

  test("snapshot errors named in SEMANTICS.md", async () => {
    const qm = node.qemu.$(102);
    for (const [type, name] of [
      ["qemu", "current"],
      ["qemu", "pending"],
      ["lxc", "vzdump"],
      ["lxc", "current"],
    ] as const) {
      const vmid = type === "qemu" ? 102 : 201;
      const f = await failure(node[type].$(vmid).snapshot.$post({ snapname: name }));
      expect(f.status).toBe(500);
      expect(f.message).toBe(`unable to use snapshot name '${name}' (reserved name)`);
    }
    expect(await run(bed, qm.snapshot.$post({ snapname: "dup" }))).toBe("OK");
    expect(await run(bed, qm.snapshot.$post({ snapname: "dup" }))).toBe(
      "snapshot name 'dup' already used",
    );
    expect(await run(bed, qm.snapshot.$("nope").rollback.$post())).toBe(
      "snapshot 'nope' does not exist",
    );
    expect(await run(bed, qm.snapshot.$("nope").$delete())).toBe("snapshot 'nope' does not exist");
    expect((await failure(qm.snapshot.$("nope").config.$get())).message).toBe(
      "snapshot 'nope' does not exist",
    );
    expect(await run(bed, node.lxc.$(9000).snapshot.$post({ snapname: "t1" }))).toBe(
      "you can't take a snapshot if it's a template",
    );
    // LXC has no vmstate parameter
    const vz = await failure(node.lxc.$(201).snapshot.$post({ snapname: "x1", vmstate: 1 }));
    expect(vz.status).toBe(400);
    expect(vz.body.errors).toEqual({
      vmstate:
        "property is not defined in schema and the schema does not allow additional properties",
    });
    // names: pattern and length
    expect((await failure(qm.snapshot.$post({ snapname: "1abc" }))).body.errors).toEqual({
      snapname: "invalid format - invalid configuration ID '1abc'\n",
    });
    expect((await failure(qm.snapshot.$post({ snapname: "a".repeat(41) }))).body.errors).toEqual({
      snapname: "value may only be 40 characters long",
    });
    expect(await run(bed, qm.snapshot.$("dup").$delete())).toBe("OK");
  });

  test("storage without snapshot support", async () => {
    expect(await run(bed, node.qemu.$post({ vmid: 410, scsi0: "local:1" }))).toBe("OK");
    expect(await run(bed, node.qemu.$(410).snapshot.$post({ snapname: "s9" }))).toBe(
      "snapshot feature is not available",
    );
    expect(await run(bed, node.qemu.$(410).$delete())).toBe("OK");
  });
});

describe("tasks", () => {
  test("list, status fields, log, unknown and unparsable UPIDs", async () => {
    const upid = await node.qemu.$(101).snapshot.$post({ snapname: "t1" });
    await waitTask(bed, upid);
    const st = await node.tasks.$(upid).status.$get();
    expect(st).toMatchObject({
      upid,
      node: "pve1",
      type: "qmsnapshot",
      id: "101",
      user: "root@pam",
      tokenid: "txbox",
      status: "stopped",
      exitstatus: "OK",
    });
    const log = await taskLog(bed, upid);
    expect(log[log.length - 1]).toBe("TASK OK");
    const list = await node.tasks.$get({ vmid: 101, typefilter: "qmsnapshot", limit: 500 });
    expect(list.map((t: { upid: string }) => t.upid)).toContain(upid);
    expect(await node.tasks.$(upid).$get()).toEqual([{ name: "log" }, { name: "status" }]);
    // percent-encoded UPID in the URL
    const enc = await bed.raw(
      "GET",
      `/api2/json/nodes/pve1/tasks/${encodeURIComponent(upid)}/status`,
    );
    expect(enc.status).toBe(200);
    const bad = await failure(node.tasks.$("UPID:nonsense").status.$get());
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual({ upid: "unable to parse worker upid" });
    const unknown = await failure(
      node.tasks.$("UPID:pve1:00000001:00000002:00000003:qmstart:101:root@pam:").status.$get(),
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual({ upid: "no such task" });
    expect(await node.tasks.$(upid).$delete()).toBeNull();
    expect(await run(bed, node.qemu.$(101).snapshot.$("t1").$delete())).toBe("OK");
  });
});

describe("SDN", () => {
  test("controllers, zones, vnets, subnets: CRUD, pending, apply", async () => {
    // Untyped like `node`: the client's typings predate PVE 9's vnet firewall and take booleans
    // as true/false where the wire (and this test) uses 0/1.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const sdn: any = bed.api.cluster.sdn;
    expect(await sdn.$get()).toEqual(expect.arrayContaining([{ id: "zones" }, { id: "vnets" }]));
    await sdn.controllers.$post({
      controller: "evpn1",
      type: "evpn",
      asn: 65000,
      peers: "10.250.0.11,10.250.0.12",
    });
    const dupCtl = await failure(
      sdn.controllers.$post({
        controller: "evpn2",
        type: "evpn",
        asn: 65000,
        peers: "10.250.0.11",
      }),
    );
    expect(dupCtl.message).toMatch(/^create sdn controller object failed: /);
    await sdn.zones.$post({
      zone: "agents",
      type: "evpn",
      controller: "evpn1",
      "vrf-vxlan": 10000,
      mtu: 1450,
    });
    await sdn.zones.$post({ zone: "plain", type: "vxlan", peers: "10.250.0.11" });
    // VxlanPlugin::on_update_hook: exactly one of peers / fabric
    const nopeers = await failure(sdn.zones.$post({ zone: "nopeers", type: "vxlan" }));
    expect(nopeers.message).toBe(
      "create sdn zone object failed: 400 Parameter verification failed.",
    );
    expect(nopeers.body.message).toBe(
      "create sdn zone object failed: 400 Parameter verification failed.\n" +
        "fabric: must have exactly one of peers / fabric defined\n" +
        "peers: must have exactly one of peers / fabric defined\n",
    );
    await sdn.zones.$post({ zone: "overfab", type: "vxlan", fabric: "underlay" });
    await sdn.zones.$("overfab").$delete();
    await sdn.vnets.$post({ vnet: "vnet1", zone: "agents", tag: 11000 });
    expect(
      (await failure(sdn.vnets.$post({ vnet: "vnet2", zone: "plain", tag: 11000 }))).message,
    ).toBe(
      "create sdn vnet object failed: vxlan tag 11000 already exist in vnet vnet1 in zone agents",
    );
    await sdn.vnets
      .$("vnet1")
      .subnets.$post({ subnet: "10.0.0.0/24", type: "subnet", gateway: "10.0.0.1", snat: 1 });
    expect(
      (
        await failure(
          sdn.vnets
            .$("vnet1")
            .subnets.$post({ subnet: "10.0.1.0/24", type: "subnet", gateway: "10.9.9.1" }),
        )
      ).message,
    ).toBe("create sdn subnet object failed: 10.9.9.1 is not in subnet 10.0.1.0/24");
    const subnets = await sdn.vnets.$("vnet1").subnets.$get();
    expect(subnets.map((s: { subnet: string }) => s.subnet)).toEqual(["agents-10.0.0.0-24"]);
    expect(await sdn.vnets.$("vnet1").subnets.$("agents-10.0.0.0-24").$get()).toMatchObject({
      gateway: "10.0.0.1",
      vnet: "vnet1",
    });

    const pending = await sdn.zones.$get({ pending: 1 });
    expect(pending.find((z: { zone: string }) => z.zone === "agents")).toMatchObject({
      state: "new",
      type: "evpn",
    });
    expect(await sdn.zones.$get({ running: 1 })).toEqual([]);

    const upid = await sdn.$put();
    expect(upid).toMatch(
      /^UPID:pve1:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:reloadnetworkall::root@pam!txbox:$/,
    );
    expect(await run(bed, upid)).toBe("OK");
    const zoneStatus = bed.api.nodes.$("pve1").sdn.zones;
    expect(await zoneStatus.$get()).toEqual([
      { zone: "agents", status: "available" },
      { zone: "plain", status: "available" },
    ]);
    expect(bed.realiser.sdn?.vnets).toEqual([
      expect.objectContaining({ vnet: "vnet1", zone: "agents", tag: 11000 }),
    ]);
    expect(bed.realiser.sdn?.subnets).toEqual([
      expect.objectContaining({ subnet: "agents-10.0.0.0-24", gateway: "10.0.0.1" }),
    ]);
    expect(
      (await sdn.zones.$get({ pending: 1 })).every(
        (z: { state?: string }) => z.state === undefined,
      ),
    ).toBe(true);

    await sdn.zones.$("plain").$put({ mtu: 1400 });
    const changed = (await sdn.zones.$get({ pending: 1 })).find(
      (z: { zone: string }) => z.zone === "plain",
    );
    expect(changed).toMatchObject({ state: "changed", pending: { mtu: 1400 } });
    await sdn.zones.$("plain").$delete();
    expect(
      (await sdn.zones.$get({ pending: 1 })).find((z: { zone: string }) => z.zone === "plain"),
    ).toMatchObject({ state: "deleted" });
    expect((await failure(sdn.zones.$("agents").$delete())).message).toBe(
      "delete sdn zone object failed: zone agents is used by vnet vnet1",
    );
    expect(await sdn.zones.$("agents").$get()).toMatchObject({ zone: "agents", type: "evpn" });
    expect(await sdn.controllers.$get()).toEqual([
      expect.objectContaining({ controller: "evpn1", asn: 65000 }),
    ]);
    expect(await sdn.controllers.$("evpn1").$get()).toMatchObject({ type: "evpn" });
    await sdn.controllers.$("evpn1").$put({ peers: "10.250.0.11,10.250.0.12,10.250.0.13" });
    await sdn.vnets.$("vnet1").$put({ alias: "agents" });
    expect(await sdn.vnets.$("vnet1").$get()).toMatchObject({ alias: "agents" });
    expect(await sdn.vnets.$get()).toEqual([expect.objectContaining({ vnet: "vnet1" })]);
    await sdn.vnets.$("vnet1").subnets.$("agents-10.0.0.0-24").$put({ snat: 0 });
    // vnet firewall (handed to the SDN realisation)
    await sdn.vnets
      .$("vnet1")
      .firewall.rules.$post({ type: "forward", action: "ACCEPT", enable: 1, dest: "10.0.0.0/24" });
    expect(await sdn.vnets.$("vnet1").firewall.rules.$get()).toEqual([
      expect.objectContaining({ pos: 0, action: "ACCEPT" }),
    ]);
    await sdn.vnets.$("vnet1").firewall.options.$put({ enable: 1 });
    expect((await sdn.vnets.$("vnet1").firewall.options.$get()).enable).toBe(1);
    // This directory index has no permissions in the schema: PVE lets only root@pam read it,
    // and an API token is not root@pam even when root owns it.
    expect(await failure(sdn.vnets.$("vnet1").firewall.$get())).toMatchObject({
      status: 403,
      message: "Permission check failed (user != root@pam)",
    });
    // proxmox-api's typings predate PVE 9's vnet firewall: read it through the untyped handle.
    const rootSdn: any = bed.root.cluster.sdn; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(await rootSdn.vnets.$("vnet1").firewall.$get()).toEqual(
      expect.arrayContaining([{ name: "rules" }]),
    );
    expect(await sdn.vnets.$("vnet1").firewall.rules.$(0).$get()).toMatchObject({
      action: "ACCEPT",
    });
    await sdn.vnets.$("vnet1").firewall.rules.$(0).$put({ comment: "c" });
    await sdn.vnets.$("vnet1").firewall.rules.$(0).$delete();
    // PVE commits pending to running at once; a reload that fails leaves the zones `pending`.
    bed.tb.faults.set({
      taskFailures: [{ type: "reloadnetworkall", error: "zebra did not start", count: 1 }],
    });
    expect(await run(bed, sdn.$put())).toBe("zebra did not start");
    expect(
      (await sdn.zones.$get({ pending: 1 })).every(
        (z: { state?: string }) => z.state === undefined,
      ),
    ).toBe(true);
    expect(await zoneStatus.$get()).toEqual([{ zone: "agents", status: "pending" }]);
    expect(await run(bed, sdn.$put())).toBe("OK");
    expect(await zoneStatus.$get()).toEqual([{ zone: "agents", status: "available" }]);
    expect(await run(bed, sdn.$put())).toBe("OK");
    await sdn.vnets.$("vnet1").subnets.$("agents-10.0.0.0-24").$delete();
    await sdn.vnets.$("vnet1").$delete();
    await sdn.zones.$("agents").$delete();
    await sdn.controllers.$("evpn1").$delete();
    expect(await run(bed, sdn.$put())).toBe("OK");
    expect(bed.realiser.sdn?.zones).toEqual([]);
    // PVE 9's global SDN lock: taken with pending changes allowed, a rollback of the pending
    // changes under it (which releases it by default), and an explicit release
    await sdn.zones.$post({ zone: "late", type: "vxlan", peers: "10.250.0.11" });
    const token = (await sdn.lock.$post({ "allow-pending": 1 })) as string;
    expect(token).toMatch(/^[0-9a-f-]{36}$/);
    expect(await sdn.rollback.$post({ "lock-token": token })).toBeNull();
    expect(await sdn.zones.$get()).toEqual([]);
    const token2 = (await sdn.lock.$post()) as string;
    expect(await sdn.lock.$delete({ "lock-token": token2 })).toBeNull();
  });
});

describe("firewall", () => {
  test("cluster rules with pos and digest, options, groups, ipsets, guest rules", async () => {
    // Untyped like `node`: the client types rule positions as strings and booleans as true/false.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const fw: any = bed.api.cluster.firewall;
    expect(await fw.$get()).toEqual(expect.arrayContaining([{ name: "rules" }]));
    await fw.rules.$post({ type: "in", action: "ACCEPT", proto: "tcp", dport: "22", enable: 1 });
    await fw.rules.$post({ type: "out", action: "DROP", pos: 1, enable: 0 });
    let rules = await fw.rules.$get();
    expect(rules.map((r: { pos: number; action: string }) => `${r.pos}:${r.action}`)).toEqual([
      "0:ACCEPT",
      "1:DROP",
    ]);
    const digest = rules[0].digest;
    await fw.rules.$(1).$put({ moveto: 0, digest });
    const stale = await failure(fw.rules.$(0).$delete({ digest }));
    expect(stale.message).toBe(
      "detected modified configuration - file changed by other user? Try again.",
    );
    rules = await fw.rules.$get();
    expect(rules.map((r: { action: string }) => r.action)).toEqual(["DROP", "ACCEPT"]);
    expect(await fw.rules.$(1).$get()).toMatchObject({ pos: 1, action: "ACCEPT", dport: "22" });
    await fw.rules.$(0).$delete();
    expect((await fw.rules.$get()).length).toBe(1);
    await fw.rules.$(0).$delete();
    await fw.options.$put({ enable: 1, policy_in: "DROP" });
    expect(await fw.options.$get()).toMatchObject({ enable: 1, policy_in: "DROP" });
    await fw.groups.$post({ group: "agents", comment: "agent guests" });
    await fw.groups.$("agents").$post({ type: "in", action: "ACCEPT", source: "10.0.0.0/24" });
    expect(await fw.groups.$get()).toEqual([
      expect.objectContaining({ group: "agents", comment: "agent guests" }),
    ]);
    expect(await fw.groups.$("agents").$get()).toEqual([
      expect.objectContaining({ pos: 0, source: "10.0.0.0/24" }),
    ]);
    await fw.groups.$("agents").$(0).$put({ comment: "ssh" });
    expect(await fw.groups.$("agents").$(0).$get()).toMatchObject({ comment: "ssh" });
    await fw.groups.$("agents").$(0).$delete();
    await fw.groups.$("agents").$delete();
    await fw.ipset.$post({ name: "mgmt" });
    await fw.ipset.$("mgmt").$post({ cidr: "10.251.0.0/24", comment: "management" });
    expect(await fw.ipset.$get()).toEqual([expect.objectContaining({ name: "mgmt" })]);
    expect(await fw.ipset.$("mgmt").$get()).toEqual([
      expect.objectContaining({ cidr: "10.251.0.0/24" }),
    ]);
    expect(await fw.ipset.$("mgmt").$("10.251.0.0/24").$get()).toMatchObject({
      comment: "management",
    });
    await fw.ipset.$("mgmt").$("10.251.0.0/24").$put({ nomatch: 1 });
    await fw.ipset.$("mgmt").$("10.251.0.0/24").$delete();
    await fw.ipset.$("mgmt").$delete();
    for (const [type, vmid] of [
      ["qemu", 101],
      ["lxc", 201],
    ] as const) {
      const g = node[type].$(vmid).firewall;
      expect(await g.$get()).toEqual(expect.arrayContaining([{ name: "rules" }]));
      await g.rules.$post({ type: "in", action: "DROP", enable: 1, iface: "net0" });
      expect(await g.rules.$(0).$get()).toMatchObject({ action: "DROP" });
      await g.rules.$(0).$put({ enable: 0 });
      expect((await g.rules.$get())[0]).toMatchObject({ enable: 0 });
      await g.rules.$(0).$delete();
      await g.options.$put({ enable: 1 });
      expect((await g.options.$get()).enable).toBe(1);
      await g.ipset.$post({ name: "own" });
      await g.ipset.$("own").$post({ cidr: "10.0.0.5" });
      expect(await g.ipset.$("own").$get()).toEqual([
        expect.objectContaining({ cidr: "10.0.0.5" }),
      ]);
      expect(await g.ipset.$get()).toEqual([expect.objectContaining({ name: "own" })]);
      expect(await g.ipset.$("own").$("10.0.0.5").$get()).toMatchObject({ cidr: "10.0.0.5" });
      await g.ipset.$("own").$("10.0.0.5").$put({ comment: "x" });
      await g.ipset.$("own").$("10.0.0.5").$delete();
      await g.ipset.$("own").$delete();
      await g.aliases.$post({ name: "Peer", cidr: "10.0.0.6" });
      expect(await g.aliases.$("peer").$get()).toMatchObject({ name: "Peer", cidr: "10.0.0.6" });
      await g.aliases.$("peer").$put({ cidr: "10.0.0.7", rename: "other" });
      expect(await g.aliases.$get()).toEqual([
        expect.objectContaining({ name: "other", cidr: "10.0.0.7", ipversion: 4 }),
      ]);
      await g.aliases.$("other").$delete();
    }
    const dc = bed.api.cluster.firewall.aliases;
    await dc.$post({ name: "gw", cidr: "10.0.0.1", comment: "gateway" });
    await expect(dc.$post({ name: "GW", cidr: "10.0.0.2" })).rejects.toThrow(/already exists/);
    expect(await dc.$("GW").$get()).toMatchObject({ name: "gw", cidr: "10.0.0.1" });
    await dc.$("gw").$put({ cidr: "10.0.0.3" });
    expect(await dc.$get()).toEqual([expect.objectContaining({ name: "gw", cidr: "10.0.0.3" })]);
    await dc.$("gw").$delete();
    await expect(dc.$("gw").$get()).rejects.toThrow(/no such alias/);
  });

  test("the datacenter switch and nftables mode (off by default) reach the realisation", async () => {
    // Untyped like `node`: the client's typings predate PVE 9's per-node `nftables` option.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const nodeFw: any = bed.api.nodes.$("pve1").firewall;
    expect(await nodeFw.$get()).toEqual(expect.arrayContaining([{ name: "options" }]));
    expect((await nodeFw.options.$get()).nftables).toBeUndefined();
    await bed.api.cluster.firewall.options.$put({ delete: "enable" });
    expect(bed.realiser.firewall?.firewall).toEqual({ enable: false, nftablesNodes: [] });
    await nodeFw.options.$put({ nftables: 1 });
    expect((await nodeFw.options.$get()).nftables).toBe(1);
    expect(bed.realiser.firewall?.firewall).toEqual({ enable: false, nftablesNodes: ["pve1"] });
    await bed.api.cluster.firewall.options.$put({ enable: 1 });
    expect(bed.realiser.firewall?.firewall).toEqual({ enable: true, nftablesNodes: ["pve1"] });
    await nodeFw.options.$put({ delete: "nftables" });
    expect(bed.realiser.firewall?.firewall).toEqual({ enable: true, nftablesNodes: [] });
    expect((await failure(bed.api.nodes.$("nope").firewall.options.$get())).message).toMatch(
      /hostname lookup 'nope' failed/,
    );
  });

  test("a change the realisation refuses is undone and answered with an error", async () => {
    // Untyped like `node`: the client types rule positions as strings.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const fw: any = bed.api.cluster.firewall;
    bed.realiser.firewallFailure = "nft: syntax error";
    try {
      const err = await failure(fw.rules.$post({ type: "in", action: "ACCEPT", enable: 1 }));
      expect(err.message).toBe("firewall change not applied: nft: syntax error");
      expect(await fw.rules.$get()).toEqual([]);
    } finally {
      bed.realiser.firewallFailure = undefined;
    }
    await fw.rules.$post({ type: "in", action: "ACCEPT", enable: 1 });
    await fw.rules.$(0).$delete();
  });
});

describe("ticket authentication through the client", () => {
  test("username/password login, then GET and POST with cookie + CSRF", async () => {
    const api = proxmoxApi({
      host: "127.0.0.1",
      port: bed.tb.port,
      username: "root@pam",
      password: "secret-pw",
      fetch: bed.fetch as never,
    });
    expect((await api.nodes.$("pve1").qemu.$get()).length).toBeGreaterThan(0);
    expect(
      await api.nodes.$("pve1").qemu.$(102).config.$put({ description: "by ticket" }),
    ).toBeNull();
    const wrong = proxmoxApi({
      host: "127.0.0.1",
      port: bed.tb.port,
      username: "root@pam",
      password: "nope",
      fetch: bed.fetch as never,
    });
    await expect(wrong.version.$get()).rejects.toThrow(/Auth .* Failed!/);
  });
});

describe("wire format", () => {
  test("parameter errors: status line, body, booleans, JSON bodies", async () => {
    const r = await bed.raw("POST", "/api2/json/nodes/pve1/qemu/101/snapshot/x1/rollback", {
      body: "start=true",
    });
    expect(r.status).toBe(400);
    expect(r.statusText).toBe("Parameter verification failed.");
    expect(r.body).toEqual({
      data: null,
      message: "Parameter verification failed.\n",
      errors: { start: "type check ('boolean') failed - got 'true'" },
    });
    const missing = await bed.raw("POST", "/api2/json/nodes/pve1/qemu/101/snapshot", { body: "" });
    expect(missing.body.errors).toEqual({ snapname: "property is missing and it is not optional" });
    const json = await bed.raw("PUT", "/api2/json/nodes/pve1/qemu/102/config", {
      body: JSON.stringify({ description: "via json", onboot: true }),
      headers: { "content-type": "application/json" },
    });
    expect(json.status).toBe(200);
    expect(await node.qemu.$(102).config.$get()).toMatchObject({
      description: "via json",
      onboot: 1,
    });
  });
});

describe("access control", () => {
  const opsApi = () =>
    proxmoxApi({
      host: "127.0.0.1",
      port: bed.tb.port,
      tokenID: "ops@pve!doctor",
      tokenSecret: OPS_SECRET,
      queryTimeout: 15000,
      fetch: bed.fetch as never,
    });

  test("permissions: root's token has every privilege; a privsep token the intersection", async () => {
    const root = await bed.api.access.permissions.$get({ path: "/vms/101" });
    expect(root["/vms/101"]).toMatchObject({ "VM.Snapshot": 1, "Sys.Modify": 1 });
    const ops = opsApi();
    const mine = await ops.access.permissions.$get({ path: "/vms/101" });
    // PVEVMUser on the token ∩ PVEVMAdmin of the user: no VM.Snapshot, VM.PowerMgmt kept
    expect(Object.keys(mine["/vms/101"]!).sort()).toEqual(
      [
        "VM.Audit",
        "VM.Backup",
        "VM.Config.CDROM",
        "VM.Config.Cloudinit",
        "VM.Console",
        "VM.GuestAgent.Audit",
        "VM.GuestAgent.FileRead",
        "VM.GuestAgent.FileSystemMgmt",
        "VM.GuestAgent.FileWrite",
        "VM.PowerMgmt",
      ].sort(),
    );
    // an ACL without propagate applies to its own path only
    expect(await ops.access.permissions.$get({ path: "/nodes/pve1" })).toEqual({
      "/nodes/pve1": {},
    });
    const all = await ops.access.permissions.$get();
    expect(Object.keys(all).sort()).toEqual(["/", "/vms/101"]);
    expect(all["/"]).toMatchObject({ "Sys.Audit": 0 });
    // the user may read its token's; the token may not read another user's
    expect((await failure(ops.access.permissions.$get({ userid: "root@pam" }))).message).toBe(
      "Permission check failed (/access, Sys.Audit)",
    );
  });

  test("a call past the token's privileges is 403 naming the path and privilege", async () => {
    const ops = opsApi();
    expect(await ops.nodes.$("pve1").qemu.$(101).status.current.$get()).toMatchObject({
      vmid: 101,
    });
    expect(
      await failure(ops.nodes.$("pve1").qemu.$(101).snapshot.$post({ snapname: "nope" })),
    ).toMatchObject({ status: 403, message: "Permission check failed (/vms/101, VM.Snapshot)" });
    expect((await failure(ops.nodes.$("pve1").qemu.$(102).status.current.$get())).message).toBe(
      "Permission check failed (/vms/102, VM.Audit)",
    );
    expect((await failure(ops.cluster.sdn.$put())).message).toBe(
      "Permission check failed (/sdn, SDN.Allocate)",
    );
    // list filters: only the guest with VM.Audit; no storage without Datastore.Audit
    const vms = await ops.cluster.resources.$get({ type: "vm" });
    expect(vms.map((v: { vmid?: number }) => v.vmid)).toEqual([101]);
    expect(await ops.cluster.resources.$get({ type: "storage" })).toEqual([]);
    expect(await ops.storage.$get()).toEqual([]);
  });

  test("token info, HA resources, expired tokens", async () => {
    expect(await bed.api.access.users.$("root@pam").token.$("txbox").$get()).toEqual({
      privsep: 0,
      expire: 0,
    });
    // userid-param 'self' compares the token id, not its owner: a token cannot read itself
    expect(
      (await failure(opsApi().access.users.$("ops@pve").token.$("doctor").$get())).status,
    ).toBe(403);
    expect(await bed.api.cluster.ha.resources.$get()).toEqual([]);
    const expired = await bed.raw("GET", "/api2/json/version", {
      auth: false,
      headers: { authorization: `PVEAPIToken=old@pve!gone=${OPS_SECRET}` },
    });
    expect({ status: expired.status, text: expired.statusText }).toEqual({
      status: 401,
      text: "token 'gone' access expired",
    });
  });
});

describe("response bodies", () => {
  test("every 200 answer above validated against the schema's returns", () => {
    const bad = bed.checked.filter((c) => c.problems.length > 0);
    expect(bad).toEqual([]);
  });

  test("every implemented route was exercised", () => {
    const seen = new Set(bed.checked.map((c) => `${c.method} ${c.template}`));
    const missing = Object.keys(bed.tb.cluster().routes).filter((k) => !seen.has(k));
    expect(missing).toEqual([]);
  });
});

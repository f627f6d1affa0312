/**
 * `net apply` against PVE behaviours that pass on a lenient testbed and fail on a cluster:
 * a 2-node testbed with local and shared storage (clone_vm's shared-storage rule), a node whose
 * network reload fails, PVE 9's SDN lock (taken by someone else; contended), and two clones of
 * one LXC template at once (the template's `disk` lock).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApplyError, converge, parseNetSpec, PlanConflictError } from "@txbox/net";
import { ProxmoxClient } from "@txbox/proxmox";
import { MemoryRealiser, startTestbed, type TestbedHandle } from "@txbox/testbed";
import { proxmoxNetPort, type ProxmoxNetPort } from "@txbox/runtime";
import { KEY } from "./harness.js";

let root: string;
let tb: TestbedHandle;
let client: ProxmoxClient;
let port: ProxmoxNetPort;

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), "txbox-net-fidelity-"));
  tb = await startTestbed({
    stateDir: join(root, "testbed"),
    realiser: new MemoryRealiser(),
    port: 0,
    config: {
      realiser: "memory",
      nodes: ["pve1", "pve2"],
      api: { host: "127.0.0.1", port: 0, authFailDelayMs: 0 },
      storages: [
        { id: "local-btrfs", type: "btrfs", content: ["images", "rootdir"] },
        { id: "shared", type: "nfs", content: ["images", "rootdir"] },
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
  client = await ProxmoxClient.connect({
    url: tb.url,
    credentials: { kind: "token", tokenId: tb.tokenId, secret: tb.secret },
    fingerprint: tb.fingerprint,
  });
  port = proxmoxNetPort(client, { stateDir: join(root, "ledger"), pollMs: 50 });
}, 60_000);

afterEach(async () => {
  await port?.close();
  await client?.close();
  await tb?.stop();
  rmSync(root, { recursive: true, force: true });
});

function spec(guests: string, zoneExtra = ""): ReturnType<typeof parseNetSpec> {
  return parseNetSpec(
    `version: 1
name: fid
zones:
  - { id: fidz, type: vxlan, peers: [10.250.0.11, 10.250.0.12]${zoneExtra} }
vnets:
  - id: fidnet
    zone: fidz
    tag: 31000
    subnets: [{ cidr: 10.31.0.0/24, gateway: 10.31.0.1 }]
guests:
${guests}`,
    "fidelity.yaml",
  );
}
/** The firewall prerequisites (datacenter switch, nftables) are not what these tests are about. */
const FW = { enableFirewall: true };
const guest = (g: string): string =>
  `  - { ${g}, vnet: fidnet, ssh: { user: root, publicKey: "${KEY}" } }\n`;

test("a qemu guest on another node than its local-storage template is a full clone there, migrated to its node", async () => {
  const r = await converge(
    spec(
      guest("name: farvm, vmid: 3301, type: qemu, template: 9001, node: pve2, ip: 10.31.0.11/24"),
    ),
    port,
    FW,
  );
  const create = r.plan.actions.find((a) => a.kind === "guest" && a.op === "create");
  expect(create?.changes).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ field: "linked", after: 0 }),
      expect.objectContaining({
        field: "note",
        after: expect.stringMatching(
          /^clone on pve1, migrate to pve2: template 9001 \(node pve1\) uses local storage local-btrfs$/,
        ),
      }),
    ]),
  );
  const vm = await client.guest(3301);
  expect(vm.node).toBe("pve2");
  expect(String((await vm.config()).scsi0)).toMatch(/^local-btrfs:vm-3301-disk-0,/);
  // the clone ran on the template's node (its task carries the template's id), then the move
  const tasks = (await client.get<{ type: string; id: string }[]>("/nodes/pve1/tasks")).map(
    (t) => `${t.type}:${t.id}`,
  );
  expect(tasks).toEqual(expect.arrayContaining(["qmclone:9001", "qmigrate:3301"]));
});

test("a linked clone cannot cross nodes from local storage: `full: false` is refused at plan time, with the reason", async () => {
  const err = await converge(
    spec(
      guest(
        "name: farct, vmid: 3305, type: lxc, template: 9000, node: pve2, full: false, ip: 10.31.0.15/24",
      ),
    ),
    port,
    FW,
  ).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PlanConflictError);
  expect(String((err as Error).message)).toMatch(
    /guest farct: PVE cannot clone template 9000 \(node pve1\) to node pve2 .* a linked clone cannot migrate away from its base volume/,
  );
  // nothing was created: refused before any effect
  expect((await client.resources("vm")).map((r) => r.vmid).sort()).toEqual([9000, 9001]);
  expect(await client.sdn.zones()).toEqual([]);
});

test("an LXC guest on another node is a full clone onto shared storage when the spec names one", async () => {
  const r = await converge(
    spec(
      guest(
        "name: farct, vmid: 3302, type: lxc, template: 9000, node: pve2, storage: shared, ip: 10.31.0.12/24",
      ),
    ),
    port,
    FW,
  );
  const create = r.plan.actions.find((a) => a.kind === "guest" && a.op === "create");
  expect(create?.changes).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ field: "linked", after: 0 }),
      expect.objectContaining({ field: "storage", after: "shared" }),
    ]),
  );
  const ct = await client.guest(3302);
  expect(ct.node).toBe("pve2");
  expect(String((await ct.config()).rootfs)).toMatch(/^shared:subvol-3302-disk-0,/);
});

test("a node whose network reload fails makes net apply fail, naming the node", async () => {
  tb.faults.set({ sdnReloadFailures: ["pve2"] });
  const err = await converge(
    spec(
      guest("name: nearct, vmid: 3303, type: lxc, template: 9000, node: pve1, ip: 10.31.0.13/24"),
    ),
    port,
    FW,
  ).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApplyError);
  expect((err as Error).message).toMatch(
    /apply sdn .* failed: SDN applied, but the network reload failed on node pve2 \(WARNINGS: 1\)/,
  );
  expect((err as ApplyError).cause).toMatchObject({ code: "E_SDN_RELOAD", nodes: ["pve2"] });
});

test("PVE 9's SDN lock: held around the SDN writes and released; contention is retried; another holder stops apply clearly", async () => {
  tb.faults.set({ sdnLockTimeouts: 2 });
  await converge(
    spec(
      guest("name: lockct, vmid: 3304, type: lxc, template: 9000, node: pve1, ip: 10.31.0.14/24"),
    ),
    port,
    FW,
  );
  // released: anyone can take it now; while another client holds it, apply stops clearly
  const token = await client.request<string>("POST", "/cluster/sdn/lock");
  const err = await converge(
    spec(
      guest("name: lockct, vmid: 3304, type: lxc, template: 9000, node: pve1, ip: 10.31.0.14/24"),
      ", mtu: 1400",
    ),
    port,
    FW,
  ).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApplyError);
  expect(String((err as Error).message)).toMatch(/invalid lock token provided!/);
  await client.request("DELETE", "/cluster/sdn/lock", { "lock-token": token });
});

test("two clones of one LXC template at once: the second waits for the template's disk lock, and apply converges", async () => {
  tb.faults.set({ realiseLatencyMs: 300 });
  const other = client.request<string>("POST", "/nodes/pve1/lxc/9000/clone", { newid: 3399 });
  const upid = await other;
  const r = await converge(
    spec(
      guest("name: twinct, vmid: 3306, type: lxc, template: 9000, node: pve1, ip: 10.31.0.16/24"),
    ),
    port,
    FW,
  );
  expect(r.applied).toBe(r.plan.actions.length);
  await client.waitTask("pve1", upid);
  tb.faults.set({ realiseLatencyMs: 0 });
  const again = await converge(
    spec(
      guest("name: twinct, vmid: 3306, type: lxc, template: 9000, node: pve1, ip: 10.31.0.16/24"),
    ),
    port,
    FW,
  );
  expect(again.plan.actions).toEqual([]);
});

/**
 * @txbox/net against the testbed's PVE API (HTTPS, token auth, tasks, pending/running SDN),
 * through a plain-HTTP port (support/pve-http-port.ts), not through @txbox/proxmox. The testbed
 * runs its in-memory realiser here: this checks the API conversation; the SDN realisation on real
 * devices is tested in testbed/test/sdn.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryRealiser, startTestbed, type TestbedHandle } from "@txbox/testbed";
import {
  converge,
  destroy,
  formatPlan,
  observe,
  parseNetSpec,
  plan,
  type SdnZone,
} from "../src/index.js";
import { PveHttpPortForTests } from "./support/pve-http-port.js";

const specText = `version: 1
name: itest
controller: { id: evpnctl, asn: 65000, peers: [10.250.0.11, 10.250.0.12] }
zones:
  - { id: tenanta, type: evpn, vrfVxlan: 10000, mtu: 1450 }
  - { id: tenantb, type: vxlan, peers: [10.250.0.11, 10.250.0.12] }
vnets:
  - id: agentsa
    zone: tenanta
    tag: 11000
    subnets: [{ cidr: 10.11.0.0/24, gateway: 10.11.0.1 }]
    firewall: { egress: [{ dest: 0.0.0.0/0, proto: tcp, dport: 443 }] }
  - { id: agentsb, zone: tenantb, tag: 21000, subnets: [{ cidr: 10.21.0.0/24, gateway: 10.21.0.1 }] }
guests:
  - { name: a1, vmid: 3101, type: qemu, template: 9001, node: pve1, vnet: agentsa, ip: 10.11.0.11/24, ssh: { publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITest itest" } }
  - { name: b1, vmid: 3201, type: qemu, template: 9001, node: pve2, vnet: agentsb, ip: 10.21.0.11/24, ssh: { publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITest itest" } }
`;
const spec = parseNetSpec(specText, "itest.yaml");

let dir: string;
let tb: TestbedHandle;
let realiser: MemoryRealiser;
let port: PveHttpPortForTests;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "txbox-net-itest-"));
  realiser = new MemoryRealiser();
  tb = await startTestbed({
    stateDir: join(dir, "testbed"),
    realiser,
    port: 0,
    config: {
      realiser: "memory",
      nodes: ["pve1", "pve2"],
      api: { host: "127.0.0.1", port: 0, authFailDelayMs: 0 },
      // PVE clones to another node only from shared storage (clone_vm): the template lives there
      storages: [
        { id: "local-btrfs", type: "btrfs", content: ["images", "rootdir"] },
        { id: "shared", type: "btrfs", shared: true, content: ["images", "rootdir"] },
      ],
      lab: {
        templates: [{ vmid: 9001, type: "qemu", name: "tpl-vm", storage: "shared", start: false }],
        guests: [],
      },
    },
  });
  port = new PveHttpPortForTests(tb, join(dir, "ledger"));
}, 60_000);

afterAll(async () => {
  await tb?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("converge creates the networks and guests; the testbed realises the running SDN config", async () => {
  const result = await converge(spec, port, { enableFirewall: true });
  expect(result.applied).toBe(result.plan.actions.length);
  const running = (
    realiser as unknown as { sdn: { vnets: { vnet: string; tag: number; zone: string }[] } }
  ).sdn;
  expect(running.vnets.map((v) => [v.vnet, v.zone, v.tag]).sort()).toEqual([
    ["agentsa", "tenanta", 11000],
    ["agentsb", "tenantb", 21000],
  ]);
  const guests = await port.listGuests();
  expect(guests.filter((g) => !g.template).map((g) => [g.vmid, g.node, g.status, g.tags])).toEqual([
    [3101, "pve1", "running", ["txbox-itest"]],
    [3201, "pve2", "running", ["txbox-itest"]],
  ]);
  const a1 = guests.find((g) => g.vmid === 3101)!;
  expect(String(a1.config.net0)).toMatch(/bridge=agentsa/);
  expect(a1.config.ipconfig0).toBe("ip=10.11.0.11/24,gw=10.11.0.1");
  const fw = await port.getVnetFirewall("agentsa");
  expect(fw.options).toMatchObject({ enable: 1, policy_forward: "DROP" });
  expect(fw.rules.map((r) => r.comment)).toEqual(["txbox:itest:intra", "txbox:itest:egress"]);
}, 60_000);

test("a second converge plans nothing and says so", async () => {
  const observed = await observe(port, "itest");
  const p = plan(spec, observed);
  expect(formatPlan(p)).toBe("No changes. The cluster matches the spec.");
  expect((await converge(spec, port)).applied).toBe(0);
});

test("a change in the spec converges with field-level changes", async () => {
  const changed = parseNetSpec(specText.replace("mtu: 1450", "mtu: 1400"), "itest.yaml");
  const p = plan(changed, await observe(port, "itest"));
  expect(p.actions.map((a) => [a.op, a.kind, a.id, a.changes])).toEqual([
    ["change", "zone", "tenanta", [{ field: "mtu", before: 1450, after: 1400 }]],
    ["apply", "sdn", "cluster", []],
  ]);
  await converge(changed, port);
  expect(plan(changed, await observe(port, "itest")).actions).toEqual([]);
}, 60_000);

test("a reload that failed after PVE committed the config is retried by the next converge", async () => {
  tb.faults.set({
    taskFailures: [{ type: "reloadnetworkall", error: "zebra did not start", count: 1 }],
  });
  const changed = parseNetSpec(specText.replace("mtu: 1450", "mtu: 1300"), "itest.yaml");
  await expect(converge(changed, port)).rejects.toThrow(/zebra did not start/);
  // Nothing is pending any more (PVE committed it), but the nodes did not reload.
  const p = plan(changed, await observe(port, "itest"));
  expect(p.actions.map((a) => `${a.op} ${a.kind}`)).toEqual(["apply sdn"]);
  expect(p.actions[0]!.changes).toContainEqual({
    field: "zone tenanta on pve1",
    before: "pending",
    after: "available",
  });
  await converge(changed, port);
  const running = (realiser as unknown as { sdn: { zones: { zone: string; mtu?: number }[] } }).sdn;
  expect(running.zones.find((z) => z.zone === "tenanta")?.mtu).toBe(1300);
  expect(plan(changed, await observe(port, "itest")).actions).toEqual([]);
  // PVE's reload only warns when one node fails (task WARNINGS): apply says so, not "done".
  tb.faults.clear(); // the spent taskFailures entry (count 0) would not validate again
  tb.faults.set({ sdnReloadFailures: ["pve2"] });
  await expect(converge(spec, port)).rejects.toThrow(
    /the SDN reload did not reach every node: zone tenanta is pending on pve2/,
  );
  tb.faults.set({ sdnReloadFailures: [] });
  const retry = plan(spec, await observe(port, "itest"));
  expect(retry.actions.map((a) => `${a.op} ${a.kind}`)).toEqual(["apply sdn"]);
  await converge(spec, port);
  expect(plan(spec, await observe(port, "itest")).actions).toEqual([]);
}, 60_000);

test("destroy removes what the spec created and leaves a foreign zone alone", async () => {
  await port.call("POST", "/cluster/sdn/zones", {
    zone: "theirs",
    type: "vxlan",
    peers: "10.250.0.99",
  });
  const result = await destroy(spec, port);
  expect(result.plan.summary.delete).toBe(9);
  const zones: SdnZone[] = await port.listZones();
  // Still there; PUT /cluster/sdn applied it too (it applies every pending change, see ADR 0005).
  expect(zones.map((z) => [z.zone, z.state])).toEqual([["theirs", undefined]]);
  expect(await port.listVnets()).toEqual([]);
  expect((await port.listGuests()).map((g) => g.vmid)).toEqual([9001]);
}, 60_000);

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  apply,
  ApplyAbortedError,
  ApplyError,
  converge,
  destroy,
  fileLedger,
  FirewallOffError,
  formatPlan,
  observe,
  parseNetSpec,
  plan,
  PlanConflictError,
  type ProgressEvent,
} from "../src/index.js";
import { InMemoryPortForTests } from "./support/in-memory-port.js";

const dir = mkdtempSync(join(tmpdir(), "txbox-net-"));
writeFileSync(join(dir, "agent.pub"), "ssh-ed25519 AAAAC3NzaTest agent@txbox\n");
const specText = `version: 1
name: lab
controller: { id: evpnctl, asn: 65000, peers: [10.250.0.11, 10.250.0.12] }
zones:
  - { id: tenanta, type: evpn, vrfVxlan: 10000 }
  - { id: tenantb, type: evpn, vrfVxlan: 20000 }
vnets:
  - { id: agentsa, zone: tenanta, tag: 11000, subnets: [{ cidr: 10.11.0.0/24, gateway: 10.11.0.1 }] }
  - { id: agentsb, zone: tenantb, tag: 21000, subnets: [{ cidr: 10.21.0.0/24, gateway: 10.21.0.1 }] }
management: { bridge: vmbr9, cidr: 10.250.9.0/24, orchestrator: 10.250.9.1 }
guests:
  - { name: a1, vmid: 301, template: 9000, node: pve1, vnet: agentsa, ip: 10.11.0.11/24, management: { ip: 10.250.9.11/24 }, ssh: { publicKeyFile: agent.pub } }
  - { name: b1, vmid: 302, template: 9000, node: pve2, vnet: agentsb, ip: 10.21.0.11/24, ssh: { publicKeyFile: agent.pub } }
`;
const spec = parseNetSpec(specText, join(dir, "lab.yaml"));

function port(): InMemoryPortForTests {
  const p = new InMemoryPortForTests();
  p.addTemplate(9000, "pve1");
  return p;
}

test("apply creates everything, a second apply plans nothing and says so", async () => {
  const p = port();
  const events: ProgressEvent[] = [];
  const first = await converge(spec, p, { onProgress: (e) => events.push(e) });
  expect(first.applied).toBe(first.plan.actions.length);
  expect(p.applies).toBe(1);
  expect([...p.vnets.values()]).toEqual([
    { vnet: "agentsa", zone: "tenanta", tag: 11000, alias: "txbox:lab" },
    { vnet: "agentsb", zone: "tenantb", tag: 21000, alias: "txbox:lab" },
  ]);
  expect(p.guests.get(301)).toMatchObject({ status: "running", tags: ["txbox-lab"], name: "a1" });
  expect(p.sshKeys.get(301)).toEqual(["ssh-ed25519 AAAAC3NzaTest agent@txbox"]);
  expect(p.guestFw.get(301)!.options).toEqual({
    enable: 1,
    policy_in: "DROP",
    policy_out: "DROP",
  });
  expect(p.guestFw.get(301)!.rules.map((r) => r.comment)).toEqual([
    "txbox:lab:ssh",
    "txbox:lab:vnet",
    "txbox:lab:vnet-out",
  ]);
  expect(p.vnetFw.get("agentsa")!.options).toEqual({ enable: 1, policy_forward: "DROP" });
  expect(p.ledgers.get("lab")).toEqual({ controllers: ["evpnctl"], zones: ["tenanta", "tenantb"] });
  // Progress: start and done per action, in order.
  expect(events.filter((e) => e.phase === "done").map((e) => e.index)).toEqual(
    first.plan.actions.map((_, i) => i + 1),
  );
  // The guest's firewall is in place before the guest starts.
  expect(p.calls.lastIndexOf("createGuestFirewallRule")).toBeLessThan(
    p.calls.indexOf("startGuest"),
  );

  const again: ProgressEvent[] = [];
  const second = await converge(spec, p, { onProgress: (e) => again.push(e) });
  expect(second.plan.actions).toEqual([]);
  expect(again).toEqual([
    { phase: "nothing", index: 0, total: 0, message: "No changes. The cluster matches the spec." },
  ]);
  expect(p.applies).toBe(1);
});

test.each([
  ["createVnet", 2],
  ["applySdn", 1],
  ["cloneGuest", 2],
  ["configureGuest", 1],
  ["createVnetFirewallRule", 1],
  ["startGuest", 1],
])("a crash in %s (call %i) resumes: re-plan and apply converge", async (method, nth) => {
  const p = port();
  p.failOn(method, nth);
  await expect(converge(spec, p)).rejects.toThrow(ApplyError);
  await converge(spec, p);
  const observed = await observe(p, "lab");
  expect(plan(spec, observed).actions).toEqual([]);
  expect([...p.guests.values()].filter((g) => !g.template).map((g) => [g.vmid, g.status])).toEqual([
    [301, "running"],
    [302, "running"],
  ]);
});

test("a clone that crashed before it was tagged is adopted by name, not reported as foreign", async () => {
  const p = port();
  p.failOn("configureGuest");
  await expect(converge(spec, p)).rejects.toThrow(
    /create guest a1 \(301@pve1\) failed: simulated crash/,
  );
  expect(p.guests.get(301)!.tags).toEqual([]);
  const again = plan(spec, await observe(p, "lab"));
  expect(again.conflicts).toEqual([]);
  expect(again.actions.find((a) => a.id === "a1 (301@pve1)")!.op).toBe("change");
});

test("a crash after configuring a guest but before its keys: the next apply installs them", async () => {
  const p = port();
  p.failOn("authorizeSshKeys");
  await expect(converge(spec, p)).rejects.toThrow(/simulated crash in authorizeSshKeys/);
  // Configured but untagged: the ownership tag comes last, so the guest is not taken as finished.
  expect(p.guests.get(301)!.tags).toEqual([]);
  expect(p.sshKeys.get(301)).toBeUndefined();
  const again = plan(spec, await observe(p, "lab"));
  expect(again.conflicts).toEqual([]);
  await converge(spec, p);
  expect(p.sshKeys.get(301)).toEqual(["ssh-ed25519 AAAAC3NzaTest agent@txbox"]);
  expect(p.guests.get(301)!.tags).toContain("txbox-lab");
  expect(plan(spec, await observe(p, "lab")).actions).toEqual([]);
});

test("destroy removes what the spec created and leaves foreign objects", async () => {
  const p = port();
  await converge(spec, p);
  await p.createZone({ zone: "theirs", type: "vxlan", peers: "10.1.1.1" });
  await p.createVnet({ vnet: "theirv", zone: "theirs", tag: 900 });
  await p.createVnetFirewallRule("agentsa", {
    type: "forward",
    action: "ACCEPT",
    comment: "operator",
  });
  await p.applySdn();
  const result = await destroy(spec, p);
  expect(formatPlan(result.plan)).toContain("Plan: 0 to create, 0 to change, 9 to delete.");
  expect([...p.zones.keys()]).toEqual(["theirs"]);
  expect([...p.vnets.keys()]).toEqual(["theirv"]);
  expect([...p.controllers.keys()]).toEqual([]);
  expect([...p.guests.keys()]).toEqual([9000]);
  expect(p.ledgers.get("lab")).toEqual({ controllers: [], zones: [] });
  expect((await destroy(spec, p)).plan.actions).toEqual([]);
});

test("a plan with conflicts is refused before any effect", async () => {
  const p = port();
  await p.createZone({ zone: "tenanta", type: "evpn", controller: "x", "vrf-vxlan": 1 });
  p.calls.length = 0;
  await expect(converge(spec, p)).rejects.toThrow(PlanConflictError);
  expect(
    p.calls.filter((c) => !c.startsWith("list") && !c.startsWith("get") && c !== "loadLedger"),
  ).toEqual([]);
});

test("an aborted apply stops between steps and a re-run finishes", async () => {
  const p = port();
  const controller = new AbortController();
  const p1 = plan(spec, await observe(p, "lab"));
  await expect(
    apply(p1, p, {
      signal: controller.signal,
      onProgress: (e) => {
        if (e.phase === "done" && e.index === 3) controller.abort();
      },
    }),
  ).rejects.toThrow(ApplyAbortedError);
  expect(p.applies).toBe(0);
  const rest = await converge(spec, p);
  // Controller and both zones were done; the re-run starts at the first vnet.
  const first = rest.plan.actions[0]!;
  expect(`${first.op} ${first.kind} ${first.id}`).toBe("create vnet agentsa");
});

test("fileLedger keeps a ledger per spec name across instances", async () => {
  const ledgerDir = join(dir, "ledgers");
  const a = fileLedger(ledgerDir);
  expect(await a.loadLedger("lab")).toEqual({ controllers: [], zones: [] });
  await a.saveLedger("lab", { controllers: ["evpnctl"], zones: ["tenanta"] });
  expect(await fileLedger(ledgerDir).loadLedger("lab")).toEqual({
    controllers: ["evpnctl"],
    zones: ["tenanta"],
  });
  writeFileSync(join(ledgerDir, "bad.ledger.json"), "{");
  await expect(a.loadLedger("bad")).rejects.toThrow(ApplyError);
});

test("firewall off: apply refuses before any change, naming settings and calls; the flag sets them", async () => {
  const p = port();
  p.datacenterFirewall = false;
  p.nftablesOff.add("pve2");
  const refused = await converge(spec, p).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(FirewallOffError);
  const err = refused as FirewallOffError;
  expect(err.code).toBe("E_NET_FIREWALL_OFF");
  expect(err.message).toContain("PUT /cluster/firewall/options enable=1");
  expect(err.message).toContain("PUT /nodes/pve2/firewall/options nftables=1");
  expect(p.calls.filter((c) => !/^(list|get|load)/.test(c))).toEqual([]);
  await converge(spec, p, { enableFirewall: true });
  expect(p.calls.filter((c) => c.startsWith("enable"))).toEqual([
    "enableDatacenterFirewall",
    "enableNodeNftables",
  ]);
  expect(p.datacenterFirewall).toBe(true);
  expect((await converge(spec, p)).plan.actions).toEqual([]);
});

test("a reload that failed after PVE committed the config is retried by the next apply", async () => {
  const p = port();
  await converge(spec, p);
  // PVE: the commit is synchronous, the reload task failed on pve2: its zones stay pending.
  p.zoneStatus.set("pve2/tenanta", "pending");
  const again = plan(spec, await observe(p, "lab"));
  expect(again.actions.map((a) => `${a.op} ${a.kind}`)).toEqual(["apply sdn"]);
  await apply(again, p);
  expect(p.applies).toBe(2);
  expect((await converge(spec, p)).plan.actions).toEqual([]);
});

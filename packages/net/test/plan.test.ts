import { formatPlan, parseNetSpec, plan, planDestroy } from "../src/index.js";
import { empty, matching, spec, specText } from "./support/plan-fixture.js";

test("an empty cluster: everything is created, in dependency order", () => {
  const p = plan(spec, empty);
  expect(p.conflicts).toEqual([]);
  expect(p.actions.map((a) => `${a.op} ${a.kind} ${a.id}`)).toEqual([
    "create controller evpnctl",
    "create zone tenanta",
    "create vnet agentsa",
    "create subnet agentsa/tenanta-10.11.0.0-24",
    "apply sdn cluster",
    "create vnet-firewall agentsa",
    "create guest a1 (301@pve1)",
    "start guest a1 (301@pve1)",
  ]);
  expect(p.summary).toEqual({ create: 6, change: 0, delete: 0 });
  expect(p.actions[1]!.step).toEqual({
    type: "sdn-create",
    object: "zone",
    params: { zone: "tenanta", type: "evpn", controller: "evpnctl", "vrf-vxlan": 10000, mtu: 1450 },
  });
});

test("a matching cluster plans nothing (list order and foreign rules do not matter)", () => {
  const p = plan(spec, matching());
  expect(p.actions).toEqual([]);
  expect(formatPlan(p)).toBe("No changes. The cluster matches the spec.");
});

test("field-level changes show before and after", () => {
  const obs = matching();
  obs.zones[0]!.mtu = 1500;
  obs.guests[0]!.config.cores = 2;
  obs.guests[0]!.status = "stopped";
  const p = plan(spec, obs);
  expect(p.actions.map((a) => [a.op, a.kind, a.changes])).toEqual([
    ["change", "zone", [{ field: "mtu", before: 1500, after: 1450 }]],
    ["apply", "sdn", []],
    ["change", "guest", [{ field: "cores", before: 2, after: 1 }]],
    ["start", "guest", [{ field: "status", before: "stopped", after: "running" }]],
  ]);
  const text = formatPlan(p);
  expect(text).toContain("  ~ change zone tenanta\n      mtu : 1500 -> 1450");
  expect(text).toContain("Plan: 0 to create, 3 to change, 0 to delete.");
});

test("a removed field is deleted with PVE's delete list; a NIC change keeps the MAC", () => {
  const obs = matching();
  obs.zones[0]!.exitnodes = "pve1";
  obs.guests[0]!.config.net0 = "name=eth0,bridge=other,hwaddr=BC:24:11:AA:BB:CC,ip=10.11.0.11/24";
  const p = plan(spec, obs);
  expect(p.actions[0]!.step).toEqual({
    type: "sdn-update",
    object: "zone",
    id: "tenanta",
    params: { delete: "exitnodes" },
  });
  expect(p.actions.find((a) => a.kind === "guest")!.step).toEqual({
    type: "guest-update",
    guest: { node: "pve1", vmid: 301, type: "lxc" },
    config: {
      net0: "name=eth0,bridge=agentsa,ip=10.11.0.11/24,gw=10.11.0.1,firewall=1,hwaddr=BC:24:11:AA:BB:CC",
    },
  });
});

test("pending SDN changes on managed objects need an apply even when values match (resume)", () => {
  const obs = matching();
  obs.vnets[0]!.state = "new";
  expect(plan(spec, obs).actions.map((a) => a.op)).toEqual(["apply"]);
});

test("managed objects that left the spec are deleted in reverse order; foreign ones never", () => {
  const obs = matching();
  obs.controllers.push({ controller: "other", type: "evpn", asn: 1, peers: "10.0.0.1" });
  obs.zones.push(
    { zone: "oldz", type: "vxlan", peers: "10.250.0.11" },
    { zone: "theirs", type: "vxlan", peers: "10.1.1.1" },
  );
  obs.vnets.push(
    { vnet: "oldv", zone: "oldz", tag: 500, alias: "txbox:lab" },
    { vnet: "theirv", zone: "theirs", tag: 600, alias: "txbox:otherspec" },
  );
  obs.subnets.push({ subnet: "oldz-10.50.0.0-24", vnet: "oldv", cidr: "10.50.0.0/24" });
  obs.guests.push(
    {
      node: "pve2",
      vmid: 302,
      type: "lxc",
      name: "old",
      status: "running",
      template: false,
      tags: ["txbox-lab"],
      config: {},
    },
    {
      node: "pve2",
      vmid: 400,
      type: "lxc",
      name: "mine",
      status: "running",
      template: false,
      tags: [],
      config: {},
    },
  );
  obs.ledger.zones.push("oldz");
  const p = plan(spec, obs);
  expect(p.actions.map((a) => `${a.op} ${a.kind} ${a.id}`)).toEqual([
    "delete guest old (302@pve2)",
    "delete subnet oldv/oldz-10.50.0.0-24",
    "delete vnet oldv",
    "delete zone oldz",
    "apply sdn cluster",
  ]);
  expect(formatPlan(p)).toContain("Plan: 0 to create, 0 to change, 4 to delete.");
});

test("a guest whose template is missing is a conflict", () => {
  expect(plan(spec, { ...empty, guests: [] }).conflicts).toEqual([
    "guest a1: template 9000 does not exist",
  ]);
});

test("a spec object that exists and is foreign is a conflict, not a takeover", () => {
  const obs = matching();
  obs.ledger = { controllers: [], zones: [] };
  obs.vnets[0]!.alias = "someone else";
  obs.guests[0]!.tags = [];
  obs.guests[0]!.name = "prod-db";
  const p = plan(spec, obs);
  expect(p.conflicts).toEqual([
    'controller evpnctl exists and is not managed by txbox spec "lab"',
    'zone tenanta exists and is not managed by txbox spec "lab"',
    'vnet agentsa exists and is not managed by txbox spec "lab"',
    'guest 301 exists as "prod-db" and is not managed by txbox spec "lab"',
  ]);
  expect(formatPlan(p)).toMatch(/^Plan for "lab" cannot be applied:\n {2}! controller evpnctl/);
});

test("destroy plans the removal of every managed object and nothing else", () => {
  const obs = matching();
  obs.zones.push({ zone: "theirs", type: "vxlan", peers: "10.1.1.1" });
  const p = planDestroy("lab", obs);
  expect(p.actions.map((a) => `${a.op} ${a.kind} ${a.id}`)).toEqual([
    "delete guest a1 (301@pve1)",
    "delete subnet agentsa/tenanta-10.11.0.0-24",
    "delete vnet agentsa",
    "delete zone tenanta",
    "delete controller evpnctl",
    "apply sdn cluster",
  ]);
});

test("a changed firewall policy replaces only txbox's rules", () => {
  const changed = parseNetSpec(specText.replace("dport: 443", "dport: 8443"), "lab.yaml");
  const p = plan(changed, matching());
  expect(p.actions).toHaveLength(1);
  expect(p.actions[0]!.changes).toEqual([
    {
      field: "rules",
      before: [
        "forward ACCEPT 10.11.0.0/24 -> 10.11.0.0/24",
        "forward ACCEPT 10.11.0.0/24 -> 0.0.0.0/0 tcp/443",
      ],
      after: [
        "forward ACCEPT 10.11.0.0/24 -> 10.11.0.0/24",
        "forward ACCEPT 10.11.0.0/24 -> 0.0.0.0/0 tcp/8443",
      ],
    },
  ]);
});

test("a zone a node has not realised (failed reload) plans an SDN apply, naming it", () => {
  const obs = matching();
  obs.zoneStatus[1]!.status = "pending";
  const p = plan(spec, obs);
  expect(p.actions.map((a) => `${a.op} ${a.kind} ${a.id}`)).toEqual(["apply sdn cluster"]);
  expect(p.actions[0]!.changes).toEqual([
    { field: "zone tenanta on pve2", before: "pending", after: "available" },
  ]);
  expect(formatPlan(p)).toContain('zone tenanta on pve2 : "pending" -> "available"');
  // A foreign zone's status is not ours to fix.
  const foreign = matching();
  foreign.zoneStatus.push({ node: "pve1", zone: "theirs", status: "pending" });
  expect(plan(spec, foreign).actions).toEqual([]);
});

test("firewall switches that are off lead the plan, with the calls that set them", () => {
  const obs = matching();
  obs.firewall = { datacenter: false, nftables: { pve1: true, pve2: false } };
  const p = plan(spec, obs);
  expect(p.prerequisites).toEqual([
    {
      scope: "datacenter",
      setting: "enable",
      current: 0,
      required: 1,
      call: "PUT /cluster/firewall/options enable=1",
    },
    {
      scope: "pve2",
      setting: "nftables",
      current: 0,
      required: 1,
      call: "PUT /nodes/pve2/firewall/options nftables=1",
    },
  ]);
  expect(p.actions.map((a) => `${a.op} ${a.kind} ${a.id}`)).toEqual([
    "change firewall-switch datacenter",
    "change firewall-switch node pve2",
  ]);
  const text = formatPlan(p);
  expect(text).toContain(
    "~ change firewall datacenter (needs --enable-firewall: PUT /cluster/firewall/options enable=1)",
  );
  expect(text).toContain("Plan: 0 to create, 2 to change, 0 to delete.");
  // A zone pinned to pve1 whose guests are on pve1 does not need pve2.
  const pinned = parseNetSpec(
    specText.replace("vrfVxlan: 10000", "vrfVxlan: 10000, nodes: [pve1]"),
    "lab.yaml",
  );
  expect(plan(pinned, obs).prerequisites.map((x) => x.scope)).toEqual(["datacenter"]);
  // Destroying a spec needs no firewall.
  expect(planDestroy("lab", obs).prerequisites).toEqual([]);
});

const twoVnets = (egress: string, allowFrom = "[]") =>
  parseNetSpec(
    `version: 1
name: lab
zones: [{ id: zz, type: vxlan, peers: [10.250.0.11] }]
vnets:
  - { id: red, zone: zz, tag: 1, subnets: [{ cidr: 10.1.0.0/24 }], firewall: { egress: [${egress}] } }
  - { id: blue, zone: zz, tag: 2, subnets: [{ cidr: 10.2.0.0/24 }], firewall: { allowFrom: ${allowFrom} } }
`,
    "lab.yaml",
  );
const rulesOf = (p: ReturnType<typeof plan>, vnet: string) =>
  p.actions
    .find((a) => a.kind === "vnet-firewall" && a.id === vnet)
    ?.changes.find((c) => c.field === "rules")?.after;

test("an egress to an address in another vnet is opened on that vnet too", () => {
  const p = plan(twoVnets("{ dest: 10.2.0.5, proto: tcp, dport: 8080 }"), empty);
  expect(p.conflicts).toEqual([]);
  expect(rulesOf(p, "red")).toEqual([
    "forward ACCEPT 10.1.0.0/24 -> 10.1.0.0/24",
    "forward ACCEPT 10.1.0.0/24 -> 10.2.0.5 tcp/8080",
  ]);
  expect(rulesOf(p, "blue")).toEqual([
    "forward ACCEPT 10.2.0.0/24 -> 10.2.0.0/24",
    "forward ACCEPT 10.1.0.0/24 -> 10.2.0.5 tcp/8080",
  ]);
  // A range that merely contains other vnets opens none of them.
  const wide = plan(twoVnets("{ dest: 0.0.0.0/0, proto: tcp, dport: 443 }"), empty);
  expect(rulesOf(wide, "blue")).toEqual(["forward ACCEPT 10.2.0.0/24 -> 10.2.0.0/24"]);
});

test("allowFrom is accepted on both vnets of the flow", () => {
  const p = plan(twoVnets("", "[red]"), empty);
  expect(rulesOf(p, "blue")).toEqual([
    "forward ACCEPT 10.2.0.0/24 -> 10.2.0.0/24",
    "forward ACCEPT 10.1.0.0/24 -> 10.2.0.0/24",
  ]);
  expect(rulesOf(p, "red")).toEqual([
    "forward ACCEPT 10.1.0.0/24 -> 10.1.0.0/24",
    "forward ACCEPT 10.1.0.0/24 -> 10.2.0.0/24",
  ]);
});

test("an egress into a vnet the spec does not manage is refused at plan time, with the reason", () => {
  const obs = structuredClone(empty);
  obs.vnets.push({ vnet: "theirs", zone: "zz", tag: 9, alias: "someone else" });
  obs.subnets.push({ subnet: "zz-10.9.0.0-24", vnet: "theirs" });
  const p = plan(twoVnets("{ dest: 10.9.0.0/25 }"), obs);
  expect(p.conflicts).toEqual([
    expect.stringMatching(
      /^egress from red to 10\.9\.0\.0\/25 lies in vnet theirs, which spec "lab" does not manage: .*judged by that vnet's firewall/,
    ),
  ]);
});

test("an egress is checked against the subnets of vnets outside the spec, each by its own range", () => {
  const theirs = { vnet: "theirs", zone: "zz", tag: 9, alias: "someone else" };
  // Another vnet of the spec, already there, holds the destination: opened on it, no conflict.
  const own = structuredClone(empty);
  own.vnets.push({ vnet: "blue", zone: "zz", tag: 2, alias: "txbox:lab" });
  own.subnets.push({ subnet: "zz-10.2.0.0-24", vnet: "blue", cidr: "10.2.0.0/24" });
  expect(plan(twoVnets("{ dest: 10.2.0.5 }"), own).conflicts).toEqual([]);
  // A foreign vnet whose range does not hold the destination is no conflict.
  const beside = structuredClone(empty);
  beside.vnets.push(theirs);
  beside.subnets.push({ subnet: "zz-10.9.0.0-24", vnet: "theirs", cidr: "10.9.0.0/24" });
  expect(plan(twoVnets("{ dest: 10.2.0.5 }"), beside).conflicts).toEqual([]);
  // Without a cidr in the listing, the range is read from PVE's id, octets of any length.
  const byId = structuredClone(empty);
  byId.vnets.push(theirs);
  byId.subnets.push({ subnet: "zz-10.20.30.64-26", vnet: "theirs" });
  expect(plan(twoVnets("{ dest: 10.20.30.70 }"), byId).conflicts).toEqual([
    expect.stringMatching(/^egress from red to 10\.20\.30\.70 lies in vnet theirs,/),
  ]);
  expect(plan(twoVnets("{ dest: 10.20.30.10 }"), byId).conflicts).toEqual([]);
});

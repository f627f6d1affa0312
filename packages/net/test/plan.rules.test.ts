// Every field of a firewall rule, and every firewall option, takes part in the plan's diff: a
// rule that txbox owns and that differs from the spec in any one field is replaced (ACCEPT→DROP,
// another source, a disabled rule...), while rules owned by someone else never are.
import {
  formatRule,
  parseNetSpec,
  plan,
  type FirewallRule,
  type FirewallState,
  type Observed,
} from "../src/index.js";

const spec = parseNetSpec(
  `version: 1
name: lab
controller: { id: evpnctl, asn: 65000, peers: [10.250.0.11] }
zones:
  - { id: tenanta, type: evpn, vrfVxlan: 10000 }
vnets:
  - id: agentsa
    zone: tenanta
    tag: 11000
    subnets: [{ cidr: 10.11.0.0/24, gateway: 10.11.0.1 }]
    firewall: { egress: [{ dest: 0.0.0.0/0, proto: tcp, dport: 443 }] }
`,
  "lab.yaml",
);

const intra: FirewallRule = {
  pos: 0,
  type: "forward",
  action: "ACCEPT",
  source: "10.11.0.0/24",
  dest: "10.11.0.0/24",
  comment: "txbox:lab:intra",
  enable: 1,
};
const egress: FirewallRule = {
  pos: 1,
  type: "forward",
  action: "ACCEPT",
  source: "10.11.0.0/24",
  dest: "0.0.0.0/0",
  proto: "tcp",
  dport: "443",
  comment: "txbox:lab:egress",
  enable: 1,
};
const foreign: FirewallRule = {
  pos: 2,
  type: "forward",
  action: "ACCEPT",
  source: "10.99.0.0/24",
  comment: "an operator's own rule",
  enable: 1,
};

function observed(firewall: FirewallState): Observed {
  return {
    controllers: [{ controller: "evpnctl", type: "evpn", asn: 65000, peers: "10.250.0.11" }],
    zones: [{ zone: "tenanta", type: "evpn", controller: "evpnctl", "vrf-vxlan": 10000 }],
    vnets: [{ vnet: "agentsa", zone: "tenanta", tag: 11000, alias: "txbox:lab", type: "vnet" }],
    subnets: [
      {
        subnet: "tenanta-10.11.0.0-24",
        vnet: "agentsa",
        cidr: "10.11.0.0/24",
        gateway: "10.11.0.1",
        type: "subnet",
      },
    ],
    vnetFirewalls: { agentsa: firewall },
    guests: [],
    guestFirewalls: {},
    ledger: { controllers: ["evpnctl"], zones: ["tenanta"] },
    nodes: ["pve1"],
    zoneStatus: [{ node: "pve1", zone: "tenanta", status: "available" }],
    firewall: { datacenter: true, nftables: { pve1: true } },
  };
}
const options = { enable: 1, policy_forward: "DROP" };
const planned = (rules: FirewallRule[], opts: Record<string, string | number> = options) =>
  plan(spec, observed({ options: opts, rules }));

test("the baseline matches: no action", () => {
  expect(planned([intra, egress, foreign]).actions).toEqual([]);
});

const changedFields: [keyof FirewallRule, FirewallRule[keyof FirewallRule]][] = [
  ["type", "in"],
  ["action", "DROP"],
  ["action", "REJECT"],
  ["iface", "net0"],
  ["source", "10.12.0.0/24"],
  ["source", undefined],
  ["dest", "10.0.0.0/8"],
  ["dest", undefined],
  ["proto", "udp"],
  ["proto", undefined],
  ["dport", "8443"],
  ["dport", undefined],
  ["comment", "txbox:lab:egress-old"],
  ["enable", 0],
];

test.each(changedFields)("a txbox rule whose %s differs (%j) is replaced", (field, value) => {
  const drifted = { ...egress, [field]: value };
  const p = planned([intra, drifted, foreign]);
  expect(p.actions.map((a) => `${a.op} ${a.kind} ${a.id}`)).toEqual([
    "change vnet-firewall agentsa",
  ]);
  expect(p.actions[0]!.changes).toEqual([
    {
      field: "rules",
      before: [formatRule(intra), formatRule(drifted)],
      after: [formatRule(intra), formatRule(egress)],
    },
  ]);
  expect(p.actions[0]!.step).toMatchObject({ type: "vnet-firewall", vnet: "agentsa" });
});

test("ACCEPT → DROP shows in the plan's text of the rule", () => {
  const p = planned([intra, { ...egress, action: "DROP" }, foreign]);
  expect(p.actions[0]!.changes[0]!.before).toEqual([
    "forward ACCEPT 10.11.0.0/24 -> 10.11.0.0/24",
    "forward DROP 10.11.0.0/24 -> 0.0.0.0/0 tcp/443",
  ]);
});

test("an absent `enable` is PVE's default (enabled): no change", () => {
  const { enable: _e, ...implicit } = egress;
  expect(planned([intra, implicit, foreign]).actions).toEqual([]);
});

test("order, a missing rule and an extra txbox rule each need a change", () => {
  for (const rules of [
    [egress, intra, foreign],
    [intra, foreign],
    [intra, egress, { ...foreign, comment: "txbox:lab:extra" }],
  ]) {
    expect(planned(rules).actions.map((a) => a.kind)).toEqual(["vnet-firewall"]);
  }
});

test.each([
  ["enable", 0],
  ["policy_forward", "ACCEPT"],
])("a firewall option %s that differs (%j) is changed", (key, value) => {
  const p = planned([intra, egress, foreign], { ...options, [key]: value });
  expect(p.actions[0]!.changes).toEqual([
    { field: `options.${key}`, before: value, after: options[key as keyof typeof options] },
  ]);
});

test("someone else's rules never cause a change, whatever they say", () => {
  for (const changed of [
    { ...foreign, action: "DROP" },
    { ...foreign, source: undefined, dest: "0.0.0.0/0" },
    { ...foreign, enable: 0 },
  ]) {
    expect(planned([intra, egress, changed]).actions).toEqual([]);
  }
  expect(planned([intra, egress]).actions).toEqual([]);
});

test("formatRule names every field that matters to a reader", () => {
  expect(formatRule(egress)).toBe("forward ACCEPT 10.11.0.0/24 -> 0.0.0.0/0 tcp/443");
  expect(formatRule({ type: "in", action: "DROP", iface: "net0", proto: "icmp" })).toBe(
    "in DROP iface=net0 any -> any icmp",
  );
});

test("an empty field as PVE returns it equals an absent one: no change", () => {
  const observedLikePve = { ...egress, iface: "" };
  expect(planned([intra, observedLikePve, foreign]).actions).toEqual([]);
  const { dport: _d, proto: _p, ...noPort } = egress;
  expect(planned([intra, { ...noPort, proto: "", dport: "" }, foreign]).actions).toHaveLength(1);
});

test("fields are compared one by one, not as one run of text", () => {
  // "10.11.0.0/2" + "40.0.0.0/0" reads like "10.11.0.0/24" + "0.0.0.0/0" when glued together
  const shifted = { ...egress, source: "10.11.0.0/2", dest: "40.0.0.0/0" };
  expect(planned([intra, shifted, foreign]).actions.map((a) => a.kind)).toEqual(["vnet-firewall"]);
});

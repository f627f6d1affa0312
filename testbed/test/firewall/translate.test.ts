// The pure translation of PVE guest and cluster firewall state into a node's nftables script:
// every rule field, macros, groups, ipsets, aliases, the switches and defaults as pve-firewall
// sets them; and (as root) that nft itself accepts every script, checked in a scratch namespace.
import { spawnSync } from "node:child_process";

import {
  emptyScope,
  nodeFirewallRuleset,
  PVE_FW_MACROS,
  type FirewallConfig,
  type FwRule,
  type FwScope,
} from "../../src/realise/firewall/index.js";

const place = { node: "n1", bridges: ["agents", "other"], nftables: false };

function config(over: {
  cluster?: Partial<FwScope>;
  guest?: Partial<FwScope>;
  nic?: Partial<FirewallConfig["guests"][0]["nics"][0]>;
  groups?: Record<string, FwRule[]>;
  nodes?: FirewallConfig["nodes"];
}): FirewallConfig {
  return {
    cluster: { ...emptyScope(), options: { enable: 1 }, ...over.cluster },
    groups: over.groups ?? {},
    nodes: over.nodes ?? {},
    guests: [
      {
        vmid: 101,
        node: "n1",
        scope: { ...emptyScope(), options: { enable: 1 }, ...over.guest },
        nics: [
          {
            netid: "net0",
            firewall: true,
            bridge: "agents",
            cidr: "10.31.0.11/24",
            port: "tbabcden0x0",
            ...over.nic,
          },
        ],
      },
    ],
  };
}

/** The body of one chain, indentation removed. */
function chainOf(script: string, name: string): string[] {
  const lines = script.split("\n");
  const head = name.startsWith("set ") ? `${name} {` : `chain ${name} {`;
  const start = lines.findIndex((l) => l.trim() === head);
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && l.trim() === "}");
  return lines.slice(start + 1, end).map((l) => l.trim());
}

const guestIn = (rules: FwRule[], extra: Parameters<typeof config>[0] = {}): string[] =>
  chainOf(
    nodeFirewallRuleset(config({ ...extra, guest: { ...extra.guest, rules } }), place),
    "guest-101-net0-in",
  );
const ruleOf = (r: Partial<FwRule>, extra: Parameters<typeof config>[0] = {}): string[] =>
  guestIn([{ type: "in", action: "DROP", ...r }], extra).slice(4, -1);

const scripts: string[] = [];

describe("switches and defaults", () => {
  test("datacenter firewall off (PVE's default): nothing at all", () => {
    const cfg = config({ cluster: { options: {} } });
    cfg.guests[0]!.scope.rules = [{ type: "in", action: "DROP" }];
    expect(nodeFirewallRuleset(cfg, place)).toBe("");
    cfg.cluster.options.enable = 0;
    expect(nodeFirewallRuleset(cfg, place)).toBe("");
  });

  test("guest enable off (the default), firewall=0 on the NIC, a stopped guest: no guest chain", () => {
    for (const cfg of [
      config({ guest: { options: {} } }),
      config({ guest: { options: { enable: 0 } } }),
      config({ nic: { firewall: false } }),
      config({ nic: { port: undefined } }),
    ]) {
      const s = nodeFirewallRuleset(cfg, place);
      expect(s).not.toContain("guest-101");
      expect(s).not.toContain("meta mark set");
    }
  });

  test("a guest on another node is not realised here", () => {
    const cfg = config({});
    cfg.guests[0]!.node = "n2";
    expect(nodeFirewallRuleset(cfg, place)).not.toContain("guest-101");
  });

  test("guest defaults: policy_in DROP, policy_out ACCEPT; replies pass; DHCP blocked", () => {
    const s = nodeFirewallRuleset(config({}), place);
    expect(chainOf(s, "guest-101-net0-in")).toEqual([
      "jump allow-icmp",
      "ct state established,related accept",
      "ct state invalid drop",
      "udp sport 67 udp dport 68 drop",
      "drop",
    ]);
    expect(chainOf(s, "guest-101-net0-out").at(-1)).toBe("accept");
    expect(chainOf(s, "guests-out-fwd")).toContain("meta mark 0xf001 goto guest-101-net0-out");
    expect(chainOf(s, "guests-in-fwd")).toContain(
      'oifname "agents" ip daddr 10.31.0.11 goto guest-101-net0-in',
    );
    expect(chainOf(s, "guests-in-output")).toContain(
      'oifname "agents" ip daddr 10.31.0.11 goto guest-101-net0-in',
    );
    expect(chainOf(s, "ports")).toContain('iifname "tbabcden0x0" meta mark set 0xf001');
  });

  test("guest policies and the dhcp option are honoured", () => {
    const s = nodeFirewallRuleset(
      config({
        guest: { options: { enable: 1, policy_in: "ACCEPT", policy_out: "REJECT", dhcp: 1 } },
      }),
      place,
    );
    expect(chainOf(s, "guest-101-net0-in").slice(3)).toEqual([
      "udp sport 67 udp dport 68 accept",
      "accept",
    ]);
    expect(chainOf(s, "guest-101-net0-out").at(-1)).toBe("goto do-reject");
    expect(() =>
      nodeFirewallRuleset(config({ guest: { options: { enable: 1, policy_in: "MAYBE" } } }), place),
    ).toThrow(/policy_in: unknown action 'MAYBE'/);
  });

  test("cluster defaults judge the node: policy_in DROP, policy_out ACCEPT, no forward chain", () => {
    const s = nodeFirewallRuleset(config({}), place);
    expect(chainOf(s, "cluster-in").at(-1)).toBe("drop");
    expect(chainOf(s, "cluster-out").at(-1)).toBe("accept");
    expect(chainOf(s, "node-input")).toContain('iifname { "agents", "other" } goto cluster-in');
    expect(chainOf(s, "node-output")).toContain('oifname { "agents", "other" } goto cluster-out');
    expect(chainOf(s, "cluster-fwd")).toEqual([]);
    const nft = nodeFirewallRuleset(config({}), { ...place, nftables: true });
    expect(chainOf(nft, "cluster-fwd").at(-1)).toBe("accept");
    expect(chainOf(nft, "node-forward").at(-1)).toBe("goto cluster-fwd");
  });

  test("a node whose own firewall is off keeps guest chains but judges nothing of the node", () => {
    const s = nodeFirewallRuleset(config({ nodes: { n1: { enable: 0 } } }), place);
    expect(s).toContain("chain guest-101-net0-in");
    expect(s).not.toContain("chain cluster-in");
    expect(chainOf(s, "node-input")).toEqual([
      "type filter hook input priority -1; policy accept;",
    ]);
  });

  test("a firewalled NIC without a static address is refused, not left open", () => {
    expect(() => nodeFirewallRuleset(config({ nic: { cidr: undefined } }), place)).toThrow(
      /guest 101 net0: firewall=1 needs a static address/,
    );
  });
});

describe("rule fields", () => {
  test("action: ACCEPT, DROP, REJECT (PVE's do-reject), anything else refused", () => {
    expect(ruleOf({ action: "ACCEPT" })).toEqual(["accept"]);
    expect(ruleOf({ action: "DROP" })).toEqual(["drop"]);
    expect(ruleOf({ action: "REJECT" })).toEqual(["goto do-reject"]);
    expect(() => ruleOf({ action: "LOG" })).toThrow(/unknown action 'LOG'/);
  });

  test("type: in rules in the IN chain, out rules in the OUT chain, unknown refused", () => {
    const s = nodeFirewallRuleset(
      config({ guest: { rules: [{ type: "out", action: "DROP", dest: "10.9.9.9" }] } }),
      place,
    );
    expect(chainOf(s, "guest-101-net0-in")).not.toContain("ip daddr 10.9.9.9 drop");
    expect(chainOf(s, "guest-101-net0-out")).toContain("ip daddr 10.9.9.9 drop");
    expect(() => ruleOf({ type: "sideways" })).toThrow(/unknown rule type 'sideways'/);
  });

  test("enable: 0 skips a rule, absent or 1 keeps it", () => {
    expect(ruleOf({ enable: 0 })).toEqual([]);
    expect(ruleOf({ enable: 1 })).toEqual(["drop"]);
    expect(ruleOf({})).toEqual(["drop"]);
  });

  test("source and dest: address, network, list, range, IPv6; bad ones refused", () => {
    expect(ruleOf({ source: "10.31.0.12" })).toEqual(["ip saddr 10.31.0.12 drop"]);
    expect(ruleOf({ dest: "10.31.0.0/24" })).toEqual(["ip daddr 10.31.0.0/24 drop"]);
    expect(ruleOf({ source: "10.1.0.1,10.2.0.0/16" })).toEqual([
      "ip saddr { 10.1.0.1, 10.2.0.0/16 } drop",
    ]);
    expect(ruleOf({ source: "10.1.0.1-10.1.0.9" })).toEqual(["ip saddr 10.1.0.1-10.1.0.9 drop"]);
    expect(ruleOf({ source: "fd00::1" })).toEqual(["ip6 saddr fd00::1 drop"]);
    expect(() => ruleOf({ source: "10.1.0.300" })).toThrow(/invalid IP address '10.1.0.300'/);
    expect(() => ruleOf({ source: "10.1.0.1,fd00::1" })).toThrow(/mixed ipv4\/ipv6/);
    expect(() => ruleOf({ source: "10.1.0.1-10.1.0.9,10.2.0.1" })).toThrow(/range in a list/);
    expect(() => ruleOf({ source: "10.1.0.1,,10.2.0.1" })).toThrow(/extraneous commas/);
    expect(() => ruleOf({ source: "10.1.0.1", dest: "fd00::1" })).toThrow(/different IP versions/);
  });

  test("proto, dport, sport, icmp-type: as pve-firewall checks them", () => {
    expect(ruleOf({ proto: "tcp", dport: "22" })).toEqual(["meta l4proto tcp tcp dport 22 drop"]);
    expect(ruleOf({ proto: "udp", sport: "53", dport: "1000:2000" })).toEqual([
      "meta l4proto udp udp sport 53 udp dport 1000-2000 drop",
    ]);
    expect(ruleOf({ proto: "tcp", dport: "22,80,8000:8080" })).toEqual([
      "meta l4proto tcp tcp dport { 22, 80, 8000-8080 } drop",
    ]);
    expect(ruleOf({ proto: "tcp", dport: "ssh" })).toEqual(["meta l4proto tcp tcp dport ssh drop"]);
    expect(ruleOf({ proto: "icmp", dport: "echo-request" })).toEqual([
      "meta l4proto icmp icmp type echo-request drop",
    ]);
    expect(ruleOf({ proto: "icmp", "icmp-type": "8" })).toEqual([
      "meta l4proto icmp icmp type 8 drop",
    ]);
    expect(ruleOf({ proto: "47" })).toEqual(["meta l4proto 47 drop"]);
    expect(() => ruleOf({ dport: "22" })).toThrow(/destination port '22', but no protocol/);
    expect(() => ruleOf({ sport: "22" })).toThrow(/source port '22', but no protocol/);
    expect(() => ruleOf({ proto: "gre", dport: "22" })).toThrow(/protocol gre does not have ports/);
    expect(() => ruleOf({ proto: "tcp", dport: "90:80" })).toThrow(/backwards range '90:80'/);
    expect(() => ruleOf({ proto: "tcp", dport: "70000" })).toThrow(/invalid port '70000'/);
    expect(() => ruleOf({ proto: "tcp", "icmp-type": "8" })).toThrow(/'icmp-type' can only be set/);
    expect(() => ruleOf({ proto: "icmp", dport: "host-unreachable" })).toThrow(
      /ICMP type 'host-unreachable' is not realised/,
    );
  });

  test("iface: a guest rule applies only on the NIC it names", () => {
    expect(ruleOf({ iface: "net0", source: "10.0.0.1" })).toEqual(["ip saddr 10.0.0.1 drop"]);
    expect(ruleOf({ iface: "net1", source: "10.0.0.1" })).toEqual([]);
  });

  test("macro: expanded per entry, the rule's fields filled in, conflicts and unknowns refused", () => {
    expect(ruleOf({ macro: "SSH", source: "10.0.0.1" })).toEqual([
      "ip saddr 10.0.0.1 meta l4proto tcp tcp dport 22 drop",
    ]);
    expect(ruleOf({ macro: "DNS" })).toEqual([
      "meta l4proto udp udp dport 53 drop",
      "meta l4proto tcp tcp dport 53 drop",
    ]);
    expect(ruleOf({ macro: "Ping", action: "ACCEPT" })).toEqual([
      "meta l4proto icmp icmp type echo-request accept",
    ]);
    expect(ruleOf({ macro: "ssh", proto: "tcp" })).toEqual(["meta l4proto tcp tcp dport 22 drop"]);
    expect(() => ruleOf({ macro: "SSH", dport: "2222" })).toThrow(
      /parameter 'dport' already define in macro/,
    );
    expect(() => ruleOf({ macro: "Teleport" })).toThrow(/unknown macro 'Teleport'/);
    expect(Object.keys(PVE_FW_MACROS).length).toBeGreaterThan(80);
  });

  test("comment and log change nothing the traffic sees", () => {
    expect(ruleOf({ comment: "x", log: "info" })).toEqual(["drop"]);
  });

  test("rules keep their pos order", () => {
    expect(
      guestIn([
        { pos: 1, type: "in", action: "DROP", source: "10.0.0.2" },
        { pos: 0, type: "in", action: "ACCEPT", source: "10.0.0.1" },
      ]).slice(4, -1),
    ).toEqual(["ip saddr 10.0.0.1 accept", "ip saddr 10.0.0.2 drop"]);
  });
});

describe("groups, ipsets, aliases", () => {
  test("type group jumps to the group's chain of that direction; its rules resolve in the datacenter", () => {
    const s = nodeFirewallRuleset(
      config({
        guest: { rules: [{ type: "group", action: "web", iface: "net0" }] },
        groups: {
          web: [
            { type: "in", action: "ACCEPT", proto: "tcp", dport: "80" },
            { type: "out", action: "DROP", dest: "10.0.0.9" },
          ],
        },
      }),
      place,
    );
    expect(chainOf(s, "guest-101-net0-in")).toContain("jump group-web-in");
    expect(chainOf(s, "guest-101-net0-out")).toContain("jump group-web-out");
    expect(chainOf(s, "group-web-in")).toEqual(["meta l4proto tcp tcp dport 80 accept"]);
    expect(chainOf(s, "group-web-out")).toEqual(["ip daddr 10.0.0.9 drop"]);
    expect(chainOf(s, "group-web-fwd")).toEqual([]);
  });

  test("a group referenced but gone is empty (pve-firewall warns and creates it empty)", () => {
    const s = nodeFirewallRuleset(
      config({ guest: { rules: [{ type: "group", action: "gone" }] } }),
      place,
    );
    expect(s).toContain("chain group-gone-in {");
  });

  test("ipsets: guest's before the datacenter's, +dc/ and +guest/ scopes, nomatch entries", () => {
    const cluster = {
      options: { enable: 1 },
      ipsets: { peers: [{ cidr: "10.0.0.0/8" }, { cidr: "10.9.0.0/16", nomatch: 1 }] },
    };
    const guest = { ipsets: { peers: [{ cidr: "10.31.0.12" }, { cidr: "fd00::/64" }] } };
    const s = nodeFirewallRuleset(
      config({
        cluster,
        guest: { ...guest, rules: [{ type: "in", action: "DROP", source: "+peers" }] },
      }),
      place,
    );
    expect(chainOf(s, "guest-101-net0-in")).toContain("ip saddr @guest101-peers-v4 drop");
    expect(chainOf(s, "guest-101-net0-in")).toContain("ip6 saddr @guest101-peers-v6 drop");
    expect(chainOf(s, "set guest101-peers-v4")).toContain("elements = { 10.31.0.12 }");
    expect(chainOf(s, "set guest101-peers-v6")).toContain("elements = { fd00::/64 }");
    expect(ruleOf({ source: "+dc/peers" }, { cluster })).toEqual([
      "ip saddr @dc-peers-v4 ip saddr != @dc-peers-v4-nomatch drop",
      "ip6 saddr @dc-peers-v6 ip6 saddr != @dc-peers-v6-nomatch drop",
    ]);
    expect(() => ruleOf({ source: "+guest/peers" }, { cluster })).toThrow(/no such ipset 'peers'/);
    expect(() => ruleOf({ source: "+nothere" })).toThrow(/no such ipset 'nothere'/);
  });

  test("aliases: guest's before the datacenter's, case-insensitive, dc/ and guest/ scopes; in ipsets too", () => {
    const cluster = { options: { enable: 1 }, aliases: { Peer: "10.0.0.1", only_dc: "10.0.0.2" } };
    const guest = { aliases: { peer: "10.31.0.12" } };
    expect(ruleOf({ source: "PEER" }, { cluster, guest })).toEqual(["ip saddr 10.31.0.12 drop"]);
    expect(ruleOf({ source: "dc/peer" }, { cluster, guest })).toEqual(["ip saddr 10.0.0.1 drop"]);
    expect(ruleOf({ source: "only_dc" }, { cluster, guest })).toEqual(["ip saddr 10.0.0.2 drop"]);
    expect(() => ruleOf({ source: "guest/only_dc" }, { cluster, guest })).toThrow(
      /no such alias 'guest\/only_dc'/,
    );
    const s = nodeFirewallRuleset(
      config({ cluster: { ...cluster, ipsets: { s: [{ cidr: "only_dc" }] } } }),
      place,
    );
    expect(chainOf(s, "set dc-s-v4")).toContain("elements = { 10.0.0.2 }");
  });

  test("cluster rules: in/out/forward chains, iface as the node's interface, groups", () => {
    const rules: FwRule[] = [
      { type: "in", action: "ACCEPT", macro: "Ping", iface: "agents" },
      { type: "out", action: "REJECT", proto: "tcp", dport: "25" },
      { type: "forward", action: "DROP", dest: "10.5.0.0/16" },
      { type: "group", action: "gr" },
    ];
    const cfg = config({ cluster: { options: { enable: 1 }, rules }, groups: { gr: [] } });
    const s = nodeFirewallRuleset(cfg, { ...place, nftables: true });
    expect(chainOf(s, "cluster-in")).toContain(
      'iifname "agents" meta l4proto icmp icmp type echo-request accept',
    );
    expect(chainOf(s, "cluster-in")).toContain("jump group-gr-in");
    expect(chainOf(s, "cluster-out")).toContain("meta l4proto tcp tcp dport 25 goto do-reject");
    expect(chainOf(s, "cluster-fwd")).toContain("ip daddr 10.5.0.0/16 drop");
    expect(chainOf(s, "cluster-fwd")).toContain("jump group-gr-fwd");
    scripts.push(s);
  });
});

// nft itself must accept what the translation writes (check mode, in a namespace of its own).
const root = process.getuid?.() === 0 && spawnSync("nft", ["--version"]).status === 0;
(root ? test : test.skip)("nft accepts every script above (check mode, scratch namespace)", () => {
  const cluster = {
    options: { enable: 1, policy_in: "REJECT" },
    rules: [{ type: "in", action: "ACCEPT", macro: "Ping", iface: "agents" }] as FwRule[],
    ipsets: { pp: [{ cidr: "10.0.0.0/8" }, { cidr: "10.9.0.0/16", nomatch: 1 }] },
    aliases: { al: "10.0.0.7" },
  };
  const guestRules: FwRule[] = [
    { type: "in", action: "REJECT", source: "+pp", proto: "tcp", dport: "22,80:90" },
    { type: "in", action: "DROP", source: "10.1.0.1-10.1.0.9", macro: "DNS" },
    { type: "out", action: "ACCEPT", dest: "al", proto: "icmp", dport: "echo-request" },
    { type: "group", action: "gr" },
  ];
  const groups = { gr: [{ type: "in", action: "DROP", source: "fd00::/8" }] as FwRule[] };
  const all = [
    ...scripts,
    nodeFirewallRuleset(config({ cluster, guest: { rules: guestRules }, groups }), {
      ...place,
      nftables: true,
    }),
  ];
  for (const s of all) {
    const r = spawnSync("unshare", ["-n", "nft", "-c", "-f", "-"], { input: s, encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  }
});

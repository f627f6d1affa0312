import { RealiseError } from "../../src/realise/types.js";
import {
  bgpdConf,
  nftRule,
  planNetwork,
  sdnNames,
  type RunningSdnConfig,
} from "../../src/realise/sdn/index.js";

const names = sdnNames("tbn");
const nodes = [
  { name: "pve1", underlay: "10.250.0.11" },
  { name: "pve2", underlay: "10.250.0.12/24" },
];
const sdn: RunningSdnConfig = {
  controllers: [{ controller: "ctl", type: "evpn", asn: 65000, peers: "10.250.0.11,10.250.0.12" }],
  zones: [
    { zone: "ev", type: "evpn", controller: "ctl", "vrf-vxlan": 10000, exitnodes: "pve2" },
    { zone: "vx", type: "vxlan", peers: "10.250.0.11,10.250.0.12", mtu: 1400, nodes: "pve1" },
  ],
  vnets: [
    { vnet: "a", zone: "ev", tag: 100 },
    { vnet: "b", zone: "vx", tag: 200 },
  ],
  subnets: [{ subnet: "ev-10.1.0.0-24", vnet: "a", gateway: "10.1.0.1" }],
};

test("per node: devices, flood peers, gateway on the exit node only, BGP", () => {
  const [n1, n2] = planNetwork(nodes, sdn, names);
  expect(n1!.netns).toBe("tbn-pve1");
  expect(n1!.underlay).toEqual({ address: "10.250.0.11", prefix: 24 });
  expect(
    n1!.vnets.map((v) => [v.bridge, v.vxlan, v.vni, v.mtu, v.addresses, v.floodPeers]),
  ).toEqual([
    ["a", "vxlan_a", 100, 1450, [], []],
    ["b", "vxlan_b", 200, 1400, [], ["10.250.0.12"]],
  ]);
  // Zone vx is limited to pve1; zone ev routes on its exit node pve2.
  expect(n2!.vnets.map((v) => [v.bridge, v.addresses])).toEqual([["a", ["10.1.0.1/24"]]]);
  expect(n1!.bgp).toEqual({
    asn: 65000,
    routerId: "10.250.0.11",
    neighbors: ["10.250.0.12"],
    localOnlyVnis: [200],
  });
  expect(n2!.bgp).toEqual({
    asn: 65000,
    routerId: "10.250.0.12",
    neighbors: ["10.250.0.11"],
    localOnlyVnis: [],
  });
  expect(n1!.vnets[0]!.mac).not.toBe(n2!.vnets[0]!.mac);
  expect(planNetwork(nodes, sdn, names)).toEqual([n1, n2]);
});

test("bgpd.conf: iBGP EVPN with advertise-all-vni, vxlan-zone VNIs filtered out", () => {
  const [n1] = planNetwork(nodes, sdn, names);
  const conf = bgpdConf("pve1", n1!.bgp!);
  expect(conf).toContain("router bgp 65000\n bgp router-id 10.250.0.11\n");
  expect(conf).toContain(" neighbor 10.250.0.12 peer-group VTEP\n");
  expect(conf).toContain(
    " address-family l2vpn evpn\n  neighbor VTEP activate\n  neighbor VTEP route-map EVPN-OUT out\n  advertise-all-vni\n",
  );
  expect(conf).toContain("bgp extcommunity-list standard TXBOX-LOCAL-VNI permit rt 65000:200\n");
});

test("nftables: default-deny between vnets, firewall rules translated", () => {
  const [, n2] = planNetwork(nodes, sdn, names);
  expect(n2!.nft).toContain('oifname "a" jump to_a');
  expect(n2!.nft).toContain(
    "  chain to_a {\n    ip saddr 10.1.0.0/24 ip daddr 10.1.0.0/24 accept\n    drop\n  }",
  );
  expect(
    [
      {
        type: "forward",
        action: "ACCEPT",
        source: "10.1.0.0/24",
        dest: "0.0.0.0/0",
        proto: "tcp",
        dport: "80,443",
      },
      { type: "forward", action: "REJECT", dest: "10.9.9.9", proto: "udp", dport: "5000:5010" },
      { type: "forward", action: "ACCEPT", proto: "icmp" },
      { type: "in", action: "ACCEPT" },
      { type: "forward", action: "ACCEPT", enable: 0 },
    ].map(nftRule),
  ).toEqual([
    "ip saddr 10.1.0.0/24 ip daddr 0.0.0.0/0 meta l4proto tcp th dport { 80, 443 } accept",
    "ip daddr 10.9.9.9 meta l4proto udp th dport 5000-5010 reject",
    "meta l4proto icmp accept",
    undefined,
    undefined,
  ]);
});

test("nftables: guests never reach the underlay; a node answers a vnet only with its gateway's echo", () => {
  const [n1, n2] = planNetwork(nodes, sdn, names);
  // Every vnet bridge, before any vnet firewall or conntrack shortcut can accept.
  const forward = n1!.nft.slice(n1!.nft.indexOf("chain forward"));
  expect(forward.indexOf('iifname "a" ip daddr 10.250.0.0/24 drop')).toBeLessThan(
    forward.indexOf("ct state established,related accept"),
  );
  expect(n1!.nft).toContain('iifname "b" ip saddr 10.250.0.0/24 drop');
  // pve2 routes vnet a (10.1.0.1): echo to that address only, then nothing from the bridge.
  expect(n2!.nft).toContain(
    '    iifname "a" ip daddr 10.1.0.1 icmp type echo-request accept\n' +
      '    iifname "a" icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept\n' +
      '    iifname "a" drop\n',
  );
  expect(n1!.nft).not.toContain("echo-request");
  expect(n1!.nft).toContain('    iifname "b" drop\n');
});

test("configs the testbed cannot realise are refused before any effect", () => {
  expect(() =>
    planNetwork(
      nodes,
      { ...sdn, subnets: [{ subnet: "ev-10.250.0.128-25", vnet: "a", gateway: "10.250.0.129" }] },
      names,
    ),
  ).toThrow("vnet a: subnet 10.250.0.128/25 overlaps the underlay 10.250.0.0/24");
  expect(() => planNetwork([{ name: "x", underlay: "10.250.0.1/40" }], sdn, names)).toThrow(
    'underlay address "10.250.0.1/40" has an invalid prefix',
  );
  expect(() =>
    planNetwork(nodes, { ...sdn, vnets: [{ vnet: "x", zone: "nope", tag: 1 }] }, names),
  ).toThrow(new RealiseError("vnet x: zone nope does not exist"));
  expect(() =>
    planNetwork(
      nodes,
      { ...sdn, vnets: [...sdn.vnets, { vnet: "c", zone: "ev", tag: 100 }] },
      names,
    ),
  ).toThrow("vxlan tag 100 already exist in vnet a");
  expect(() => sdnNames("Bad-Prefix")).toThrow(RealiseError);
});

test("nftables: vnet rules only where PVE applies them (datacenter firewall on, nftables mode)", () => {
  const judged = (fw: RunningSdnConfig["firewall"]) =>
    planNetwork(nodes, { ...sdn, firewall: fw }, names).map((n) => n.nft.includes("jump to_a"));
  expect(judged(undefined)).toEqual([true, true]);
  expect(judged({ enable: false, nftablesNodes: ["pve1", "pve2"] })).toEqual([false, false]);
  expect(judged({ enable: true, nftablesNodes: ["pve2"] })).toEqual([false, true]);
  // The underlay guard is the testbed's own safety: it stays whatever the switches say.
  const off = planNetwork(nodes, { ...sdn, firewall: { enable: false, nftablesNodes: [] } }, names);
  expect(off[1]!.nft).toContain('iifname "a" ip daddr 10.250.0.0/24 drop');
});

test("nftables: a frame bridged within a vnet towards another network is left to the routing node", () => {
  const [n1] = planNetwork(nodes, sdn, names);
  expect(n1!.nft).toContain('iifname "a" oifname "a" ip saddr != { 10.1.0.0/24 } accept');
  expect(n1!.nft).toContain('iifname "a" oifname "a" ip daddr != { 10.1.0.0/24 } accept');
  // Traffic between two guests of the vnet is still judged by its rules.
  expect(n1!.nft.indexOf('oifname "a" ip daddr')).toBeLessThan(n1!.nft.indexOf("jump to_a"));
});

import { createHash } from "node:crypto";

import { RealiseError } from "../types.js";
import type {
  RunningSdnConfig,
  SdnFirewallRule,
  SdnNode,
  SdnVnetFirewall,
  SdnZoneConfig,
} from "./types.js";

/**
 * The pure half of the SDN realisation: from the running SDN config and the node list, compute
 * what every node namespace must contain (bridges, VXLAN devices, addresses, flood lists, BGP,
 * nftables). The effectful half (realiser.ts) only makes the namespaces match this.
 */

export interface VnetDevices {
  vnet: string;
  zone: string;
  zoneType: "vxlan" | "evpn";
  vni: number;
  /** The vnet's Linux bridge, named like the vnet (as PVE does). */
  bridge: string;
  /** `vxlan_<vnet>` (as PVE does). */
  vxlan: string;
  dstport: number;
  mtu: number;
  /** Stable across applies (so re-applying changes nothing), distinct per node. */
  mac: string;
  /** Gateway addresses (`10.0.0.1/24`) on the bridge; only on the zone's gateway node. */
  addresses: string[];
  /** vxlan zones: remote VTEPs to flood BUM traffic to. evpn zones: learnt by FRR instead. */
  floodPeers: string[];
}

export interface BgpConfig {
  asn: number;
  routerId: string;
  neighbors: string[];
  /** VNIs of vxlan zones on this node: zebra sees them too, but they must not be advertised. */
  localOnlyVnis: number[];
}

export interface NodeNetwork {
  node: string;
  netns: string;
  underlay: { address: string; prefix: number };
  vnets: VnetDevices[];
  /** Present when the node is in at least one evpn zone. */
  bgp: BgpConfig | undefined;
  /** The node's nftables ruleset (applied atomically). */
  nft: string;
}

/** Names of the namespaces and links one SdnRealiser owns. */
export interface SdnNames {
  prefix: string;
  nodeNetns(node: string): string;
  underlayNetns: string;
  /** Prefix of network-only guest namespaces (netguest.ts). */
  guestNetnsPrefix: string;
  /** Underlay-side end of a node's veth (in the underlay namespace); at most 15 characters. */
  underlayPort(index: number): string;
}

export function sdnNames(prefix: string): SdnNames {
  if (!/^[a-z][a-z0-9]{0,7}$/.test(prefix))
    throw new RealiseError(`SDN namespace prefix "${prefix}" must be 1-8 lowercase letters/digits`);
  return {
    prefix,
    nodeNetns: (node) => `${prefix}-${node}`,
    underlayNetns: `${prefix}-underlay`,
    guestNetnsPrefix: `${prefix}g-`,
    underlayPort: (index) => `u${prefix}${index}`.slice(0, 15),
  };
}

function list(text: string | undefined): string[] {
  return (text ?? "")
    .split(/[,;\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function splitAddress(text: string): { address: string; prefix: number } {
  const [address, prefix] = text.split("/");
  if (!address || !/^\d{1,3}(\.\d{1,3}){3}$/.test(address))
    throw new RealiseError(`underlay address "${text}" is not an IPv4 address`);
  const bits = prefix === undefined ? 24 : Number(prefix);
  if (!Number.isInteger(bits) || bits < 1 || bits > 32)
    throw new RealiseError(`underlay address "${text}" has an invalid prefix`);
  return { address, prefix: bits };
}

function cidrOf(subnetId: string, cidr: string | undefined): string {
  if (cidr) return cidr;
  const m = /-(\d{1,3}(?:\.\d{1,3}){3})-(\d{1,2})$/.exec(subnetId);
  if (!m) throw new RealiseError(`subnet id "${subnetId}" does not end in <network>-<prefix>`);
  return `${m[1]}/${m[2]}`;
}

function macFor(node: string, zone: string, vnet: string): string {
  const h = createHash("sha256").update(`${node}/${zone}/${vnet}`).digest();
  // Locally administered, unicast.
  return ["02", ...[...h.subarray(0, 5)].map((b) => b.toString(16).padStart(2, "0"))].join(":");
}

/**
 * The node that routes a zone: its first exit node that is a testbed node, else the first node the
 * zone is on. Routing each zone on one node (instead of PVE's anycast gateway on every node, which
 * needs VRFs this kernel lacks) keeps both directions of a routed flow on one node, so the
 * stateful firewall sees them.
 */
function gatewayNode(zone: SdnZoneConfig, nodes: SdnNode[]): string | undefined {
  const names = nodes.map((n) => n.name);
  const exit = list(zone.exitnodes).find((n) => names.includes(n));
  return exit ?? names.find((n) => zoneOnNode(zone, n));
}

function zoneOnNode(zone: SdnZoneConfig, node: string): boolean {
  const nodes = list(zone.nodes);
  return nodes.length === 0 || nodes.includes(node);
}

const NFT_ACTION: Record<string, string> = { ACCEPT: "accept", DROP: "drop", REJECT: "reject" };

function nftPorts(spec: string): string {
  const items = spec.split(",").map((p) => p.replace(":", "-"));
  return items.length === 1 ? items[0]! : `{ ${items.join(", ")} }`;
}

/** One PVE firewall rule as an nftables rule, or undefined for rules the testbed does not realise. */
export function nftRule(rule: SdnFirewallRule): string | undefined {
  if (rule.type !== "forward" || rule.enable === 0) return undefined;
  const action = NFT_ACTION[rule.action];
  if (action === undefined) return undefined;
  const m: string[] = [];
  if (rule.source) m.push(`ip saddr ${rule.source}`);
  if (rule.dest) m.push(`ip daddr ${rule.dest}`);
  if (rule.proto) m.push(`meta l4proto ${rule.proto}`);
  if (rule.dport) {
    if (rule.proto !== "tcp" && rule.proto !== "udp") return undefined;
    m.push(`th dport ${nftPorts(rule.dport)}`);
  }
  return [...m, action].join(" ");
}

/** An IPv4 address as a number (the caller has checked its form). */
function ipv4Number(address: string): number {
  return address.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
}

function ipv4Text(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/** The network `a.b.c.d/p` an address belongs to, as `[first, size]`. */
function ipv4Range(address: string, prefix: number): [number, number] {
  const size = 2 ** (32 - prefix);
  const n = ipv4Number(address);
  return [n - (n % size), size];
}

/** `10.250.0.11/24` → `10.250.0.0/24`. */
function networkCidr(address: string, prefix: number): string {
  return `${ipv4Text(ipv4Range(address, prefix)[0])}/${prefix}`;
}

/** Whether two IPv4 CIDRs share an address (false for anything that is not IPv4). */
function cidrsOverlap(a: string, b: string): boolean {
  const parse = (c: string): [number, number] | undefined => {
    const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(c);
    return m ? ipv4Range(m[1]!, Number(m[2])) : undefined;
  };
  const x = parse(a);
  const y = parse(b);
  return x !== undefined && y !== undefined && x[0] < y[0] + y[1] && y[0] < x[0] + x[1];
}

/**
 * The nftables ruleset of one node. Routed traffic is what crosses vnets: a packet entering vnet X
 * is judged by X's rules, a packet leaving the vnets from X by X's rules; the policy of a vnet
 * without a firewall is DROP (default-deny between vnets). Replies to accepted flows pass.
 *
 * Whatever the vnet firewalls say, guests never reach the underlay (`underlay`: its networks):
 * nothing from a vnet bridge is forwarded to or from an underlay address, and the node itself
 * accepts from a vnet bridge only ICMP echo to that vnet's own gateway addresses (and IPv6
 * neighbour discovery), so the VXLAN port, bgpd and anything else listening on the node stay out
 * of a guest's reach. Both are stateless (the node opens nothing towards guests), so no flow
 * from before the rules can outlive them.
 *
 * `enforce` false is a node where PVE would not apply vnet rules (datacenter firewall off, or not
 * in nftables mode): routed traffic between vnets passes; the underlay guard stays (testbed safety).
 */
export function nftRuleset(
  vnets: VnetDevices[],
  subnets: Map<string, string[]>,
  firewalls: Record<string, SdnVnetFirewall>,
  underlay: string[],
  enforce = true,
): string {
  const lines = [
    "table inet txbox_sdn {",
    "  chain input {",
    "    type filter hook input priority 0; policy accept;",
  ];
  for (const v of vnets) {
    for (const a of v.addresses) {
      const gw = a.split("/")[0] ?? a;
      lines.push(
        gw.includes(":")
          ? `    iifname "${v.bridge}" ip6 daddr ${gw} icmpv6 type echo-request accept`
          : `    iifname "${v.bridge}" ip daddr ${gw} icmp type echo-request accept`,
      );
    }
    lines.push(
      `    iifname "${v.bridge}" icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept`,
      `    iifname "${v.bridge}" drop`,
    );
  }
  lines.push(
    "  }",
    "  chain forward {",
    "    type filter hook forward priority 0; policy accept;",
    // Before the conntrack shortcut: not even a reply may pass between a guest and the underlay.
    ...vnets.flatMap((v) =>
      underlay.flatMap((net) => [
        `    iifname "${v.bridge}" ip daddr ${net} drop`,
        `    iifname "${v.bridge}" ip saddr ${net} drop`,
      ]),
    ),
    "    ct state established,related accept",
    "    ct state invalid drop",
  );
  if (!enforce) {
    lines.push("  }", "}");
    return `${lines.join("\n")}\n`;
  }
  // Bridged within one vnet (br_netfilter shows it here with the vnet bridge as both ends) but
  // to or from another network: a frame in transit to or from the zone's gateway node, where
  // the routed hop is judged; judging it here by the vnet's own rules would drop allowed flows.
  for (const v of vnets) {
    const own = (subnets.get(v.vnet) ?? []).filter((c) => !c.includes(":"));
    if (own.length === 0) continue;
    const set = `{ ${own.join(", ")} }`;
    for (const dir of ["saddr", "daddr"])
      lines.push(`    iifname "${v.bridge}" oifname "${v.bridge}" ip ${dir} != ${set} accept`);
  }
  const chains: string[] = [];
  // Every to_ jump before any from_ jump: traffic into a vnet is judged by that vnet's rules.
  for (const v of vnets) lines.push(`    oifname "${v.bridge}" jump to_${v.vnet}`);
  for (const v of vnets) lines.push(`    iifname "${v.bridge}" jump from_${v.vnet}`);
  for (const v of vnets) {
    const fw = firewalls[v.vnet];
    const own = subnets.get(v.vnet) ?? [];
    const enabled = fw !== undefined && fw.options.enable !== 0 && fw.options.enable !== false;
    const rules = enabled
      ? [...fw.rules].sort((a, b) => (a.pos ?? 0) - (b.pos ?? 0)).flatMap((r) => nftRule(r) ?? [])
      : own.map((s) => `ip saddr ${s} ip daddr ${s} accept`);
    const policy = enabled ? (fw.options.policy_forward === "ACCEPT" ? "accept" : "drop") : "drop";
    // Into X: X's rules decide (every to_ chain ends in a verdict, so from_ chains only see
    // traffic leaving the vnets). Out of X to a non-vnet interface: X's rules decide too.
    for (const chain of [`to_${v.vnet}`, `from_${v.vnet}`])
      chains.push(`  chain ${chain} {`, ...rules.map((r) => `    ${r}`), `    ${policy}`, "  }");
  }
  lines.push("  }", ...chains, "}");
  return `${lines.join("\n")}\n`;
}

/** Whether PVE would apply vnet `forward` rules on `node`: datacenter firewall on, nftables mode. */
export function firewallEnforced(sdn: RunningSdnConfig, node: string): boolean {
  const fw = sdn.firewall;
  return fw === undefined || (fw.enable && fw.nftablesNodes.includes(node));
}

type SubnetsByVnet = Map<string, { cidr: string; gateway: string | undefined }[]>;

/** The subnets of each vnet, and the checks PVE makes before anything is realised. */
function checkedSubnets(nodes: SdnNode[], sdn: RunningSdnConfig) {
  const subnetsByVnet: SubnetsByVnet = new Map();
  for (const s of sdn.subnets) {
    const arr = subnetsByVnet.get(s.vnet) ?? [];
    arr.push({ cidr: cidrOf(s.subnet, s.cidr), gateway: s.gateway });
    subnetsByVnet.set(s.vnet, arr);
  }
  const seenVni = new Map<number, string>();
  for (const v of sdn.vnets) {
    const prev = seenVni.get(v.tag);
    if (prev !== undefined)
      throw new RealiseError(`vxlan tag ${v.tag} already exist in vnet ${prev}`);
    seenVni.set(v.tag, v.vnet);
  }
  const underlayNets = [
    ...new Set(
      nodes.map((n) => splitAddress(n.underlay)).map((u) => networkCidr(u.address, u.prefix)),
    ),
  ];
  // A vnet inside the underlay could not be kept apart from it (and would not route).
  for (const [vnet, arr] of subnetsByVnet)
    for (const { cidr } of arr)
      for (const net of underlayNets)
        if (cidrsOverlap(cidr, net))
          throw new RealiseError(`vnet ${vnet}: subnet ${cidr} overlaps the underlay ${net}`);
  return { subnetsByVnet, underlayNets };
}

/** The devices of one vnet on `node`, or undefined when its zone does not span the node. */
function vnetOnNode(
  v: RunningSdnConfig["vnets"][number],
  node: SdnNode,
  nodes: SdnNode[],
  zones: Map<string, RunningSdnConfig["zones"][number]>,
  subnetsByVnet: SubnetsByVnet,
): VnetDevices | undefined {
  const zone = zones.get(v.zone);
  if (zone === undefined) throw new RealiseError(`vnet ${v.vnet}: zone ${v.zone} does not exist`);
  if (zone.type !== "vxlan" && zone.type !== "evpn")
    throw new RealiseError(`zone ${zone.zone}: type ${zone.type} is not realised by the testbed`);
  if (!zoneOnNode(zone, node.name)) return undefined;
  const underlay = splitAddress(node.underlay);
  const subnets = subnetsByVnet.get(v.vnet) ?? [];
  return {
    vnet: v.vnet,
    zone: zone.zone,
    zoneType: zone.type,
    vni: v.tag,
    bridge: v.vnet,
    vxlan: `vxlan_${v.vnet}`,
    dstport: zone["vxlan-port"] ?? 4789,
    // PVE's default: the underlay's 1500 minus the 50 bytes of VXLAN encapsulation.
    mtu: zone.mtu ?? 1450,
    mac: macFor(node.name, zone.zone, v.vnet),
    addresses:
      gatewayNode(zone, nodes) === node.name
        ? subnets.flatMap((s) => (s.gateway ? [`${s.gateway}/${s.cidr.split("/")[1]}`] : []))
        : [],
    floodPeers: zone.type === "vxlan" ? list(zone.peers).filter((p) => p !== underlay.address) : [],
  };
}

/** The BGP session of an EVPN zone's node, from the zone's controller. */
function evpnBgp(
  zone: RunningSdnConfig["zones"][number],
  node: SdnNode,
  controllers: Map<string, RunningSdnConfig["controllers"][number]>,
): BgpConfig {
  const underlay = splitAddress(node.underlay);
  const c = zone.controller === undefined ? undefined : controllers.get(zone.controller);
  if (c === undefined || c.type !== "evpn" || c.asn === undefined)
    throw new RealiseError(
      `zone ${zone.zone}: evpn controller ${zone.controller ?? "(none)"} does not exist`,
    );
  return {
    asn: c.asn,
    routerId: underlay.address,
    neighbors: list(c.peers).filter((p) => p !== underlay.address),
    localOnlyVnis: [],
  };
}

/** Compute every node's network. Pure; throws RealiseError for a config that cannot be realised. */
export function planNetwork(
  nodes: SdnNode[],
  sdn: RunningSdnConfig,
  names: SdnNames,
): NodeNetwork[] {
  const zones = new Map(sdn.zones.map((z) => [z.zone, z]));
  const controllers = new Map(sdn.controllers.map((c) => [c.controller, c]));
  const { subnetsByVnet, underlayNets } = checkedSubnets(nodes, sdn);
  const subnetCidrs = new Map(
    [...subnetsByVnet].map(([vnet, arr]) => [vnet, arr.map((s) => s.cidr)] as const),
  );
  return nodes.map((node) => {
    const vnets: VnetDevices[] = [];
    let bgp: BgpConfig | undefined;
    for (const v of sdn.vnets) {
      const devices = vnetOnNode(v, node, nodes, zones, subnetsByVnet);
      if (devices === undefined) continue;
      vnets.push(devices);
      if (devices.zoneType === "evpn") bgp = evpnBgp(zones.get(v.zone)!, node, controllers);
    }
    if (bgp) bgp.localOnlyVnis = vnets.filter((v) => v.zoneType === "vxlan").map((v) => v.vni);
    return {
      node: node.name,
      netns: names.nodeNetns(node.name),
      underlay: splitAddress(node.underlay),
      vnets,
      bgp,
      nft: nftRuleset(
        vnets,
        subnetCidrs,
        sdn.vnetFirewalls ?? {},
        underlayNets,
        firewallEnforced(sdn, node.name),
      ),
    };
  });
}

/** FRR's bgpd.conf for one node: iBGP to every other VTEP, EVPN with all local VNIs advertised. */
export function bgpdConf(node: string, bgp: BgpConfig): string {
  const filter = bgp.localOnlyVnis.length > 0;
  return [
    "! generated by the txbox testbed; see infra/frr/frr.conf.tmpl for real nodes",
    `hostname ${node}`,
    `router bgp ${bgp.asn}`,
    ` bgp router-id ${bgp.routerId}`,
    " no bgp default ipv4-unicast",
    " no bgp ebgp-requires-policy",
    " coalesce-time 1000",
    " neighbor VTEP peer-group",
    ` neighbor VTEP remote-as ${bgp.asn}`,
    " neighbor VTEP timers 3 9",
    " neighbor VTEP timers connect 2",
    ...bgp.neighbors.map((n) => ` neighbor ${n} peer-group VTEP`),
    " !",
    " address-family l2vpn evpn",
    "  neighbor VTEP activate",
    ...(filter ? ["  neighbor VTEP route-map EVPN-OUT out"] : []),
    "  advertise-all-vni",
    " exit-address-family",
    "exit",
    ...(filter
      ? [
          "!",
          // vxlan zones flood statically; keep their VNIs (auto route target ASN:VNI) out of EVPN.
          ...bgp.localOnlyVnis.map(
            (vni) => `bgp extcommunity-list standard TXBOX-LOCAL-VNI permit rt ${bgp.asn}:${vni}`,
          ),
          "route-map EVPN-OUT deny 10",
          " match extcommunity TXBOX-LOCAL-VNI",
          "exit",
          "route-map EVPN-OUT permit 1000",
          "exit",
        ]
      : []),
    "",
  ].join("\n");
}

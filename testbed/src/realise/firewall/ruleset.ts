import {
  FirewallError,
  ipsetSetName,
  resolveEntry,
  ruleEnabled,
  ruleLines,
  verdict,
  type AddressScope,
} from "./rules.js";
import type { FirewallConfig, FwGuest, FwGuestNic, FwRule, FwScope } from "./types.js";

/**
 * The guest and cluster firewall of one testbed node as one nftables script (pure). The layout
 * follows proxmox-firewall (resources/proxmox-firewall.nft, src/firewall.rs) with PVE's defaults
 * from pve-firewall (src/PVE/Firewall.pm):
 *
 * - Nothing at all while the datacenter firewall (`/cluster/firewall/options` `enable`, default
 *   0) is off (`full_host_fw`: "firewall is disabled - doing nothing!").
 * - A guest's rules only when its `enable` option is on (default 0), and only on its NICs with
 *   `firewall=1` (`has_firewall`); one chain per NIC and direction, as pve-firewall's tap chains,
 *   so a rule's `iface` picks its NIC (`next if $rule->{iface} ne $netid`). IN is traffic to the
 *   guest, OUT traffic from it. Defaults: `policy_in` DROP, `policy_out` ACCEPT
 *   (`generate_tap_rules_direction`). Replies of accepted flows pass (`pre-vm-in`/`pre-vm-out`).
 * - Cluster `[RULES]` judge the node itself (`enable_host_firewall`): IN traffic to the node, OUT
 *   traffic from it, with `policy_in` DROP and `policy_out` ACCEPT by default, unless the node's
 *   own `enable` option (default 1) is off; `forward` rules and `policy_forward` (default ACCEPT)
 *   only in nftables mode, as only proxmox-firewall has them. In the testbed the node is its SDN
 *   namespace as guests see it: traffic between the node and its vnet bridges. The underlay
 *   (VXLAN, BGP) and the management side (the API and SSH, which are the host's) are not judged.
 *
 * Where the testbed differs in mechanism: a NIC's outgoing traffic is recognised by the bridge
 * port it enters on (a packet mark set in a bridge-family table; the port cannot be forged),
 * its incoming traffic by the NIC's address on its bridge (the kernel has no bridge conntrack,
 * so the stateful judgement happens in the inet family, which br_netfilter feeds with bridged
 * traffic too).
 */

export const FW_TABLE = "txbox_fw";
export const FW_MARK_TABLE = "txbox_fwmark";

/** The node as the realiser knows it. */
export interface NodeFirewallPlace {
  node: string;
  /** The node's vnet bridges: the side of the node its guests reach. */
  bridges: string[];
  /** The node's firewall runs in nftables mode (`nftables=1`). */
  nftables: boolean;
}

const on = (v: unknown): boolean => v === 1 || v === true || v === "1";

const POLICY_DEFAULTS = { policy_in: "DROP", policy_out: "ACCEPT", policy_forward: "ACCEPT" };

function policy(options: Record<string, unknown>, key: keyof typeof POLICY_DEFAULTS, what: string) {
  const p = options[key];
  return verdict(typeof p === "string" && p !== "" ? p : POLICY_DEFAULTS[key], `${what} ${key}`);
}

// PVE's helper chains (proxmox-firewall.nft), in the inet family.
const HELPERS = [
  "  chain do-reject {",
  "    meta pkttype broadcast drop",
  "    ip saddr 224.0.0.0/4 drop",
  "    meta l4proto tcp reject with tcp reset",
  "    meta l4proto { icmp, ipv6-icmp } reject with icmpx type port-unreachable",
  "    reject with icmp type host-prohibited",
  "    reject with icmpv6 type admin-prohibited",
  "    drop",
  "  }",
  "  chain allow-icmp {",
  "    icmp type { destination-unreachable, source-quench, time-exceeded } accept",
  "    icmpv6 type { destination-unreachable, packet-too-big, time-exceeded, parameter-problem } accept",
  "  }",
];

const CT = ["ct state established,related accept", "ct state invalid drop"];

/** The nft `set` declarations of one scope's ipsets. */
function ipsetLines(owner: "dc" | number, scope: FwScope, at: AddressScope): string[] {
  const out: string[] = [];
  for (const [name, entries] of Object.entries(scope.ipsets)) {
    const what = `ipset ${owner === "dc" ? "" : `${owner}/`}${name}`;
    const resolved = entries.map((e) => ({
      nomatch: on(e.nomatch),
      at: resolveEntry(e.cidr, at, what),
    }));
    for (const fam of [4, 6] as const)
      for (const nomatch of [false, true]) {
        const els = resolved.filter((e) => e.nomatch === nomatch && e.at[0] === fam);
        if (nomatch && !resolved.some((e) => e.nomatch)) continue;
        out.push(
          `  set ${ipsetSetName(owner, name, fam, nomatch)} {`,
          `    type ipv${fam}_addr; flags interval; auto-merge;`,
          ...(els.length > 0 ? [`    elements = { ${els.map((e) => e.at[1]).join(", ")} }`] : []),
          "  }",
        );
      }
  }
  return out;
}

type Dir = "in" | "out" | "forward";
const SUFFIX: Record<Dir, string> = { in: "in", out: "out", forward: "fwd" };

/** Rules of one chain: `dir` rules and group jumps, in order. */
function chainRules(
  rules: FwRule[],
  dir: Dir,
  at: AddressScope,
  what: string,
  iface: (r: FwRule) => string | undefined | false,
): string[] {
  const out: string[] = [];
  for (const [i, r] of [...rules].sort((a, b) => (a.pos ?? 0) - (b.pos ?? 0)).entries()) {
    if (!ruleEnabled(r)) continue;
    const m = iface(r);
    if (m === false) continue;
    const label = `${what} rule ${r.pos ?? i}`;
    if (r.type === "group") {
      out.push([m, `jump group-${r.action}-${SUFFIX[dir]}`].filter(Boolean).join(" "));
    } else if (r.type === dir) {
      out.push(...ruleLines(r, at, label, m === undefined ? undefined : m));
    } else if (!["in", "out", "forward"].includes(r.type)) {
      throw new FirewallError(`${label}: unknown rule type '${r.type}'`);
    }
  }
  return out;
}

function chain(name: string, body: string[]): string[] {
  return [`  chain ${name} {`, ...body.map((l) => `    ${l}`), "  }"];
}

/**
 * Security groups: one chain per direction (their addresses resolve in the datacenter). A group
 * referenced but gone gets empty chains, as pve-firewall's `generate_group_rules` ("no such
 * security group") does.
 */
function groupChains(cfg: FirewallConfig): string[] {
  const at: AddressScope = { cluster: cfg.cluster };
  const out: string[] = [];
  const referenced = [cfg.cluster.rules, ...cfg.guests.map((g) => g.scope.rules)]
    .flat()
    .filter((r) => r.type === "group")
    .map((r) => r.action);
  const groups: Record<string, FwRule[]> = { ...cfg.groups };
  for (const name of referenced) {
    if (!/^[A-Za-z][A-Za-z0-9_-]+$/.test(name))
      throw new FirewallError(`invalid security group name '${name}'`);
    groups[name] ??= [];
  }
  for (const [name, rules] of Object.entries(groups)) {
    for (const r of rules) {
      if (r.type === "group")
        throw new FirewallError(`group ${name}: a group cannot contain a group`);
      if (r.iface)
        throw new FirewallError(`group ${name}: rules of a security group take no 'iface'`);
    }
    for (const dir of ["in", "out", "forward"] as const)
      out.push(
        ...chain(
          `group-${name}-${SUFFIX[dir]}`,
          chainRules(rules, dir, at, `group ${name}`, () => undefined),
        ),
      );
  }
  return out;
}

interface GuestNicPlace {
  guest: FwGuest;
  nic: FwGuestNic & { port: string };
  mark: string;
  address: string;
}

/** The firewalled NICs of enabled guests running on this node, each with its packet mark. */
function guestNics(cfg: FirewallConfig, node: string): GuestNicPlace[] {
  const out: GuestNicPlace[] = [];
  for (const guest of cfg.guests) {
    if (guest.node !== node || !on(guest.scope.options.enable)) continue;
    for (const nic of guest.nics) {
      if (!nic.firewall || nic.port === undefined) continue;
      const address = nic.cidr?.split("/")[0];
      if (address === undefined || address === "")
        throw new FirewallError(
          `guest ${guest.vmid} ${nic.netid}: firewall=1 needs a static address (ip=…) in the testbed, which recognises a NIC's incoming traffic by its address`,
        );
      const mark = `0x${(0xf000 + out.length + 1).toString(16)}`;
      out.push({ guest, nic: { ...nic, port: nic.port }, mark, address });
    }
  }
  return out;
}

/** A NIC's in and out chains (pve-firewall's tap chains). */
function guestChains(p: GuestNicPlace, cluster: FwScope): string[] {
  const { guest, nic } = p;
  const at: AddressScope = { cluster, guest: { vmid: guest.vmid, scope: guest.scope } };
  const what = `guest ${guest.vmid}`;
  const opts = guest.scope.options;
  const pick = (r: FwRule): undefined | false =>
    r.iface && r.iface !== nic.netid ? false : undefined;
  const dhcp = on(opts.dhcp) ? "accept" : "drop";
  const name = `guest-${guest.vmid}-${nic.netid}`;
  return [
    ...chain(`${name}-in`, [
      "jump allow-icmp",
      ...CT,
      `udp sport 67 udp dport 68 ${dhcp}`,
      ...chainRules(guest.scope.rules, "in", at, what, pick),
      policy(opts, "policy_in", what),
    ]),
    ...chain(`${name}-out`, [
      "jump allow-icmp",
      ...CT,
      `udp sport 68 udp dport 67 ${dhcp}`,
      ...chainRules(guest.scope.rules, "out", at, what, pick),
      policy(opts, "policy_out", what),
    ]),
  ];
}

/** The cluster's chains judging the node itself. */
function clusterChains(cfg: FirewallConfig, place: NodeFirewallPlace): string[] {
  const at: AddressScope = { cluster: cfg.cluster };
  const opts = cfg.cluster.options;
  const iface = (dir: "iifname" | "oifname") => (r: FwRule) =>
    r.iface ? `${dir} "${r.iface}"` : undefined;
  return [
    ...chain("cluster-in", [
      "jump allow-icmp",
      ...CT,
      ...chainRules(cfg.cluster.rules, "in", at, "cluster", iface("iifname")),
      policy(opts, "policy_in", "cluster"),
    ]),
    ...chain("cluster-out", [
      ...CT,
      ...chainRules(cfg.cluster.rules, "out", at, "cluster", iface("oifname")),
      policy(opts, "policy_out", "cluster"),
    ]),
    ...(place.nftables
      ? chain("cluster-fwd", [
          ...CT,
          ...chainRules(cfg.cluster.rules, "forward", at, "cluster", iface("iifname")),
          policy(opts, "policy_forward", "cluster"),
        ])
      : []),
  ];
}

function base(name: string, hook: string, priority: number, body: string[]): string[] {
  return chain(name, [`type filter hook ${hook} priority ${priority}; policy accept;`, ...body]);
}

/** The hooks: which traffic each chain judges. */
function baseChains(nics: GuestNicPlace[], place: NodeFirewallPlace, host: boolean): string[] {
  const fromGuest = nics.map(
    (n) => `meta mark ${n.mark} goto guest-${n.guest.vmid}-${n.nic.netid}-out`,
  );
  const toGuest = nics.map(
    (n) =>
      `oifname "${n.nic.bridge}" ip daddr ${n.address} goto guest-${n.guest.vmid}-${n.nic.netid}-in`,
  );
  const bridges =
    place.bridges.length === 0 ? undefined : `{ ${place.bridges.map((b) => `"${b}"`).join(", ")} }`;
  const nodeSide = host && bridges !== undefined;
  return [
    // A guest's OUT before the destination's IN, as PVE's vm-out (prerouting) before vm-in.
    ...base("guests-out-fwd", "forward", -2, fromGuest),
    ...base("guests-in-fwd", "forward", -1, toGuest),
    ...base("guests-out-input", "input", -2, fromGuest),
    ...base("node-input", "input", -1, nodeSide ? [`iifname ${bridges} goto cluster-in`] : []),
    ...base("node-output", "output", -2, nodeSide ? [`oifname ${bridges} goto cluster-out`] : []),
    ...base("guests-in-output", "output", -1, toGuest),
    ...(host && place.nftables
      ? base("node-forward", "forward", 1, [
          // Routed traffic only: a bridged frame never crosses the node's own stack on PVE.
          ...place.bridges.map((b) => `iifname "${b}" oifname "${b}" accept`),
          "goto cluster-fwd",
        ])
      : []),
  ];
}

/**
 * The node's firewall script (both tables), or "" when nothing applies there (datacenter
 * firewall off). Throws FirewallError naming the rule, option or ipset it cannot realise.
 */
export function nodeFirewallRuleset(cfg: FirewallConfig, place: NodeFirewallPlace): string {
  if (!on(cfg.cluster.options.enable)) return "";
  const nodeOpts = cfg.nodes[place.node] ?? {};
  const host = nodeOpts.enable === undefined || on(nodeOpts.enable);
  const nics = guestNics(cfg, place.node);
  const dcAt: AddressScope = { cluster: cfg.cluster };
  const guestSets = [...new Set(nics.map((n) => n.guest))].flatMap((g) =>
    ipsetLines(g.vmid, g.scope, { cluster: cfg.cluster, guest: { vmid: g.vmid, scope: g.scope } }),
  );
  const inet = [
    `table inet ${FW_TABLE} {`,
    ...ipsetLines("dc", cfg.cluster, dcAt),
    ...guestSets,
    ...HELPERS,
    ...groupChains(cfg),
    ...nics.flatMap((n) => guestChains(n, cfg.cluster)),
    ...(host ? clusterChains(cfg, place) : []),
    ...baseChains(nics, place, host),
    "}",
  ];
  const marks = [
    `table bridge ${FW_MARK_TABLE} {`,
    ...base(
      "ports",
      "prerouting",
      -200,
      nics.map((n) => `iifname "${n.nic.port}" meta mark set ${n.mark}`),
    ),
    "}",
  ];
  return `${[...inet, ...marks].join("\n")}\n`;
}

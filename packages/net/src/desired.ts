import { cidrContains, normaliseCidr, parseCidr, subnetId } from "./ip.js";
import type { FirewallRule, FirewallState, GuestRef } from "./ports.js";
import type { GuestSpec, NetSpec } from "./spec.js";

/** The marker txbox writes into vnet aliases, guest descriptions and firewall comments. */
export function marker(name: string): string {
  return `txbox:${name}`;
}

/** The guest tag that marks a guest as created by the spec `name`. */
export function guestTag(name: string): string {
  return `txbox-${name}`;
}

/** An SDN object in PVE's parameter shape, plus the fields txbox owns on it. */
export interface DesiredSdn {
  id: string;
  params: Record<string, string | number>;
  /** Fields compared with the cluster; a field listed here and absent in params is deleted. */
  fields: string[];
}

export interface DesiredSubnet extends DesiredSdn {
  vnet: string;
  cidr: string;
}

export interface DesiredGuest {
  spec: GuestSpec;
  ref: GuestRef;
  config: Record<string, string | number>;
  /** Guest firewall, when the guest has a management NIC. */
  firewall: FirewallState | undefined;
}

export interface Desired {
  name: string;
  controllers: DesiredSdn[];
  zones: DesiredSdn[];
  vnets: DesiredSdn[];
  subnets: DesiredSubnet[];
  vnetFirewalls: Record<string, FirewallState>;
  /** Every egress destination, by source vnet (checked against vnets the spec does not manage). */
  egress: { vnet: string; dest: string }[];
  guests: DesiredGuest[];
}

/** Whether `inner` lies wholly inside `outer` (each an address or a CIDR). */
export function within(inner: string, outer: string): boolean {
  const i = parseCidr(inner.includes("/") ? inner : `${inner}/32`);
  const o = parseCidr(outer.includes("/") ? outer : `${outer}/32`);
  return i !== undefined && o !== undefined && i.prefix >= o.prefix && cidrContains(o, i.network);
}

const EVPN_ZONE_FIELDS = [
  "controller",
  "vrf-vxlan",
  "exitnodes",
  "mtu",
  "nodes",
  "advertise-subnets",
];
const VXLAN_ZONE_FIELDS = ["peers", "mtu", "nodes"];

function defined(o: Record<string, string | number | undefined>): Record<string, string | number> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Record<
    string,
    string | number
  >;
}

/** Compile a validated spec into the PVE objects it stands for. Pure. */
export function compileSpec(spec: NetSpec): Desired {
  const mark = marker(spec.name);
  const { vnetFirewalls, egress } = compileFirewalls(spec, mark);
  return {
    name: spec.name,
    ...compileSdn(spec, mark),
    vnetFirewalls,
    egress,
    guests: spec.guests.map((g) => compileGuest(spec, g)),
  };
}

/** The SDN objects: the EVPN controller, zones, vnets (marked as ours) and subnets. */
function compileSdn(
  spec: NetSpec,
  mark: string,
): Pick<Desired, "controllers" | "zones" | "vnets" | "subnets"> {
  const controllers: DesiredSdn[] = spec.controller
    ? [
        {
          id: spec.controller.id,
          params: {
            type: "evpn",
            asn: spec.controller.asn,
            peers: spec.controller.peers.join(","),
          },
          fields: ["asn", "peers"],
        },
      ]
    : [];
  const zones: DesiredSdn[] = spec.zones.map((z) =>
    z.type === "evpn"
      ? {
          id: z.id,
          params: defined({
            type: "evpn",
            controller: spec.controller?.id,
            "vrf-vxlan": z.vrfVxlan,
            exitnodes: z.exitNodes?.join(","),
            mtu: z.mtu,
            nodes: z.nodes?.join(","),
            "advertise-subnets":
              z.advertiseSubnets === undefined ? undefined : z.advertiseSubnets ? 1 : 0,
          }),
          fields: EVPN_ZONE_FIELDS,
        }
      : {
          id: z.id,
          params: defined({
            type: "vxlan",
            peers: z.peers.join(","),
            mtu: z.mtu,
            nodes: z.nodes?.join(","),
          }),
          fields: VXLAN_ZONE_FIELDS,
        },
  );
  const vnets: DesiredSdn[] = spec.vnets.map((v) => ({
    id: v.id,
    params: { zone: v.zone, tag: v.tag, alias: mark },
    fields: ["zone", "tag", "alias"],
  }));
  const subnets: DesiredSubnet[] = spec.vnets.flatMap((v) =>
    v.subnets.map((s) => ({
      id: subnetId(v.zone, s.cidr),
      vnet: v.id,
      cidr: normaliseCidr(s.cidr),
      params: defined({ type: "subnet", gateway: s.gateway, snat: s.snat ? 1 : undefined }),
      fields: ["gateway", "snat"],
    })),
  );
  return { controllers, zones, vnets, subnets };
}

type Vnet = NetSpec["vnets"][number];
type Egress = Vnet["firewall"]["egress"][number];

/** The firewall rules being built, per vnet, in the order PVE will hold them. */
class VnetRules {
  private readonly rulesOf: Map<string, FirewallRule[]>;
  readonly egress: { vnet: string; dest: string }[] = [];

  constructor(
    private readonly spec: NetSpec,
    private readonly mark: string,
  ) {
    this.rulesOf = new Map(spec.vnets.map((v) => [v.id, []]));
  }

  /** A vnet's subnets, normalised. */
  own(id: string): string[] {
    return (this.spec.vnets.find((o) => o.id === id)?.subnets ?? []).map((s) =>
      normaliseCidr(s.cidr),
    );
  }

  accept(vnet: string, source: string, dest: string, comment: string, match = {}): void {
    this.rulesOf.get(vnet)!.push({
      type: "forward",
      action: "ACCEPT",
      source,
      dest,
      ...match,
      comment: `${this.mark}:${comment}`,
    });
  }

  state(v: Vnet): FirewallState {
    return {
      options: { enable: 1, policy_forward: v.firewall.isolate ? "DROP" : "ACCEPT" },
      rules: this.rulesOf.get(v.id)!.map((r) => ({ ...r, enable: 1 })),
    };
  }
}

/** Each vnet's firewall (default-deny forward when isolated) and the egress allow-list. */
function compileFirewalls(spec: NetSpec, mark: string): Pick<Desired, "vnetFirewalls" | "egress"> {
  const r = new VnetRules(spec, mark);
  const isolated = spec.vnets.filter((v) => v.firewall.isolate);
  // Intra-vnet rules lead every vnet's list, whatever other vnets add to it below.
  for (const v of isolated) for (const s of r.own(v.id)) r.accept(v.id, s, s, "intra");
  for (const v of isolated) {
    const own = r.own(v.id);
    for (const from of v.firewall.allowFrom)
      for (const src of r.own(from)) for (const s of own) r.accept(v.id, src, s, `from-${from}`);
    for (const e of v.firewall.egress) compileEgress(r, spec, v, e);
  }
  // Each allowed flow is accepted on the source vnet too, so it holds on nodes that judge a
  // routed packet by both the vnet it leaves and the vnet it enters.
  for (const v of isolated) {
    for (const from of v.firewall.allowFrom) {
      const src = spec.vnets.find((o) => o.id === from);
      if (src === undefined || !src.firewall.isolate) continue;
      for (const a of r.own(from)) for (const b of r.own(v.id)) r.accept(from, a, b, `to-${v.id}`);
    }
  }
  const vnetFirewalls: Record<string, FirewallState> = {};
  for (const v of spec.vnets) vnetFirewalls[v.id] = r.state(v);
  return { vnetFirewalls, egress: r.egress };
}

/** One egress entry of isolated vnet `v`: accepted from its subnets to the destination. */
function compileEgress(r: VnetRules, spec: NetSpec, v: Vnet, e: Egress): void {
  const dest = e.dest.includes("/") ? normaliseCidr(e.dest) : e.dest;
  r.egress.push({ vnet: v.id, dest });
  const match = {
    ...(e.proto === undefined ? {} : { proto: e.proto }),
    ...(e.dport === undefined ? {} : { dport: e.dport }),
  };
  const own = r.own(v.id);
  for (const s of own) r.accept(v.id, s, dest, `egress${e.comment ? ` ${e.comment}` : ""}`, match);
  // An egress into another isolated vnet of the spec: traffic into a vnet is judged by the
  // destination's rules, so the accept goes there too (a range that merely contains other
  // vnets opens none of them: allowFrom does that).
  for (const other of spec.vnets) {
    if (other.id === v.id || !other.firewall.isolate) continue;
    if (!r.own(other.id).some((c) => within(dest, c))) continue;
    for (const s of own) r.accept(other.id, s, dest, `egress-from-${v.id}`, match);
  }
}

function compileGuest(spec: NetSpec, g: GuestSpec): DesiredGuest {
  const vnet = spec.vnets.find((v) => v.id === g.vnet);
  const gateway = vnet?.subnets.find((s) => normaliseCidr(s.cidr) === normaliseCidr(g.ip))?.gateway;
  const mgmt =
    g.management && spec.management ? { ...g.management, ...spec.management } : undefined;
  const ref: GuestRef = { node: g.node, vmid: g.vmid, type: g.type };
  const common = {
    cores: g.cores,
    memory: g.memory,
    description: `${marker(spec.name)} policy=${g.policy}`,
    tags: guestTag(spec.name),
  };
  const gw = gateway === undefined ? "" : `,gw=${gateway}`;
  const config: Record<string, string | number> =
    g.type === "lxc"
      ? {
          hostname: g.name,
          ...common,
          net0: `name=eth0,bridge=${g.vnet},ip=${g.ip}${gw},firewall=1`,
          ...(mgmt ? { net1: `name=eth1,bridge=${mgmt.bridge},ip=${mgmt.ip},firewall=1` } : {}),
        }
      : {
          name: g.name,
          ...common,
          ciuser: g.ssh.user,
          net0: `virtio,bridge=${g.vnet},firewall=1`,
          ipconfig0: `ip=${g.ip}${gw}`,
          ...(mgmt
            ? { net1: `virtio,bridge=${mgmt.bridge},firewall=1`, ipconfig1: `ip=${mgmt.ip}` }
            : {}),
        };
  const firewall: FirewallState | undefined = mgmt
    ? {
        // Out: the vnet only; on the management NIC just the replies of accepted SSH sessions
        // (PVE's guest firewall is stateful), so a guest cannot open anything towards it.
        options: { enable: 1, policy_in: "DROP", policy_out: "DROP" },
        rules: [
          {
            type: "in",
            action: "ACCEPT",
            iface: "net1",
            source: mgmt.orchestrator,
            proto: "tcp",
            dport: "22",
            comment: `${marker(spec.name)}:ssh`,
            enable: 1,
          },
          {
            type: "in",
            action: "ACCEPT",
            iface: "net0",
            comment: `${marker(spec.name)}:vnet`,
            enable: 1,
          },
          {
            type: "out",
            action: "ACCEPT",
            iface: "net0",
            comment: `${marker(spec.name)}:vnet-out`,
            enable: 1,
          },
        ],
      }
    : undefined;
  return { spec: g, ref, config, firewall };
}

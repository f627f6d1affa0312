import { normaliseCidr, subnetId } from "./ip.js";
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
  guests: DesiredGuest[];
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

  const vnetFirewalls: Record<string, FirewallState> = {};
  for (const v of spec.vnets) {
    const own = v.subnets.map((s) => normaliseCidr(s.cidr));
    const rules: FirewallRule[] = [];
    if (v.firewall.isolate) {
      for (const s of own)
        rules.push({
          type: "forward",
          action: "ACCEPT",
          source: s,
          dest: s,
          comment: `${mark}:intra`,
        });
      for (const from of v.firewall.allowFrom) {
        const other = spec.vnets.find((o) => o.id === from);
        for (const src of other?.subnets ?? [])
          for (const s of own)
            rules.push({
              type: "forward",
              action: "ACCEPT",
              source: normaliseCidr(src.cidr),
              dest: s,
              comment: `${mark}:from-${from}`,
            });
      }
      for (const e of v.firewall.egress)
        for (const s of own)
          rules.push({
            type: "forward",
            action: "ACCEPT",
            source: s,
            dest: e.dest.includes("/") ? normaliseCidr(e.dest) : e.dest,
            ...(e.proto === undefined ? {} : { proto: e.proto }),
            ...(e.dport === undefined ? {} : { dport: e.dport }),
            comment: `${mark}:egress${e.comment ? ` ${e.comment}` : ""}`,
          });
    }
    vnetFirewalls[v.id] = {
      options: { enable: 1, policy_forward: v.firewall.isolate ? "DROP" : "ACCEPT" },
      rules: rules.map((r) => ({ ...r, enable: 1 })),
    };
  }

  const guests = spec.guests.map((g) => compileGuest(spec, g));
  return { name: spec.name, controllers, zones, vnets, subnets, vnetFirewalls, guests };
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
        options: { enable: 1, policy_in: "DROP", policy_out: "ACCEPT" },
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
        ],
      }
    : undefined;
  return { spec: g, ref, config, firewall };
}

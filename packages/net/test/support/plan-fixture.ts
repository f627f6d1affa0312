// The cluster and spec most planner tests start from: one EVPN zone, one vnet with a subnet and an
// egress rule, one LXC guest cloned from template 9000.
import { parseNetSpec, type Observed } from "../../src/index.js";

export const specText = `version: 1
name: lab
controller: { id: evpnctl, asn: 65000, peers: [10.250.0.11, 10.250.0.12] }
zones:
  - { id: tenanta, type: evpn, vrfVxlan: 10000, mtu: 1450 }
vnets:
  - id: agentsa
    zone: tenanta
    tag: 11000
    subnets: [{ cidr: 10.11.0.0/24, gateway: 10.11.0.1 }]
    firewall: { egress: [{ dest: 0.0.0.0/0, proto: tcp, dport: 443 }] }
guests:
  - { name: a1, vmid: 301, template: 9000, node: pve1, vnet: agentsa, ip: 10.11.0.11/24, ssh: { publicKey: "ssh-ed25519 AAAA k" } }
`;
export const spec = parseNetSpec(specText, "lab.yaml");

export const template = {
  node: "pve1",
  vmid: 9000,
  type: "lxc" as const,
  name: "tpl",
  status: "stopped" as const,
  template: true,
  tags: [],
  config: {},
};
export const empty: Observed = {
  controllers: [],
  zones: [],
  vnets: [],
  subnets: [],
  vnetFirewalls: {},
  guests: [template],
  guestFirewalls: {},
  ledger: { controllers: [], zones: [] },
  nodes: ["pve1", "pve2"],
  zoneStatus: [],
  firewall: { datacenter: true, nftables: { pve1: true, pve2: true } },
};

/** The cluster exactly as the spec wants it (running, no pending changes). */
export function matching(): Observed {
  return {
    controllers: [
      { controller: "evpnctl", type: "evpn", asn: 65000, peers: "10.250.0.12,10.250.0.11" },
    ],
    zones: [
      { zone: "tenanta", type: "evpn", controller: "evpnctl", "vrf-vxlan": 10000, mtu: 1450 },
    ],
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
    vnetFirewalls: {
      agentsa: {
        options: { enable: 1, policy_forward: "DROP" },
        rules: [
          {
            pos: 0,
            type: "forward",
            action: "ACCEPT",
            source: "10.11.0.0/24",
            dest: "10.11.0.0/24",
            comment: "txbox:lab:intra",
            enable: 1,
          },
          {
            pos: 1,
            type: "forward",
            action: "ACCEPT",
            source: "10.11.0.0/24",
            dest: "0.0.0.0/0",
            proto: "tcp",
            dport: "443",
            comment: "txbox:lab:egress",
            enable: 1,
          },
          {
            pos: 2,
            type: "forward",
            action: "ACCEPT",
            source: "10.99.0.0/24",
            comment: "an operator's own rule",
            enable: 1,
          },
        ],
      },
    },
    guests: [
      {
        node: "pve1",
        vmid: 301,
        type: "lxc",
        name: "a1",
        status: "running",
        template: false,
        tags: ["txbox-lab"],
        config: {
          hostname: "a1",
          cores: 1,
          memory: 512,
          description: "txbox:lab policy=default",
          tags: "txbox-lab",
          net0: "name=eth0,bridge=agentsa,firewall=1,gw=10.11.0.1,hwaddr=BC:24:11:AA:BB:CC,ip=10.11.0.11/24,type=veth",
        },
      },
      {
        node: "pve1",
        vmid: 9000,
        type: "lxc",
        name: "tpl",
        status: "stopped",
        template: true,
        tags: [],
        config: {},
      },
    ],
    guestFirewalls: {},
    ledger: { controllers: ["evpnctl"], zones: ["tenanta"] },
    nodes: ["pve1", "pve2"],
    zoneStatus: [
      { node: "pve1", zone: "tenanta", status: "available" },
      { node: "pve2", zone: "tenanta", status: "available" },
    ],
    firewall: { datacenter: true, nftables: { pve1: true, pve2: true } },
  };
}

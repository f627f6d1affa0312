import type { FirewallConfig } from "../firewall/types.js";

/**
 * The running SDN configuration as the PVE API returns it (`GET /cluster/sdn/{controllers,zones,
 * vnets}?running=1`, `GET /cluster/sdn/vnets/{vnet}/subnets`), plus each vnet's firewall
 * (`/cluster/sdn/vnets/{vnet}/firewall/{options,rules}`). Field names are PVE's.
 */
export interface SdnControllerConfig {
  controller: string;
  type: string;
  asn?: number;
  /** Comma-separated underlay addresses. */
  peers?: string;
}

export interface SdnZoneConfig {
  zone: string;
  type: string;
  /** vxlan zones: comma-separated underlay addresses of every node. */
  peers?: string;
  controller?: string;
  "vrf-vxlan"?: number;
  exitnodes?: string;
  mtu?: number;
  /** Comma-separated node names; absent = all nodes. */
  nodes?: string;
  "vxlan-port"?: number;
}

export interface SdnVnetConfig {
  vnet: string;
  zone: string;
  tag: number;
  alias?: string;
}

export interface SdnSubnetConfig {
  /** PVE's id `<zone>-<network>-<prefix>`. */
  subnet: string;
  vnet: string;
  /** `10.0.0.0/24`; derived from the id when absent. */
  cidr?: string;
  gateway?: string;
  snat?: number | boolean;
}

export interface SdnFirewallRule {
  pos?: number;
  type: string;
  action: string;
  enable?: number;
  source?: string;
  dest?: string;
  proto?: string;
  dport?: string;
  comment?: string;
}

export interface SdnVnetFirewall {
  options: { enable?: number | boolean; policy_forward?: string };
  rules: SdnFirewallRule[];
}

export interface RunningSdnConfig {
  controllers: SdnControllerConfig[];
  zones: SdnZoneConfig[];
  vnets: SdnVnetConfig[];
  subnets: SdnSubnetConfig[];
  /** Vnet firewall by vnet id; a vnet without one gets the default: deny to other vnets. */
  vnetFirewalls?: Record<string, SdnVnetFirewall>;
  /**
   * The cluster's firewall switches (`/cluster/firewall/options` `enable`, `/nodes/{node}/
   * firewall/options` `nftables`). PVE honours vnet `forward` rules only where both are on;
   * elsewhere routed traffic between vnets passes. Absent = enforced on every node.
   */
  firewall?: SdnFirewallSwitches;
  /**
   * The guest and cluster firewall (rules, options, groups, ipsets, aliases; each guest's NICs),
   * realised on the nodes by the host realiser. Absent = leave it as it is.
   */
  firewallConfig?: FirewallConfig;
}

export interface SdnFirewallSwitches {
  /** The datacenter firewall (`/cluster/firewall/options` `enable`; PVE's default is off). */
  enable: boolean;
  /** Nodes whose firewall runs in nftables mode (`nftables=1`; PVE's default is off). */
  nftablesNodes: string[];
}

/** A testbed node: its name and its address on the underlay network (`10.250.0.11[/24]`). */
export interface SdnNode {
  name: string;
  underlay: string;
}

/** Where a guest's veth must be plugged to join a vnet on a node. */
export interface BridgeLocation {
  netns: string;
  bridge: string;
}

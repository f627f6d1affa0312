/**
 * The guest and cluster firewall configuration as the PVE API stores it (field names are PVE's:
 * `/cluster/firewall/{rules,options,groups,ipset,aliases}`, `/nodes/{node}/firewall/options`,
 * `/nodes/{node}/{qemu,lxc}/{vmid}/firewall/{rules,options,ipset,aliases}`, and the `firewall=1`
 * flag of a guest's `net<N>`), handed to the realiser on every change.
 */
export interface FwRule {
  pos?: number;
  /** `in`, `out`, `forward` or `group`. */
  type: string;
  /** `ACCEPT`, `DROP`, `REJECT`; a security group's name for `type: group`. */
  action: string;
  /** Absent = enabled (PVE writes a disabled rule as `|…` and reads the rest as enabled). */
  enable?: number | boolean;
  source?: string;
  dest?: string;
  proto?: string;
  dport?: string;
  sport?: string;
  /** Guest rules: the NIC (`net0`); cluster rules: the node's interface. */
  iface?: string;
  macro?: string;
  "icmp-type"?: string;
  log?: string;
  comment?: string;
}

export interface FwIpsetEntry {
  cidr: string;
  nomatch?: number | boolean;
  comment?: string;
}

/** One scope's firewall: the cluster's or one guest's. */
export interface FwScope {
  options: Record<string, unknown>;
  rules: FwRule[];
  ipsets: Record<string, FwIpsetEntry[]>;
  /** Alias name (as stored) → address or network. Names are matched case-insensitively. */
  aliases: Record<string, string>;
}

/** A guest NIC as the firewall sees it. */
export interface FwGuestNic {
  /** `net0` … (what a guest rule's `iface` names). */
  netid: string;
  /** The NIC's `firewall=1` flag: without it PVE puts no firewall on the NIC. */
  firewall: boolean;
  /** The bridge or vnet the NIC is on. */
  bridge: string;
  /** The NIC's static address (`10.0.0.5/24`), if it has one. */
  cidr?: string;
  /** Filled by the realiser: the NIC's bridge-side port on its node, while the guest runs. */
  port?: string;
}

export interface FwGuest {
  vmid: number;
  node: string;
  scope: FwScope;
  nics: FwGuestNic[];
}

export interface FirewallConfig {
  cluster: FwScope;
  /** Security groups: name → rules (type in/out/forward). */
  groups: Record<string, FwRule[]>;
  /** Each node's `/nodes/{node}/firewall/options`. */
  nodes: Record<string, Record<string, unknown>>;
  guests: FwGuest[];
}

export const emptyScope = (): FwScope => ({ options: {}, rules: [], ipsets: {}, aliases: {} });

import type { Desired } from "./desired.js";
import type { FirewallSwitches } from "./ports.js";

/**
 * What PVE needs before any firewall of a spec is enforced: the datacenter firewall on (PVE's
 * default is off, and then no guest or vnet rule applies) and, on every node a zone or guest of
 * the spec lives on, the nftables firewall (vnet `forward` rules exist only there). Pure.
 */
export interface FirewallPrerequisite {
  /** `datacenter` or a node name. */
  scope: string;
  setting: string;
  current: number;
  required: number;
  /** The API call that sets it. */
  call: string;
}

/** The nodes a spec's zones and guests live on; a zone without `nodes` spans every node. */
export function involvedNodes(desired: Desired, clusterNodes: string[]): string[] {
  const out = new Set<string>();
  for (const z of desired.zones) {
    const listed = String(z.params.nodes ?? "")
      .split(",")
      .filter(Boolean);
    for (const n of listed.length > 0 ? listed : clusterNodes) out.add(n);
  }
  for (const g of desired.guests) out.add(g.ref.node);
  return [...out].sort();
}

/** The switches still off for `desired` (empty when the cluster enforces its firewalls). */
export function firewallPrerequisites(
  desired: Desired,
  switches: FirewallSwitches,
  clusterNodes: string[],
): FirewallPrerequisite[] {
  if (desired.vnets.length === 0 && desired.guests.length === 0) return [];
  return missingSwitches(switches, involvedNodes(desired, clusterNodes));
}

/** The firewall switches still off for guests on `nodes`: the datacenter's, each node's nftables. */
export function missingSwitches(
  switches: FirewallSwitches,
  nodes: readonly string[],
): FirewallPrerequisite[] {
  const out: FirewallPrerequisite[] = [];
  if (!switches.datacenter)
    out.push({
      scope: "datacenter",
      setting: "enable",
      current: 0,
      required: 1,
      call: "PUT /cluster/firewall/options enable=1",
    });
  for (const node of nodes)
    if (switches.nftables[node] !== true)
      out.push({
        scope: node,
        setting: "nftables",
        current: 0,
        required: 1,
        call: `PUT /nodes/${node}/firewall/options nftables=1`,
      });
  return out;
}

/** The refusal text: each setting, where it is, and the call that changes it. */
export function describePrerequisites(name: string, missing: FirewallPrerequisite[]): string {
  return [
    `the cluster would not enforce the firewalls of "${name}":`,
    ...missing.map((p) =>
      p.scope === "datacenter"
        ? `  datacenter firewall is off (Datacenter > Firewall > Options: enable=1): ${p.call}`
        : `  node ${p.scope} does not run the nftables firewall, so vnet rules are ignored there ` +
          `(Node ${p.scope} > Firewall > Options: nftables=1): ${p.call}`,
    ),
  ].join("\n");
}

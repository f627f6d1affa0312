import type { FirewallRule, FirewallState, GuestRef, NetPort } from "@txbox/net";
import type { FirewallScope, ProxmoxClient } from "@txbox/proxmox";

/** The firewall part of the port: vnet and guest rule sets, and the cluster's switches. */
export type FirewallOps = Pick<
  NetPort,
  | "getFirewallSwitches"
  | "enableDatacenterFirewall"
  | "enableNodeNftables"
  | "getVnetFirewall"
  | "setVnetFirewallOptions"
  | "createVnetFirewallRule"
  | "deleteVnetFirewallRule"
  | "getGuestFirewall"
  | "setGuestFirewallOptions"
  | "createGuestFirewallRule"
  | "deleteGuestFirewallRule"
>;

const vnetScope = (vnet: string): FirewallScope => ({ kind: "vnet", vnet });
const guestScope = (g: GuestRef): FirewallScope => ({ kind: "guest", ...g });

export function firewallOps(client: ProxmoxClient): FirewallOps {
  const fw = client.firewall;
  const state = async (scope: FirewallScope): Promise<FirewallState> => {
    const [options, rules] = await Promise.all([fw.options(scope), fw.rules(scope)]);
    // The digest changes with every write; the planner compares contents, not versions.
    const { digest: _digest, ...rest } = options;
    return {
      options: rest as Record<string, string | number>,
      rules: ([...rules] as unknown as FirewallRule[]).sort((a, b) => (a.pos ?? 0) - (b.pos ?? 0)),
    };
  };
  const on = (v: unknown) => Number(v ?? 0) === 1;
  return {
    getFirewallSwitches: async (nodes) => {
      const dc = await fw.options({ kind: "cluster" });
      const nft = await Promise.all(
        nodes.map(
          async (node) => [node, on((await fw.options({ kind: "node", node })).nftables)] as const,
        ),
      );
      return { datacenter: on(dc.enable), nftables: Object.fromEntries(nft) };
    },
    enableDatacenterFirewall: () => fw.setOptions({ kind: "cluster" }, { enable: 1 }),
    enableNodeNftables: (node) => fw.setOptions({ kind: "node", node }, { nftables: 1 }),
    getVnetFirewall: (vnet) => state(vnetScope(vnet)),
    setVnetFirewallOptions: (vnet, o) => fw.setOptions(vnetScope(vnet), o),
    createVnetFirewallRule: (vnet, r) => fw.createRule(vnetScope(vnet), { ...r }),
    deleteVnetFirewallRule: (vnet, pos) => fw.deleteRule(vnetScope(vnet), pos),
    getGuestFirewall: (g) => state(guestScope(g)),
    setGuestFirewallOptions: (g, o) => fw.setOptions(guestScope(g), o),
    createGuestFirewallRule: (g, r) => fw.createRule(guestScope(g), { ...r }),
    deleteGuestFirewallRule: (g, pos) => fw.deleteRule(guestScope(g), pos),
  };
}

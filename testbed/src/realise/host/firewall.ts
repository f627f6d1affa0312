import { nodeFirewallRuleset } from "../firewall/ruleset.js";
import type { FirewallConfig, FwGuestNic } from "../firewall/types.js";
import type { SdnFirewallSwitches } from "../sdn/types.js";
import type { GuestRuntimeSpec } from "../types.js";
import type { HostNames } from "./names.js";

/** A guest the host realiser runs (or is starting): its spec and management slot. */
export interface PlacedGuest {
  spec: GuestRuntimeSpec;
  slot: number;
}

/**
 * Every node's guest and cluster firewall script (node → script, "" = none) for the running
 * guests: each firewalled NIC gets the bridge-side port it is plugged into (`net<i>` of the spec,
 * see plugNets), a guest that does not run gets none (nothing of it to judge). Pure; throws the
 * translation's FirewallError.
 */
export function nodeFirewallScripts(
  cfg: FirewallConfig,
  switches: SdnFirewallSwitches | undefined,
  nodes: { node: string; bridges: string[] }[],
  running: PlacedGuest[],
  names: HostNames,
): Record<string, string> {
  const byVmid = new Map(running.map((g) => [g.spec.vmid, g]));
  const guests = cfg.guests.map((g) => {
    const r = byVmid.get(g.vmid);
    const nics = g.nics.map((n): FwGuestNic => {
      const { port: _ignored, ...rest } = n;
      const i = r === undefined ? -1 : r.spec.nets.findIndex((x) => x.key === n.netid);
      return r === undefined || i < 0 ? rest : { ...rest, port: names.guestNetLink(r.slot, i) };
    });
    return { ...g, node: r?.spec.node ?? g.node, nics };
  });
  const placed: FirewallConfig = { ...cfg, guests };
  return Object.fromEntries(
    nodes.map((n) => [
      n.node,
      nodeFirewallRuleset(placed, {
        node: n.node,
        bridges: n.bridges,
        nftables: switches?.nftablesNodes.includes(n.node) ?? false,
      }),
    ]),
  );
}

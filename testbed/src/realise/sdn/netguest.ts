import { existsSync } from "node:fs";

import { RealiseError } from "../types.js";
import { command, ipIn } from "./exec.js";
import type { SdnRealiser } from "./realiser.js";

/**
 * A network-only guest: a plain network namespace with one veth plugged into a vnet bridge, an
 * address and a default route. It has no rootfs and no sshd (the testbed's real guests come from
 * realise/host); it exists to exercise and measure the SDN data plane.
 */
export interface NetworkOnlyGuest {
  name: string;
  node: string;
  vnet: string;
  netns: string;
  /** `10.0.0.5/24`. */
  cidr: string;
  /** The bridge-side end of the veth, in the node namespace. */
  port: string;
}

export async function attachNetworkOnlyGuest(
  realiser: SdnRealiser,
  guest: { name: string; node: string; vnet: string; cidr: string; gateway?: string },
): Promise<NetworkOnlyGuest> {
  if (!/^[a-z0-9]{1,12}$/.test(guest.name))
    throw new RealiseError(
      `network-only guest name "${guest.name}" must be 1-12 lowercase letters/digits`,
    );
  const { netns: nodeNs, bridge } = realiser.bridgeFor(guest.node, guest.vnet);
  const netns = `${realiser.names.guestNetnsPrefix}${guest.name}`;
  const port = `g-${guest.name}`;
  if (existsSync(`/run/netns/${netns}`)) await command(["ip", "netns", "del", netns]);
  await ipIn(nodeNs, ["link", "del", port], true);
  await command(["ip", "netns", "add", netns]);
  await ipIn(nodeNs, ["link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", netns]);
  await ipIn(nodeNs, ["link", "set", port, "master", bridge, "up"]);
  const mtu = (await command(["ip", "-n", nodeNs, "-j", "link", "show", bridge])).stdout;
  const bridgeMtu = (JSON.parse(mtu) as { mtu: number }[])[0]?.mtu ?? 1450;
  await ipIn(netns, ["link", "set", "lo", "up"]);
  await ipIn(netns, ["link", "set", "eth0", "mtu", String(bridgeMtu), "up"]);
  await ipIn(netns, ["addr", "add", guest.cidr, "dev", "eth0"]);
  if (guest.gateway !== undefined)
    await ipIn(netns, ["route", "add", "default", "via", guest.gateway]);
  return { name: guest.name, node: guest.node, vnet: guest.vnet, netns, cidr: guest.cidr, port };
}

export async function detachNetworkOnlyGuest(
  realiser: SdnRealiser,
  guest: NetworkOnlyGuest,
): Promise<void> {
  await command(["ip", "netns", "del", guest.netns], { allowFailure: true });
  await ipIn(realiser.names.nodeNetns(guest.node), ["link", "del", guest.port], true);
}

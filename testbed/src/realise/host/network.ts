import { existsSync } from "node:fs";

import { RealiseError } from "../types.js";
import { run } from "./exec.js";
import {
  formatIpv4,
  guestAddress,
  guestSlots,
  hostAddress,
  parseCidr,
  type HostNames,
  type Ipv4Net,
} from "./names.js";

/** Name of the management interface inside every guest. */
export const GUEST_MGMT_IFNAME = "mgmt0";

async function ip(args: string[], allowFailure = false): Promise<string> {
  return (await run(["ip", ...args], { allowFailure, timeoutMs: 15_000 })).stdout;
}

/** Runs several `ip` commands in one process (`ip -batch`), optionally inside a namespace. */
async function ipBatch(netns: string | undefined, lines: string[]): Promise<void> {
  const ns = netns === undefined ? [] : ["-n", netns];
  await run(["ip", ...ns, "-batch", "-"], { input: `${lines.join("\n")}\n`, timeoutMs: 15_000 });
}

export function netnsPath(name: string): string {
  return `/run/netns/${name}`;
}

/**
 * The management network: a bridge inside a network namespace of its own, a veth pair giving the
 * host an address on it, and one veth pair per running guest. Nothing is attached to the host's
 * other interfaces and guests get no default route; they reach each other, and the host only to
 * answer it (see guardHost).
 */
export class MgmtNetwork {
  readonly net: Ipv4Net;
  readonly bridge: string;

  constructor(
    private readonly names: HostNames,
    cidr: string,
    bridge?: string,
  ) {
    this.net = parseCidr(cidr);
    this.bridge = bridge ?? `${names.linkPrefix}b`;
    if (this.bridge.length > 15)
      throw new RealiseError(`bridge name ${this.bridge} is longer than 15`);
  }

  get hostAddress(): string {
    return hostAddress(this.net);
  }

  get slots(): number {
    return guestSlots(this.net);
  }

  addressOf(index: number): string {
    return guestAddress(this.net, index);
  }

  /** Creates the namespace, bridge and host veth. Idempotent. */
  async up(): Promise<void> {
    await this.assertRangeFree();
    const ns = this.names.mgmtNetns;
    if (!existsSync(netnsPath(ns))) await ip(["netns", "add", ns]);
    const links = await ip(["-n", ns, "-o", "link", "show"]);
    const lines: string[] = [];
    if (!links.includes(` ${this.bridge}:`)) lines.push(`link add ${this.bridge} type bridge`);
    lines.push(`link set lo up`, `link set ${this.bridge} up`);
    await ipBatch(ns, lines);
    const host = this.names.hostLink;
    const hostLinks = await ip(["-o", "link", "show", host], true);
    if (!hostLinks.includes(`${host}:`)) {
      await ip([
        "link",
        "add",
        host,
        "type",
        "veth",
        "peer",
        "name",
        this.names.hostPeerLink,
        "netns",
        ns,
      ]);
    }
    await ip(["addr", "replace", `${this.hostAddress}/${this.net.prefix}`, "dev", host]);
    await ip(["link", "set", host, "up"]);
    await ipBatch(ns, [
      `link set ${this.names.hostPeerLink} master ${this.bridge}`,
      `link set ${this.names.hostPeerLink} up`,
    ]);
    await this.guardHost();
  }

  /**
   * Guests may answer the host but not open connections to it: on the bridge, new TCP
   * connections and UDP towards the host's port are dropped (stateless, in our namespace only).
   */
  private async guardHost(): Promise<void> {
    const port = this.names.hostPeerLink;
    const rules = [
      "table bridge txbox_mgmt",
      "delete table bridge txbox_mgmt",
      "table bridge txbox_mgmt {",
      "  chain guard {",
      "    type filter hook forward priority 0; policy accept;",
      `    oifname "${port}" tcp flags & (syn | ack) == syn drop`,
      `    oifname "${port}" meta l4proto udp drop`,
      "  }",
      "}",
    ];
    await run(["ip", "netns", "exec", this.names.mgmtNetns, "nft", "-f", "-"], {
      input: `${rules.join("\n")}\n`,
      timeoutMs: 15_000,
    });
  }

  /** Refuses a management range that another host interface (another testbed?) already uses. */
  async assertRangeFree(): Promise<void> {
    const shown = JSON.parse(await ip(["-j", "-4", "addr", "show"])) as {
      ifname: string;
      addr_info?: { local: string; prefixlen: number }[];
    }[];
    const size = 2 ** (32 - this.net.prefix);
    for (const link of shown) {
      if (link.ifname === this.names.hostLink) continue;
      for (const a of link.addr_info ?? []) {
        const other = parseCidr(`${a.local}/${Math.min(Math.max(a.prefixlen, 8), 30)}`);
        const otherSize = 2 ** (32 - other.prefix);
        const overlaps =
          other.base < this.net.base + size && this.net.base < other.base + otherSize;
        if (overlaps) {
          throw new RealiseError(
            `management network ${formatIpv4(this.net.base)}/${this.net.prefix} overlaps ` +
              `${a.local}/${a.prefixlen} on host interface ${link.ifname} (another testbed?): ` +
              `choose another mgmt.cidr`,
          );
        }
      }
    }
  }

  /** Removes the namespace (and with it the bridge and every veth end inside) and the host veth. */
  async down(): Promise<void> {
    await ip(["link", "del", this.names.hostLink], true);
    if (existsSync(netnsPath(this.names.mgmtNetns)))
      await ip(["netns", "del", this.names.mgmtNetns], true);
  }

  /** Creates a guest's network namespace and plugs it into the bridge at slot `index`. */
  async attachGuest(vmid: number, index: number): Promise<{ netns: string; address: string }> {
    const gns = this.names.guestNetns(vmid);
    await this.detachGuest(vmid, index);
    await ip(["netns", "add", gns]);
    const outer = this.names.guestBridgeLink(index);
    const inner = this.names.guestPeerLink(index);
    const address = this.addressOf(index);
    await ipBatch(this.names.mgmtNetns, [
      `link add ${outer} type veth peer name ${inner} netns ${gns}`,
      `link set ${outer} master ${this.bridge}`,
      `link set ${outer} up`,
    ]);
    await ipBatch(gns, [
      `link set lo up`,
      `link set ${inner} name ${GUEST_MGMT_IFNAME}`,
      // A stable MAC per slot: a restarted guest keeps its address *and* the host's ARP entry.
      `link set ${GUEST_MGMT_IFNAME} address ${this.macOf(index)}`,
      `addr add ${address}/${this.net.prefix} dev ${GUEST_MGMT_IFNAME}`,
      `link set ${GUEST_MGMT_IFNAME} up`,
    ]);
    await ip(["neigh", "flush", "to", address], true);
    return { netns: gns, address };
  }

  /** Locally administered MAC of a guest slot: 02:74:<instance tag>:<slot>. */
  macOf(index: number): string {
    const hex = `0274${this.names.tag.slice(0, 4)}${index.toString(16).padStart(4, "0")}`;
    return (hex.match(/../g) ?? []).join(":");
  }

  /** Removes a guest's namespace and veth pair. Idempotent. */
  async detachGuest(vmid: number, index: number | undefined): Promise<void> {
    const gns = this.names.guestNetns(vmid);
    if (existsSync(netnsPath(gns))) await ip(["netns", "del", gns], true);
    if (index !== undefined && existsSync(netnsPath(this.names.mgmtNetns))) {
      await ip(
        ["-n", this.names.mgmtNetns, "link", "del", this.names.guestBridgeLink(index)],
        true,
      );
    }
  }
}

/** Where a vnet's bridge lives (the SDN realiser answers this). */
export interface VnetBridge {
  netns: string;
  bridge: string;
}

/** One guest NIC to plug into a vnet bridge. */
export interface GuestNic {
  ifname: string;
  cidr?: string;
  gateway?: string;
  hwaddr?: string;
}

/**
 * Plugs a guest NIC into a vnet bridge: a veth from the bridge's namespace into the guest's,
 * renamed to its ifname, with the bridge's MTU, its address and default route. Idempotent.
 */
export async function plugNic(
  names: HostNames,
  vmid: number,
  slot: number,
  i: number,
  nic: GuestNic,
  at: VnetBridge,
): Promise<boolean> {
  const gns = names.guestNetns(vmid);
  const outer = names.guestNetLink(slot, i);
  const inner = names.guestNetPeerLink(slot, i);
  if ((await ip(["-n", at.netns, "-o", "link", "show", outer], true)).includes(`${outer}@`))
    return false;
  const shown = JSON.parse(await ip(["-n", at.netns, "-j", "link", "show", at.bridge])) as {
    mtu?: number;
  }[];
  const mtu = shown[0]?.mtu ?? 1500;
  await ipBatch(at.netns, [
    `link add ${outer} mtu ${mtu} type veth peer name ${inner} mtu ${mtu} netns ${gns}`,
    `link set ${outer} master ${at.bridge}`,
    `link set ${outer} up`,
  ]);
  await ipBatch(gns, [
    `link set ${inner} name ${nic.ifname}`,
    ...(nic.hwaddr ? [`link set ${nic.ifname} address ${nic.hwaddr}`] : []),
    ...(nic.cidr ? [`addr add ${nic.cidr} dev ${nic.ifname}`] : []),
    `link set ${nic.ifname} up`,
    ...(nic.gateway ? [`route replace default via ${nic.gateway} dev ${nic.ifname}`] : []),
  ]);
  return true;
}

/** Network namespaces whose names start with `prefix`. */
export async function listNetns(prefix: string): Promise<string[]> {
  const out = await ip(["netns", "list"], true);
  return out
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n.startsWith(prefix));
}

/** Host interfaces whose names start with `prefix`. */
export async function listLinks(prefix: string): Promise<string[]> {
  const out = await ip(["-o", "link", "show"], true);
  return out
    .split("\n")
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1] ?? "")
    .filter((n) => n.startsWith(prefix));
}

export async function deleteNetns(name: string): Promise<void> {
  await ip(["netns", "del", name], true);
}

export async function deleteLink(name: string): Promise<void> {
  await ip(["link", "del", name], true);
}

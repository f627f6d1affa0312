import { createHash } from "node:crypto";

import { RealiseError } from "../types.js";

/**
 * Names of everything the realiser creates on the host, in one place, so that `init()` can find a
 * crashed run's leftovers by name and two testbeds with different state directories never collide.
 * Interface names must fit Linux's 15 characters.
 */
export class HostNames {
  /** Five hex digits derived from the state directory. */
  readonly tag: string;

  constructor(stateDir: string) {
    this.tag = createHash("sha256").update(stateDir).digest("hex").slice(0, 5);
  }

  /** Prefix of every network namespace of this testbed. */
  get netnsPrefix(): string {
    return `txbox-${this.tag}-`;
  }
  /** Namespace holding the management bridge. */
  get mgmtNetns(): string {
    return `${this.netnsPrefix}mgmt`;
  }
  guestNetns(vmid: number): string {
    return `${this.netnsPrefix}g${vmid}`;
  }
  /** Prefix of every host-side interface of this testbed. */
  get linkPrefix(): string {
    return `tb${this.tag}`;
  }
  get hostLink(): string {
    return `${this.linkPrefix}h`;
  }
  get hostPeerLink(): string {
    return `${this.linkPrefix}m`;
  }
  /** Management-side end of a guest's veth pair (inside the management namespace). */
  guestBridgeLink(index: number): string {
    return `${this.linkPrefix}g${index}`;
  }
  /** Guest-side end before it is renamed inside the guest's namespace. */
  guestPeerLink(index: number): string {
    return `${this.linkPrefix}p${index}`;
  }
  /** Vnet-side end of a guest's `net<i>` veth (inside the SDN node namespace). */
  guestNetLink(slot: number, i: number): string {
    return `${this.linkPrefix}n${slot}x${i}`;
  }
  /** Guest-side end of `net<i>` before it is renamed to its ifname. */
  guestNetPeerLink(slot: number, i: number): string {
    return `${this.linkPrefix}q${slot}x${i}`;
  }
  /** Prefix of the SDN realiser's namespaces when the host realiser creates it (≤ 8 chars). */
  get sdnPrefix(): string {
    return `tbn${this.tag}`;
  }
  /** cgroup directory (relative to each controller's root). */
  get cgroupRoot(): string {
    return `txbox-${this.tag}`;
  }
  guestCgroup(vmid: number): string {
    return `${this.cgroupRoot}/g${vmid}`;
  }
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/** Rejects names that could leave their directory (volume and snapshot names become paths). */
export function checkName(kind: string, name: string): string {
  if (!SAFE_NAME.test(name) || name.includes("..")) {
    throw new RealiseError(`invalid ${kind} name ${JSON.stringify(name)}`);
  }
  return name;
}

/** An IPv4 network in CIDR form, parsed. */
export interface Ipv4Net {
  base: number;
  prefix: number;
}

export function parseCidr(cidr: string): Ipv4Net {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const prefix = m ? Number(m[5]) : NaN;
  if (!m || octets.some((o) => o > 255) || prefix < 8 || prefix > 30) {
    throw new RealiseError(
      `invalid management network ${JSON.stringify(cidr)} (want a.b.c.d/8..30)`,
    );
  }
  const addr = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  return { base: addr - (addr % size), prefix };
}

export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/** Host address of the management network: its first usable address. */
export function hostAddress(net: Ipv4Net): string {
  return formatIpv4(net.base + 1);
}

/** Number of guest addresses (all but network, host and broadcast). */
export function guestSlots(net: Ipv4Net): number {
  return 2 ** (32 - net.prefix) - 3;
}

/** Address of guest slot `index` (0-based). */
export function guestAddress(net: Ipv4Net, index: number): string {
  return formatIpv4(net.base + 2 + index);
}

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

/** nftables table (bridge family) of the management guard, inside the management namespace. */
export const MGMT_TABLE = "txbox_mgmt";

/** What the management guard needs to know: the host's port and address, the guests' ports. */
export interface MgmtGuard {
  /** The bridge port of the host's veth (inside the management namespace). */
  hostPort: string;
  hostAddress: string;
  /** Each running guest's bridge port and the address that port may speak for. */
  guests: { port: string; address: string }[];
}

/**
 * The management guard: on the bridge, the host (the orchestrator) may send anything to guests;
 * a guest may send the host only ARP for its own address and its sshd's replies (TCP from port
 * 22 to the host's address, never a bare SYN); nothing else a guest sends is forwarded: not to
 * another guest, not to the host, not beyond it; and the bridge's own namespace takes nothing.
 * Stateless (bridge conntrack is not in every kernel); a guest without NET_ADMIN cannot change it,
 * and the port, not a forgeable address, says which guest sent a frame.
 */
export function mgmtGuardRuleset(g: MgmtGuard): string {
  const elements = g.guests.map((x) => `"${x.port}" . ${x.address}`).join(", ");
  return [
    `table bridge ${MGMT_TABLE} {`,
    "  set guests {",
    "    type ifname . ipv4_addr",
    ...(elements === "" ? [] : [`    elements = { ${elements} }`]),
    "  }",
    "  chain forward {",
    "    type filter hook forward priority 0; policy drop;",
    `    iifname "${g.hostPort}" accept`,
    `    oifname "${g.hostPort}" ether type arp iifname . arp saddr ip @guests accept`,
    `    oifname "${g.hostPort}" iifname . ip saddr @guests ip daddr ${g.hostAddress} ` +
      "tcp sport 22 tcp flags & (syn | ack) != syn accept",
    "  }",
    "  chain input {",
    "    type filter hook input priority 0; policy drop;",
    "  }",
    "}",
    "",
  ].join("\n");
}

/**
 * The management network: a bridge inside a network namespace of its own, a veth pair giving the
 * host an address on it, and one veth pair per running guest. Nothing is attached to the host's
 * other interfaces and guests get no default route; the host reaches every guest's sshd, guests
 * reach nothing (see {@link mgmtGuardRuleset}).
 */
export class MgmtNetwork {
  readonly net: Ipv4Net;
  readonly bridge: string;
  /**
   * Slots this process detached and has not attached since: a guest start detaches before it
   * attaches (twice: cleanup, then attach), and after a stop that already did, those repeats
   * were four `ip`/`nft` processes (≈ 70 ms loaded) that found nothing to remove.
   */
  private readonly detached = new Set<number>();

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
    // `ip -o link` names a veth `name@peer:`.
    if (!hostLinks.includes(`${host}@`) && !hostLinks.includes(`${host}:`)) {
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
    await this.guard();
  }

  /**
   * Installs the management guard (see {@link mgmtGuardRuleset}) in the bridge's namespace, with
   * the guest ports that already exist, in one nft transaction. Idempotent.
   */
  private async guard(): Promise<void> {
    const links = await ip(["-n", this.names.mgmtNetns, "-o", "link", "show"]);
    const portRe = new RegExp(`^\\d+: ${this.names.linkPrefix}g(\\d+)@`);
    const guests = links.split("\n").flatMap((l) => {
      const index = portRe.exec(l)?.[1];
      return index === undefined ? [] : [this.guestPort(Number(index))];
    });
    const ruleset = mgmtGuardRuleset({
      hostPort: this.names.hostPeerLink,
      hostAddress: this.hostAddress,
      guests,
    });
    await this.nft(`table bridge ${MGMT_TABLE}\ndelete table bridge ${MGMT_TABLE}\n${ruleset}`);
  }

  private guestPort(index: number): { port: string; address: string } {
    return { port: this.names.guestBridgeLink(index), address: this.addressOf(index) };
  }

  private async nft(script: string, allowFailure = false): Promise<void> {
    await run(["ip", "netns", "exec", this.names.mgmtNetns, "nft", "-f", "-"], {
      input: `${script}\n`,
      timeoutMs: 15_000,
      allowFailure,
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
    const outer = this.names.guestBridgeLink(index);
    const inner = this.names.guestPeerLink(index);
    const address = this.addressOf(index);
    const { port } = this.guestPort(index);
    // One shell for the whole plug, not five processes spawned from this one after another: on
    // a loaded host each spawn and its wake-up cost 50–300 ms, and a rollback pays this on its path.
    // Every name is a checked interface or namespace name (no shell metacharacters).
    const script = [
      "set -e",
      `ip netns add ${gns}`,
      `ip -n ${this.names.mgmtNetns} -batch - <<'EOF'`,
      `link add ${outer} type veth peer name ${inner} netns ${gns}`,
      `link set ${outer} master ${this.bridge}`,
      `link set ${outer} up`,
      "EOF",
      `ip -n ${gns} -batch - <<'EOF'`,
      `link set lo up`,
      `link set ${inner} name ${GUEST_MGMT_IFNAME}`,
      // A stable MAC per slot: a restarted guest keeps its address *and* the host's ARP entry.
      `link set ${GUEST_MGMT_IFNAME} address ${this.macOf(index)}`,
      `addr add ${address}/${this.net.prefix} dev ${GUEST_MGMT_IFNAME}`,
      `link set ${GUEST_MGMT_IFNAME} up`,
      "EOF",
      `ip netns exec ${this.names.mgmtNetns} nft -f - <<'EOF'`,
      `add element bridge ${MGMT_TABLE} guests { "${port}" . ${address} }`,
      "EOF",
      `ip neigh flush to ${address} || true`,
    ];
    await run(["sh", "-c", script.join("\n")], { timeoutMs: 15_000 });
    this.detached.delete(index);
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
    const nsExists = existsSync(netnsPath(gns));
    const unplug = index !== undefined && existsSync(netnsPath(this.names.mgmtNetns));
    const lines = nsExists ? [`ip netns del ${gns}`] : [];
    if (unplug && (nsExists || !this.detached.has(index))) {
      const { port, address } = this.guestPort(index);
      lines.push(
        `ip -n ${this.names.mgmtNetns} link del ${port}`,
        `echo 'delete element bridge ${MGMT_TABLE} guests { "${port}" . ${address} }' | ip netns exec ${this.names.mgmtNetns} nft -f -`,
      );
    }
    // Each step may find its part gone already (idempotent): one shell, failures ignored.
    if (lines.length > 0)
      await run(["sh", "-c", lines.map((l) => `${l} 2>/dev/null`).join("\n")], {
        allowFailure: true,
        timeoutMs: 15_000,
      });
    if (unplug) this.detached.add(index);
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

import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { FW_MARK_TABLE, FW_TABLE } from "../firewall/ruleset.js";
import { RealiseError } from "../types.js";
import { command, inNetns, ipIn, ipJson } from "./exec.js";
import { NodeFrr } from "./frr.js";
import {
  planNetwork,
  sdnNames,
  type NodeNetwork,
  type SdnNames,
  type VnetDevices,
} from "./model.js";
import type { BridgeLocation, RunningSdnConfig, SdnNode } from "./types.js";

/** Marks links the realiser created, so a re-apply deletes only its own (`ip link … alias`). */
const OWNED_ALIAS = "txbox-sdn";
const UNDERLAY_BRIDGE = "ul0";
const NODE_UPLINK = "ul";

interface LinkInfo {
  ifname: string;
  address?: string;
  mtu?: number;
  flags?: string[];
  master?: string;
  ifalias?: string;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
}

interface AddrInfo {
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

interface FdbEntry {
  mac: string;
  dst?: string;
}

export interface SdnRealiserOptions {
  /** Prefix of every namespace this realiser owns (`<prefix>-<node>`, `<prefix>-underlay`). */
  prefix?: string;
  /** Where applied rulesets and the applied configuration live. */
  stateDir?: string;
  /**
   * Where FRR's configs, sockets and pid files live, one directory per node. zebra and bgpd drop
   * to user `frr`, so every directory above it must be traversable by that user: default
   * `/run/txbox-frr/<prefix>` (the testbed's own state directory is 0700).
   */
  frrDir?: string;
}

/** What an apply changed, one line per effect; empty when the nodes already matched. */
export interface SdnApplyReport {
  changes: string[];
}

/**
 * Realises the running SDN configuration with real devices: one network namespace per testbed
 * node, joined by an underlay bridge in its own namespace; per vnet a Linux bridge and a VXLAN
 * device (VNI = tag); static flooding for vxlan zones, FRR zebra + bgpd (EVPN) for evpn zones;
 * the vnet firewalls as nftables rules. Every apply converges and is idempotent.
 */
export class SdnRealiser {
  readonly names: SdnNames;
  readonly stateDir: string;
  readonly frrDir: string;
  /** The SDN configuration of the last apply (without firewall): what firewall changes apply to. */
  private applied: RunningSdnConfig | undefined;
  private networks = new Map<string, NodeNetwork>();
  /** Applies and teardowns run one at a time (two reload tasks may overlap). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: SdnRealiserOptions = {}) {
    this.names = sdnNames(options.prefix ?? "tbn");
    this.stateDir = options.stateDir ?? `/run/txbox-sdn/${this.names.prefix}`;
    this.frrDir = options.frrDir ?? `/run/txbox-frr/${this.names.prefix}`;
    // After a testbed restart, bridgeFor answers from the last apply until the next one.
    try {
      const saved = JSON.parse(
        readFileSync(join(this.stateDir, "networks.json"), "utf8"),
      ) as NodeNetwork[];
      for (const n of saved) this.networks.set(n.node, n);
      this.applied = JSON.parse(
        readFileSync(join(this.stateDir, "applied.json"), "utf8"),
      ) as RunningSdnConfig;
    } catch {
      // Nothing applied yet.
    }
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Make every node match `sdn`; nodes of an earlier apply that are not in `nodes` are removed. */
  apply(nodes: SdnNode[], sdn: RunningSdnConfig): Promise<SdnApplyReport> {
    return this.serial(() => this.applyNow(nodes, sdn));
  }

  private async applyNow(nodes: SdnNode[], sdn: RunningSdnConfig): Promise<SdnApplyReport> {
    const plan = planNetwork(nodes, sdn, this.names);
    const changes: string[] = [];
    await mkdir(this.stateDir, { recursive: true });
    changes.push(...(await this.ensureUnderlay()));
    const wanted = new Set(plan.map((n) => n.netns));
    for (const ns of await this.ownedNodeNetns())
      if (!wanted.has(ns)) changes.push(...(await this.removeNode(ns)));
    for (const net of plan) {
      changes.push(...(await this.ensureNode(net)));
      this.networks.set(net.node, net);
    }
    for (const node of [...this.networks.keys()])
      if (!plan.some((n) => n.node === node)) this.networks.delete(node);
    await writeFile(join(this.stateDir, "networks.json"), JSON.stringify(plan));
    const { vnetFirewalls: _f, firewall: _s, firewallConfig: _c, ...applied } = sdn;
    this.applied = applied;
    await writeFile(join(this.stateDir, "applied.json"), JSON.stringify(applied));
    return { changes };
  }

  /**
   * Realise changed firewall state (vnet firewalls, the cluster's switches) on the nodes of the
   * last SDN apply, as pve-firewall does within seconds of a change; nothing before a first apply.
   */
  applyFirewall(
    nodes: SdnNode[],
    firewall: Pick<RunningSdnConfig, "vnetFirewalls" | "firewall">,
  ): Promise<SdnApplyReport> {
    return this.serial(async () => {
      const changes: string[] = [];
      if (this.applied === undefined) return { changes };
      const plan = planNetwork(nodes, { ...this.applied, ...firewall }, this.names);
      for (const net of plan) {
        if (!existsSync(`/run/netns/${net.netns}`)) continue;
        await this.ensureNft(net, (what) => changes.push(`${net.node}: ${what}`));
      }
      return { changes };
    });
  }

  /** Each node of the last apply with its vnet bridges (what the node's firewall judges). */
  nodeBridges(): { node: string; bridges: string[] }[] {
    return [...this.networks.values()].map((n) => ({
      node: n.node,
      bridges: n.vnets.map((v) => v.bridge),
    }));
  }

  /**
   * Make each node's guest and cluster firewall tables (firewall/ruleset.ts) match `scripts`
   * (node → script; "" = no tables), one atomic nft transaction per node that differs.
   */
  applyNodeFirewalls(scripts: Record<string, string>): Promise<string[]> {
    return this.serial(async () => {
      const changes: string[] = [];
      for (const [node, script] of Object.entries(scripts)) {
        const net = this.networks.get(node);
        if (net === undefined || !existsSync(`/run/netns/${net.netns}`)) continue;
        const file = join(this.stateDir, `${node}.fw.nft`);
        const applied = existsSync(file) ? await readFile(file, "utf8") : undefined;
        const listed = await inNetns(net.netns, ["nft", "list", "table", "inet", FW_TABLE], {
          allowFailure: true,
        });
        if (applied === script && (listed.code === 0) === (script !== "")) continue;
        const reset = [FW_TABLE, FW_MARK_TABLE].map((t, i) => {
          const family = i === 0 ? "inet" : "bridge";
          return `table ${family} ${t}\ndelete table ${family} ${t}\n`;
        });
        await inNetns(net.netns, ["nft", "-f", "-"], { input: `${reset.join("")}${script}` });
        await writeFile(file, script);
        changes.push(`${node}: applied guest and cluster firewall`);
      }
      return changes;
    });
  }

  /** Remove every namespace, process, link and file this realiser created. */
  teardown(): Promise<void> {
    return this.serial(() => this.teardownNow());
  }

  private async teardownNow(): Promise<void> {
    for (const ns of await this.ownedNodeNetns()) await this.removeNode(ns);
    for (const ns of await this.ownedGuestNetns())
      await command(["ip", "netns", "del", ns], { allowFailure: true });
    if (existsSync(`/run/netns/${this.names.underlayNetns}`))
      await command(["ip", "netns", "del", this.names.underlayNetns], { allowFailure: true });
    await rm(this.stateDir, { recursive: true, force: true });
    await rm(this.frrDir, { recursive: true, force: true });
    this.networks.clear();
    this.applied = undefined;
  }

  /** The namespace and bridge a guest's veth must be plugged into to join `vnet` on `node`. */
  bridgeFor(node: string, vnet: string): BridgeLocation {
    const net = this.networks.get(node);
    const v = net?.vnets.find((x) => x.vnet === vnet);
    if (!net || !v) throw new RealiseError(`vnet ${vnet} is not realised on node ${node}`);
    return { netns: net.netns, bridge: v.bridge };
  }

  /** Run vtysh commands against a node's FRR daemons (evpn zones only). */
  vtysh(node: string, commands: string[]): Promise<string> {
    return this.frr(node).vtysh(commands);
  }

  private frr(node: string): NodeFrr {
    return new NodeFrr(node, this.names.nodeNetns(node), join(this.frrDir, node));
  }

  private async ownedNodeNetns(): Promise<string[]> {
    const dir = "/run/netns";
    const all = existsSync(dir) ? await readdir(dir) : [];
    return all.filter(
      (n) => n.startsWith(`${this.names.prefix}-`) && n !== this.names.underlayNetns,
    );
  }

  /** Namespaces of network-only guests (netguest.ts) attached through this realiser. */
  async ownedGuestNetns(): Promise<string[]> {
    const dir = "/run/netns";
    const all = existsSync(dir) ? await readdir(dir) : [];
    return all.filter((n) => n.startsWith(this.names.guestNetnsPrefix));
  }

  private async ensureUnderlay(): Promise<string[]> {
    const ns = this.names.underlayNetns;
    const changes: string[] = [];
    if (!existsSync(`/run/netns/${ns}`)) {
      await command(["ip", "netns", "add", ns]);
      changes.push(`created underlay namespace ${ns}`);
    }
    const links = await ipJson<LinkInfo>(ns, ["link", "show"]);
    if (!links.some((l) => l.ifname === UNDERLAY_BRIDGE)) {
      await ipIn(ns, ["link", "add", UNDERLAY_BRIDGE, "type", "bridge"]);
      changes.push(`created underlay bridge ${UNDERLAY_BRIDGE}`);
    }
    for (const dev of ["lo", UNDERLAY_BRIDGE]) await ipIn(ns, ["link", "set", dev, "up"]);
    return changes;
  }

  private underlayPort(node: string): string {
    const h = createHash("sha256").update(node).digest("hex").slice(0, 6);
    return `u${this.names.prefix}${h}`.slice(0, 15);
  }

  private async removeNode(ns: string): Promise<string[]> {
    const node = ns.slice(this.names.prefix.length + 1);
    await this.frr(node).stop();
    await command(["ip", "netns", "del", ns], { allowFailure: true });
    await rm(join(this.frrDir, node), { recursive: true, force: true });
    await rm(join(this.stateDir, `${node}.nft`), { force: true });
    await rm(join(this.stateDir, `${node}.fw.nft`), { force: true });
    // The veth's underlay end vanishes with its peer; nothing else to remove.
    return [`removed node ${node}`];
  }

  private async ensureNode(net: NodeNetwork): Promise<string[]> {
    const ns = net.netns;
    const changes: string[] = [];
    const say = (what: string) => changes.push(`${net.node}: ${what}`);
    if (!existsSync(`/run/netns/${ns}`)) {
      await command(["ip", "netns", "add", ns]);
      say(`created namespace ${ns}`);
    }
    const forward = await inNetns(ns, ["sysctl", "-n", "net.ipv4.ip_forward"]);
    if (forward.stdout.trim() !== "1") {
      await inNetns(ns, ["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
      say("enabled IPv4 forwarding");
    }
    let links = await ipJson<LinkInfo>(ns, ["-d", "link", "show"]);
    const lo = links.find((l) => l.ifname === "lo");
    if (!lo?.flags?.includes("UP")) await ipIn(ns, ["link", "set", "lo", "up"]);

    // Underlay: a veth from the node namespace to the underlay bridge.
    if (!links.some((l) => l.ifname === NODE_UPLINK)) {
      const port = this.underlayPort(net.node);
      await ipIn(this.names.underlayNetns, ["link", "del", port], true);
      await ipIn(this.names.underlayNetns, [
        "link",
        "add",
        port,
        "type",
        "veth",
        "peer",
        "name",
        NODE_UPLINK,
        "netns",
        ns,
      ]);
      await ipIn(this.names.underlayNetns, ["link", "set", port, "master", UNDERLAY_BRIDGE, "up"]);
      say(`plugged into the underlay as ${net.underlay.address}`);
    }
    await this.ensureAddresses(
      ns,
      NODE_UPLINK,
      [`${net.underlay.address}/${net.underlay.prefix}`],
      say,
    );
    await ipIn(ns, ["link", "set", NODE_UPLINK, "up"]);

    links = await ipJson<LinkInfo>(ns, ["-d", "link", "show"]);
    const byName = new Map(links.map((l) => [l.ifname, l]));
    const desiredNames = new Set(net.vnets.flatMap((v) => [v.bridge, v.vxlan]));
    // Remove our devices that are no longer wanted (vxlans first, then their bridges).
    const stale = links
      .filter((l) => l.ifalias === OWNED_ALIAS && !desiredNames.has(l.ifname))
      .sort(
        (a, b) =>
          (a.linkinfo?.info_kind === "vxlan" ? -1 : 0) -
          (b.linkinfo?.info_kind === "vxlan" ? -1 : 0),
      );
    for (const l of stale) {
      await ipIn(ns, ["link", "del", l.ifname], true);
      say(`deleted ${l.linkinfo?.info_kind ?? "link"} ${l.ifname}`);
    }
    for (const v of net.vnets) {
      await this.ensureBridge(ns, v, byName, say);
      await this.ensureVxlan(ns, v, net.underlay.address, byName, say);
      await this.ensureAddresses(ns, v.bridge, v.addresses, say);
      if (v.zoneType === "vxlan") await this.ensureFlooding(ns, v, say);
    }

    await this.ensureNft(net, say);
    changes.push(...(await this.frr(net.node).ensure(net.bgp)));
    return changes;
  }

  /** The node's firewall: the whole table in one atomic transaction, only when it differs. */
  private async ensureNft(net: NodeNetwork, say: (what: string) => void): Promise<void> {
    const ns = net.netns;
    const nftFile = join(this.stateDir, `${net.node}.nft`);
    const applied = existsSync(nftFile) ? await readFile(nftFile, "utf8") : undefined;
    const present =
      (await inNetns(ns, ["nft", "list", "table", "inet", "txbox_sdn"], { allowFailure: true }))
        .code === 0;
    if (applied !== net.nft || !present) {
      const script = `table inet txbox_sdn\ndelete table inet txbox_sdn\n${net.nft}`;
      await inNetns(ns, ["nft", "-f", "-"], { input: script });
      await writeFile(nftFile, net.nft);
      say("applied nftables ruleset");
    }
  }

  /** The vnet's bridge, ours (alias), with the vnet's MAC and MTU, up. */
  private async ensureBridge(
    ns: string,
    v: VnetDevices,
    links: Map<string, LinkInfo>,
    say: (what: string) => void,
  ): Promise<void> {
    const br = links.get(v.bridge);
    if (br && br.linkinfo?.info_kind !== "bridge") {
      await ipIn(ns, ["link", "del", v.bridge]);
      links.delete(v.bridge);
    }
    if (!links.has(v.bridge)) {
      await ipIn(ns, ["link", "add", v.bridge, "type", "bridge"]);
      say(`created bridge ${v.bridge}`);
    }
    const cur = links.get(v.bridge);
    if (
      !cur ||
      cur.address !== v.mac ||
      cur.mtu !== v.mtu ||
      cur.ifalias !== OWNED_ALIAS ||
      !cur.flags?.includes("UP")
    ) {
      await ipIn(ns, [
        "link",
        "set",
        v.bridge,
        "address",
        v.mac,
        "mtu",
        String(v.mtu),
        "alias",
        OWNED_ALIAS,
        "up",
      ]);
      if (cur) say(`set bridge ${v.bridge} address/mtu/state`);
    }
  }

  /** The vnet's VXLAN device (VNI, local address, port; no learning), enslaved to its bridge, up. */
  private async ensureVxlan(
    ns: string,
    v: VnetDevices,
    local: string,
    links: Map<string, LinkInfo>,
    say: (what: string) => void,
  ): Promise<void> {
    const vx = links.get(v.vxlan);
    const data = vx?.linkinfo?.info_data ?? {};
    const matches =
      vx?.linkinfo?.info_kind === "vxlan" &&
      data.id === v.vni &&
      data.local === local &&
      data.port === v.dstport &&
      data.learning === false;
    if (vx && !matches) {
      await ipIn(ns, ["link", "del", v.vxlan]);
      say(`replaced vxlan ${v.vxlan} (VNI/local/port changed)`);
    }
    if (!matches) {
      await ipIn(ns, [
        "link",
        "add",
        v.vxlan,
        "type",
        "vxlan",
        "id",
        String(v.vni),
        "local",
        local,
        "dstport",
        String(v.dstport),
        "nolearning",
      ]);
      say(`created vxlan ${v.vxlan} VNI ${v.vni}`);
    }
    const vcur = matches ? vx : undefined;
    if (
      !vcur ||
      vcur.master !== v.bridge ||
      vcur.mtu !== v.mtu ||
      vcur.ifalias !== OWNED_ALIAS ||
      !vcur.flags?.includes("UP")
    ) {
      await ipIn(ns, [
        "link",
        "set",
        v.vxlan,
        "master",
        v.bridge,
        "mtu",
        String(v.mtu),
        "alias",
        OWNED_ALIAS,
      ]);
      // Remote MACs come from flooding (vxlan) or EVPN (evpn), never from data-plane learning.
      await ipIn(ns, [
        "link",
        "set",
        v.vxlan,
        "type",
        "bridge_slave",
        "learning",
        "off",
        "neigh_suppress",
        "off",
      ]);
      await ipIn(ns, ["link", "set", v.vxlan, "up"]);
    }
  }

  private async ensureAddresses(
    ns: string,
    dev: string,
    wanted: string[],
    say: (what: string) => void,
  ): Promise<void> {
    const [info] = await ipJson<AddrInfo>(ns, ["addr", "show", "dev", dev]);
    const have = (info?.addr_info ?? [])
      .filter((a) => a.family === "inet")
      .map((a) => `${a.local}/${a.prefixlen}`);
    for (const a of wanted)
      if (!have.includes(a)) {
        await ipIn(ns, ["addr", "add", a, "dev", dev]);
        say(`added ${a} to ${dev}`);
      }
    for (const a of have)
      if (!wanted.includes(a)) {
        await ipIn(ns, ["addr", "del", a, "dev", dev]);
        say(`removed ${a} from ${dev}`);
      }
  }

  private async ensureFlooding(
    ns: string,
    v: VnetDevices,
    say: (what: string) => void,
  ): Promise<void> {
    const r = await command(["bridge", "-n", ns, "-j", "fdb", "show", "dev", v.vxlan]);
    const entries = (r.stdout.trim() === "" ? [] : JSON.parse(r.stdout)) as FdbEntry[];
    const have = entries.filter((e) => e.mac === "00:00:00:00:00:00" && e.dst).map((e) => e.dst!);
    for (const p of v.floodPeers)
      if (!have.includes(p)) {
        await command([
          "bridge",
          "-n",
          ns,
          "fdb",
          "append",
          "00:00:00:00:00:00",
          "dev",
          v.vxlan,
          "dst",
          p,
        ]);
        say(`flooding ${v.vxlan} to ${p}`);
      }
    for (const p of have)
      if (!v.floodPeers.includes(p)) {
        await command([
          "bridge",
          "-n",
          ns,
          "fdb",
          "del",
          "00:00:00:00:00:00",
          "dev",
          v.vxlan,
          "dst",
          p,
        ]);
        say(`stopped flooding ${v.vxlan} to ${p}`);
      }
  }
}

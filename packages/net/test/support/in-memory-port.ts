/**
 * An in-memory NetPort FOR TESTS ONLY: it keeps SDN objects with PVE's pending/running split,
 * firewalls and guests in maps, and can be told to fail a call (to simulate a crash mid-apply).
 * It is not a Proxmox stand-in; the real one is the testbed.
 */
import {
  AlreadyExistsError,
  type CloneRequest,
  type FirewallRule,
  type FirewallState,
  type GuestRef,
  type Ledger,
  type NetPort,
  type ObservedGuest,
  type PendingState,
} from "../../src/index.js";
import { subnetId } from "../../src/ip.js";

type Obj = Record<string, unknown> & { state?: PendingState };

export class InMemoryPortForTests implements NetPort {
  controllers = new Map<string, Obj>();
  zones = new Map<string, Obj>();
  vnets = new Map<string, Obj>();
  subnets = new Map<string, Obj>();
  vnetFw = new Map<string, FirewallState>();
  guests = new Map<number, ObservedGuest>();
  guestFw = new Map<number, FirewallState>();
  ledgers = new Map<string, Ledger>();
  sshKeys = new Map<number, string[]>();
  calls: string[] = [];
  applies = 0;
  nodes = ["pve1", "pve2", "pve3"];
  /** Zone status per `node/zone`; absent = available. */
  zoneStatus = new Map<string, string>();
  /** PVE's defaults are off; the tests that are not about them start with both on. */
  datacenterFirewall = true;
  nftablesOff = new Set<string>();
  /** Throw on the n-th call (1-based) of the named method. */
  private failures = new Map<string, number>();

  failOn(method: string, nth = 1): void {
    this.failures.set(method, nth);
  }

  private call(method: string): void {
    this.calls.push(method);
    const n = this.failures.get(method);
    if (n !== undefined) {
      if (n <= 1) {
        this.failures.delete(method);
        throw new Error(`simulated crash in ${method}`);
      }
      this.failures.set(method, n - 1);
    }
  }

  private list(map: Map<string, Obj>): Obj[] {
    return [...map.values()].map((o) => structuredClone(o));
  }
  private create(map: Map<string, Obj>, id: string, params: Record<string, unknown>): void {
    if (map.has(id) && map.get(id)!.state !== "deleted")
      throw new AlreadyExistsError(`${id} already exists`);
    map.set(id, { ...params, state: "new" });
  }
  private update(map: Map<string, Obj>, id: string, params: Record<string, unknown>): void {
    const cur = map.get(id);
    if (!cur) throw new Error(`${id} does not exist`);
    const { delete: del, ...rest } = params;
    for (const k of String(del ?? "")
      .split(",")
      .filter(Boolean))
      delete cur[k];
    Object.assign(cur, rest);
    if (cur.state === undefined) cur.state = "changed";
  }
  private remove(map: Map<string, Obj>, id: string): void {
    const cur = map.get(id);
    if (!cur) return;
    if (cur.state === "new") map.delete(id);
    else cur.state = "deleted";
  }

  async listControllers() {
    this.call("listControllers");
    return this.list(this.controllers) as never;
  }
  async listZones() {
    this.call("listZones");
    return this.list(this.zones) as never;
  }
  async listVnets() {
    this.call("listVnets");
    return this.list(this.vnets) as never;
  }
  async listSubnets(vnet: string) {
    this.call("listSubnets");
    return this.list(this.subnets).filter((s) => s.vnet === vnet) as never;
  }
  async createController(p: Record<string, unknown>) {
    this.call("createController");
    this.create(this.controllers, String(p.controller), p);
  }
  async updateController(id: string, p: Record<string, unknown>) {
    this.call("updateController");
    this.update(this.controllers, id, p);
  }
  async deleteController(id: string) {
    this.call("deleteController");
    this.remove(this.controllers, id);
  }
  async createZone(p: Record<string, unknown>) {
    this.call("createZone");
    this.create(this.zones, String(p.zone), p);
  }
  async updateZone(id: string, p: Record<string, unknown>) {
    this.call("updateZone");
    this.update(this.zones, id, p);
  }
  async deleteZone(id: string) {
    this.call("deleteZone");
    this.remove(this.zones, id);
  }
  async createVnet(p: Record<string, unknown>) {
    this.call("createVnet");
    for (const v of this.vnets.values())
      if (v.tag === p.tag && v.state !== "deleted")
        throw new Error(`vxlan tag ${String(p.tag)} already exist`);
    this.create(this.vnets, String(p.vnet), p);
  }
  async updateVnet(id: string, p: Record<string, unknown>) {
    this.call("updateVnet");
    this.update(this.vnets, id, p);
  }
  async deleteVnet(id: string) {
    this.call("deleteVnet");
    this.remove(this.vnets, id);
    this.vnetFw.delete(id);
  }
  async createSubnet(vnet: string, p: Record<string, unknown>) {
    this.call("createSubnet");
    const zone = String(this.vnets.get(vnet)?.zone);
    const id = subnetId(zone, String(p.subnet));
    this.create(this.subnets, id, { ...p, subnet: id, cidr: p.subnet, vnet });
  }
  async updateSubnet(_vnet: string, id: string, p: Record<string, unknown>) {
    this.call("updateSubnet");
    this.update(this.subnets, id, p);
  }
  async deleteSubnet(_vnet: string, id: string) {
    this.call("deleteSubnet");
    this.remove(this.subnets, id);
  }
  async applySdn() {
    this.call("applySdn");
    this.applies++;
    this.zoneStatus.clear();
    for (const map of [this.controllers, this.zones, this.vnets, this.subnets])
      for (const [id, o] of map) {
        if (o.state === "deleted") map.delete(id);
        else delete o.state;
      }
  }

  private fw(map: Map<string | number, FirewallState>, key: string | number): FirewallState {
    let f = map.get(key);
    if (!f) map.set(key, (f = { options: {}, rules: [] }));
    return f;
  }
  private renumber(f: FirewallState): void {
    f.rules.forEach((r, i) => (r.pos = i));
  }
  async listNodes() {
    this.call("listNodes");
    return [...this.nodes];
  }
  async listZoneStatus(nodes: string[]) {
    this.call("listZoneStatus");
    return nodes.flatMap((node) =>
      [...this.zones.entries()]
        .filter(([, z]) => z.state !== "new")
        .map(([zone]) => ({
          node,
          zone,
          status: this.zoneStatus.get(`${node}/${zone}`) ?? "available",
        })),
    );
  }
  async getFirewallSwitches(nodes: string[]) {
    this.call("getFirewallSwitches");
    return {
      datacenter: this.datacenterFirewall,
      nftables: Object.fromEntries(nodes.map((n) => [n, !this.nftablesOff.has(n)])),
    };
  }
  async enableDatacenterFirewall() {
    this.call("enableDatacenterFirewall");
    this.datacenterFirewall = true;
  }
  async enableNodeNftables(node: string) {
    this.call("enableNodeNftables");
    this.nftablesOff.delete(node);
  }
  async getVnetFirewall(vnet: string) {
    this.call("getVnetFirewall");
    return structuredClone(this.fw(this.vnetFw as never, vnet));
  }
  async setVnetFirewallOptions(vnet: string, o: Record<string, string | number>) {
    this.call("setVnetFirewallOptions");
    Object.assign(this.fw(this.vnetFw as never, vnet).options, o);
  }
  async createVnetFirewallRule(vnet: string, rule: FirewallRule) {
    this.call("createVnetFirewallRule");
    const f = this.fw(this.vnetFw as never, vnet);
    f.rules.splice(rule.pos ?? 0, 0, { ...rule });
    this.renumber(f);
  }
  async deleteVnetFirewallRule(vnet: string, pos: number) {
    this.call("deleteVnetFirewallRule");
    const f = this.fw(this.vnetFw as never, vnet);
    f.rules.splice(pos, 1);
    this.renumber(f);
  }
  async listGuests() {
    this.call("listGuests");
    return [...this.guests.values()].map((g) => structuredClone(g));
  }
  async getGuestFirewall(g: GuestRef) {
    this.call("getGuestFirewall");
    return structuredClone(this.fw(this.guestFw as never, g.vmid));
  }
  async setGuestFirewallOptions(g: GuestRef, o: Record<string, string | number>) {
    this.call("setGuestFirewallOptions");
    Object.assign(this.fw(this.guestFw as never, g.vmid).options, o);
  }
  async createGuestFirewallRule(g: GuestRef, rule: FirewallRule) {
    this.call("createGuestFirewallRule");
    const f = this.fw(this.guestFw as never, g.vmid);
    f.rules.splice(rule.pos ?? 0, 0, { ...rule });
    this.renumber(f);
  }
  async deleteGuestFirewallRule(g: GuestRef, pos: number) {
    this.call("deleteGuestFirewallRule");
    const f = this.fw(this.guestFw as never, g.vmid);
    f.rules.splice(pos, 1);
    this.renumber(f);
  }
  async cloneGuest(r: CloneRequest) {
    this.call("cloneGuest");
    const t = this.guests.get(r.template);
    if (!t?.template) throw new Error(`template ${r.template} does not exist`);
    if (this.guests.has(r.vmid))
      throw new AlreadyExistsError(`unable to create VM ${r.vmid}: config file already exists`);
    this.guests.set(r.vmid, {
      node: r.node,
      vmid: r.vmid,
      type: r.type,
      name: r.name,
      status: "stopped",
      template: false,
      tags: [...t.tags],
      config: { ...t.config, [r.type === "lxc" ? "hostname" : "name"]: r.name },
    });
  }
  async configureGuest(g: GuestRef, config: Record<string, string | number>) {
    this.call("configureGuest");
    const cur = this.guests.get(g.vmid);
    if (!cur) throw new Error(`guest ${g.vmid} does not exist`);
    Object.assign(cur.config, config);
    for (const [k, v] of Object.entries(config))
      if (/^net\d$/.test(k) && !String(v).includes("hwaddr"))
        cur.config[k] = `${v},hwaddr=BC:24:11:00:00:${String(g.vmid % 100).padStart(2, "0")}`;
    if (config.tags !== undefined) cur.tags = String(config.tags).split(";");
  }
  async authorizeSshKeys(g: GuestRef, _user: string, keys: string[]) {
    this.call("authorizeSshKeys");
    this.sshKeys.set(g.vmid, keys);
  }
  async startGuest(g: GuestRef) {
    this.call("startGuest");
    this.guests.get(g.vmid)!.status = "running";
  }
  async stopGuest(g: GuestRef) {
    this.call("stopGuest");
    const cur = this.guests.get(g.vmid);
    if (cur) cur.status = "stopped";
  }
  async destroyGuest(g: GuestRef) {
    this.call("destroyGuest");
    this.guests.delete(g.vmid);
    this.guestFw.delete(g.vmid);
  }
  async waitForSsh(g: GuestRef) {
    this.call("waitForSsh");
    if (this.guests.get(g.vmid)?.status !== "running")
      throw new Error(`guest ${g.vmid} is not running`);
  }
  async loadLedger(name: string) {
    this.call("loadLedger");
    return structuredClone(this.ledgers.get(name) ?? { controllers: [], zones: [] });
  }
  async saveLedger(name: string, l: Ledger) {
    this.call("saveLedger");
    this.ledgers.set(name, structuredClone(l));
  }

  /** A template guest to clone from. */
  addTemplate(vmid: number, node: string, type: "lxc" | "qemu" = "lxc"): void {
    this.guests.set(vmid, {
      node,
      vmid,
      type,
      name: `tpl${vmid}`,
      status: "stopped",
      template: true,
      tags: [],
      config: {},
    });
  }
}

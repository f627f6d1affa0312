/**
 * The port through which {@link apply} changes a cluster. The lead's adapter maps it onto
 * `@txbox/proxmox`; tests use an in-memory port. Shapes follow the PVE API (field names, 0/1
 * booleans, comma-separated lists) so the adapter is a thin pass-through.
 *
 * Contract for every method: deleting something missing is success; creating something that
 * exists throws {@link AlreadyExistsError} (the engine then updates it); each call waits for its
 * task to finish and honours `signal`.
 */

/** Pending-state marker PVE puts on SDN items listed with `?pending=1`. */
export type PendingState = "new" | "changed" | "deleted";

/** Fields common to SDN items listed with `?pending=1`. */
export interface PendingFields {
  state?: PendingState;
  /** The pending values when they differ from the running ones. */
  pending?: Record<string, unknown>;
}

export interface SdnController extends PendingFields {
  controller: string;
  type: string;
  asn?: number;
  peers?: string;
  [key: string]: unknown;
}

export interface SdnZone extends PendingFields {
  zone: string;
  type: string;
  peers?: string;
  controller?: string;
  "vrf-vxlan"?: number;
  exitnodes?: string;
  mtu?: number;
  nodes?: string;
  "advertise-subnets"?: number;
  [key: string]: unknown;
}

export interface SdnVnet extends PendingFields {
  vnet: string;
  zone?: string;
  tag?: number;
  alias?: string;
  [key: string]: unknown;
}

export interface SdnSubnet extends PendingFields {
  /** PVE's id: `<zone>-<network>-<prefix>`. */
  subnet: string;
  vnet: string;
  /** `10.0.0.0/24`; derived from the id when the API omits it. */
  cidr?: string;
  gateway?: string;
  snat?: number;
  [key: string]: unknown;
}

/** A firewall rule as PVE lists it (vnet or guest firewall). */
export interface FirewallRule {
  pos?: number;
  type: "in" | "out" | "forward" | "group";
  action: string;
  enable?: number;
  source?: string;
  dest?: string;
  proto?: string;
  dport?: string;
  iface?: string;
  comment?: string;
}

export interface FirewallState {
  /** `enable`, `policy_forward` (vnet) or `policy_in`/`policy_out` (guest). */
  options: Record<string, string | number>;
  /** In position order. */
  rules: FirewallRule[];
}

/** Where a guest lives; enough to address it in the API. */
export interface GuestRef {
  node: string;
  vmid: number;
  type: "lxc" | "qemu";
}

export interface ObservedGuest extends GuestRef {
  name: string;
  status: "running" | "stopped";
  template: boolean;
  tags: string[];
  /** The guest's config (`GET .../config`): `net0`, `cores`, `memory`, `description`, … */
  config: Record<string, string | number>;
}

/** A storage as the planner needs it (`GET /storage`): shared across nodes, and where enabled. */
export interface StorageInfo {
  storage: string;
  shared: boolean;
  /** Nodes the storage is enabled on; undefined = all. */
  nodes?: string[];
}

/**
 * What txbox created and PVE cannot mark itself (controllers and zones have no comment field).
 * Vnets (alias), guests (tags) and firewall rules (comment) carry their own marker.
 */
export interface Ledger {
  controllers: string[];
  zones: string[];
}

/** PVE's status of a zone on one node (`GET /nodes/{node}/sdn/zones`). */
export interface ZoneStatus {
  node: string;
  zone: string;
  /** `available` once the node runs the current SDN config; `pending` or `error` until then. */
  status: string;
}

/**
 * The switches without which PVE enforces no guest or vnet firewall: the datacenter firewall
 * (`/cluster/firewall/options` `enable`, default 0) and, for vnet `forward` rules, the nftables
 * firewall on each node (`/nodes/{node}/firewall/options` `nftables`, default 0).
 */
export interface FirewallSwitches {
  datacenter: boolean;
  /** Per node name: whether `nftables` is on. */
  nftables: Record<string, boolean>;
}

/** The cluster as the planner sees it. */
export interface Observed {
  controllers: SdnController[];
  zones: SdnZone[];
  vnets: SdnVnet[];
  subnets: SdnSubnet[];
  /** Vnet firewall per vnet id (only for vnets that exist). */
  vnetFirewalls: Record<string, FirewallState>;
  guests: ObservedGuest[];
  /** Guest firewall per vmid. */
  guestFirewalls: Record<string, FirewallState>;
  ledger: Ledger;
  /** The cluster's nodes. */
  nodes: string[];
  /** Per node and zone of the running config (absent = not reported: treated as available). */
  zoneStatus: ZoneStatus[];
  firewall: FirewallSwitches;
  /** Storage definitions, when the backend lists them (cross-node clones need shared storage). */
  storages?: StorageInfo[];
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface CloneRequest extends GuestRef {
  template: number;
  /** Node the template lives on: PVE clones at `/nodes/{templateNode}/…/{template}/clone` with `target` = `node`. */
  templateNode: string;
  name: string;
  linked: boolean;
  /** Target storage of a full clone. */
  storage?: string;
  /**
   * Clone on `templateNode` (a full clone), then migrate offline to `node`: PVE clones across
   * nodes only from or onto shared storage, and this is how a guest reaches another node from
   * local storage.
   */
  migrate?: boolean;
}

/** The effects {@link apply} needs. One implementation per backend. */
export interface NetPort {
  listControllers(opts?: CallOptions): Promise<SdnController[]>;
  listZones(opts?: CallOptions): Promise<SdnZone[]>;
  listVnets(opts?: CallOptions): Promise<SdnVnet[]>;
  listSubnets(vnet: string, opts?: CallOptions): Promise<SdnSubnet[]>;

  createController(params: Record<string, unknown>, opts?: CallOptions): Promise<void>;
  updateController(id: string, params: Record<string, unknown>, opts?: CallOptions): Promise<void>;
  deleteController(id: string, opts?: CallOptions): Promise<void>;
  createZone(params: Record<string, unknown>, opts?: CallOptions): Promise<void>;
  updateZone(id: string, params: Record<string, unknown>, opts?: CallOptions): Promise<void>;
  deleteZone(id: string, opts?: CallOptions): Promise<void>;
  createVnet(params: Record<string, unknown>, opts?: CallOptions): Promise<void>;
  updateVnet(id: string, params: Record<string, unknown>, opts?: CallOptions): Promise<void>;
  deleteVnet(id: string, opts?: CallOptions): Promise<void>;
  /** `params.subnet` is the CIDR, as `POST /cluster/sdn/vnets/{vnet}/subnets` takes it. */
  createSubnet(vnet: string, params: Record<string, unknown>, opts?: CallOptions): Promise<void>;
  /** `id` is PVE's `<zone>-<network>-<prefix>`. */
  updateSubnet(
    vnet: string,
    id: string,
    params: Record<string, unknown>,
    opts?: CallOptions,
  ): Promise<void>;
  deleteSubnet(vnet: string, id: string, opts?: CallOptions): Promise<void>;
  /** `PUT /cluster/sdn`, then wait for the `reloadnetworkall` task; a node whose reload failed is an error. */
  applySdn(opts?: CallOptions): Promise<void>;
  /** The cluster's node names (`GET /nodes`). */
  listNodes(opts?: CallOptions): Promise<string[]>;
  /** `GET /nodes/{node}/sdn/zones` for each of `nodes`. */
  listZoneStatus(nodes: string[], opts?: CallOptions): Promise<ZoneStatus[]>;
  /** The datacenter switch and each of `nodes`' nftables mode (absent options = PVE's default, off). */
  getFirewallSwitches(nodes: string[], opts?: CallOptions): Promise<FirewallSwitches>;
  /** `PUT /cluster/firewall/options enable=1`. */
  enableDatacenterFirewall(opts?: CallOptions): Promise<void>;
  /** `PUT /nodes/{node}/firewall/options nftables=1`. */
  enableNodeNftables(node: string, opts?: CallOptions): Promise<void>;
  /** Storage definitions (`GET /storage`), where the backend has them. */
  listStorages?(opts?: CallOptions): Promise<StorageInfo[]>;
  /** Run `fn` holding the cluster's SDN lock (PVE 9's lock token), where the backend has one. */
  withSdnLock?<T>(fn: () => Promise<T>, opts?: CallOptions): Promise<T>;

  getVnetFirewall(vnet: string, opts?: CallOptions): Promise<FirewallState>;
  setVnetFirewallOptions(
    vnet: string,
    options: Record<string, string | number>,
    opts?: CallOptions,
  ): Promise<void>;
  /** Insert at `rule.pos` (default: top). */
  createVnetFirewallRule(vnet: string, rule: FirewallRule, opts?: CallOptions): Promise<void>;
  deleteVnetFirewallRule(vnet: string, pos: number, opts?: CallOptions): Promise<void>;

  listGuests(opts?: CallOptions): Promise<ObservedGuest[]>;
  getGuestFirewall(guest: GuestRef, opts?: CallOptions): Promise<FirewallState>;
  setGuestFirewallOptions(
    guest: GuestRef,
    options: Record<string, string | number>,
    opts?: CallOptions,
  ): Promise<void>;
  createGuestFirewallRule(guest: GuestRef, rule: FirewallRule, opts?: CallOptions): Promise<void>;
  deleteGuestFirewallRule(guest: GuestRef, pos: number, opts?: CallOptions): Promise<void>;
  /** Clone `template` into `vmid` and wait for the task; existing `vmid` → AlreadyExistsError. */
  cloneGuest(request: CloneRequest, opts?: CallOptions): Promise<void>;
  /** `PUT .../config` with these keys (values as PVE takes them; `delete` lists keys to remove). */
  configureGuest(
    guest: GuestRef,
    config: Record<string, string | number>,
    opts?: CallOptions,
  ): Promise<void>;
  /** Let `user` log in with `keys` (cloud-init `sshkeys` for qemu; the backend's way for LXC). */
  authorizeSshKeys(
    guest: GuestRef,
    user: string,
    keys: string[],
    opts?: CallOptions,
  ): Promise<void>;
  startGuest(guest: GuestRef, opts?: CallOptions): Promise<void>;
  /** Hard stop; stopped = success. */
  stopGuest(guest: GuestRef, opts?: CallOptions): Promise<void>;
  /** Destroy the guest and its volumes; missing = success. */
  destroyGuest(guest: GuestRef, opts?: CallOptions): Promise<void>;
  /** Resolve when `user` can open an SSH session on the guest; reject after `timeoutMs`. */
  waitForSsh(guest: GuestRef, user: string, timeoutMs: number, opts?: CallOptions): Promise<void>;

  loadLedger(name: string, opts?: CallOptions): Promise<Ledger>;
  saveLedger(name: string, ledger: Ledger, opts?: CallOptions): Promise<void>;
}

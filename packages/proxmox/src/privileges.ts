/**
 * The privileges txbox needs, as data: every PVE API call txbox makes (method and schema path),
 * the feature that makes it, and what PVE checks for it. `schema` needs are the method's
 * `permissions.check` in the API schema (the first alternative of an `or`); `description` needs
 * are those the schema only describes (list filters, the clone's storage and bridge); `handler`
 * needs are checked in PVE's code. test/privileges.test.ts holds the `schema` ones equal to the
 * schema, and the integration suites check that every call they see made is listed here.
 */

/** One privilege check PVE makes: `privs` (all, or any one with `any`) on an ACL path template. */
export interface PrivilegeNeed {
  path: string;
  privs: readonly string[];
  any?: boolean;
  source: "schema" | "description" | "handler";
}

/**
 * What uses a call: every command (`core`), transactions (`tx`), `txbox net`, `txbox doctor`, and
 * rollbacks of HA-managed guests only (`ha`).
 */
export type CallFeature = "core" | "tx" | "net" | "doctor" | "ha";

export interface PveCall {
  /** `METHOD /path/{template}` as in the API schema. */
  call: string;
  feature: CallFeature;
  needs: readonly PrivilegeNeed[];
}

// prettier-ignore
export const PVE_CALLS: readonly PveCall[] = [
  { call: "GET /version", feature: "core", needs: [] },
  { call: "GET /nodes", feature: "core", needs: [] },
  { call: "GET /cluster/nextid", feature: "core", needs: [] },
  { call: "GET /cluster/resources", feature: "core", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Audit"], "source": "handler"}] },
  { call: "GET /storage", feature: "core", needs: [{"path": "/storage/{storage}", "privs": ["Datastore.Audit", "Datastore.AllocateSpace"], "any": true, "source": "description"}] },
  { call: "GET /nodes/{node}/tasks", feature: "core", needs: [] },
  { call: "GET /nodes/{node}/tasks/{upid}/status", feature: "core", needs: [] },
  { call: "GET /nodes/{node}/tasks/{upid}/log", feature: "core", needs: [] },
  { call: "GET /nodes/{node}/qemu/{vmid}/status/current", feature: "tx", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Audit"], "source": "schema"}] },
  { call: "POST /nodes/{node}/qemu/{vmid}/status/start", feature: "tx", needs: [{"path": "/vms/{vmid}", "privs": ["VM.PowerMgmt"], "source": "schema"}] },
  { call: "POST /nodes/{node}/qemu/{vmid}/status/stop", feature: "tx", needs: [{"path": "/vms/{vmid}", "privs": ["VM.PowerMgmt"], "source": "schema"}] },
  { call: "POST /nodes/{node}/qemu/{vmid}/status/shutdown", feature: "tx", needs: [{"path": "/vms/{vmid}", "privs": ["VM.PowerMgmt"], "source": "schema"}] },
  { call: "GET /nodes/{node}/qemu/{vmid}/config", feature: "tx", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Audit"], "source": "schema"}] },
  { call: "PUT /nodes/{node}/qemu/{vmid}/config", feature: "tx", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Config.Disk", "VM.Config.CDROM", "VM.Config.CPU", "VM.Config.Memory", "VM.Config.Network", "VM.Config.HWType", "VM.Config.Options", "VM.Config.Cloudinit"], "source": "schema", "any": true}, {"path": "/vms/{vmid}", "privs": ["VM.Config.Options"], "source": "handler"}] },
  { call: "GET /nodes/{node}/qemu/{vmid}/snapshot", feature: "tx", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Audit"], "source": "schema"}] },
  { call: "POST /nodes/{node}/qemu/{vmid}/snapshot", feature: "tx", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Snapshot"], "source": "schema"}] },
  { call: "POST /nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback", feature: "tx", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Snapshot", "VM.Snapshot.Rollback"], "source": "schema", "any": true}] },
  { call: "DELETE /nodes/{node}/qemu/{vmid}/snapshot/{snapname}", feature: "tx", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Snapshot"], "source": "schema"}] },
  { call: "GET /nodes/{node}/qemu/{vmid}/snapshot/{snapname}/config", feature: "tx", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Snapshot", "VM.Snapshot.Rollback", "VM.Audit"], "source": "schema", "any": true}] },
  { call: "PUT /nodes/{node}/qemu/{vmid}/snapshot/{snapname}/config", feature: "tx", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Snapshot"], "source": "schema"}] },
  { call: "POST /nodes/{node}/qemu/{vmid}/clone", feature: "net", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Clone"], "source": "schema"}, {"path": "/vms/{newid}", "privs": ["VM.Allocate"], "source": "schema"}, {"path": "/storage/{storage}", "privs": ["Datastore.AllocateSpace"], "source": "description"}, {"path": "/sdn/zones/{zone}/{vnet}", "privs": ["SDN.Use"], "source": "description"}] },
  { call: "POST /nodes/{node}/qemu/{vmid}/migrate", feature: "net", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Migrate"], "source": "schema"}] },
  { call: "DELETE /nodes/{node}/qemu/{vmid}", feature: "net", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Allocate"], "source": "schema"}] },
  { call: "GET /nodes/{node}/qemu/{vmid}/firewall/rules", feature: "net", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Audit"], "source": "schema"}] },
  { call: "POST /nodes/{node}/qemu/{vmid}/firewall/rules", feature: "net", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Config.Network"], "source": "schema"}] },
  { call: "GET /nodes/{node}/qemu/{vmid}/firewall/rules/{pos}", feature: "net", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Audit"], "source": "schema"}] },
  { call: "PUT /nodes/{node}/qemu/{vmid}/firewall/rules/{pos}", feature: "net", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Config.Network"], "source": "schema"}] },
  { call: "DELETE /nodes/{node}/qemu/{vmid}/firewall/rules/{pos}", feature: "net", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Config.Network"], "source": "schema"}] },
  { call: "GET /nodes/{node}/qemu/{vmid}/firewall/options", feature: "net", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Audit"], "source": "schema"}] },
  { call: "PUT /nodes/{node}/qemu/{vmid}/firewall/options", feature: "net", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Config.Network"], "source": "schema"}] },
  { call: "GET /nodes/{node}/lxc/{vmid}/status/current", feature: "tx", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Audit"], "source": "schema"}] },
  { call: "POST /nodes/{node}/lxc/{vmid}/status/start", feature: "tx", needs: [{"path": "/vms/{vmid}", "privs": ["VM.PowerMgmt"], "source": "schema"}] },
  { call: "POST /nodes/{node}/lxc/{vmid}/status/stop", feature: "tx", needs: [{"path": "/vms/{vmid}", "privs": ["VM.PowerMgmt"], "source": "schema"}] },
  { call: "POST /nodes/{node}/lxc/{vmid}/status/shutdown", feature: "tx", needs: [{"path": "/vms/{vmid}", "privs": ["VM.PowerMgmt"], "source": "schema"}] },
  { call: "GET /nodes/{node}/lxc/{vmid}/config", feature: "tx", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Audit"], "source": "schema"}] },
  { call: "PUT /nodes/{node}/lxc/{vmid}/config", feature: "tx", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Config.Disk", "VM.Config.CPU", "VM.Config.Memory", "VM.Config.Network", "VM.Config.Options"], "source": "schema", "any": true}, {"path": "/vms/{vmid}", "privs": ["VM.Config.Options"], "source": "handler"}] },
  { call: "GET /nodes/{node}/lxc/{vmid}/snapshot", feature: "tx", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Audit"], "source": "schema"}] },
  { call: "POST /nodes/{node}/lxc/{vmid}/snapshot", feature: "tx", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Snapshot"], "source": "schema"}] },
  { call: "POST /nodes/{node}/lxc/{vmid}/snapshot/{snapname}/rollback", feature: "tx", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Snapshot", "VM.Snapshot.Rollback"], "source": "schema", "any": true}] },
  { call: "DELETE /nodes/{node}/lxc/{vmid}/snapshot/{snapname}", feature: "tx", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Snapshot"], "source": "schema"}] },
  { call: "GET /nodes/{node}/lxc/{vmid}/snapshot/{snapname}/config", feature: "tx", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Snapshot", "VM.Snapshot.Rollback", "VM.Audit"], "source": "schema", "any": true}] },
  { call: "PUT /nodes/{node}/lxc/{vmid}/snapshot/{snapname}/config", feature: "tx", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Snapshot"], "source": "schema"}] },
  { call: "POST /nodes/{node}/lxc/{vmid}/clone", feature: "net", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Clone"], "source": "schema"}, {"path": "/vms/{newid}", "privs": ["VM.Allocate"], "source": "schema"}, {"path": "/storage/{storage}", "privs": ["Datastore.AllocateSpace"], "source": "description"}, {"path": "/sdn/zones/{zone}/{vnet}", "privs": ["SDN.Use"], "source": "description"}] },
  { call: "POST /nodes/{node}/lxc/{vmid}/migrate", feature: "net", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Migrate"], "source": "schema"}] },
  { call: "DELETE /nodes/{node}/lxc/{vmid}", feature: "net", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Allocate"], "source": "schema"}] },
  { call: "GET /nodes/{node}/lxc/{vmid}/firewall/rules", feature: "net", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Audit"], "source": "schema"}] },
  { call: "POST /nodes/{node}/lxc/{vmid}/firewall/rules", feature: "net", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Config.Network"], "source": "schema"}] },
  { call: "GET /nodes/{node}/lxc/{vmid}/firewall/rules/{pos}", feature: "net", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Audit"], "source": "schema"}] },
  { call: "PUT /nodes/{node}/lxc/{vmid}/firewall/rules/{pos}", feature: "net", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Config.Network"], "source": "schema"}] },
  { call: "DELETE /nodes/{node}/lxc/{vmid}/firewall/rules/{pos}", feature: "net", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Config.Network"], "source": "schema"}] },
  { call: "GET /nodes/{node}/lxc/{vmid}/firewall/options", feature: "net", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Audit"], "source": "schema"}] },
  { call: "PUT /nodes/{node}/lxc/{vmid}/firewall/options", feature: "net", needs: [{"path": "/vms/{vmid}", "privs": ["VM.Config.Network"], "source": "schema"}] },
  { call: "GET /cluster/firewall/rules", feature: "net", needs: [{"path": "/", "privs": ["Sys.Audit"], "source": "schema"}] },
  { call: "POST /cluster/firewall/rules", feature: "net", needs: [{"path": "/", "privs": ["Sys.Modify"], "source": "schema"}] },
  { call: "GET /cluster/firewall/rules/{pos}", feature: "net", needs: [{"path": "/", "privs": ["Sys.Audit"], "source": "schema"}] },
  { call: "PUT /cluster/firewall/rules/{pos}", feature: "net", needs: [{"path": "/", "privs": ["Sys.Modify"], "source": "schema"}] },
  { call: "DELETE /cluster/firewall/rules/{pos}", feature: "net", needs: [{"path": "/", "privs": ["Sys.Modify"], "source": "schema"}] },
  { call: "GET /cluster/firewall/options", feature: "net", needs: [{"path": "/", "privs": ["Sys.Audit"], "source": "schema"}] },
  { call: "PUT /cluster/firewall/options", feature: "net", needs: [{"path": "/", "privs": ["Sys.Modify"], "source": "schema"}] },
  { call: "GET /nodes/{node}/firewall/rules", feature: "net", needs: [{"path": "/nodes/{node}", "privs": ["Sys.Audit"], "source": "schema"}] },
  { call: "POST /nodes/{node}/firewall/rules", feature: "net", needs: [{"path": "/nodes/{node}", "privs": ["Sys.Modify"], "source": "schema"}] },
  { call: "GET /nodes/{node}/firewall/rules/{pos}", feature: "net", needs: [{"path": "/nodes/{node}", "privs": ["Sys.Audit"], "source": "schema"}] },
  { call: "PUT /nodes/{node}/firewall/rules/{pos}", feature: "net", needs: [{"path": "/nodes/{node}", "privs": ["Sys.Modify"], "source": "schema"}] },
  { call: "DELETE /nodes/{node}/firewall/rules/{pos}", feature: "net", needs: [{"path": "/nodes/{node}", "privs": ["Sys.Modify"], "source": "schema"}] },
  { call: "GET /nodes/{node}/firewall/options", feature: "net", needs: [{"path": "/nodes/{node}", "privs": ["Sys.Audit"], "source": "schema"}] },
  { call: "PUT /nodes/{node}/firewall/options", feature: "net", needs: [{"path": "/nodes/{node}", "privs": ["Sys.Modify"], "source": "schema"}] },
  { call: "GET /cluster/sdn/vnets/{vnet}/firewall/rules", feature: "net", needs: [{"path": "/sdn/zones/{zone}/{vnet}", "privs": ["SDN.Audit", "SDN.Allocate"], "any": true, "source": "description"}] },
  { call: "POST /cluster/sdn/vnets/{vnet}/firewall/rules", feature: "net", needs: [{"path": "/sdn/zones/{zone}/{vnet}", "privs": ["SDN.Allocate"], "source": "description"}] },
  { call: "GET /cluster/sdn/vnets/{vnet}/firewall/rules/{pos}", feature: "net", needs: [{"path": "/sdn/zones/{zone}/{vnet}", "privs": ["SDN.Audit", "SDN.Allocate"], "any": true, "source": "description"}] },
  { call: "PUT /cluster/sdn/vnets/{vnet}/firewall/rules/{pos}", feature: "net", needs: [{"path": "/sdn/zones/{zone}/{vnet}", "privs": ["SDN.Allocate"], "source": "description"}] },
  { call: "DELETE /cluster/sdn/vnets/{vnet}/firewall/rules/{pos}", feature: "net", needs: [{"path": "/sdn/zones/{zone}/{vnet}", "privs": ["SDN.Allocate"], "source": "description"}] },
  { call: "GET /cluster/sdn/vnets/{vnet}/firewall/options", feature: "net", needs: [{"path": "/sdn/zones/{zone}/{vnet}", "privs": ["SDN.Audit", "SDN.Allocate"], "any": true, "source": "description"}] },
  { call: "PUT /cluster/sdn/vnets/{vnet}/firewall/options", feature: "net", needs: [{"path": "/sdn/zones/{zone}/{vnet}", "privs": ["SDN.Allocate"], "source": "description"}] },
  { call: "GET /cluster/sdn/zones", feature: "net", needs: [{"path": "/sdn/zones/{zone}", "privs": ["SDN.Audit", "SDN.Allocate"], "any": true, "source": "description"}] },
  { call: "POST /cluster/sdn/zones", feature: "net", needs: [{"path": "/sdn/zones", "privs": ["SDN.Allocate"], "source": "schema"}] },
  { call: "GET /cluster/sdn/zones/{zone}", feature: "net", needs: [{"path": "/sdn/zones/{zone}", "privs": ["SDN.Allocate"], "source": "schema"}] },
  { call: "PUT /cluster/sdn/zones/{zone}", feature: "net", needs: [{"path": "/sdn/zones/{zone}", "privs": ["SDN.Allocate"], "source": "schema"}] },
  { call: "DELETE /cluster/sdn/zones/{zone}", feature: "net", needs: [{"path": "/sdn/zones/{zone}", "privs": ["SDN.Allocate"], "source": "schema"}] },
  { call: "GET /cluster/sdn/vnets", feature: "net", needs: [{"path": "/sdn/zones/{zone}/{vnet}", "privs": ["SDN.Audit", "SDN.Allocate"], "any": true, "source": "description"}] },
  { call: "POST /cluster/sdn/vnets", feature: "net", needs: [{"path": "/sdn/zones/{zone}", "privs": ["SDN.Allocate"], "source": "schema"}] },
  { call: "GET /cluster/sdn/vnets/{vnet}", feature: "net", needs: [{"path": "/sdn/zones/{zone}/{vnet}", "privs": ["SDN.Audit", "SDN.Allocate"], "any": true, "source": "description"}] },
  { call: "PUT /cluster/sdn/vnets/{vnet}", feature: "net", needs: [{"path": "/sdn/zones/{zone}/{vnet}", "privs": ["SDN.Allocate"], "source": "description"}] },
  { call: "DELETE /cluster/sdn/vnets/{vnet}", feature: "net", needs: [{"path": "/sdn/zones/{zone}/{vnet}", "privs": ["SDN.Allocate"], "source": "description"}] },
  { call: "GET /cluster/sdn/controllers", feature: "net", needs: [{"path": "/sdn/controllers/{controller}", "privs": ["SDN.Audit", "SDN.Allocate"], "any": true, "source": "description"}] },
  { call: "POST /cluster/sdn/controllers", feature: "net", needs: [{"path": "/sdn/controllers", "privs": ["SDN.Allocate"], "source": "schema"}] },
  { call: "GET /cluster/sdn/controllers/{controller}", feature: "net", needs: [{"path": "/sdn/controllers/{controller}", "privs": ["SDN.Allocate"], "source": "schema"}] },
  { call: "PUT /cluster/sdn/controllers/{controller}", feature: "net", needs: [{"path": "/sdn/controllers", "privs": ["SDN.Allocate"], "source": "schema"}] },
  { call: "DELETE /cluster/sdn/controllers/{controller}", feature: "net", needs: [{"path": "/sdn/controllers", "privs": ["SDN.Allocate"], "source": "schema"}] },
  { call: "GET /cluster/sdn/vnets/{vnet}/subnets", feature: "net", needs: [{"path": "/sdn/zones/{zone}/{vnet}", "privs": ["SDN.Audit", "SDN.Allocate"], "any": true, "source": "description"}] },
  { call: "POST /cluster/sdn/vnets/{vnet}/subnets", feature: "net", needs: [{"path": "/sdn/zones/{zone}/{vnet}", "privs": ["SDN.Allocate"], "source": "description"}] },
  { call: "GET /cluster/sdn/vnets/{vnet}/subnets/{subnet}", feature: "net", needs: [{"path": "/sdn/zones/{zone}/{vnet}", "privs": ["SDN.Audit", "SDN.Allocate"], "any": true, "source": "description"}] },
  { call: "PUT /cluster/sdn/vnets/{vnet}/subnets/{subnet}", feature: "net", needs: [{"path": "/sdn/zones/{zone}/{vnet}", "privs": ["SDN.Allocate"], "source": "description"}] },
  { call: "DELETE /cluster/sdn/vnets/{vnet}/subnets/{subnet}", feature: "net", needs: [{"path": "/sdn/zones/{zone}/{vnet}", "privs": ["SDN.Allocate"], "source": "description"}] },
  { call: "PUT /cluster/sdn", feature: "net", needs: [{"path": "/sdn", "privs": ["SDN.Allocate"], "source": "schema"}] },
  { call: "POST /cluster/sdn/lock", feature: "net", needs: [{"path": "/sdn", "privs": ["SDN.Allocate"], "source": "schema"}] },
  { call: "DELETE /cluster/sdn/lock", feature: "net", needs: [{"path": "/sdn", "privs": ["SDN.Allocate"], "source": "schema"}] },
  { call: "GET /nodes/{node}/sdn/zones", feature: "net", needs: [{"path": "/sdn/zones/{zone}", "privs": ["SDN.Audit"], "source": "description"}] },
  { call: "GET /access/permissions", feature: "doctor", needs: [] },
  { call: "GET /access/users/{userid}/token/{tokenid}", feature: "doctor", needs: [{"path": "/access/groups", "privs": ["User.Modify"], "any": true, "source": "schema"}] },
  { call: "GET /cluster/ha/resources", feature: "doctor", needs: [{"path": "/", "privs": ["Sys.Audit"], "source": "schema"}] },
  { call: "PUT /cluster/ha/resources/{sid}", feature: "ha", needs: [{"path": "/", "privs": ["Sys.Console"], "source": "schema"}] },
  { call: "POST /nodes/{node}/qemu/{vmid}/agent/ping", feature: "doctor", needs: [{"path": "/vms/{vmid}", "privs": ["VM.GuestAgent.Audit", "VM.GuestAgent.Unrestricted"], "source": "schema", "any": true}] },
];

/** A privilege check made concrete for one target: an ACL path and what must be granted on it. */
export interface ConcreteNeed {
  path: string;
  privs: readonly string[];
  any: boolean;
  /** The path stands for paths not known yet (new vmids, any storage or zone): needs propagation. */
  propagate: boolean;
  feature: CallFeature;
  /** The calls that need it. */
  calls: string[];
}

/** What the target's configuration tells: its guests (vmid, node) and nodes. */
export interface PrivilegeScope {
  guests: readonly { vmid: number; node: string; type?: "qemu" | "lxc" }[];
  nodes: readonly string[];
  features?: readonly CallFeature[];
}

const FEATURE_RANK: Record<CallFeature, number> = { core: 0, tx: 1, net: 2, doctor: 3, ha: 4 };

/**
 * The concrete checks for a target: `{vmid}` and `{node}` filled from the configured guests and
 * nodes; a path with a placeholder the configuration cannot fill (a new vmid, a storage, a zone)
 * is cut before it, where the privilege must be granted with propagation. A call's guest paths
 * are filled only for guests of the call's type.
 */
export function concreteNeeds(scope: PrivilegeScope): ConcreteNeed[] {
  const features = new Set(scope.features ?? ["core", "tx", "net", "doctor", "ha"]);
  const out = new Map<string, ConcreteNeed>();
  for (const c of PVE_CALLS) {
    if (!features.has(c.feature)) continue;
    for (const n of c.needs) {
      for (const path of fill(n.path, c.call, scope)) {
        const propagate = /\{/.test(n.path.replace(/\{vmid\}|\{node\}/g, "")) && !path.exact;
        const key = `${path.path}|${[...n.privs].sort().join(",")}|${n.any === true}`;
        const prev = out.get(key);
        if (prev !== undefined) {
          // one check on the path: propagated when any call needs it below the path
          prev.propagate ||= propagate;
          if (!prev.calls.includes(c.call)) prev.calls.push(c.call);
          if (FEATURE_RANK[c.feature] < FEATURE_RANK[prev.feature]) prev.feature = c.feature;
          continue;
        }
        out.set(key, {
          path: path.path,
          privs: n.privs,
          any: n.any === true,
          propagate,
          feature: c.feature,
          calls: [c.call],
        });
      }
    }
  }
  return [...out.values()];
}

function fill(
  template: string,
  call: string,
  scope: PrivilegeScope,
): { path: string; exact: boolean }[] {
  const type = /\/(qemu|lxc)\//.exec(call)?.[1];
  const cut = (p: string): string => {
    const i = p.indexOf("/{");
    return i < 0 ? p : i === 0 ? "/" : p.slice(0, i);
  };
  const fills: string[] = [];
  if (template.includes("{vmid}")) {
    for (const g of scope.guests)
      if (type === undefined || g.type === undefined || g.type === type)
        fills.push(template.replace("{vmid}", String(g.vmid)).replace("{node}", g.node));
  } else if (template.includes("{node}")) {
    for (const node of scope.nodes) fills.push(template.replace("{node}", node));
  } else fills.push(template);
  return fills.map((p) => ({ path: cut(p), exact: !p.includes("{") }));
}

/**
 * The privileges of `need` missing from `granted` (`GET /access/permissions` of its path: privilege
 * → propagate flag). With `any`, all are listed when none is granted.
 */
export function missingPrivileges(need: ConcreteNeed, granted: Record<string, number>): string[] {
  const ok = (p: string): boolean =>
    granted[p] !== undefined && (!need.propagate || granted[p] === 1);
  if (need.any) return need.privs.some(ok) ? [] : [...need.privs];
  return need.privs.filter((p) => !ok(p));
}

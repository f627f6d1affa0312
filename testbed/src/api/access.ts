import type { TestbedConfig } from "../config.js";
import { ApiError } from "./errors.js";

/**
 * PVE's privilege model (pve-access-control: AccessControl.pm `$privgroups`, `create_roles`,
 * `roles`; RPCEnvironment.pm `permissions`, `get_effective_permissions`, `exec_api2_perm_check`):
 * built-in roles, ACL propagation along the path, privilege-separated API tokens (their ACLs
 * intersected with their user's), root@pam as Administrator everywhere. Groups and pools are not
 * modelled (the testbed has neither).
 */
const PRIV_GROUPS: Record<
  string,
  { root: string[]; admin: string[]; user: string[]; audit: string[] }
> = {
  VM: {
    root: [],
    admin: [
      "VM.Config.Disk",
      "VM.Config.CPU",
      "VM.Config.Memory",
      "VM.Config.Network",
      "VM.Config.HWType",
      "VM.Config.Options",
      "VM.Allocate",
      "VM.Clone",
      "VM.GuestAgent.Unrestricted",
      "VM.Migrate",
      "VM.Replicate",
      "VM.Snapshot",
      "VM.Snapshot.Rollback",
    ],
    user: [
      "VM.Config.CDROM",
      "VM.Config.Cloudinit",
      "VM.Console",
      "VM.Backup",
      "VM.GuestAgent.FileRead",
      "VM.GuestAgent.FileSystemMgmt",
      "VM.GuestAgent.FileWrite",
      "VM.PowerMgmt",
    ],
    audit: ["VM.Audit", "VM.GuestAgent.Audit"],
  },
  Sys: {
    root: ["Sys.PowerMgmt", "Sys.Modify", "Sys.Incoming", "Sys.AccessNetwork"],
    admin: ["Sys.Console", "Sys.Syslog"],
    user: [],
    audit: ["Sys.Audit"],
  },
  Datastore: {
    root: [],
    admin: ["Datastore.Allocate", "Datastore.AllocateTemplate"],
    user: ["Datastore.AllocateSpace"],
    audit: ["Datastore.Audit"],
  },
  SDN: { root: [], admin: ["SDN.Allocate", "SDN.Audit"], user: ["SDN.Use"], audit: ["SDN.Audit"] },
  User: {
    root: ["Realm.Allocate"],
    admin: ["User.Modify", "Group.Allocate", "Realm.AllocateUser"],
    user: [],
    audit: [],
  },
  Pool: { root: [], admin: ["Pool.Allocate"], user: ["Pool.Audit"], audit: ["Pool.Audit"] },
  Mapping: {
    root: [],
    admin: ["Mapping.Modify"],
    user: ["Mapping.Use"],
    audit: ["Mapping.Audit"],
  },
};

/** PVE's built-in roles, computed as `create_roles` does. */
export function builtinRoles(): Map<string, Set<string>> {
  const roles = new Map<string, Set<string>>();
  const add = (role: string, privs: string[]): void => {
    const set = roles.get(role) ?? new Set<string>();
    for (const p of privs) set.add(p);
    roles.set(role, set);
  };
  const all = ["Permissions.Modify"];
  add("NoAccess", []);
  for (const [cat, g] of Object.entries(PRIV_GROUPS)) {
    all.push(...g.root, ...g.admin, ...g.user, ...g.audit);
    add(`PVE${cat}Admin`, [...g.admin, ...g.user, ...g.audit]);
    add("PVEAdmin", [...g.admin, ...g.user, ...g.audit]);
    if (g.user.length > 0) add(`PVE${cat}User`, [...g.user, ...g.audit]);
    add("PVEAuditor", g.audit);
  }
  roles.get("PVEAdmin")!.delete("Mapping.Modify");
  add("PVETemplateUser", ["VM.Clone", "VM.Audit"]);
  add("Administrator", all);
  return roles;
}

/** `{ privilege: propagate (1/0) }` on one path, as `GET /access/permissions` answers it. */
export type Privs = Record<string, number>;

/** PVE's normalize_path: one slash between parts, none at the end. */
export function normalizePath(path: string): string {
  const p = `/${path}`.replace(/\/+/g, "/").replace(/(.)\/$/, "$1");
  return p;
}

/** Paths `get_effective_permissions` always reports on, besides those with ACLs. */
const TOP_PATHS = ["/", "/access", "/access/groups", "/nodes", "/pool", "/sdn", "/storage", "/vms"];

interface TokenInfo {
  privsep: boolean;
  expire: number;
}

export const permFail = (what?: string): ApiError =>
  new ApiError(403, `Permission check failed${what === undefined ? "" : ` (${what})`}`);

/** The ACL tree and roles of one testbed, answering PVE's permission questions. */
export class Access {
  private readonly roleDefs: Map<string, Set<string>>;
  /** normalised path → ugid → role → propagate. */
  private readonly acl = new Map<string, Map<string, Map<string, boolean>>>();

  constructor(private readonly config: TestbedConfig) {
    this.roleDefs = builtinRoles();
    for (const [name, privs] of Object.entries(config.roles))
      this.roleDefs.set(name, new Set(privs));
    for (const e of config.acl) {
      const path = normalizePath(e.path);
      const byUg = this.acl.get(path) ?? new Map<string, Map<string, boolean>>();
      const roles = byUg.get(e.ugid) ?? new Map<string, boolean>();
      for (const r of e.roles) {
        if (!this.roleDefs.has(r)) throw new Error(`acl ${e.path}: role '${r}' does not exist`);
        roles.set(r, e.propagate);
      }
      byUg.set(e.ugid, roles);
      this.acl.set(path, byUg);
    }
  }

  /** The token's settings, `undefined` when the user or token does not exist. */
  token(userid: string, tokenid: string): TokenInfo | undefined {
    const u = this.config.users.find((x) => x.userid === userid);
    const t = u?.tokens.find((x) => x.id === tokenid);
    return t === undefined ? undefined : { privsep: t.privsep, expire: t.expire };
  }

  private userExists(userid: string): boolean {
    return userid === "root@pam" || this.config.users.some((u) => u.userid === userid);
  }

  /** `roles()`: the roles of `authid` on `path`, a deeper ACL overriding a shallower one. */
  private rolesOn(authid: string, path: string): Map<string, boolean> {
    let roles = new Map<string, boolean>();
    const parts = path === "/" ? [""] : path.split("/");
    let prefix = "";
    parts.forEach((part, i) => {
      const final = i === parts.length - 1;
      prefix = part === "" ? "/" : prefix === "/" ? `/${part}` : `${prefix}/${part}`;
      const entry = this.acl.get(prefix)?.get(authid);
      if (entry === undefined) return;
      const applied = [...entry].filter(([, propagate]) => final || propagate);
      if (applied.length > 0) roles = new Map(applied);
    });
    return roles;
  }

  /** `$rpcenv->permissions($authid, $path)`. */
  permissions(authid: string, path: string): Privs {
    if (authid === "root@pam") return this.privsOf(new Map([["Administrator", true]]));
    const [user, tokenid] = authid.split("!") as [string, string | undefined];
    if (tokenid !== undefined) {
      const info = this.token(user, tokenid);
      if (info === undefined) return {};
      const userPrivs = this.permissions(user, path);
      if (!info.privsep) return userPrivs;
      const own = this.privsOf(this.rolesOn(authid, path));
      if (user === "root@pam") return own;
      const out: Privs = {};
      for (const [p, v] of Object.entries(own))
        if (userPrivs[p] !== undefined) out[p] = userPrivs[p] && v ? 1 : 0;
      return out;
    }
    if (!this.userExists(authid)) return {};
    return this.privsOf(this.rolesOn(authid, path));
  }

  private privsOf(roles: Map<string, boolean>): Privs {
    const out: Privs = {};
    for (const [role, propagate] of roles)
      for (const p of this.roleDefs.get(role) ?? []) out[p] = out[p] === 1 || propagate ? 1 : 0;
    return out;
  }

  /** `get_effective_permissions`: every top path and ACL path where `authid` has a privilege. */
  effective(authid: string): Record<string, Privs> {
    const out: Record<string, Privs> = {};
    for (const path of new Set([...TOP_PATHS, ...this.acl.keys()])) {
      const p = this.permissions(authid, path);
      if (Object.keys(p).length > 0) out[path] = p;
    }
    return out;
  }

  /** `check_any(..., $noerr)`: whether `authid` has any of `privs` on `path` (list filters). */
  hasAny(authid: string, path: string, privs: string[]): boolean {
    const have = this.permissions(authid, path);
    return privs.some((p) => have[p] !== undefined);
  }

  /** `check` / `check_any`: 403 `Permission check failed (<path>, <priv>)` when missing. */
  check(authid: string, path: string, privs: string[], any: boolean): void {
    const have = this.permissions(authid, path);
    if (any) {
      if (!privs.some((p) => have[p] !== undefined)) throw permFail(`${path}, ${privs.join("|")}`);
      return;
    }
    for (const p of privs) if (have[p] === undefined) throw permFail(`${path}, ${p}`);
  }

  /** `check_api2_permissions` of a method's `permissions` from the schema. */
  checkApi(perm: unknown, authid: string, params: Record<string, unknown>): void {
    if (authid === "root@pam") return;
    if (perm === undefined || perm === null) throw permFail("user != root@pam");
    const p = perm as { user?: string; check?: unknown[] };
    if (p.user === "all" || p.user === "world") return;
    if (p.check !== undefined) {
      this.exec(p.check, authid, params, false);
      return;
    }
    throw permFail();
  }

  /** `exec_api2_perm_check`: true when allowed; with `noerr` false it throws instead of false. */
  private exec(
    c: unknown[],
    authid: string,
    params: Record<string, unknown>,
    noerr: boolean,
  ): boolean {
    const [test, ...rest] = c;
    if (test === "and") {
      for (const sub of rest) this.exec(sub as unknown[], authid, params, false);
      return true;
    }
    if (test === "or") {
      for (const sub of rest) if (this.exec(sub as unknown[], authid, params, true)) return true;
      if (noerr) return false;
      throw permFail();
    }
    if (test === "perm") {
      const [tmpl, privs, ...flat] = rest as [string, string[], ...unknown[]];
      const opts = options(flat);
      if (typeof opts.require_param === "string" && params[opts.require_param] === undefined) {
        if (noerr) return false;
        throw permFail();
      }
      const path = normalizePath(
        tmpl.replace(/\{([^}]+)\}/g, (_, k: string) => valueOf(params[k])),
      );
      return this.attempt(() => this.check(authid, path, privs, opts.any !== undefined), noerr);
    }
    if (test === "userid-param") {
      const userid = valueOf(params.userid);
      if (rest[0] === "self") {
        const ok = this.userExists(userid) && userid === authid;
        if (!ok && !noerr) throw permFail();
        return ok;
      }
      const realm = userid.split("@")[1] ?? "";
      return this.attempt(
        () => this.check(authid, `/access/realm/${realm}`, ["Realm.AllocateUser"], false),
        noerr,
      );
    }
    if (test === "userid-group") {
      // Without groups, only privileges on all of /access/groups can grant this.
      const privs = rest[0] as string[];
      return this.attempt(() => this.check(authid, "/access/groups", privs, true), noerr);
    }
    if (test === "perm-modify") {
      const path = normalizePath(
        String(rest[0]).replace(/\{([^}]+)\}/g, (_, k: string) => valueOf(params[k])),
      );
      return this.attempt(() => this.check(authid, path, ["Permissions.Modify"], false), noerr);
    }
    throw new Error(`unknown permission test ${String(test)}`);
  }

  private attempt(fn: () => void, noerr: boolean): boolean {
    try {
      fn();
      return true;
    } catch (err) {
      if (noerr && err instanceof ApiError && err.status === 403) return false;
      throw err;
    }
  }
}

/** Perl's template_replace: a missing or empty value is `-`. */
function valueOf(v: unknown): string {
  if (v === undefined || v === null || v === "") return "-";
  return Array.isArray(v) ? String(v[0]) : String(v);
}

/** The flat `key, value` tail of a `perm` check (`"any", 1, "require_param", "pool"`). */
function options(flat: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}

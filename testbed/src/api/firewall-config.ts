import type {
  FirewallConfig,
  FwGuest,
  FwGuestNic,
  FwRule,
  FwScope,
} from "../realise/firewall/types.js";
import { str, type Request, type Routes } from "./context.js";
import { paramError } from "./errors.js";

type Obj = Record<string, unknown>;

/** One scope's stored firewall (cluster, a guest, a vnet, a node). */
export interface Ruleset {
  options: Obj;
  rules: Obj[];
  ipsets: Record<string, { comment?: string; entries: Obj[] }>;
  /** By lower-cased name, as pve-firewall keys them (API2/Firewall/Aliases.pm). */
  aliases?: Record<string, { name: string; cidr: string; comment?: string }>;
}

/** Everything the firewall API stores (`firewall.json`). */
export interface FirewallState {
  scopes: Record<string, Ruleset>;
  groups: Record<string, { comment?: string; rules: Obj[] }>;
}

function scopeOf(r: Ruleset | undefined): FwScope {
  if (r === undefined) return { options: {}, rules: [], ipsets: {}, aliases: {} };
  const copy = JSON.parse(JSON.stringify(r)) as Ruleset;
  return {
    options: copy.options,
    rules: copy.rules.map((x, pos) => ({ ...x, pos }) as unknown as FwRule),
    ipsets: Object.fromEntries(
      Object.entries(copy.ipsets).map(([k, v]) => [
        k,
        v.entries.map((e) => ({
          cidr: String(e.cidr),
          ...(e.nomatch === 1 || e.nomatch === true || e.nomatch === "1" ? { nomatch: 1 } : {}),
        })),
      ]),
    ),
    aliases: Object.fromEntries(Object.values(copy.aliases ?? {}).map((a) => [a.name, a.cidr])),
  };
}

/** The stored state as the realiser takes it: every guest scope joined with its NICs. */
export function firewallConfigOf(
  state: FirewallState,
  guestNics: (
    type: "qemu" | "lxc",
    vmid: number,
  ) => { node: string; nics: FwGuestNic[] } | undefined,
): FirewallConfig {
  const guests: FwGuest[] = [];
  const nodes: FirewallConfig["nodes"] = {};
  for (const [key, r] of Object.entries(state.scopes)) {
    const m = /^(qemu|lxc)\/(\d+)$/.exec(key);
    if (m !== null) {
      const vmid = Number(m[2]);
      const at = guestNics(m[1] as "qemu" | "lxc", vmid);
      if (at !== undefined) guests.push({ vmid, node: at.node, nics: at.nics, scope: scopeOf(r) });
    } else if (key.startsWith("node/")) {
      nodes[key.slice(5)] = { ...r.options };
    }
  }
  return {
    cluster: scopeOf(state.scopes.cluster),
    groups: Object.fromEntries(
      Object.entries(state.groups).map(([k, g]) => [
        k,
        scopeOf({ ...emptyRuleset(), rules: g.rules }).rules,
      ]),
    ),
    nodes,
    guests,
  };
}

const emptyRuleset = (): Ruleset => ({ options: {}, rules: [], ipsets: {} });

interface AliasHelpers {
  save: () => void;
  digestOf: (v: unknown) => string;
  checkDigest: (req: Request, v: unknown) => void;
}

/** `…/firewall/aliases` CRUD, with pve-firewall's messages (API2/Firewall/Aliases.pm). */
export function aliasRoutes(
  r: Routes,
  path: string,
  scope: (req: Request) => Ruleset,
  h: AliasHelpers,
): void {
  const aliases = (req: Request) => (scope(req).aliases ??= {});
  const list = (a: NonNullable<Ruleset["aliases"]>) =>
    Object.keys(a)
      .sort()
      .map((k) => a[k]!);
  r[`GET ${path}`] = (req) => {
    const l = list(aliases(req));
    const digest = h.digestOf(l);
    return l.map((a) => ({ ...a, ipversion: a.cidr.includes(":") ? 6 : 4, digest }));
  };
  r[`POST ${path}`] = (req) => {
    const a = aliases(req);
    const name = String(req.params.name);
    if (a[name.toLowerCase()] !== undefined)
      throw paramError({ name: `alias '${name}' already exists` });
    const comment = str(req.params, "comment");
    a[name.toLowerCase()] = {
      name,
      cidr: String(req.params.cidr),
      ...(comment ? { comment } : {}),
    };
    h.save();
    return null;
  };
  r[`GET ${path}/{name}`] = (req) => {
    const e = aliases(req)[String(req.params.name).toLowerCase()];
    if (e === undefined) throw paramError({ name: "no such alias" });
    return { ...e, digest: h.digestOf(list(aliases(req))) };
  };
  r[`PUT ${path}/{name}`] = (req) => {
    const a = aliases(req);
    h.checkDigest(req, list(a));
    const name = String(req.params.name).toLowerCase();
    if (a[name] === undefined) throw paramError({ name: "no such alias" });
    const comment = str(req.params, "comment");
    const rename = str(req.params, "rename");
    const data = {
      name: String(req.params.name),
      cidr: String(req.params.cidr),
      ...(comment ? { comment } : {}),
    };
    if (rename !== undefined && rename !== "" && rename.toLowerCase() !== name) {
      if (a[rename.toLowerCase()] !== undefined)
        throw paramError({ name: `alias '${rename}' already exists` });
      delete a[name];
      a[rename.toLowerCase()] = { ...data, name: rename };
    } else a[name] = data;
    h.save();
    return null;
  };
  r[`DELETE ${path}/{name}`] = (req) => {
    const a = aliases(req);
    h.checkDigest(req, list(a));
    delete a[String(req.params.name).toLowerCase()];
    h.save();
    return null;
  };
}

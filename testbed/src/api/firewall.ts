import { createHash } from "node:crypto";
import type { FirewallConfig, FwGuestNic } from "../realise/firewall/types.js";
import type { SdnFirewallSwitches, SdnVnetFirewall } from "../realise/sdn/types.js";
import { num, str, type Request, type Routes } from "./context.js";
import { fail } from "./errors.js";
import type { Store } from "./store.js";
import {
  aliasRoutes,
  firewallConfigOf,
  type FirewallState,
  type Ruleset,
} from "./firewall-config.js";

type Obj = Record<string, unknown>;

const RULE_CALL_KEYS = new Set([
  "node",
  "vmid",
  "pos",
  "digest",
  "delete",
  "moveto",
  "group",
  "name",
  "cidr",
  "rename",
]);

const emptyRuleset = (): Ruleset => ({ options: {}, rules: [], ipsets: {} });

/** What the firewall needs from the rest of the cluster. */
export interface FirewallDeps {
  store: Store;
  /** Throws PVE's "does not exist" for a missing guest. */
  checkGuest: (type: "qemu" | "lxc", node: string, vmid: number) => void;
  /** Throws PVE's "does not exist" for a missing SDN vnet. */
  checkVnet: (vnet: string) => void;
  /** Throws PVE's error for an unknown node. */
  checkNode: (node: string) => void;
  nodes: () => string[];
  /** A guest's node and NICs (absent for a guest that no longer exists). */
  guestNics: (
    type: "qemu" | "lxc",
    vmid: number,
  ) => { node: string; nics: FwGuestNic[] } | undefined;
  /** Make the traffic obey the new state; throws when it could not. */
  realise: (state: {
    vnetFirewalls: Record<string, SdnVnetFirewall>;
    firewall: SdnFirewallSwitches;
    firewallConfig: FirewallConfig;
  }) => Promise<void>;
}

/**
 * Firewall configuration (cluster, security groups, per-node options, per-guest, per-vnet): rules
 * with `pos` and `digest`, options, groups and ipsets. Every change is realised before the call
 * answers, as pve-firewall applies a change within seconds; a change that cannot be realised is
 * undone and answered with an error, so the configuration never claims what traffic does not obey.
 */
export class Firewall {
  private state: FirewallState;
  private readonly store: Store;

  constructor(private readonly deps: FirewallDeps) {
    this.store = deps.store;
    this.state = this.store.read<FirewallState>("firewall.json") ?? { scopes: {}, groups: {} };
  }

  /** The datacenter switch and each node's nftables mode (PVE's defaults: both off). */
  switches(): SdnFirewallSwitches {
    const on = (v: unknown): boolean => v === 1 || v === true || v === "1";
    return {
      enable: on(this.state.scopes.cluster?.options.enable),
      nftablesNodes: this.deps
        .nodes()
        .filter((n) => on(this.state.scopes[`node/${n}`]?.options.nftables)),
    };
  }

  /** Realise the current state (after a testbed start, or after an SDN apply). */
  realise(): Promise<void> {
    return this.deps.realise(this.realisable());
  }

  /** Everything of the firewall that shapes traffic, as the realiser takes it. */
  realisable(): {
    vnetFirewalls: Record<string, SdnVnetFirewall>;
    firewall: SdnFirewallSwitches;
    firewallConfig: FirewallConfig;
  } {
    return {
      vnetFirewalls: this.vnetFirewalls(),
      firewall: this.switches(),
      firewallConfig: firewallConfigOf(this.state, this.deps.guestNics),
    };
  }

  /** Wrap every write: realise it, or restore the previous state and fail. */
  private realised(routes: Routes): Routes {
    const out: Routes = {};
    for (const [key, handler] of Object.entries(routes)) {
      if (key.startsWith("GET ")) {
        out[key] = handler;
        continue;
      }
      out[key] = async (req) => {
        const before = JSON.stringify(this.state);
        const result = await handler(req);
        if (JSON.stringify(this.state) === before) return result;
        try {
          await this.realise();
        } catch (err) {
          this.state = JSON.parse(before) as FirewallState;
          this.save();
          await this.realise().catch(() => undefined);
          throw fail(
            `firewall change not applied: ${err instanceof Error ? err.message.trim() : String(err)}`,
          );
        }
        return result;
      };
    }
    return out;
  }

  private aliasHelpers() {
    return {
      save: () => this.save(),
      digestOf: (v: unknown) => this.digestOf(v),
      checkDigest: (req: Request, v: unknown) => this.checkDigest(req, v),
    };
  }

  private save(): void {
    this.store.write("firewall.json", this.state);
  }

  private digestOf(v: unknown): string {
    return createHash("sha1").update(JSON.stringify(v)).digest("hex");
  }

  private checkDigest(req: Request, current: unknown): void {
    const d = str(req.params, "digest");
    if (d !== undefined && d !== this.digestOf(current))
      throw fail("detected modified configuration - file changed by other user? Try again.");
  }

  private scope(key: string): Ruleset {
    let s = this.state.scopes[key];
    if (s === undefined) {
      s = emptyRuleset();
      this.state.scopes[key] = s;
    }
    return s;
  }

  private ruleFields(req: Request): Obj {
    const out: Obj = {};
    for (const [k, v] of Object.entries(req.params)) if (!RULE_CALL_KEYS.has(k)) out[k] = v;
    return out;
  }

  private ruleList(rules: Obj[]): Obj[] {
    const digest = this.digestOf(rules);
    return rules.map((r, i) => ({ ...r, pos: i, digest }));
  }

  private ruleAt(rules: Obj[], req: Request): Obj {
    const pos = num(req.params, "pos");
    const r = pos === undefined ? undefined : rules[pos];
    if (r === undefined) throw fail("no rule at position " + String(pos));
    return r;
  }

  /** Rules CRUD on a list obtained per request (cluster, guest, group). */
  private rulesRoutes(
    r: Routes,
    path: string,
    rules: (req: Request) => Obj[],
    listPath = `${path}`,
  ): void {
    r[`GET ${listPath}`] = (req) => this.ruleList(rules(req));
    r[`POST ${listPath}`] = (req) => {
      const list = rules(req);
      this.checkDigest(req, list);
      const rule = this.ruleFields(req);
      if (rule.type === "group" && this.state.groups[rule.action as string] === undefined)
        throw fail(`security group '${String(rule.action)}' does not exist`);
      const pos = num(req.params, "pos");
      if (pos === undefined) list.unshift(rule);
      else list.splice(Math.min(pos, list.length), 0, rule);
      this.save();
      return null;
    };
    r[`GET ${path}/{pos}`] = (req) => {
      const list = rules(req);
      return { ...this.ruleAt(list, req), pos: req.params.pos, digest: this.digestOf(list) };
    };
    r[`PUT ${path}/{pos}`] = (req) => {
      const list = rules(req);
      this.checkDigest(req, list);
      const rule = this.ruleAt(list, req);
      const moveto = num(req.params, "moveto");
      if (moveto !== undefined) {
        list.splice(req.params.pos as number, 1);
        list.splice(Math.min(moveto, list.length), 0, rule);
      } else {
        Object.assign(rule, this.ruleFields(req));
        for (const k of (str(req.params, "delete") ?? "").split(/[,;\s]+/).filter((s) => s !== ""))
          delete rule[k];
      }
      this.save();
      return null;
    };
    r[`DELETE ${path}/{pos}`] = (req) => {
      const list = rules(req);
      this.checkDigest(req, list);
      this.ruleAt(list, req);
      list.splice(req.params.pos as number, 1);
      this.save();
      return null;
    };
  }

  private optionsRoutes(r: Routes, path: string, scope: (req: Request) => Ruleset): void {
    r[`GET ${path}`] = (req) => ({
      ...scope(req).options,
      digest: this.digestOf(scope(req).options),
    });
    r[`PUT ${path}`] = (req) => {
      const s = scope(req);
      this.checkDigest(req, s.options);
      for (const [k, v] of Object.entries(req.params)) if (!RULE_CALL_KEYS.has(k)) s.options[k] = v;
      for (const k of (str(req.params, "delete") ?? "").split(/[,;\s]+/).filter((x) => x !== ""))
        delete s.options[k];
      this.save();
      return null;
    };
  }

  private ipsetRoutes(r: Routes, path: string, scope: (req: Request) => Ruleset): void {
    const set = (req: Request): { comment?: string; entries: Obj[] } => {
      const s = scope(req).ipsets[req.params.name as string];
      if (s === undefined) throw fail(`no such IPSet '${String(req.params.name)}'`);
      return s;
    };
    r[`GET ${path}`] = (req) =>
      Object.entries(scope(req).ipsets).map(([name, s]) => ({
        name,
        digest: this.digestOf(s),
        ...(s.comment === undefined ? {} : { comment: s.comment }),
      }));
    r[`POST ${path}`] = (req) => {
      const sc = scope(req);
      const name = req.params.name as string;
      const rename = str(req.params, "rename");
      if (rename !== undefined) {
        const s = sc.ipsets[rename];
        if (s === undefined) throw fail(`no such IPSet '${rename}'`);
        delete sc.ipsets[rename];
        sc.ipsets[name] = s;
      } else {
        if (sc.ipsets[name] !== undefined) throw fail(`IPSet '${name}' already exists`);
        const comment = str(req.params, "comment");
        sc.ipsets[name] = { entries: [], ...(comment === undefined ? {} : { comment }) };
      }
      this.save();
      return null;
    };
    r[`GET ${path}/{name}`] = (req) => {
      const s = set(req);
      return s.entries.map((e) => ({ ...e, digest: this.digestOf(s.entries) }));
    };
    r[`POST ${path}/{name}`] = (req) => {
      const s = set(req);
      const cidr = req.params.cidr as string;
      if (s.entries.some((e) => e.cidr === cidr)) throw fail(`entry '${cidr}' already exists`);
      const e: Obj = { cidr };
      if (req.params.nomatch !== undefined) e.nomatch = req.params.nomatch;
      if (req.params.comment !== undefined) e.comment = req.params.comment;
      s.entries.push(e);
      this.save();
      return null;
    };
    r[`DELETE ${path}/{name}`] = (req) => {
      const sc = scope(req);
      const s = set(req);
      if (s.entries.length > 0 && req.params.force !== 1)
        throw fail(`IPSet '${String(req.params.name)}' is not empty`);
      delete sc.ipsets[req.params.name as string];
      this.save();
      return null;
    };
    const entry = (req: Request): Obj => {
      const e = set(req).entries.find((x) => x.cidr === req.params.cidr);
      if (e === undefined) throw fail("no such IP/Network");
      return e;
    };
    r[`GET ${path}/{name}/{cidr}`] = (req) => entry(req);
    r[`PUT ${path}/{name}/{cidr}`] = (req) => {
      const e = entry(req);
      if (req.params.nomatch !== undefined) e.nomatch = req.params.nomatch;
      if (req.params.comment !== undefined) e.comment = req.params.comment;
      this.save();
      return null;
    };
    r[`DELETE ${path}/{name}/{cidr}`] = (req) => {
      const s = set(req);
      entry(req);
      s.entries = s.entries.filter((x) => x.cidr !== req.params.cidr);
      this.save();
      return null;
    };
  }

  /**
   * Security groups: list, create or rename, delete, and their rules (pve-firewall
   * API2/Firewall/Groups.pm).
   */
  private groupRoutes(r: Routes): void {
    const group = (req: Request): { comment?: string; rules: Obj[] } => {
      const g = this.state.groups[req.params.group as string];
      if (g === undefined) throw fail(`no such security group '${String(req.params.group)}'`);
      return g;
    };
    r["GET /cluster/firewall/groups"] = () =>
      Object.entries(this.state.groups).map(([name, g]) => ({
        group: name,
        digest: this.digestOf(g),
        ...(g.comment === undefined ? {} : { comment: g.comment }),
      }));
    r["POST /cluster/firewall/groups"] = (req) => {
      const name = req.params.group as string;
      const rename = str(req.params, "rename");
      if (rename !== undefined) {
        const g = this.state.groups[rename];
        if (g === undefined) throw fail(`no such security group '${rename}'`);
        delete this.state.groups[rename];
        this.state.groups[name] = g;
      } else {
        if (this.state.groups[name] !== undefined)
          throw fail(`security group '${name}' already exists`);
        const comment = str(req.params, "comment");
        this.state.groups[name] = { rules: [], ...(comment === undefined ? {} : { comment }) };
      }
      this.save();
      return null;
    };
    r["DELETE /cluster/firewall/groups/{group}"] = (req) => {
      const g = group(req);
      if (g.rules.length > 0) throw fail("security group is not empty");
      delete this.state.groups[req.params.group as string];
      this.save();
      return null;
    };
    this.rulesRoutes(r, "/cluster/firewall/groups/{group}", (req) => group(req).rules);
  }

  routes(): Routes {
    const r: Routes = {};
    r["GET /cluster/firewall"] = () =>
      ["aliases", "rules", "options", "groups", "ipset", "macros", "refs"].map((name) => ({
        name,
      }));
    const cluster = (): Ruleset => this.scope("cluster");
    this.rulesRoutes(r, "/cluster/firewall/rules", () => cluster().rules);
    this.optionsRoutes(r, "/cluster/firewall/options", cluster);
    this.ipsetRoutes(r, "/cluster/firewall/ipset", cluster);
    aliasRoutes(r, "/cluster/firewall/aliases", cluster, this.aliasHelpers());
    this.groupRoutes(r);
    for (const type of ["qemu", "lxc"] as const) {
      const base = `/nodes/{node}/${type}/{vmid}/firewall`;
      const guest = (req: Request): Ruleset => {
        this.deps.checkGuest(type, req.params.node as string, req.params.vmid as number);
        return this.scope(`${type}/${String(req.params.vmid)}`);
      };
      r[`GET ${base}`] = (req) => {
        guest(req);
        return ["aliases", "rules", "options", "ipset", "refs", "log"].map((name) => ({ name }));
      };
      this.rulesRoutes(r, `${base}/rules`, (req) => guest(req).rules);
      this.optionsRoutes(r, `${base}/options`, guest);
      this.ipsetRoutes(r, `${base}/ipset`, guest);
      aliasRoutes(r, `${base}/aliases`, guest, this.aliasHelpers());
    }
    const vnet = (req: Request): Ruleset => {
      this.deps.checkVnet(req.params.vnet as string);
      return this.scope(`vnet/${String(req.params.vnet)}`);
    };
    r["GET /cluster/sdn/vnets/{vnet}/firewall"] = (req) => {
      vnet(req);
      return ["rules", "options"].map((name) => ({ name }));
    };
    this.rulesRoutes(r, "/cluster/sdn/vnets/{vnet}/firewall/rules", (req) => vnet(req).rules);
    this.optionsRoutes(r, "/cluster/sdn/vnets/{vnet}/firewall/options", vnet);
    const node = (req: Request): Ruleset => {
      this.deps.checkNode(req.params.node as string);
      return this.scope(`node/${String(req.params.node)}`);
    };
    r["GET /nodes/{node}/firewall"] = (req) => {
      node(req);
      return ["rules", "options", "log"].map((name) => ({ name }));
    };
    this.optionsRoutes(r, "/nodes/{node}/firewall/options", node);
    return this.realised(r);
  }

  /** Each vnet's firewall, for the SDN realisation. */
  vnetFirewalls(): Record<string, SdnVnetFirewall> {
    const out: Record<string, SdnVnetFirewall> = {};
    for (const [key, s] of Object.entries(this.state.scopes)) {
      if (!key.startsWith("vnet/")) continue;
      out[key.slice(5)] = JSON.parse(
        JSON.stringify({ options: s.options, rules: s.rules.map((r, pos) => ({ ...r, pos })) }),
      ) as SdnVnetFirewall;
    }
    return out;
  }
}

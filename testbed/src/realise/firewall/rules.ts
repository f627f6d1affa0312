import { isIPv4, isIPv6 } from "node:net";

import { RealiseError } from "../types.js";
import { PVE_FW_MACROS } from "./macros.js";
import type { FwIpsetEntry, FwRule, FwScope } from "./types.js";

/**
 * One PVE firewall rule → nftables rule lines, as pve-firewall's `ruleset_generate_rule` /
 * `ipt_rule_to_cmds` (src/PVE/Firewall.pm) and proxmox-firewall's rule.rs do it. Pure. Anything
 * the testbed cannot realise faithfully is refused with a FirewallError naming the rule, never
 * dropped silently (a rule that does nothing would be a silent pass).
 */
export class FirewallError extends RealiseError {
  constructor(message: string) {
    super(message);
    this.name = "FirewallError";
  }
}

/** Where a rule's addresses are resolved: a guest's scope first, then the datacenter's. */
export interface AddressScope {
  cluster: FwScope;
  /** The guest's scope and its vmid (absent for cluster and security-group rules). */
  guest?: { vmid: number; scope: FwScope };
}

const ACTIONS: Record<string, string> = {
  ACCEPT: "accept",
  DROP: "drop",
  REJECT: "goto do-reject",
};

/** `ACCEPT`/`DROP`/`REJECT` → the nft verdict (REJECT as PVE's do-reject chain). */
export function verdict(action: string, what: string): string {
  const v = ACTIONS[action];
  if (v === undefined) throw new FirewallError(`${what}: unknown action '${action}'`);
  return v;
}

/** nft set names of an ipset (one per family, plus the nomatch entries). */
export function ipsetSetName(owner: "dc" | number, name: string, family: 4 | 6, nomatch = false) {
  const base = owner === "dc" ? `dc-${name}` : `guest${owner}-${name}`;
  return `${base}-v${family}${nomatch ? "-nomatch" : ""}`;
}

/** An address in nft form, per family. `both` = an ipset that may hold either. */
interface AddressMatch {
  family: 4 | 6 | "both";
  /** nft match fragments per family, without the `ip saddr` prefix's field. */
  v4: string[];
  v6: string[];
}

function familyOf(text: string): 4 | 6 | undefined {
  const [addr, prefix] = text.split("/");
  if (addr === undefined) return undefined;
  const bits = prefix === undefined ? undefined : Number(prefix);
  if (isIPv4(addr) && (bits === undefined || (Number.isInteger(bits) && bits <= 32))) return 4;
  if (isIPv6(addr) && (bits === undefined || (Number.isInteger(bits) && bits <= 128))) return 6;
  return undefined;
}

function lookupAlias(name: string, scopes: (FwScope | undefined)[]): string | undefined {
  const lc = name.toLowerCase();
  for (const s of scopes) {
    if (s === undefined) continue;
    for (const [k, v] of Object.entries(s.aliases)) if (k.toLowerCase() === lc) return v;
  }
  return undefined;
}

/** An ipset entry or list element: an address, network, range, or alias → (family, nft text). */
export function resolveEntry(text: string, at: AddressScope, what: string): [4 | 6, string] {
  const alias = /^(dc\/|guest\/)?([A-Za-z][A-Za-z0-9_-]+)$/.exec(text);
  if (alias !== null) {
    const scopes = [
      alias[1] === "dc/" ? undefined : at.guest?.scope,
      alias[1] === "guest/" ? undefined : at.cluster,
    ];
    const cidr = lookupAlias(alias[2]!, scopes);
    if (cidr === undefined) throw new FirewallError(`${what}: no such alias '${text}'`);
    return resolveEntry(cidr, { cluster: at.cluster }, what);
  }
  const range = text.split("-");
  if (range.length === 2) {
    const [a, b] = range as [string, string];
    const fa = familyOf(a);
    if (fa === undefined || fa !== familyOf(b) || a.includes("/") || b.includes("/"))
      throw new FirewallError(`${what}: invalid IP range '${text}'`);
    return [fa, `${a}-${b}`];
  }
  const f = familyOf(text);
  if (f === undefined) throw new FirewallError(`${what}: invalid IP address '${text}'`);
  return [f, text];
}

/** A rule's `source`/`dest` (address list, range, `+ipset`, alias) → nft fragments per family. */
export function resolveAddress(spec: string, at: AddressScope, what: string): AddressMatch {
  const set = /^\+(guest\/|dc\/)?([A-Za-z][A-Za-z0-9_-]+)$/.exec(spec);
  if (set !== null) {
    const [, prefix, name] = set as unknown as [string, string | undefined, string];
    // pve-firewall: a guest's own ipset first (unless `+dc/`), then the datacenter's.
    let owner: "dc" | number | undefined;
    let entries: FwIpsetEntry[] | undefined;
    if (prefix !== "dc/" && at.guest?.scope.ipsets[name] !== undefined) {
      owner = at.guest.vmid;
      entries = at.guest.scope.ipsets[name];
    } else if (prefix !== "guest/" && at.cluster.ipsets[name] !== undefined) {
      owner = "dc";
      entries = at.cluster.ipsets[name];
    }
    if (owner === undefined || entries === undefined)
      throw new FirewallError(`${what}: no such ipset '${name}'`);
    const match = (fam: 4 | 6): string[] => {
      const nomatch = entries.some((e) => e.nomatch === 1 || e.nomatch === true);
      return [
        `@${ipsetSetName(owner, name, fam)}`,
        ...(nomatch ? [`!= @${ipsetSetName(owner, name, fam, true)}`] : []),
      ];
    };
    return { family: "both", v4: match(4), v6: match(6) };
  }
  const items = spec.split(",");
  if (items.some((i) => i === "")) throw new FirewallError(`${what}: extraneous commas in list`);
  const resolved = items.map((i) => resolveEntry(i, at, what));
  const isRange = (i: string): boolean =>
    familyOf(i.split("-")[0] ?? "") !== undefined && i.includes("-");
  if (resolved.length > 1 && items.some(isRange))
    throw new FirewallError(`${what}: you can't use a range in a list`);
  const families = new Set(resolved.map(([f]) => f));
  if (families.size > 1)
    throw new FirewallError(`${what}: detected mixed ipv4/ipv6 addresses in address list`);
  const text =
    resolved.length === 1 ? resolved[0]![1] : `{ ${resolved.map(([, t]) => t).join(", ")} }`;
  const fam = resolved[0]![0];
  return { family: fam, v4: fam === 4 ? [text] : [], v6: fam === 6 ? [text] : [] };
}

const PORT_PROTOCOLS = new Set(["tcp", "udp", "udplite", "sctp", "dccp"]);

/** PVE's port list (`80`, `80:90`, `22,80,1000:2000`, service names) → nft. */
export function nftPorts(spec: string, what: string): string {
  const items = spec.split(",");
  const out = items.map((item) => {
    const range = /^(\d+):(\d+)$/.exec(item);
    if (range !== null) {
      const [a, b] = [Number(range[1]), Number(range[2])];
      if (a > 65535 || b > 65535) throw new FirewallError(`${what}: invalid port '${item}'`);
      if (a > b)
        throw new FirewallError(
          `${what}: backwards range '${item}' not allowed, did you mean '${b}:${a}'?`,
        );
      return `${a}-${b}`;
    }
    if (/^\d+$/.test(item)) {
      if (Number(item) > 65535) throw new FirewallError(`${what}: invalid port '${item}'`);
      return item;
    }
    if (/^[a-z][a-z0-9-]*$/i.test(item)) return item; // a service name, as in /etc/services
    throw new FirewallError(`${what}: invalid port '${item}'`);
  });
  return out.length === 1 ? out[0]! : `{ ${out.join(", ")} }`;
}

/** ICMP type names nft knows (PVE's names for the same types are the same words). */
const ICMP_TYPES = new Set([
  "echo-reply", "destination-unreachable", "source-quench", "redirect", "echo-request",
  "router-advertisement", "router-solicitation", "time-exceeded", "parameter-problem",
  "timestamp-request", "timestamp-reply", "info-request", "info-reply",
  "address-mask-request", "address-mask-reply",
]); // prettier-ignore

function icmpType(proto: string, type: string, what: string): string[] {
  if (type === "any") return [];
  const key = proto === "icmp" ? "icmp type" : "icmpv6 type";
  if (/^\d+$/.test(type) && Number(type) < 256) return [`${key} ${type}`];
  if (proto === "icmp" && ICMP_TYPES.has(type)) return [`${key} ${type}`];
  if (proto !== "icmp" && /^[a-z-]+$/.test(type)) return [`${key} ${type}`];
  throw new FirewallError(`${what}: ICMP type '${type}' is not realised by the testbed`);
}

/** Protocol, ports and ICMP type of one (macro-expanded) rule → nft match fragments. */
function protoMatch(r: FwRule, what: string): string[] {
  const proto = r.proto === "icmpv6" ? "ipv6-icmp" : r.proto;
  if (proto === undefined || proto === "") {
    if (r.dport)
      throw new FirewallError(`${what}: destination port '${r.dport}', but no protocol specified`);
    if (r.sport)
      throw new FirewallError(`${what}: source port '${r.sport}', but no protocol specified`);
    return [];
  }
  if (!/^[a-z0-9-]+$/i.test(proto)) throw new FirewallError(`${what}: invalid protocol '${proto}'`);
  const m = [`meta l4proto ${proto}`];
  const icmp = proto === "icmp" || proto === "ipv6-icmp";
  if (r["icmp-type"]) {
    if (!icmp)
      throw new FirewallError(
        `${what}: 'icmp-type' can only be set if 'icmp', 'icmpv6' or 'ipv6-icmp' is specified`,
      );
    m.push(...icmpType(proto, r["icmp-type"], what));
  }
  // pve-firewall keeps an ICMP type in `dport` for icmp rules (the Ping macro does).
  if (r.dport && icmp) m.push(...icmpType(proto, r.dport, what));
  else if ((r.dport || r.sport) && !PORT_PROTOCOLS.has(proto))
    throw new FirewallError(`${what}: protocol ${proto} does not have ports`);
  else {
    const l4 = proto === "udplite" ? "th" : proto;
    if (r.sport) m.push(`${l4} sport ${nftPorts(r.sport, what)}`);
    if (r.dport) m.push(`${l4} dport ${nftPorts(r.dport, what)}`);
  }
  return m;
}

/** A macro rule expanded as pve-firewall's `apply_macro`: one rule per macro entry. */
export function expandMacro(rule: FwRule, what: string): FwRule[] {
  if (rule.macro === undefined || rule.macro === "") return [rule];
  const name = Object.keys(PVE_FW_MACROS).find(
    (k) => k.toLowerCase() === rule.macro!.toLowerCase(),
  );
  const macro = name === undefined ? undefined : PVE_FW_MACROS[name];
  if (macro === undefined)
    throw new FirewallError(
      `${what}: unknown macro '${rule.macro}' (the testbed realises PVE's IPv4 macros: ${Object.keys(PVE_FW_MACROS).join(", ")})`,
    );
  return macro.rules.map((entry) => {
    const out: FwRule = { ...rule };
    delete out.macro;
    for (const k of ["proto", "dport", "sport"] as const) {
      const fixed = entry[k];
      if (fixed === undefined) continue;
      if (rule[k] !== undefined && rule[k] !== "" && rule[k] !== fixed)
        throw new FirewallError(
          `${what}: parameter '${k}' already define in macro (value = '${fixed}')`,
        );
      out[k] = fixed;
    }
    return out;
  });
}

/** Whether a rule is on (absent `enable` = on, as pve-firewall reads the config back). */
export function ruleEnabled(r: FwRule): boolean {
  return !(r.enable === 0 || r.enable === false);
}

/**
 * The nft lines of one in/out/forward rule (not `group`): one per macro entry and family. `iface`
 * is matched by the caller (guest rules pick their NIC) or given here as `ifaceMatch`.
 */
export function ruleLines(
  r: FwRule,
  at: AddressScope,
  what: string,
  ifaceMatch?: string,
): string[] {
  const action = verdict(r.action, what);
  const lines: string[] = [];
  for (const one of expandMacro(r, what)) {
    const src = one.source ? resolveAddress(one.source, at, `${what} source`) : undefined;
    const dst = one.dest ? resolveAddress(one.dest, at, `${what} dest`) : undefined;
    const fams = [src?.family, dst?.family].filter((f) => f !== undefined && f !== "both");
    if (new Set(fams).size > 1)
      throw new FirewallError(`${what}: source and dest are of different IP versions`);
    const proto = protoMatch(one, what);
    const pfam =
      one.proto === "icmp"
        ? 4
        : one.proto === "icmpv6" || one.proto === "ipv6-icmp"
          ? 6
          : undefined;
    const fixed = (fams[0] as 4 | 6 | undefined) ?? pfam;
    if (fams[0] !== undefined && pfam !== undefined && fams[0] !== pfam) continue; // never matches
    const families: (4 | 6 | undefined)[] =
      src === undefined && dst === undefined ? [undefined] : fixed !== undefined ? [fixed] : [4, 6];
    for (const fam of families) {
      const m: string[] = ifaceMatch === undefined ? [] : [ifaceMatch];
      const key = fam === 6 ? "ip6" : "ip";
      for (const [field, a] of [
        ["saddr", src],
        ["daddr", dst],
      ] as const)
        if (a !== undefined)
          for (const frag of fam === 6 ? a.v6 : a.v4) m.push(`${key} ${field} ${frag}`);
      lines.push([...m, ...proto, action].join(" "));
    }
  }
  return lines;
}

import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { ConfigError, parseYaml } from "@txbox/core";
import { SpecError } from "./errors.js";
import { cidrContains, cidrOverlaps, parseCidr, parseIpv4 } from "./ip.js";
import { netSpecSchema, type NetSpec } from "./spec.js";

/** One cross-field problem: the key path into the YAML document and what is wrong. */
interface Issue {
  path: (string | number)[];
  message: string;
}

function keyPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? p : `.${p}`;
  return out;
}

/** Cross-field rules the schema cannot express. Pure: spec in, issues out. */
export function checkSpec(spec: NetSpec): Issue[] {
  return [
    ...checkUnique(spec),
    ...checkZones(spec),
    ...checkVnets(spec),
    ...(spec.management && !parseCidr(spec.management.cidr)
      ? [
          {
            path: ["management", "cidr"],
            message: `${spec.management.cidr} is not a valid CIDR`,
          },
        ]
      : []),
    ...checkGuests(spec),
  ];
}

/** Ids, names, vmids and VNIs that must be unique; each repeat names the first. */
function checkUnique(spec: NetSpec): Issue[] {
  const issues: Issue[] = [];
  const seen = (kind: string, items: { key: string; path: (string | number)[] }[]) => {
    const first = new Map<string, string>();
    for (const { key, path } of items) {
      const prev = first.get(key);
      if (prev !== undefined)
        issues.push({ path, message: `duplicate ${kind} ${key} (first at ${prev})` });
      else first.set(key, keyPath(path));
    }
  };
  seen(
    "zone id",
    spec.zones.map((z, i) => ({ key: z.id, path: ["zones", i, "id"] })),
  );
  seen(
    "vnet id",
    spec.vnets.map((v, i) => ({ key: v.id, path: ["vnets", i, "id"] })),
  );
  seen(
    "guest name",
    spec.guests.map((g, i) => ({ key: g.name, path: ["guests", i, "name"] })),
  );
  seen(
    "vmid",
    spec.guests.map((g, i) => ({ key: String(g.vmid), path: ["guests", i, "vmid"] })),
  );
  // A VNI names one segment in the whole VXLAN/EVPN fabric, including the zones' VRF VNIs.
  seen("VNI", [
    ...spec.zones.flatMap((z, i) =>
      z.type === "evpn" ? [{ key: String(z.vrfVxlan), path: ["zones", i, "vrfVxlan"] }] : [],
    ),
    ...spec.vnets.map((v, i) => ({ key: String(v.tag), path: ["vnets", i, "tag"] })),
  ]);
  return issues;
}

function checkZones(spec: NetSpec): Issue[] {
  return spec.zones.flatMap((z, i): Issue[] =>
    z.type === "evpn" && spec.controller === undefined
      ? [{ path: ["zones", i, "type"], message: `evpn zone ${z.id} needs a controller` }]
      : [],
  );
}

/** Each vnet's zone, subnets (valid, not overlapping any before them, gateway inside) and peers. */
function checkVnets(spec: NetSpec): Issue[] {
  const issues: Issue[] = [];
  const zones = new Set(spec.zones.map((z) => z.id));
  const subnets: { cidr: ReturnType<typeof parseCidr>; text: string; path: (string | number)[] }[] =
    [];
  spec.vnets.forEach((v, i) => {
    if (!zones.has(v.zone))
      issues.push({
        path: ["vnets", i, "zone"],
        message: `zone ${v.zone} is not declared (zones: ${[...zones].join(", ")})`,
      });
    v.subnets.forEach((s, j) => {
      const path = ["vnets", i, "subnets", j];
      const c = parseCidr(s.cidr);
      if (!c) {
        issues.push({ path: [...path, "cidr"], message: `${s.cidr} is not a valid CIDR` });
        return;
      }
      for (const other of subnets)
        if (other.cidr && cidrOverlaps(other.cidr, c))
          issues.push({
            path: [...path, "cidr"],
            message: `${s.cidr} overlaps ${other.text} (at ${keyPath(other.path)})`,
          });
      subnets.push({ cidr: c, text: s.cidr, path: [...path, "cidr"] });
      if (s.gateway !== undefined) {
        const gw = parseIpv4(s.gateway);
        if (gw === undefined || !cidrContains(c, gw))
          issues.push({
            path: [...path, "gateway"],
            message: `${s.gateway} is not in subnet ${s.cidr}`,
          });
      }
    });
    v.firewall.allowFrom.forEach((from, j) => {
      if (!spec.vnets.some((o) => o.id === from))
        issues.push({
          path: ["vnets", i, "firewall", "allowFrom", j],
          message: `vnet ${from} is not declared`,
        });
    });
  });
  return issues;
}

/** Each guest's vnet and address (in a subnet, not its gateway, not another guest's), management and key. */
function checkGuests(spec: NetSpec): Issue[] {
  const issues: Issue[] = [];
  const guestIps = new Map<string, string>();
  spec.guests.forEach((g, i) => {
    const vnet = spec.vnets.find((v) => v.id === g.vnet);
    if (!vnet) {
      issues.push({ path: ["guests", i, "vnet"], message: `vnet ${g.vnet} is not declared` });
    } else {
      const problem = addressProblem(g.ip, vnet);
      if (problem !== undefined) issues.push({ path: ["guests", i, "ip"], message: problem });
    }
    const ip = g.ip.split("/")[0]!;
    const prev = guestIps.get(ip);
    if (prev !== undefined)
      issues.push({ path: ["guests", i, "ip"], message: `address ${ip} is also used by ${prev}` });
    else guestIps.set(ip, g.name);
    if (g.management) {
      const m = spec.management ? parseCidr(spec.management.cidr) : undefined;
      const gc = parseCidr(g.management.ip);
      if (!spec.management)
        issues.push({
          path: ["guests", i, "management"],
          message: "needs a top-level management section",
        });
      else if (!m || !gc || !cidrContains(m, gc.address) || gc.prefix !== m.prefix)
        issues.push({
          path: ["guests", i, "management", "ip"],
          message: `${g.management.ip} is not in management network ${spec.management.cidr}`,
        });
    }
    if (g.ssh.publicKey === undefined && g.ssh.publicKeyFile === undefined)
      issues.push({ path: ["guests", i, "ssh"], message: "needs publicKey or publicKeyFile" });
  });
  return issues;
}

/** Why a guest's `ip` (CIDR) does not fit its vnet: outside every subnet, or the gateway. */
function addressProblem(ip: string, vnet: NetSpec["vnets"][number]): string | undefined {
  const c = parseCidr(ip);
  const inside = c
    ? vnet.subnets.find((s) => {
        const sc = parseCidr(s.cidr);
        return sc !== undefined && sc.prefix === c.prefix && cidrContains(sc, c.address);
      })
    : undefined;
  if (!c || !inside)
    return `${ip} is not in any subnet of vnet ${vnet.id} (${vnet.subnets.map((s) => s.cidr).join(", ") || "none"})`;
  if (inside.gateway !== undefined && parseIpv4(inside.gateway) === c.address)
    return `${ip} is the subnet's gateway`;
  return undefined;
}

/**
 * Parse and validate a spec from text: schema errors and cross-field errors alike name the file,
 * line and key. `ssh.publicKeyFile` is resolved against the file's directory (not read here).
 */
export function parseNetSpec(text: string, file: string): NetSpec {
  let spec: NetSpec;
  try {
    spec = parseYaml(text, netSpecSchema, file, { check: checkSpec });
  } catch (cause) {
    if (cause instanceof ConfigError)
      throw new SpecError(cause.message, {
        details: cause.details,
        hint: "fix the keys named above; packages/net/schema/net-spec.schema.json lists every key",
        cause,
      });
    throw cause;
  }
  const base = dirname(resolve(file));
  for (const g of spec.guests)
    if (g.ssh.publicKeyFile !== undefined && !isAbsolute(g.ssh.publicKeyFile))
      g.ssh.publicKeyFile = resolve(base, g.ssh.publicKeyFile);
  return spec;
}

/** Read, parse and validate a spec file. A missing file is a {@link SpecError} too. */
export function loadNetSpec(file: string): NetSpec {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new SpecError(`${file}: cannot read: ${(cause as NodeJS.ErrnoException).code ?? cause}`, {
      details: { file },
      cause,
    });
  }
  return parseNetSpec(text, file);
}

import { isIP } from "node:net";

/**
 * PVE's registered string formats that matter to txbox, with the error text each one dies with
 * (pve-common JSONSchema.pm, pve-network, pve-firewall). A checker returns undefined when the value
 * is valid, else the message. Formats not listed here are accepted, which is lenient but never
 * rejects what PVE accepts.
 */
type Checker = (value: string) => string | undefined;

const re = (pattern: RegExp, message: (v: string) => string): Checker => {
  return (v) => (pattern.test(v) ? undefined : message(v));
};

function isCidr(v: string, family?: 4 | 6): boolean {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(v);
  if (m === null) return false;
  const fam = isIP(m[1]!);
  if (fam === 0 || (family !== undefined && fam !== family)) return false;
  const mask = Number(m[2]);
  return mask >= 0 && mask <= (fam === 4 ? 32 : 128);
}

const sdnId = (what: string): Checker =>
  re(/^[a-z][a-z0-9]*[a-z0-9]$/i, (v) => `${what} ID '${v}' contains illegal characters`);

const fwAddr: Checker = (v) => {
  for (const part of v.split(",")) {
    const p = part.replace(/^\+/, "");
    if (/^(dc\/|guest\/)?[a-z][a-z0-9_-]+$/i.test(p)) continue;
    const range = p.split("-");
    if (range.length === 2 && isIP(range[0]!) !== 0 && isIP(range[1]!) !== 0) continue;
    if (isIP(p) !== 0 || isCidr(p)) continue;
    return `invalid address spec '${v}'`;
  }
  return undefined;
};

const fwPort: Checker = (v) => {
  for (const part of v.split(",")) {
    if (/^\d+(:\d+)?$/.test(part)) {
      const [a, b] = part.split(":").map(Number);
      if (a! > 65535 || (b !== undefined && b > 65535)) return `invalid port '${part}'`;
      continue;
    }
    if (/^[a-z][a-z0-9-]*$/i.test(part)) continue;
    return `invalid port '${part}'`;
  }
  return undefined;
};

export const FORMATS: Record<string, Checker> = {
  "pve-node": re(
    /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)$/i,
    () => "value does not look like a valid node name",
  ),
  "pve-vmid": re(/^[1-9][0-9]{2,8}$/, () => "value does not look like a valid VM ID"),
  "pve-configid": re(/^[a-z][a-z0-9_-]+$/i, (v) => `invalid configuration ID '${v}'`),
  "pve-storage-id": re(
    /^[a-z][a-z0-9\-_.]*[a-z0-9]$/i,
    (v) => `storage ID '${v}' contains illegal characters`,
  ),
  "pve-sdn-zone-id": sdnId("zone"),
  "pve-sdn-vnet-id": sdnId("vnet"),
  "pve-sdn-controller-id": sdnId("controller"),
  "pve-sdn-subnet-id": (v) =>
    isCidr(v) || /^[a-z][a-z0-9]*-[0-9a-f.:]+-\d+$/i.test(v)
      ? undefined
      : `subnet '${v}' is not valid`,
  "pve-bridge-id": re(/^[-_.\w\d]+$/, (v) => `invalid bridge ID '${v}'`),
  "pve-iface": re(
    /^[a-z][a-z0-9_]{1,20}([:.]\d+)?$/i,
    (v) => `invalid network interface name '${v}'`,
  ),
  ip: (v) => (isIP(v) !== 0 ? undefined : `value does not look like a valid IP address`),
  ipv4: (v) => (isIP(v) === 4 ? undefined : `value does not look like a valid IPv4 address`),
  ipv6: (v) => (isIP(v) === 6 ? undefined : `value does not look like a valid IPv6 address`),
  CIDR: (v) => (isCidr(v) ? undefined : `value does not look like a valid CIDR network`),
  CIDRv4: (v) => (isCidr(v, 4) ? undefined : `value does not look like a valid IPv4 CIDR network`),
  CIDRv6: (v) => (isCidr(v, 6) ? undefined : `value does not look like a valid IPv6 CIDR network`),
  IPorCIDR: (v) =>
    isIP(v) !== 0 || isCidr(v)
      ? undefined
      : `value does not look like a valid IP address or CIDR network`,
  IPorCIDRorAlias: (v) =>
    isIP(v) !== 0 || isCidr(v) || /^(dc\/|guest\/)?[a-z][a-z0-9_-]+$/i.test(v)
      ? undefined
      : `value does not look like a valid IP address or CIDR network`,
  "mac-addr": re(
    /^[a-f0-9][02468ace](?::[a-f0-9]{2}){5}$/i,
    (v) => `value '${v}' does not look like a valid MAC address`,
  ),
  "dns-name": re(
    /^(?:(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.)*(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)$/i,
    () => "value does not look like a valid DNS name",
  ),
  "pve-userid": re(
    /^[^\s:/]+@[A-Za-z][A-Za-z0-9.\-_]+$/,
    (v) => `value '${v}' does not look like a valid user name`,
  ),
  "pve-fw-addr-spec": fwAddr,
  "pve-fw-dport-spec": fwPort,
  "pve-fw-sport-spec": fwPort,
  "pve-fw-protocol-spec": re(/^([a-z][a-z0-9_-]*|\d{1,3})$/i, (v) => `unknown protocol '${v}'`),
};

/** Check a value against a named format; `-list` formats check each comma/space/semicolon item. */
export function checkFormat(format: string, value: string): string | undefined {
  const direct = FORMATS[format];
  if (direct !== undefined) return direct(value);
  if (format.endsWith("-list")) {
    const base = FORMATS[format.slice(0, -5)];
    if (base === undefined) return undefined;
    for (const item of value.split(/[,;\s]+/).filter((s) => s !== "")) {
      const err = base(item);
      if (err !== undefined) return err;
    }
  }
  return undefined;
}

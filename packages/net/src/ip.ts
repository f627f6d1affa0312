/** IPv4 helpers for spec validation: parse, CIDR containment, subnet identity as PVE names it. */

export interface Cidr {
  /** Network address as a 32-bit unsigned integer. */
  network: number;
  /** The address as written (may have host bits set, e.g. `10.0.0.5/24`). */
  address: number;
  prefix: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parse a dotted-quad IPv4 address; undefined when it is not one. */
export function parseIpv4(text: string): number | undefined {
  const m = IPV4.exec(text);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parse `a.b.c.d/p`; undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const [ip, p, ...rest] = text.split("/");
  if (ip === undefined || p === undefined || rest.length > 0 || !/^\d{1,2}$/.test(p))
    return undefined;
  const prefix = Number(p);
  const address = parseIpv4(ip);
  if (address === undefined || prefix > 32) return undefined;
  return { network: (address & mask(prefix)) >>> 0, address, prefix };
}

/** Whether `ip` lies inside `cidr`. */
export function cidrContains(cidr: Cidr, ip: number): boolean {
  return (ip & mask(cidr.prefix)) >>> 0 === cidr.network;
}

/** Whether two networks share any address. */
export function cidrOverlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return (a.network & mask(p)) >>> 0 === (b.network & mask(p)) >>> 0;
}

/** `10.0.0.0/24` normalised to its network address. */
export function normaliseCidr(text: string): string {
  const c = parseCidr(text);
  return c ? `${formatIpv4(c.network)}/${c.prefix}` : text;
}

/** The id PVE stores a subnet under: `<zone>-<network>-<prefix>`. */
export function subnetId(zone: string, cidr: string): string {
  const c = parseCidr(cidr);
  return c ? `${zone}-${formatIpv4(c.network)}-${c.prefix}` : `${zone}-${cidr.replace("/", "-")}`;
}

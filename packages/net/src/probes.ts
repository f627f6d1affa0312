import { within } from "./desired.js";
import { normaliseCidr } from "./ip.js";
import type { GuestSpec, NetSpec, VnetSpec } from "./spec.js";

/**
 * The pure half of `net verify`: from a spec, the probes each guest must run and what each must
 * find; the shell script that runs them with tools every ordinary guest has (bash, timeout,
 * ping); and the verdict from their output. The effectful half (verify.ts) runs the scripts over
 * the guests' SSH.
 *
 * A probe "reaches" when the far end answered at all: an ICMP echo reply, or a TCP handshake or
 * refusal (a RST crossed the firewall both ways). It is "blocked" when nothing came back before
 * the timeout, or the network said unreachable.
 */
export type ProbeKind = "icmp" | "tcp";
export type ProbeResult = "reach" | "blocked";

export interface Probe {
  /** Short id, unique per source guest (`p3`). */
  id: string;
  from: string;
  /** What is probed: a guest name, or `management` for the orchestrator's address. */
  to: string;
  /** Literal address, or `$MGMT` (the address the guest's SSH client came from). */
  address: string;
  kind: ProbeKind;
  port?: number;
  expect: ProbeResult;
  /** Why that is expected (spec rule that allows or isolation that blocks). */
  why: string;
}

const hostOf = (cidr: string) => cidr.split("/")[0]!;
const MGMT_PORTS = [22, 8006];

function portsOf(dport: string | undefined): number[] {
  if (dport === undefined) return [];
  return dport.split(",").map((p) => Number(p.split(":")[0]));
}

/** How a guest of `from` may reach address `ip` in vnet `to` (undefined: it may not). */
function allowance(
  from: VnetSpec,
  to: VnetSpec,
  ip: string,
  kind: ProbeKind,
  port?: number,
): string | undefined {
  if (from.id === to.id) return `same vnet ${to.id}`;
  if (!to.firewall.isolate) return `${to.id} is not isolated`;
  if (to.firewall.allowFrom.includes(from.id)) return `${to.id} allows ${from.id}`;
  for (const e of from.firewall.egress) {
    if (!within(ip, e.dest.includes("/") ? normaliseCidr(e.dest) : e.dest)) continue;
    if (e.proto !== undefined && e.proto !== kind) continue;
    if (kind === "tcp" && e.dport !== undefined && !portsOf(e.dport).includes(port ?? -1)) continue;
    // A range that only contains the vnet does not open it (see compileSpec).
    if (!to.subnets.some((s) => within(e.dest, normaliseCidr(s.cidr)))) continue;
    return `egress of ${from.id} to ${e.dest}`;
  }
  return undefined;
}

/** Every probe of a spec, per source guest. Pure. */
export function planProbes(spec: NetSpec): Probe[] {
  const vnet = (g: GuestSpec) => spec.vnets.find((v) => v.id === g.vnet)!;
  const out: Probe[] = [];
  for (const g of spec.guests) {
    let n = 0;
    const add = (p: Omit<Probe, "id" | "from">) => out.push({ id: `p${++n}`, from: g.name, ...p });
    for (const o of spec.guests) {
      if (o.name === g.name) continue;
      const ip = hostOf(o.ip);
      const to = vnet(o);
      const targets: { kind: ProbeKind; port?: number }[] = [
        { kind: "icmp" },
        { kind: "tcp", port: 22 },
      ];
      // Ports an egress rule opens on this guest's address are probed too.
      for (const e of vnet(g).firewall.egress)
        if (e.proto === "tcp" && within(ip, e.dest.includes("/") ? normaliseCidr(e.dest) : e.dest))
          for (const port of portsOf(e.dport))
            if (!targets.some((t) => t.port === port)) targets.push({ kind: "tcp", port });
      for (const t of targets) {
        const why = allowance(vnet(g), to, ip, t.kind, t.port);
        add({
          to: o.name,
          address: ip,
          ...t,
          expect: why === undefined ? "blocked" : "reach",
          why: why ?? `${to.id} isolates ${vnet(g).id}`,
        });
      }
      if (o.management !== undefined)
        add({
          to: `${o.name} (management)`,
          address: hostOf(o.management.ip),
          kind: "tcp",
          port: 22,
          expect: "blocked",
          why: "guests never reach each other's management address",
        });
    }
    add({
      to: "management",
      address: "$MGMT",
      kind: "icmp",
      expect: "blocked",
      why: "the management network only carries replies of SSH sessions",
    });
    for (const port of MGMT_PORTS)
      add({
        to: "management",
        address: "$MGMT",
        kind: "tcp",
        port,
        expect: "blocked",
        why: "the management network only carries replies of SSH sessions",
      });
  }
  return out;
}

/** Seconds each probe waits for an answer. */
export const PROBE_TIMEOUT_S = 3;

/**
 * The bash script that runs `probes` (of one guest) in parallel and prints `<id> <result>`
 * lines; `reach`/`blocked`, or `error:<reason>` when the probe could not run. `$MGMT` is the
 * address the guest sees the SSH session come from.
 */
export function probeScript(probes: Probe[]): string {
  const t = PROBE_TIMEOUT_S;
  const lines = [
    "set +e",
    'MGMT="${SSH_CLIENT%% *}"',
    'MGMT="${MGMT:-${SSH_CONNECTION%% *}}"',
    // A guest without ping, or without the right to send ICMP, cannot say: never "blocked".
    `icmp() { command -v ping >/dev/null 2>&1 || { echo "$1 error:no-ping"; return; }; out=$(timeout ${t + 1} ping -c 1 -W ${t} "$2" 2>&1); rc=$?; if [ $rc -eq 0 ]; then echo "$1 reach"; elif printf '%s' "$out" | grep -qiE 'not permitted|permission denied|socket:'; then echo "$1 error:icmp-not-permitted"; else echo "$1 blocked"; fi; }`,
    // exit 0: connected; "refused": the far end answered with a RST; a timeout (124) or an
    // unreachable network: blocked.
    `tcp() { out=$(timeout ${t} bash -c "exec 3<>/dev/tcp/$2/$3" 2>&1); rc=$?; if [ $rc -eq 0 ]; then echo "$1 reach"; elif [ $rc -ne 124 ] && printf '%s' "$out" | grep -qi refused; then echo "$1 reach"; else echo "$1 blocked"; fi; }`,
    'if [ -z "$MGMT" ]; then MGMT=0.0.0.0; fi',
  ];
  for (const p of probes) {
    const address = p.address === "$MGMT" ? '"$MGMT"' : p.address;
    lines.push(
      p.kind === "icmp" ? `icmp ${p.id} ${address} &` : `tcp ${p.id} ${address} ${p.port ?? 0} &`,
    );
  }
  lines.push("wait");
  return `${lines.join("\n")}\n`;
}

/** Parse a probe script's output: id → result text. */
export function parseProbeOutput(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^(p\d+) (\S+)$/.exec(line.trim());
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

export interface ProbeOutcome extends Probe {
  /** `reach`, `blocked`, or `error:<why>` (the probe could not run; never a pass). */
  got: string;
  ok: boolean;
  /**
   * An ICMP probe the guest cannot send (no ping, or no right to): it proves nothing either way
   * and is not counted; the TCP probes to the same destination still decide.
   */
  skipped?: true;
}

export interface VerifyReport {
  name: string;
  ok: boolean;
  probes: ProbeOutcome[];
  /** Guests whose probes could not run at all, with the reason. */
  unreachable: { guest: string; error: string }[];
}

/** Judge the outcomes: every probe must find what it expects; a missing result is a failure. */
export function judge(
  name: string,
  probes: Probe[],
  results: Map<string, Map<string, string>>,
  unreachable: { guest: string; error: string }[],
): VerifyReport {
  const outcomes = probes.map((p) => {
    const failed = unreachable.find((u) => u.guest === p.from);
    const got = failed ? "error:no-ssh" : (results.get(p.from)?.get(p.id) ?? "error:no-result");
    if (p.kind === "icmp" && /^error:(no-ping|icmp-not-permitted)$/.test(got))
      return { ...p, got, ok: true, skipped: true as const };
    return { ...p, got, ok: got === p.expect };
  });
  return {
    name,
    ok: unreachable.length === 0 && outcomes.every((o) => o.ok),
    probes: outcomes,
    unreachable,
  };
}

function target(p: Probe): string {
  return p.kind === "icmp" ? "icmp" : `tcp/${p.port}`;
}

/**
 * The report as a matrix: one row per source guest, one column per destination, each cell the
 * probes (`icmp`, `tcp/22`…) as `+` (reached) or `-` (blocked), marked `!` where that is not
 * what the spec says; then the failures, one per line, with the reason.
 */
export function formatVerify(r: VerifyReport): string {
  const rows = [...new Set(r.probes.map((p) => p.from))];
  const cols = [...new Set(r.probes.map((p) => p.to))];
  const cell = (from: string, to: string) => {
    const ps = r.probes.filter((p) => p.from === from && p.to === to);
    if (ps.length === 0) return "·";
    return ps
      .map((p) => {
        const mark = p.got === "reach" ? "+" : p.got === "blocked" ? "-" : "?";
        return `${mark}${target(p)}${p.ok ? "" : "!"}`;
      })
      .join(" ");
  };
  const table = [["from \\ to", ...cols], ...rows.map((f) => [f, ...cols.map((c) => cell(f, c))])];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const lines = table.map((row) =>
    row
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd(),
  );
  lines.push("", "+ reached  - blocked  ? could not probe  ! not what the spec says");
  const skipped = [...new Set(r.probes.filter((p) => p.skipped).map((p) => p.from))];
  for (const g of skipped)
    lines.push(`  ${g}: cannot send ICMP (no ping or not permitted); its TCP probes decide`);
  for (const u of r.unreachable) lines.push(`! ${u.guest}: probes did not run: ${u.error}`);
  const bad = r.probes.filter((p) => !p.ok);
  for (const p of bad)
    lines.push(
      `! ${p.from} -> ${p.to} ${target(p)} (${p.address}): expected ${p.expect}, got ${p.got} (${p.why})`,
    );
  const total = r.probes.filter((p) => !p.skipped).length;
  lines.push(
    r.ok
      ? `Verified "${r.name}": ${total} probes, all as the spec says.`
      : `Verification of "${r.name}" FAILED: ${bad.length} of ${total} probes not as the spec says.`,
  );
  return lines.join("\n");
}

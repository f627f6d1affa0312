import type { ParsedArgs } from "../argspec.js";
import { readKnowledge } from "../../knowledge/read.js";
import { transfersFileSchema } from "../../knowledge/schema.js";
import type { CommandEnv } from "./state.js";

/** socat(1) address types that open a network connection or listen on one. */
const SOCAT_NETWORK =
  /^(tcp|tcp4|tcp6|tcp-connect|tcp4-connect|tcp6-connect|tcp-listen|tcp4-listen|tcp6-listen|tcp-l|udp|udp4|udp6|udp-connect|udp-sendto|udp-datagram|udp-listen|udp-l|openssl|openssl-connect|openssl-listen|ssl|ssl-l|sctp|sctp-connect|sctp-listen|dccp-connect|socks|socks4|socks4a|socks5|proxy|proxy-connect):/i;

/**
 * Whether a netcat-like client (nc, ncat, netcat, telnet, socat) sends local data: its stdin is
 * a file or another command's output (`nc h 9 < db.sqlite`, `tar c . | nc h 9`), or socat joins a
 * local file or stdin to a network address (socat copies both ways unless -u/-U, so either order
 * sends). Text written in the command itself (`echo hi | nc h 9`) is not local data.
 */
export function sendsLocalData(program: string, argv: readonly string[], env: CommandEnv): boolean {
  const stdin = env.stdin;
  const localStdin =
    stdin.kind === "network"
      ? false
      : stdin.kind === "unknown"
        ? stdin.paths.length === 0 || stdin.paths.some((p) => !p.classes.includes("devnull"))
        : stdin.kind === "items" || stdin.kind === "decoded";
  if (program !== "socat") return localStdin;
  const addrs = argv.filter((a) => !a.startsWith("-") || a === "-");
  const sends = (a: string | undefined): boolean =>
    a !== undefined &&
    (/^(file|open|gopen|create):/i.test(a) || (localStdin && /^(-|stdin|stdio)$/i.test(a)));
  const isNet = (a: string | undefined): boolean => a !== undefined && SOCAT_NETWORK.test(a);
  const [a, b] = addrs;
  // -u copies only from the first address to the second, -U only back.
  if (argv.includes("-u")) return sends(a) && isNet(b);
  if (argv.includes("-U")) return sends(b) && isNet(a);
  return (sends(a) && isNet(b)) || (sends(b) && isNet(a));
}

interface TransferEntry {
  subcommand: string[][];
  not: ReadonlySet<string>;
  bothWays: boolean;
}

interface CompiledTransfers {
  remote: RegExp[];
  byProgram: Map<string, TransferEntry[]>;
  mailers: ReadonlySet<string>;
  attach: ReadonlySet<string>;
}

let transfers: CompiledTransfers | undefined;

function loadTransfers(): CompiledTransfers {
  if (transfers !== undefined) return transfers;
  const file = readKnowledge("transfers.yaml", transfersFileSchema);
  const byProgram = new Map<string, TransferEntry[]>();
  for (const t of file.transfers)
    for (const p of t.programs)
      byProgram.set(p, [
        ...(byProgram.get(p) ?? []),
        {
          subcommand: (t.subcommand ?? [""]).map((s) => s.split(/\s+/).filter(Boolean)),
          not: new Set(t.not_subcommand),
          bothWays: t.both_ways,
        },
      ]);
  transfers = {
    remote: file.remote.map((r) => new RegExp(r)),
    byProgram,
    mailers: new Set(file.mailers.programs),
    attach: new Set(file.mailers.attach_options),
  };
  return transfers;
}

/**
 * Copies whose destination is remote and whose source is local (`aws s3 cp ./db s3://b/`,
 * `pscp f host:/tmp/`, `kubectl cp f ns/pod:/tmp`), synchronisations with a remote root
 * (`unison . ssh://h//srv`), and mail carrying local data (`sendmail a@b < f`, `mail -a f`):
 * tagged `upload` (knowledge/transfers.yaml).
 */
export function transferSends(program: string, parsed: ParsedArgs, env: CommandEnv): void {
  const t = loadTransfers();
  if (t.mailers.has(program)) {
    if (sendsLocalData(program, [], env) || parsed.flags.some((f) => t.attach.has(f)))
      env.tags.push("upload");
    return;
  }
  const entries = t.byProgram.get(program);
  if (entries === undefined) return;
  const words = parsed.positionals;
  const lower = words.map((w) => w.toLowerCase());
  for (const e of entries) {
    const sub = e.subcommand.find((s) => s.every((w, i) => lower[i] === w));
    if (sub === undefined || e.not.has(lower[0] ?? "")) continue;
    const operands = words.slice(sub.length);
    const remote = (w: string): boolean => t.remote.some((r) => r.test(w));
    const last = operands[operands.length - 1];
    const sends = e.bothWays
      ? operands.some(remote) && operands.some((w) => !remote(w))
      : last !== undefined && remote(last) && operands.slice(0, -1).some((w) => !remote(w));
    if (sends) env.tags.push("upload");
    return;
  }
}

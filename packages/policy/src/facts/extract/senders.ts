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

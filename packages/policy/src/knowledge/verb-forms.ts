import type { CommandFacts } from "../types.js";

/**
 * The special forms of knowledge/verbs.yaml entries (`capture_filter`, `rule_position`,
 * `object_commands`, `interface_address`): grammars shared by a family of programs that a word
 * list cannot say, each read the same way for every program.
 */

/**
 * pcap-filter(7) primitives that take a value, and the shape of the value (`host h.example`,
 * `src port 22`, `net 10.0.0.0/8`): a word like `port` with any other value is another program's.
 */
const PCAP_VALUED: ReadonlyMap<string, RegExp> = new Map([
  ["host", /[.:]/],
  ["net", /[.:]/],
  ["gateway", /[.:]/],
  ["port", /^\d+$/],
  ["portrange", /^\d+-\d+$/],
  ["ether", /^[\da-f]{2}(:[\da-f]{2}){5}$/],
]);
/** The rest of its vocabulary: qualifiers, protocols, operators. */
const PCAP_WORDS = new Set(
  "src dst and or not tcp udp icmp icmp6 ip ip6 arp rarp proto less greater broadcast multicast vlan mask".split(
    " ",
  ),
);

/**
 * Packet capture, whichever program: the operands are a pcap-filter(7) expression (every word is
 * its vocabulary, and a primitive is given its value: `host h and port 80`), or `-w` writes a
 * capture file (`*.pcap`, `*.pcapng`).
 */
export function captureFilter(c: CommandFacts): string | undefined {
  const w = c.options["-w"]?.[0] ?? c.argv[c.argv.indexOf("-w") + 1];
  if (c.argv.includes("-w") && w !== undefined && /\.pcap(ng)?$/i.test(w)) return "-w";
  // A program with no grammar has `-i eth0`'s value among its words: not part of the filter.
  const values = new Set<string>();
  for (let i = 0; i + 1 < c.argv.length; i++)
    if (/^-[A-Za-z]$/.test(c.argv[i]!)) values.add(c.argv[i + 1]!.toLowerCase());
  const words = c.words.filter((x) => !values.has(x));
  let valued = false;
  for (let i = 0; i < words.length; i++) {
    const x = words[i]!;
    const shape = PCAP_VALUED.get(x) ?? (x === "src" || x === "dst" ? /[.:]/ : undefined);
    if (shape !== undefined && shape.test(words[i + 1] ?? "")) {
      valued = true;
      i++;
    } else if (!PCAP_VALUED.has(x) && !PCAP_WORDS.has(x) && !/^\d+$/.test(x)) return undefined;
  }
  // `PROG port 8080` alone is as likely a subcommand `port`: a filter needs more than that.
  if (words.length <= 2 && (words[0] === "port" || words[0] === "portrange")) return undefined;
  return valued ? words.join(" ") : undefined;
}

/** Options of a rule's deletion that are not part of a rule (`-w` waits for the lock). */
const RULE_QUIET = /^(?:-w|--wait|-v|--verbose|-n|--numeric)$/;

/**
 * A rule deleted by its position rather than by its text, whichever firewall: netfilter's
 * `-D CHAIN N` (iptables(8) and its family: the chain and one word, no rule specification after
 * it), `delete N` (ufw(8): one word; a rule's text is an action and more), nft(8)'s `delete rule
 * … handle N`.
 * The command does not say which rule goes: the one that admits the orchestrator is as likely.
 */
export function rulePosition(c: CommandFacts): string | undefined {
  const a = c.argv.filter((x) => !RULE_QUIET.test(x));
  const d = a.findIndex((x) => x === "-D" || x === "--delete");
  if (d >= 0 && a.length === d + 3 && !a[d + 1]!.startsWith("-") && !a[d + 2]!.startsWith("-"))
    return `${a[d]} ${a[d + 1]} ${a[d + 2]}`;
  const w = a.findIndex((x) => x === "delete");
  if (w < 0) return undefined;
  const after = a.slice(w + 1);
  // a rule's text starts with its action and goes on (`delete allow 22/tcp`): one word is a number
  if (after.length === 1 && !after[0]!.startsWith("-")) return `delete ${after[0]}`;
  const h = after.indexOf("handle");
  return h >= 0 && h === after.length - 2 ? `delete … handle ${after[h + 1]}` : undefined;
}

/**
 * `PROG OBJECT COMMAND` of an object-command client, each word written out or abbreviated to a
 * prefix (ip(8): "the names of all objects may be written in full or abbreviated form"): a word
 * names the first object, then the first of that object's commands, that it begins, in the order
 * the entry lists them (ip resolves `r` to route before rule the same way).
 */
/**
 * Words that are themselves a client's verbs: never an object's abbreviation (`pkgx add del` adds
 * a package named del; `add` is no `address`).
 */
const CLIENT_VERBS: ReadonlySet<string> = new Set(["add", "set", "show", "list", "get", "run"]);

export function objectCommand(
  table: Readonly<Record<string, readonly string[]>>,
): (c: CommandFacts) => string | undefined {
  const objects = Object.entries(table);
  return (c) => {
    // `-4`, `-6` (address families) read as words by a program with no grammar
    let i = 0;
    while (i < c.words.length && c.words[i]!.startsWith("-")) i++;
    const o = c.words[i];
    const v = c.words[i + 1];
    if (o === undefined || v === undefined || o === "" || v === "" || CLIENT_VERBS.has(o))
      return undefined;
    const obj = objects.find(([name]) => name.startsWith(o));
    const cmd = obj?.[1].find((x) => x.startsWith(v));
    return cmd === undefined ? undefined : `${obj![0]} ${cmd}`;
  };
}

/**
 * A kernel-named network interface (`eth0`, `ens3`, `enp0s3`, `wlan0`, `br0`, `bond0`, `wg0`,
 * `eth0.10`, `eth0:1`): a type prefix and a number. The loopback is left out: re-addressing it
 * does not cut the orchestrator's path.
 */
const INTERFACE =
  /^(?:eth|en|em|wl|ww|br|bond|team|vlan|veth|vmbr|tun|tap|wg|ib)[a-z]*\d[\w.:@-]*$/;
/** An IPv4 or IPv6 address, with or without a prefix length. */
const ADDRESS = /^(?:(?:\d{1,3}\.){3}\d{1,3}|[\da-f]*:[\da-f:]*:[\da-f.]*)(?:\/\d{1,3})?$/i;

/**
 * An interface re-addressed or taken down: ifconfig(8)'s `IFACE [inet|inet6] ADDRESS` and
 * `IFACE down`, ip(8)'s `link set [dev] IFACE down`. The interface is an operand of its own, not
 * an option's value (`ping -I eth0 10.0.0.1` sends from it), and the address or `down` comes
 * right after it (`ifconfig eth0 inet6 add …` adds one and keeps the old).
 */
export function interfaceAddress(c: CommandFacts): string | undefined {
  const a = c.argv;
  for (let i = 0; i + 1 < a.length; i++) {
    if (!INTERFACE.test(a[i]!) || (i > 0 && a[i - 1]!.startsWith("-"))) continue;
    if (a[i + 1] === "down") return `${a[i]} down`;
    const addr = a[i + 1] === "inet" || a[i + 1] === "inet6" ? a[i + 2] : a[i + 1];
    if (addr !== undefined && ADDRESS.test(addr)) return `${a[i]} ${addr}`;
  }
  return undefined;
}

// Tests by class over the program-independent verbs' vocabularies (src/knowledge/verbs.ts): the
// pcap-filter(7) grammar a capture tool's operands are read with, and the local-path condition
// (`with_path`). Expectations from pcap-filter(7) and tcpdump(8), written by hand: every
// primitive with a value of its documented shape, every qualifier, protocol and operator word.
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";
import type { VerbSpec } from "../src/knowledge/schema.js";
import { compileVerb } from "../src/knowledge/verbs.js";
import type { CommandFacts } from "../src/types.js";

const ctx = resolveContext({});
const facts = (cmd: string): CommandFacts => extractFacts(cmd, ctx).commands[0]!;
const spec = (over: Partial<VerbSpec>): VerbSpec => ({
  id: "verb.t",
  effect: "read-secret",
  place: "any",
  reason: "r",
  match: [],
  not_match: [],
  ...over,
});
// `capx` is a program no knowledge names: only the verb's grammar reads it.
const capture = compileVerb(spec({ capture_filter: true }));

describe("a capture tool's operands read as a pcap-filter(7) expression", () => {
  it.each([
    ["host 10.0.0.1", "a host by address"],
    ["host db.example.com", "a host by name"],
    ["host ::1", "an IPv6 host"],
    ["net 10.0.0.0/8", "a network"],
    ["gateway gw.example.com", "a gateway"],
    ["port 22 and tcp", "a port"],
    ["portrange 6000-6008 and udp", "a port range"],
    ["ether 00:11:22:33:44:55", "an Ethernet address"],
    ["ether host 00:11:22:33:44:55", "ether as a qualifier"],
    ["src 10.0.0.1", "a bare src host"],
    ["dst h.example", "a bare dst host"],
    ["src port 22 and dst host 10.0.0.1", "direction qualifiers"],
  ])("%s (%s)", (filter) => {
    expect(capture(facts(`capx ${filter}`))).toBe(filter);
  });

  it("accepts every qualifier, protocol and operator word, and numbers (less 64, vlan 100)", () => {
    const words = "tcp udp icmp icmp6 ip ip6 arp rarp broadcast multicast and or not src dst".split(
      " ",
    );
    const wrong = words.filter((w) => {
      const filter = `${w} and host 10.0.0.1`;
      return capture(facts(`capx ${filter}`)) !== filter;
    });
    expect(wrong).toEqual([]);
    for (const f of [
      "less 64 and host 10.0.0.1",
      "greater 100 and host 10.0.0.1",
      "vlan 100 and host 10.0.0.1",
      "ip proto 6 and host 10.0.0.1",
    ])
      expect(capture(facts(`capx ${f}`))).toBe(f);
  });

  it("refuses a word outside the grammar, and a primitive whose value has the wrong shape", () => {
    for (const cmd of [
      "capx host 10.0.0.1 and frobnicate",
      "capx deploy now",
      "capx host foo", // a host name without a dot could be any subcommand's operand
      "capx port http",
      "capx portrange 6000 and tcp",
      "capx ether 00:11:22 and tcp",
      "capx tcp", // no primitive with a value
    ])
      expect([cmd, capture(facts(cmd))]).toEqual([cmd, undefined]);
  });

  it("needs more than `port N` alone, which is as likely a subcommand", () => {
    expect(capture(facts("capx port 22"))).toBeUndefined();
    expect(capture(facts("capx portrange 1-2"))).toBeUndefined();
    expect(capture(facts("capx port 22 and tcp"))).toBe("port 22 and tcp");
  });

  it("leaves out the value of a single-letter option (-i eth0, -c 5)", () => {
    expect(capture(facts("capx -i eth0 src 10.0.0.1"))).toBe("src 10.0.0.1");
    expect(capture(facts("capx -c 5 host 10.0.0.1"))).toBe("host 10.0.0.1");
  });

  it("reads -w FILE.pcap / .pcapng as writing a capture; -r only reads one back", () => {
    expect(capture(facts("capx -w out.pcap"))).toBe("-w");
    expect(capture(facts("capx -w out.PCAPNG"))).toBe("-w");
    expect(capture(facts("capx -w out.txt host 10.0.0.1"))).toBe("host 10.0.0.1");
    expect(capture(facts("capx -r in.pcap"))).toBeUndefined();
  });
});

describe("with_path: the entry needs a local path", () => {
  const t = compileVerb(spec({ words: ["4755"], with_path: true }));

  it("counts an operand, a read or a written path on the guest", () => {
    expect(t(facts("demo 4755 ./f"))).toBe("4755");
    expect(t(facts("chmod 4755 /srv/f"))).toBe("4755"); // chmod(1) writes FILE
    expect(t(facts("demo 4755"))).toBeUndefined();
  });

  it("does not count a path on another host (scp/rsync HOST:PATH)", () => {
    const remoteOnly = facts("scp 4755 h:/a h2:/b");
    // both HOST:PATH operands are the other hosts' paths…
    expect(remoteOnly.paths.filter((p) => p.raw.includes(":")).map((p) => p.remote)).toEqual([
      true,
      true,
    ]);
    // …and scp's first operand 4755 is a local source file: it counts
    expect(t(remoteOnly)).toBe("4755");
    const none = { ...remoteOnly, paths: remoteOnly.paths.filter((p) => p.remote === true) };
    expect(t(none)).toBeUndefined();
  });
});

// Tests by class over abbreviated command words (src/knowledge/abbreviations.ts): ip(8) "the
// command can be abbreviated: ip a = ip address, ip l = ip link, ip r = ip route, ip n = ip neigh",
// each object's commands likewise (a = add, d = delete, s = set, f = flush), also after options
// (ip -n NETNS, ip -4); nmcli(1) "OBJECT and COMMAND can be abbreviated" (d = device, c =
// connection, w = wifi, s = show-password). The expected words are the manuals' full names.
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";

const ctx = resolveContext({});
const words = (cmd: string): string[] => extractFacts(cmd, ctx).commands[0]!.words;

describe("abbreviated objects and commands are read in full", () => {
  it.each([
    ["ip a d 10.0.0.1/24 dev eth0", ["address", "delete", "10.0.0.1/24", "dev", "eth0"]],
    ["ip a a 10.0.0.1/24 dev eth0", ["address", "add", "10.0.0.1/24", "dev", "eth0"]],
    ["ip ad del x", ["address", "delete", "x"]],
    ["ip addr flush dev eth0", ["address", "flush", "dev", "eth0"]],
    ["ip l s eth0 down", ["link", "set", "eth0", "down"]],
    ["ip link del x", ["link", "delete", "x"]],
    ["ip r f all", ["route", "flush", "all"]],
    ["ip n fl all", ["neighbor", "flush", "all"]],
    ["ip -n ns1 l d x", ["link", "delete", "x"]],
    ["nmcli d w s", ["device", "wifi", "show-password"]],
    ["nmcli c d x", ["connection", "down", "x"]],
  ])("%s", (cmd, expected) => {
    expect(words(cmd).filter((w) => !/^-\d$/.test(w))).toEqual(expected);
  });

  it("leaves full words, unknown words and words after an option alone", () => {
    expect(words("ip address show")).toEqual(["address", "show"]);
    expect(words("ip zz yy")).toEqual(["zz", "yy"]);
    expect(words("ip l s -x d")).toEqual(["link", "set", "d"]);
    expect(words("ls a d")).toEqual(["a", "d"]);
  });
});

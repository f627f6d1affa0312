// Tests by class over the guest's network taken away through an object-command client
// (`PROG OBJECT COMMAND`, ip(8) and the iproute2 family; verbs.yaml verb.network-remove): an
// address, a link or a route deleted, addresses, routes or the routing rules flushed, each word
// written out or abbreviated to a prefix as ip(8) allows. The orchestrator reaches the guest over
// them (deny). Adding or changing, one routing rule deleted by what it matches, and objects the
// orchestrator does not depend on (multicast addresses, neighbours) are left to the snapshot.
// Also with the rule that names ip disabled (lockout.network): the entry alone decides, as for a
// client nobody wrote knowledge for; `netx` is a made-up one.
import { sidesWithout } from "./sides.js";

describe("an address, link or route deleted or flushed, written out or abbreviated", () => {
  sidesWithout(
    ["lockout.network"],
    [
      "sudo ip a d 10.0.0.5/24 dev eth0",
      "sudo ip address delete 10.0.0.5/24 dev eth0",
      "ip -6 addr flush dev eth0",
      "sudo ip l d veth0",
      "ip link del br0",
      "sudo ip r d 10.1.0.0/16 dev eth0",
      "ip route flush table main",
      "sudo ip ru f",
      "netx ro del default",
      "netx -4 a f dev eth0",
    ],
    [
      "sudo ip a a 10.0.0.5/24 dev eth0",
      "sudo ip ru d from 192.168.178.2/32",
      "ip l s eth0 mtu 9000",
      "ip r a default via 10.0.0.1",
      "sudo ip m d 33:33:00:00:00:02 dev eth0",
      "sudo ip n f dev eth0",
      "ip a",
      "ip r",
      "netx add dep",
      // a client's own verb is no object's abbreviation: a package named del added
      "bun add del",
      "yarn add del",
      "cargo add del",
      "pkgx add d",
    ],
  );
});

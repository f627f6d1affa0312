// Tests by class over commands that take away the orchestrator's path to the guest
// (knowledge/verbs.yaml verb.firewall-panic, verb.firewall-default-drop, verb.firewall-drop-zone,
// verb.interface-cut, verb.tunnel-up): a firewall's panic switch or a default of drop, an
// interface re-addressed or taken down, a VPN tunnel brought up. Made-up names first, then real
// programs with the rules that name them disabled. Expectations by hand, from the principle:
// cutting the orchestrator's access is `deny` (lockout); reading the configuration, bringing a
// link up, adding an address or taking a tunnel down is not.
import { sides, sidesWithout } from "./sides.js";

describe("a firewall's panic switch drops all traffic", () => {
  sides(
    ["firewallx --panic-on", "qfw --panic-on"],
    [
      "firewallx --panic-off",
      "firewallx --query-panic",
      "firewallx --list-all",
      "toolx --panic-on",
    ],
  );
});

describe("a firewall's default set to drop", () => {
  sides(
    [
      "qtables -P INPUT DROP",
      "qtables -w --policy OUTPUT REJECT",
      "firewallx --set-default-zone drop",
      "firewallx --set-default-zone=block",
    ],
    [
      // the guest's forwarding: container runtimes set it to DROP themselves
      "qtables -P FORWARD DROP",
      "qtables -P INPUT ACCEPT",
      "qtables -A INPUT -p tcp --dport 8080 -j DROP",
      "firewallx --set-default-zone public",
      "toolx -P INPUT DROP",
    ],
  );
});

describe("an interface re-addressed or taken down", () => {
  sides(
    [
      "ifcfgx eth0 10.0.0.5",
      "ifcfgx enp0s3 192.168.1.9 netmask 255.255.255.0",
      "ifcfgx eth0 inet 10.0.0.5/24",
      "ifcfgx wlan0 2001:db8::5/64",
      "ifcfgx eth0 down",
      "netx link set dev eth0 down",
      "netx l s ens3 down",
    ],
    [
      "ifcfgx",
      "ifcfgx -a",
      "ifcfgx eth0",
      "ifcfgx eth0 up",
      "netx link set eth0 up",
      "ifcfgx lo 127.0.0.2",
      // an interface named as an option's value: the address is where to send, not a new one
      "pingx -I eth0 10.0.0.1",
      "tracex -i eth0 10.0.0.1",
      // adding an address keeps the old one (ip's `a a` is ordinary work too)
      "ifcfgx eth0 inet6 add 2001:db8::1/64",
    ],
  );
});

// A full tunnel (wg-quick(8) with AllowedIPs 0.0.0.0/0, a VPN client's default) takes over the
// default route, so the orchestrator's replies leave by the tunnel: `up` is a lockout. `down`
// removes only the interface and the routes the tunnel itself added, which gives the guest its
// own routes back: it is judged like any other local change (a transaction), not denied.
describe("a VPN tunnel brought up may take the default route", () => {
  sides(
    ["xvpn connect", "xvpn up", "tunx-quick up tun0", "tunx-quick up ./tun0.conf"],
    ["tunx-quick down tun0", "tunx-quick strip tun0", "xvpn status", "xlink up eth0"],
  );
});

describe("real programs, without the rules that name them", () => {
  sidesWithout(
    ["lockout.firewall", "lockout.network", "k.lockout.addresses"],
    [
      "firewall-cmd --panic-on",
      "sudo firewall-cmd --panic-on",
      "firewall-cmd --set-default-zone=drop",
      "iptables -P INPUT DROP",
      "ifconfig eth0 10.0.0.5",
      "sudo ifconfig eth0 10.0.0.5 netmask 255.255.255.0",
      "ip link set dev eth0 down",
      "wg-quick up wg0",
      "nordvpn connect",
    ],
    [
      "firewall-cmd --list-all",
      "firewall-cmd --panic-off",
      "firewall-cmd --set-default-zone=public",
      "ifconfig",
      "ifconfig eth0",
      "ifconfig eth0 up",
      "ip link set eth0 up",
      "wg-quick down wg0",
    ],
  );
});

// What the firewall API hands the realiser: the stored scopes joined with each guest's NICs.
import { firewallConfigOf, type FirewallState } from "../../src/api/firewall-config.js";

test("cluster, groups, node options and guests (with their NICs) reach the realiser", () => {
  const state: FirewallState = {
    scopes: {
      cluster: {
        options: { enable: 1 },
        rules: [{ type: "in", action: "ACCEPT", macro: "Ping" }],
        ipsets: { bad: { entries: [{ cidr: "10.0.0.1" }, { cidr: "10.0.0.2", nomatch: 1 }] } },
        aliases: { gw: { name: "GW", cidr: "10.0.0.254" } },
      },
      "node/pve1": { options: { nftables: 1 }, rules: [], ipsets: {} },
      "qemu/101": { options: { enable: 1 }, rules: [{ type: "out", action: "DROP" }], ipsets: {} },
      "lxc/999": { options: { enable: 1 }, rules: [], ipsets: {} },
      "vnet/blue": { options: { enable: 1 }, rules: [], ipsets: {} },
    },
    groups: { web: { rules: [{ type: "in", action: "ACCEPT", proto: "tcp", dport: "80" }] } },
  };
  const nic = { netid: "net0", firewall: true, bridge: "blue", cidr: "10.1.0.5/24" };
  const cfg = firewallConfigOf(state, (type, vmid) =>
    type === "qemu" && vmid === 101 ? { node: "pve1", nics: [nic] } : undefined,
  );
  expect(cfg.cluster).toEqual({
    options: { enable: 1 },
    rules: [{ type: "in", action: "ACCEPT", macro: "Ping", pos: 0 }],
    ipsets: { bad: [{ cidr: "10.0.0.1" }, { cidr: "10.0.0.2", nomatch: 1 }] },
    aliases: { GW: "10.0.0.254" },
  });
  expect(cfg.nodes).toEqual({ pve1: { nftables: 1 } });
  expect(cfg.groups).toEqual({
    web: [{ type: "in", action: "ACCEPT", proto: "tcp", dport: "80", pos: 0 }],
  });
  // A scope whose guest is gone (999) is not realised; vnet scopes go the SDN way.
  expect(cfg.guests).toEqual([
    {
      vmid: 101,
      node: "pve1",
      nics: [nic],
      scope: {
        options: { enable: 1 },
        rules: [{ type: "out", action: "DROP", pos: 0 }],
        ipsets: {},
        aliases: {},
      },
    },
  ]);
});

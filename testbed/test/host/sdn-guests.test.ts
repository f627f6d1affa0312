// Guests with NICs on SDN vnets: the host realiser drives the SDN realiser (applySdn) and plugs
// each guest's net<N> into its vnet bridge on the guest's node; guests on two nodes talk over
// VXLAN. Isolation: a guest reaches neither the management network (beyond answering the host's
// SSH) nor the underlay. Real sshd, real namespaces, real nftables, real traffic.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, connect, type AddressInfo, type Server } from "node:net";

import { run as hostRun } from "../../src/realise/host/exec.js";
import type { HostRealiser } from "../../src/realise/host/index.js";
import type { RunningSdnConfig } from "../../src/realise/types.js";
import type { GuestRuntimeSpec } from "../../src/realise/types.js";
import {
  describeHost,
  initWhenFree,
  newRealiser,
  operatorKey,
  removeStateDir,
  spec,
  sshRun,
  waitSsh,
  type OperatorKey,
} from "./support.js";

const HOST_MGMT = "10.213.71.1"; // the host's address on this test's management network
const UNDERLAY = { n1: "10.250.7.1", n2: "10.250.7.2" };

const nodes = [
  { name: "n1", underlay: "10.250.7.1/24" },
  { name: "n2", underlay: "10.250.7.2/24" },
];

const sdnConfig: RunningSdnConfig = {
  controllers: [],
  zones: [{ zone: "lab", type: "vxlan", peers: "10.250.7.1,10.250.7.2", mtu: 1450 }],
  vnets: [{ vnet: "agents", zone: "lab", tag: 31000 }],
  subnets: [{ subnet: "lab-10.31.0.0-24", vnet: "agents", gateway: "10.31.0.1" }],
};

type Probe = { icmp: string } | { tcp: string; port: number };
type Reach = "open" | "closed";

const probeName = (p: Probe): string => ("icmp" in p ? `icmp ${p.icmp}` : `tcp ${p.tcp}:${p.port}`);

/** Every probe named, with the same expected outcome. */
const all = (probes: Probe[], reach: Reach): Record<string, Reach> =>
  Object.fromEntries(probes.map((p) => [probeName(p), reach]));

/** Shell that runs every probe at once: `open` when the ping is answered / TCP connects. */
function probeScript(probes: Probe[]): string {
  const lines = probes.map((p) => {
    const cmd =
      "icmp" in p
        ? `ping -c 1 -W 1 ${p.icmp}`
        : `timeout 2 bash -c 'exec 3<>/dev/tcp/${p.tcp}/${p.port}'`;
    const name = probeName(p);
    return `( ${cmd} >/dev/null 2>&1 && echo '${name}=open' || echo '${name}=closed' ) &`;
  });
  return [...lines, "wait"].join("\n");
}

function parseProbes(stdout: string): Record<string, Reach> {
  return Object.fromEntries(
    stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => {
        const at = l.lastIndexOf("=");
        return [l.slice(0, at), l.slice(at + 1) as Reach];
      }),
  );
}

/** A TCP listener in a node namespace; resolves with its port once it listens. */
function nodeListener(
  netns: string,
  address: string,
): Promise<{ port: number; child: ChildProcess }> {
  const code = `const s=require("net").createServer(c=>{c.on("error",()=>{});c.end("underlay\\n")});s.listen(0,"${address}",()=>console.log(s.address().port));setTimeout(()=>process.exit(0),120000)`;
  const child = spawn("ip", ["netns", "exec", netns, process.execPath, "-e", code], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    child.stdout?.once("data", (b: Buffer) => resolve({ port: Number(b.toString()), child }));
    child.once("exit", (c) => reject(new Error(`listener in ${netns} exited ${c}`)));
  });
}

/** Outcome of the same probes run from a node namespace (the allowed side). */
async function probeFromNetns(netns: string, probes: Probe[]): Promise<Record<string, Reach>> {
  const out = await hostRun(["ip", "netns", "exec", netns, "bash", "-c", probeScript(probes)], {
    timeoutMs: 10_000,
  });
  return parseProbes(out.stdout);
}

/** The first bytes a TCP service sends, or the error code. */
function greeting(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    let data = "";
    s.setTimeout(2000, () => (s.destroy(), resolve("TIMEOUT")));
    s.on("data", (b: Buffer) => (data += b.toString()));
    s.once("end", () => resolve(data));
    s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
  });
}

describeHost("guests on SDN vnets (as root)", () => {
  let r: HostRealiser;
  let key: OperatorKey;
  const pins: Record<number, string[]> = {};
  const addr: Record<number, string> = {};

  const guest = (vmid: number, node: string, bridge: string, cidr: string): GuestRuntimeSpec =>
    spec(
      vmid,
      { storage: "local-btrfs", volume: `subvol-${vmid}-disk-0` },
      {
        node,
        nets: [{ key: "net0", bridge, ifname: "eth0", cidr, gateway: "10.31.0.1" }],
      },
    );
  const run = (vmid: number, command: string) =>
    sshRun(addr[vmid] ?? "", key, pins[vmid] ?? [], command);

  async function boot(s: GuestRuntimeSpec): Promise<void> {
    await r.createVolume(s.rootfs, {});
    pins[s.vmid] = (
      await r.injectSsh(s.rootfs, { authorizedKeys: [key.publicKey], regenerateHostKeys: true })
    ).hostKeyFingerprints;
    await r.startGuest(s);
    addr[s.vmid] = (await r.guestStatus(s.vmid)).mgmtAddress ?? "";
    await waitSsh(addr[s.vmid] ?? "", key, pins[s.vmid] ?? []);
  }

  beforeAll(async () => {
    r = await newRealiser("sdn", "10.213.71.0/24", { nodes });
    key = operatorKey();
    await initWhenFree(r);
  }, 120_000);

  afterAll(async () => {
    await r?.teardown();
    if (r) await removeStateDir(r.resolvedStateDir);
  }, 120_000);

  test("without applySdn a NIC on an unknown bridge is skipped; the guest still boots", async () => {
    await boot(guest(502, "n2", "agents", "10.31.0.12/24"));
    await boot(guest(503, "n1", "vmbr0", "10.31.0.13/24"));
    expect(
      (await run(502, "ip -o link show eth0 >/dev/null 2>&1 && echo has-eth0 || echo no-eth0"))
        .stdout,
    ).toBe("no-eth0\n");
  }, 120_000);

  test("applySdn realises the vnet and plugs running guests; guests on two nodes talk over VXLAN", async () => {
    expect(r.applySdn).toBeDefined();
    await r.applySdn?.(sdnConfig);
    await boot(guest(501, "n1", "agents", "10.31.0.11/24"));
    const a = await run(
      501,
      "ip -o -4 addr show eth0; cat /sys/class/net/eth0/mtu 2>/dev/null || ip -o link show eth0",
    );
    expect(a.stdout).toContain("inet 10.31.0.11/24");
    expect(a.stdout).toMatch(/mtu 1450/);
    // 502 started before the vnet existed and was plugged by applySdn.
    const ping = await run(501, "ping -c 1 -W 3 10.31.0.12 >/dev/null && echo reach-502");
    expect(ping.stdout).toBe("reach-502\n");
    // 503's bridge (vmbr0) is not a vnet: no NIC, so not reachable on the vnet.
    const noPing = await run(
      501,
      "ping -c 1 -W 1 10.31.0.13 >/dev/null && echo reach-503 || echo no-503",
    );
    expect(noPing.stdout).toBe("no-503\n");
  }, 120_000);
  describe("isolation", () => {
    const n1 = () => `${r.hostNames.sdnPrefix}-n1`;
    const n2 = () => `${r.hostNames.sdnPrefix}-n2`;
    let hostService: Server;
    let hostPort = 0;
    const listeners: { port: number; child: ChildProcess }[] = [];
    let underlayPort = { n1: 0, n2: 0 };

    const mgmtBlocked = (): Probe[] => [
      { icmp: addr[502] ?? "" },
      { tcp: addr[502] ?? "", port: 22 },
      { icmp: HOST_MGMT },
      { tcp: HOST_MGMT, port: hostPort },
    ];
    const underlayBlocked = (): Probe[] => [
      { icmp: UNDERLAY.n1 },
      { tcp: UNDERLAY.n1, port: underlayPort.n1 },
      { icmp: UNDERLAY.n2 },
      { tcp: UNDERLAY.n2, port: underlayPort.n2 },
    ];
    /** Guest 501 sits on n1 (the vnet's gateway node), 502 on n2. */
    const probeGuests = async (
      from501: Probe[],
      from502: Probe[],
    ): Promise<Record<string, Record<string, Reach>>> => {
      const [a, b] = await Promise.all([
        run(501, probeScript(from501)),
        run(502, probeScript(from502)),
      ]);
      return { "501": parseProbes(a.stdout), "502": parseProbes(b.stdout) };
    };

    beforeAll(async () => {
      // A probe that only connects leaves unread data behind: its reset is no error here.
      hostService = createServer((c) => c.on("error", () => undefined).end("host service\n"));
      await new Promise<void>((res) => hostService.listen(0, HOST_MGMT, res));
      hostPort = (hostService.address() as AddressInfo).port;
      const l1 = await nodeListener(n1(), UNDERLAY.n1);
      const l2 = await nodeListener(n2(), UNDERLAY.n2);
      listeners.push(l1, l2);
      underlayPort = { n1: l1.port, n2: l2.port };
      // A routed underlay: n2 knows the way back to the vnet, so only the guard can stop replies.
      await hostRun(["ip", "-n", n2(), "route", "replace", "10.31.0.0/24", "via", UNDERLAY.n1]);
    }, 30_000);

    afterAll(async () => {
      for (const l of listeners) l.child.kill("SIGKILL");
      await new Promise((res) => hostService?.close(res));
    });

    test("management network: the host reaches guests' sshd; a guest reaches no other guest, nor the host", async () => {
      // Controls: the host's service answers on the host's management address, and the host's
      // SSH path reaches both guests (every run() below is that path).
      expect(await greeting(HOST_MGMT, hostPort)).toBe("host service\n");
      expect((await run(502, "echo via-ssh")).stdout).toBe("via-ssh\n");
      // The probes work from inside a guest: the same tools reach 502 on the vnet.
      const vnet: Probe[] = [{ icmp: "10.31.0.12" }, { tcp: "10.31.0.12", port: 22 }];
      const blocked = mgmtBlocked();
      const res = await run(501, probeScript([...vnet, ...blocked]));
      expect(parseProbes(res.stdout)).toEqual({ ...all(vnet, "open"), ...all(blocked, "closed") });
    }, 30_000);

    test("underlay: guests on either node reach neither node's underlay address; the vnet and VXLAN still work", async () => {
      // Controls: each node's listener and address answer the other node over the underlay.
      expect(
        await probeFromNetns(n2(), [
          { icmp: UNDERLAY.n1 },
          { tcp: UNDERLAY.n1, port: underlayPort.n1 },
        ]),
      ).toEqual(all([{ icmp: UNDERLAY.n1 }, { tcp: UNDERLAY.n1, port: underlayPort.n1 }], "open"));
      expect(
        await probeFromNetns(n1(), [
          { icmp: UNDERLAY.n2 },
          { tcp: UNDERLAY.n2, port: underlayPort.n2 },
        ]),
      ).toEqual(all([{ icmp: UNDERLAY.n2 }, { tcp: UNDERLAY.n2, port: underlayPort.n2 }], "open"));
      // Same vnet across nodes (VXLAN over that underlay) and the vnet's gateway still answer.
      const to502: Probe[] = [
        { icmp: "10.31.0.12" },
        { tcp: "10.31.0.12", port: 22 },
        { icmp: "10.31.0.1" },
      ];
      const to501: Probe[] = [
        { icmp: "10.31.0.11" },
        { tcp: "10.31.0.11", port: 22 },
        { icmp: "10.31.0.1" },
      ];
      const blocked = underlayBlocked();
      expect(await probeGuests([...to502, ...blocked], [...to501, ...blocked])).toEqual({
        "501": { ...all(to502, "open"), ...all(blocked, "closed") },
        "502": { ...all(to501, "open"), ...all(blocked, "closed") },
      });
    }, 30_000);

    test("control: without the guard tables the same probes get through; re-applying restores the guard", async () => {
      const tables: [string, string][] = [
        [r.hostNames.mgmtNetns, "bridge txbox_mgmt"],
        [n1(), "inet txbox_sdn"],
        [n2(), "inet txbox_sdn"],
      ];
      const blocked = [...mgmtBlocked(), ...underlayBlocked()];
      try {
        for (const [ns, table] of tables)
          await hostRun(["ip", "netns", "exec", ns, "nft", "delete", "table", ...table.split(" ")]);
        const open = await run(501, probeScript(blocked));
        expect(parseProbes(open.stdout)).toEqual(all(blocked, "open"));
      } finally {
        // init() re-installs the management guard with the running guests' ports; applySdn
        // re-installs a node's ruleset when its table is missing.
        await r.init();
        await r.applySdn?.(sdnConfig);
      }
      const again = await run(501, probeScript(blocked));
      expect(parseProbes(again.stdout)).toEqual(all(blocked, "closed"));
      expect((await run(502, "echo via-ssh")).stdout).toBe("via-ssh\n");
    }, 30_000);
  });
});

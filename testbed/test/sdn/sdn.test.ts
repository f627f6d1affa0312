/**
 * The SDN realisation on real devices: network namespaces as nodes, VXLAN, Linux bridges, FRR
 * EVPN and nftables. Root only. The "guests" here are network-only guests (a namespace with a
 * veth into the vnet bridge, no sshd): the real guests come from realise/host.
 */
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import {
  attachNetworkOnlyGuest,
  SdnRealiser,
  type NetworkOnlyGuest,
  type RunningSdnConfig,
} from "../../src/realise/sdn/index.js";
import { describeWith, sdnDevices } from "../../../test/support/requirements.js";

const maybe = (name: string, fn: () => void): void => describeWith(name, sdnDevices(), fn);

const prefix = `tbt${process.pid % 10000}`;
const nodes = [
  { name: "n1", underlay: "10.250.0.1/24" },
  { name: "n2", underlay: "10.250.0.2/24" },
];

function config(): RunningSdnConfig {
  return {
    controllers: [
      { controller: "evpnctl", type: "evpn", asn: 65000, peers: "10.250.0.1,10.250.0.2" },
    ],
    zones: [
      { zone: "tenanta", type: "evpn", controller: "evpnctl", "vrf-vxlan": 10000, mtu: 1450 },
      { zone: "tenantb", type: "vxlan", peers: "10.250.0.1,10.250.0.2", mtu: 1450 },
    ],
    vnets: [
      { vnet: "agentsa", zone: "tenanta", tag: 11000 },
      { vnet: "agentsb", zone: "tenantb", tag: 21000 },
    ],
    subnets: [
      { subnet: "tenanta-10.11.0.0-24", vnet: "agentsa", gateway: "10.11.0.1" },
      { subnet: "tenantb-10.21.0.0-24", vnet: "agentsb", gateway: "10.21.0.1" },
    ],
  };
}

/** Run a command; resolve with its exit code and output (bounded). */
function run(argv: string[], timeoutMs = 10_000): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (out += b.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out });
    });
  });
}

const ping = (from: NetworkOnlyGuest, ip: string) =>
  run(["ip", "netns", "exec", from.netns, "ping", "-c", "1", "-W", "1", ip]).then(
    (r) => r.code === 0,
  );

async function eventually(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A one-shot TCP server in `guest` answering `hello from <name>`; resolves once listening. */
function tcpServer(guest: NetworkOnlyGuest, ip: string, port: number): Promise<() => void> {
  const code = `const s=require("net").createServer(c=>{c.end("hello from ${guest.name}\\n")});s.listen(${port},"${ip}",()=>console.log("listening"));setTimeout(()=>process.exit(0),60000)`;
  const child = spawn("ip", ["netns", "exec", guest.netns, process.execPath, "-e", code], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    child.stdout.once("data", () => resolve(() => child.kill("SIGKILL")));
    child.once("exit", (c) => reject(new Error(`server exited ${c}`)));
  });
}

function tcpGet(from: NetworkOnlyGuest, ip: string, port: number): Promise<string> {
  const code = `const c=require("net").connect(${port},"${ip}");let d="";c.setTimeout(2000,()=>{console.log("TIMEOUT");process.exit(1)});c.on("data",b=>d+=b);c.on("end",()=>{process.stdout.write(d);process.exit(0)});c.on("error",e=>{console.log(e.code);process.exit(1)})`;
  return run(["ip", "netns", "exec", from.netns, process.execPath, "-e", code]).then((r) =>
    r.out.trim(),
  );
}

maybe("SDN realisation on real devices", () => {
  const realiser = new SdnRealiser({ prefix, stateDir: `/run/txbox-sdn-test-${prefix}` });
  const guests: Record<string, NetworkOnlyGuest> = {};

  beforeAll(async () => {
    await realiser.teardown();
    const report = await realiser.apply(nodes, config());
    expect(report.changes.length).toBeGreaterThan(0);
    const plan = [
      ["a1", "n1", "agentsa", "10.11.0.11/24", "10.11.0.1"],
      ["a2", "n2", "agentsa", "10.11.0.12/24", "10.11.0.1"],
      ["b1", "n1", "agentsb", "10.21.0.11/24", "10.21.0.1"],
      ["b2", "n2", "agentsb", "10.21.0.12/24", "10.21.0.1"],
    ] as const;
    for (const [name, node, vnet, cidr, gateway] of plan)
      guests[name] = await attachNetworkOnlyGuest(realiser, { name, node, vnet, cidr, gateway });
  }, 60_000);

  afterAll(async () => {
    await realiser.teardown();
  }, 60_000);

  test("the VXLAN devices carry the declared VNIs, local address and port", async () => {
    for (const [node, local] of [
      ["n1", "10.250.0.1"],
      ["n2", "10.250.0.2"],
    ] as const)
      for (const [vnet, vni] of [
        ["agentsa", 11000],
        ["agentsb", 21000],
      ] as const) {
        const { out } = await run([
          "ip",
          "-n",
          `${prefix}-${node}`,
          "-d",
          "link",
          "show",
          `vxlan_${vnet}`,
        ]);
        expect(out).toContain(`vxlan id ${vni} local ${local}`);
        expect(out).toContain("dstport 4789");
        expect(out).toContain("nolearning");
        expect(out).toContain(`master ${vnet}`);
      }
  });

  test("the evpn zone is carried by FRR: BGP EVPN routes from the other node", async () => {
    await eventually("n1 has n2's EVPN type-3 route for VNI 11000", async () => {
      const out = await realiser
        .vtysh("n1", ["show bgp l2vpn evpn route type multicast"])
        .catch(() => "");
      return out.includes("[3]:[0]:[32]:[10.250.0.2]");
    });
    const vni = await realiser.vtysh("n1", ["show evpn vni 11000"]);
    expect(vni).toMatch(/VNI: 11000/);
    expect(vni).toMatch(/10\.250\.0\.2/);
    // The vxlan zone is kept out of BGP: no remote VTEP is learnt for VNI 21000, it is flooded statically.
    const vx = await realiser.vtysh("n1", ["show evpn vni 21000"]);
    expect(vx).toMatch(/VNI: 21000/);
    expect(vx).not.toMatch(/10\.250\.0\.2/);
    const { out } = await run([
      "bridge",
      "-n",
      `${prefix}-n1`,
      "fdb",
      "show",
      "dev",
      "vxlan_agentsb",
    ]);
    expect(out).toContain("00:00:00:00:00:00 dst 10.250.0.2");
  }, 45_000);

  test("guests on the same vnet reach each other across nodes (ICMP and TCP)", async () => {
    await eventually("a1 pings a2 over EVPN", () => ping(guests.a1!, "10.11.0.12"));
    await eventually("b1 pings b2 over static VXLAN", () => ping(guests.b1!, "10.21.0.12"));
    const stop = await tcpServer(guests.a2!, "10.11.0.12", 7000);
    try {
      expect(await tcpGet(guests.a1!, "10.11.0.12", 7000)).toBe("hello from a2");
    } finally {
      stop();
    }
    // EVPN learnt a2's MAC as a type-2 route.
    const routes = await realiser.vtysh("n1", ["show bgp l2vpn evpn route type macip"]);
    expect(routes).toMatch(/\[2\]:\[0\]:\[48\]/);
  }, 60_000);

  test("different vnets do not reach each other until a firewall allows it", async () => {
    await eventually("a1 reaches its gateway", () => ping(guests.a1!, "10.11.0.1"));
    for (const ip of ["10.21.0.11", "10.21.0.12"]) expect(await ping(guests.a1!, ip)).toBe(false);
    const stop = await tcpServer(guests.b2!, "10.21.0.12", 7001);
    try {
      expect(await tcpGet(guests.a1!, "10.21.0.12", 7001)).toBe("TIMEOUT");
      // The same path opens when agentsb's firewall accepts agentsa: the isolation is the policy.
      const open = config();
      open.vnetFirewalls = {
        agentsb: {
          options: { enable: 1, policy_forward: "DROP" },
          rules: [
            {
              pos: 0,
              type: "forward",
              action: "ACCEPT",
              source: "10.21.0.0/24",
              dest: "10.21.0.0/24",
            },
            {
              pos: 1,
              type: "forward",
              action: "ACCEPT",
              source: "10.11.0.0/24",
              dest: "10.21.0.0/24",
              proto: "tcp",
              dport: "7001",
            },
          ],
        },
      };
      const report = await realiser.apply(nodes, open);
      expect(report.changes).toEqual([
        "n1: applied nftables ruleset",
        "n2: applied nftables ruleset",
      ]);
      expect(await tcpGet(guests.a1!, "10.21.0.12", 7001)).toBe("hello from b2");
      expect(await ping(guests.a1!, "10.21.0.12")).toBe(false); // only tcp/7001 was allowed
    } finally {
      stop();
      await realiser.apply(nodes, config());
    }
  }, 60_000);

  test("re-applying the same config changes nothing", async () => {
    expect(await realiser.apply(nodes, config())).toEqual({ changes: [] });
  }, 30_000);

  test("a new realiser on the same state (testbed restart) finds everything in place", async () => {
    const again = new SdnRealiser({ prefix, stateDir: `/run/txbox-sdn-test-${prefix}` });
    expect(again.bridgeFor("n2", "agentsb")).toEqual({ netns: `${prefix}-n2`, bridge: "agentsb" });
    // Running FRR daemons are recognised by their pid files, not restarted.
    expect(await again.apply(nodes, config())).toEqual({ changes: [] });
  }, 30_000);

  test("a changed config converges: new VNI, then a removed vnet", async () => {
    const changed = config();
    changed.vnets[1]!.tag = 21001;
    const report = await realiser.apply(nodes, changed);
    expect(report.changes).toContain("n1: replaced vxlan vxlan_agentsb (VNI/local/port changed)");
    const { out } = await run(["ip", "-n", `${prefix}-n2`, "-d", "link", "show", "vxlan_agentsb"]);
    expect(out).toContain("vxlan id 21001");
    await eventually("b1 pings b2 on the new VNI", () => ping(guests.b1!, "10.21.0.12"));
    expect((await realiser.apply(nodes, changed)).changes).toEqual([]);

    const fewer = config();
    fewer.vnets = fewer.vnets.slice(0, 1);
    fewer.subnets = fewer.subnets.slice(0, 1);
    fewer.zones = fewer.zones.slice(0, 1);
    await realiser.apply(nodes, fewer);
    const links = await run(["ip", "-n", `${prefix}-n1`, "link", "show"]);
    expect(links.out).not.toContain("agentsb");
    expect(links.out).toContain("vxlan_agentsa");
    await eventually("a1 still pings a2", () => ping(guests.a1!, "10.11.0.12"));
  }, 60_000);

  test("FRR's directory must be reachable by user frr: a 0700 parent is refused with the reason", async () => {
    const privateDir = mkdtempSync(join(tmpdir(), "txbox-frr-private-"));
    chmodSync(privateDir, 0o700);
    const other = new SdnRealiser({
      prefix: `${prefix}p`.slice(0, 8),
      stateDir: join(privateDir, "sdn"),
      frrDir: join(privateDir, "frr"),
    });
    try {
      await expect(other.apply(nodes, config())).rejects.toThrow(
        /is not traversable by user frr, so zebra could not reach/,
      );
    } finally {
      await other.teardown();
      rmSync(privateDir, { recursive: true, force: true });
    }
    // The default lives under /run and is traversable: the realiser above runs FRR from there.
    expect(realiser.frrDir).toBe(`/run/txbox-frr/${prefix}`);
  }, 60_000);

  test("teardown removes every namespace and daemon", async () => {
    await realiser.teardown();
    expect(readdirSync("/run/netns").filter((n) => n.startsWith(prefix))).toEqual([]);
    const daemons = await run(["pgrep", "-af", `/run/txbox-sdn-test-${prefix}`]);
    expect(daemons.out.trim()).toBe("");
    expect(existsSync(`/run/txbox-sdn-test-${prefix}`)).toBe(false);
  }, 30_000);
});

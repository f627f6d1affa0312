/**
 * The testbed's `PUT /cluster/sdn` (a `reloadnetworkall` task) realised on real devices: the API
 * layer hands the running config to `Realiser.applySdn`, which here is the SdnRealiser (guests
 * stay in memory; the network is real). Root only.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { MemoryRealiser } from "../../src/realise/memory.js";
import {
  attachNetworkOnlyGuest,
  SdnRealiser,
  type RunningSdnConfig,
} from "../../src/realise/sdn/index.js";
import { startTestbed, type TestbedHandle } from "../../src/testbed.js";
import { describeWith, sdnDevices } from "../../../test/support/requirements.js";

const maybe = (name: string, fn: () => void): void => describeWith(name, sdnDevices(), fn);

const prefix = `tba${process.pid % 10000}`;
const nodes = [
  { name: "pve1", underlay: "10.250.0.21/24" },
  { name: "pve2", underlay: "10.250.0.22/24" },
];

/** In-memory guests, real SDN: the SDN half of the host realiser, on its own. */
class MemoryGuestsRealSdn extends MemoryRealiser {
  constructor(readonly net: SdnRealiser) {
    super();
  }
  override async applySdn(running: RunningSdnConfig): Promise<void> {
    await super.applySdn(running);
    await this.net.apply(nodes, running);
  }
  override async applyFirewall(
    firewall: Pick<RunningSdnConfig, "vnetFirewalls" | "firewall">,
  ): Promise<void> {
    await super.applyFirewall(firewall);
    await this.net.applyFirewall(nodes, firewall);
  }
}

function call(
  tb: TestbedHandle,
  method: string,
  path: string,
  params: Record<string, string> = {},
): Promise<unknown> {
  const body = new URLSearchParams(params).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(`/api2/json${path}`, tb.url),
      {
        method,
        ca: tb.certPem,
        checkServerIdentity: (_h, cert) =>
          cert.fingerprint256 === tb.fingerprint ? undefined : new Error("fingerprint"),
        headers: {
          Authorization: `PVEAPIToken=${tb.tokenId}=${tb.secret}`,
          ...(body ? { "Content-Type": "application/x-www-form-urlencoded" } : {}),
        },
        timeout: 15_000,
      },
      (res) => {
        let text = "";
        res.on("data", (b: Buffer) => (text += b.toString()));
        res.on("end", () =>
          res.statusCode === 200
            ? resolve((JSON.parse(text) as { data: unknown }).data)
            : reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`)),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function applySdn(tb: TestbedHandle): Promise<{ exitstatus?: string }> {
  const upid = (await call(tb, "PUT", "/cluster/sdn")) as string;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const st = (await call(tb, "GET", `/nodes/pve1/tasks/${encodeURIComponent(upid)}/status`)) as {
      status: string;
      exitstatus?: string;
    };
    if (st.status === "stopped") return st;
    if (Date.now() > deadline) throw new Error("reloadnetworkall did not finish");
    await new Promise((r) => setTimeout(r, 100));
  }
}

function run(argv: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (out += b.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out });
    });
  });
}

maybe("PUT /cluster/sdn realises the SDN config on real devices", () => {
  const sdn = new SdnRealiser({ prefix, stateDir: `/run/txbox-sdn-test-${prefix}` });
  let tb: TestbedHandle;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "txbox-sdn-api-"));
    tb = await startTestbed({
      stateDir: dir,
      realiser: new MemoryGuestsRealSdn(sdn),
      port: 0,
      config: {
        realiser: "memory",
        nodes: nodes.map((n) => n.name),
        api: { host: "127.0.0.1", port: 0, authFailDelayMs: 0 },
        lab: { templates: [], guests: [] },
      },
    });
  }, 60_000);

  afterAll(async () => {
    await tb?.stop();
    await sdn.teardown();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  test("an EVPN zone created through the API carries guest traffic between nodes", async () => {
    await call(tb, "POST", "/cluster/sdn/controllers", {
      controller: "evpnctl",
      type: "evpn",
      asn: "65000",
      peers: "10.250.0.21,10.250.0.22",
    });
    await call(tb, "POST", "/cluster/sdn/zones", {
      zone: "tenanta",
      type: "evpn",
      controller: "evpnctl",
      "vrf-vxlan": "10000",
    });
    await call(tb, "POST", "/cluster/sdn/vnets", {
      vnet: "agentsa",
      zone: "tenanta",
      tag: "11000",
    });
    await call(tb, "POST", "/cluster/sdn/vnets/agentsa/subnets", {
      subnet: "10.11.0.0/24",
      type: "subnet",
      gateway: "10.11.0.1",
    });
    // Pending only: nothing realised yet.
    expect(
      (await run(["ip", "-n", `${prefix}-pve1`, "link", "show", "vxlan_agentsa"])).code,
    ).not.toBe(0);

    expect(await applySdn(tb)).toMatchObject({ exitstatus: "OK" });
    for (const [node, local] of [
      ["pve1", "10.250.0.21"],
      ["pve2", "10.250.0.22"],
    ] as const) {
      const { out } = await run([
        "ip",
        "-n",
        `${prefix}-${node}`,
        "-d",
        "link",
        "show",
        "vxlan_agentsa",
      ]);
      expect(out).toContain(`vxlan id 11000 local ${local}`);
    }
    const g1 = await attachNetworkOnlyGuest(sdn, {
      name: "x1",
      node: "pve1",
      vnet: "agentsa",
      cidr: "10.11.0.21/24",
    });
    await attachNetworkOnlyGuest(sdn, {
      name: "x2",
      node: "pve2",
      vnet: "agentsa",
      cidr: "10.11.0.22/24",
    });
    const deadline = Date.now() + 30_000;
    while (
      (await run(["ip", "netns", "exec", g1.netns, "ping", "-c", "1", "-W", "1", "10.11.0.22"]))
        .code !== 0
    ) {
      if (Date.now() > deadline) throw new Error("x1 cannot reach x2 over EVPN within 30 s");
    }
  }, 60_000);

  test("firewall changes take effect at once, without an SDN apply; PVE's switches gate them", async () => {
    await call(tb, "POST", "/cluster/sdn/vnets", {
      vnet: "agentsb",
      zone: "tenanta",
      tag: "11001",
    });
    await call(tb, "POST", "/cluster/sdn/vnets/agentsb/subnets", {
      subnet: "10.12.0.0/24",
      type: "subnet",
      gateway: "10.12.0.1",
    });
    expect(await applySdn(tb)).toMatchObject({ exitstatus: "OK" });
    const red = await attachNetworkOnlyGuest(sdn, {
      name: "red1",
      node: "pve2",
      vnet: "agentsa",
      cidr: "10.11.0.31/24",
      gateway: "10.11.0.1",
    });
    await attachNetworkOnlyGuest(sdn, {
      name: "blue1",
      node: "pve1",
      vnet: "agentsb",
      cidr: "10.12.0.31/24",
      gateway: "10.12.0.1",
    });
    const reaches = async (ip: string) =>
      (await run(["ip", "netns", "exec", red.netns, "ping", "-c", "1", "-W", "1", ip])).code === 0;
    const eventually = async (want: boolean, what: string) => {
      const deadline = Date.now() + 20_000;
      while ((await reaches("10.12.0.31")) !== want)
        if (Date.now() > deadline) throw new Error(`not within 20 s: ${what}`);
    };
    // PVE's defaults: datacenter firewall off, no nftables mode: routed vnets reach each other.
    await eventually(true, "red reaches blue with the firewall off");
    await call(tb, "PUT", "/cluster/firewall/options", { enable: "1" });
    expect(await reaches("10.12.0.31")).toBe(true); // vnet rules need nftables mode too
    for (const n of ["pve1", "pve2"])
      await call(tb, "PUT", `/nodes/${n}/firewall/options`, { nftables: "1" });
    expect(await reaches("10.12.0.31")).toBe(false);
    await call(tb, "PUT", "/cluster/sdn/vnets/agentsb/firewall/options", {
      enable: "1",
      policy_forward: "DROP",
    });
    await call(tb, "POST", "/cluster/sdn/vnets/agentsb/firewall/rules", {
      type: "forward",
      action: "ACCEPT",
      source: "10.11.0.0/24",
      dest: "10.12.0.0/24",
      enable: "1",
    });
    expect(await reaches("10.12.0.31")).toBe(true);
    await call(tb, "DELETE", "/cluster/sdn/vnets/agentsb/firewall/rules/0");
    expect(await reaches("10.12.0.31")).toBe(false);
    // Same-vnet traffic flows throughout.
    expect(await reaches("10.11.0.22")).toBe(true);
    await call(tb, "DELETE", "/cluster/sdn/vnets/agentsb/subnets/tenanta-10.12.0.0-24");
    await call(tb, "DELETE", "/cluster/sdn/vnets/agentsb");
  }, 90_000);

  test("deleting the vnet through the API removes its devices", async () => {
    await call(tb, "DELETE", "/cluster/sdn/vnets/agentsa/subnets/tenanta-10.11.0.0-24");
    await call(tb, "DELETE", "/cluster/sdn/vnets/agentsa");
    expect(await applySdn(tb)).toMatchObject({ exitstatus: "OK" });
    // The node's namespace must still answer (a failed `ip` prints no "agentsa" either).
    const { code, out } = await run(["ip", "-n", `${prefix}-pve1`, "link", "show"]);
    expect({ code, loopback: out.includes("lo:") }).toEqual({ code: 0, loopback: true });
    expect(out).not.toContain("agentsa");
  }, 60_000);
});

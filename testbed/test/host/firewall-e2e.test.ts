// The guest and cluster firewall through the testbed's Proxmox API on the host realiser: every
// change takes effect when the API call answers, with no SDN apply; guest rules only with the
// guest's `enable`, the NIC's `firewall=1` and the datacenter switch; security groups, ipsets
// and a cluster rule; a change that cannot be realised is refused and undone. Two real guests on
// one vnet (probes run in their network namespaces), real nftables, real traffic. One testbed
// for the whole file.
import { readFile } from "node:fs/promises";
import { join } from "node:path";

import { Agent, fetch as undiciFetch } from "undici";

import type { HostRealiser } from "../../src/realise/host/index.js";
import { startTestbed, type TestbedHandle } from "../../src/testbed.js";
import { run as hostRun } from "../../src/realise/host/exec.js";
import { describeHost, newRealiser, removeStateDir, waitSsh } from "./support.js";

const NODE = "pve1";
const A = { vmid: 351, ip: "10.41.0.11" }; // the guest whose firewall is configured
const B = { vmid: 352, ip: "10.41.0.12" }; // the other guest
const GW = "10.41.0.1"; // the vnet's gateway: the node itself

describeHost("guest and cluster firewall through the API (as root)", () => {
  let r: HostRealiser;
  let tb: TestbedHandle;
  let agent: Agent;
  let key: { privateKey: string; publicKey: string };

  async function api(method: string, path: string, params: Record<string, unknown> = {}) {
    const body = new URLSearchParams(
      Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]),
    );
    const res = await undiciFetch(`${tb.url}/api2/json${path}`, {
      method,
      dispatcher: agent,
      headers: { authorization: `PVEAPIToken=${tb.tokenId}=${tb.secret}` },
      ...(method === "GET" ? {} : { body }),
    });
    const json = (await res.json()) as { data: unknown };
    if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${res.statusText}`);
    return json.data;
  }

  async function task(upid: unknown): Promise<void> {
    for (let i = 0; i < 1200; i++) {
      const st = (await api("GET", `/nodes/${NODE}/tasks/${String(upid)}/status`)) as {
        status: string;
        exitstatus?: string;
      };
      if (st.status === "stopped") {
        if (st.exitstatus !== "OK") throw new Error(`task ${String(upid)}: ${st.exitstatus}`);
        return;
      }
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(`task ${String(upid)} did not end`);
  }

  const guestFw = (g: { vmid: number }) => `/nodes/${NODE}/lxc/${g.vmid}/firewall`;

  /**
   * From a guest: can it reach `to`? ICMP, and TCP 22 as open / refused / dropped, both at once.
   * Run in the guest's own network namespace (its eth0, its addresses, its routes): the traffic
   * is the guest's, without an SSH session per probe.
   */
  async function probe(from: { vmid: number }, to: string): Promise<string> {
    const script = [
      `( ping -c 1 -W 1 ${to} >/dev/null 2>&1 && echo icmp-open || echo icmp-closed ) > "$P" &`,
      `out=$(timeout 1.5 bash -c 'exec 3<>/dev/tcp/${to}/22' 2>&1); rc=$?`,
      `if [ $rc -eq 0 ]; then t=tcp-open; elif echo "$out" | grep -qi refused; then t=tcp-refused; else t=tcp-dropped; fi`,
      `wait; echo "$(cat "$P") $t"; rm -f "$P"`,
    ].join("\n");
    const ns = r.hostNames.guestNetns(from.vmid);
    const out = await hostRun(
      [
        "ip",
        "netns",
        "exec",
        ns,
        "env",
        `P=/tmp/txbox-fw-probe-${process.pid}`,
        "bash",
        "-c",
        script,
      ],
      {
        timeoutMs: 10_000,
      },
    );
    return out.stdout.trim();
  }

  /** The guest's sshd answers over its management NIC (it booted; probes need no more). */
  async function booted(vmid: number): Promise<void> {
    const res = await undiciFetch(`${tb.url}/testbed/guests`, {
      dispatcher: agent,
      headers: { authorization: `PVEAPIToken=${tb.tokenId}=${tb.secret}` },
    });
    const all = (
      (await res.json()) as {
        data: { vmid: number; mgmtAddress?: string; hostKeyFingerprints: string[] }[];
      }
    ).data;
    const g = all.find((x) => x.vmid === vmid);
    if (!g?.mgmtAddress) throw new Error(`guest ${vmid} has no management address`);
    await waitSsh(g.mgmtAddress, key, g.hostKeyFingerprints);
  }

  beforeAll(async () => {
    r = await newRealiser("fw", "10.213.83.0/24", {
      nodes: [{ name: NODE, underlay: "10.250.83.1/24" }],
    });
    tb = await startTestbed({
      stateDir: join(r.resolvedStateDir, "api"),
      realiser: r,
      config: {
        nodes: [NODE],
        storages: [
          {
            id: "local-btrfs",
            type: "btrfs",
            content: ["images", "rootdir"],
            sizeBytes: 4 * 1024 ** 3,
          },
        ],
        api: { port: 0, authFailDelayMs: 0, host: "127.0.0.1" },
        lab: {
          // One template and two linked clones: one root file system unpacked, not two.
          templates: [
            { vmid: 9350, type: "lxc", name: "fwtpl", storage: "local-btrfs", start: false },
          ],
          guests: [A, B].map((g) => ({
            vmid: g.vmid,
            type: "lxc" as const,
            name: `fw${g.vmid}`,
            storage: "local-btrfs",
            from: 9350,
            start: false,
          })),
        },
      },
    });
    agent = new Agent({
      connect: {
        ca: tb.certPem,
        checkServerIdentity: (_h, cert) =>
          cert.fingerprint256 === tb.fingerprint ? undefined : new Error("fingerprint mismatch"),
      },
    });
    key = {
      privateKey: await readFile(join(tb.stateDir, "operator_ed25519"), "utf8"),
      publicKey: "",
    };
    await api("POST", "/cluster/sdn/zones", { zone: "fwz", type: "vxlan", peers: "10.250.83.1" });
    await api("POST", "/cluster/sdn/vnets", { vnet: "fwnet", zone: "fwz", tag: 41000 });
    await api("POST", "/cluster/sdn/vnets/fwnet/subnets", {
      subnet: "10.41.0.0/24",
      type: "subnet",
      gateway: GW,
    });
    await task(await api("PUT", "/cluster/sdn"));
    await Promise.all(
      [A, B].map(async (g) => {
        const net0 = `name=eth0,bridge=fwnet,ip=${g.ip}/24,gw=${GW},firewall=1,type=veth`;
        await api("PUT", `/nodes/${NODE}/lxc/${g.vmid}/config`, { net0 });
        await task(await api("POST", `/nodes/${NODE}/lxc/${g.vmid}/status/start`));
        await booted(g.vmid);
      }),
    );
    // From here on, no SDN apply: every change below is a firewall or config call only.
    await api("PUT", "/cluster/firewall/options", { enable: 1 });
    await api("PUT", `${guestFw(A)}/options`, { enable: 1, policy_in: "ACCEPT" });
  }, 240_000);

  afterAll(async () => {
    await tb?.stop({ teardown: true });
    if (r) await removeStateDir(r.resolvedStateDir);
    await agent?.close();
  }, 120_000);

  test("a guest rule blocks the other guest at once (DROP, then REJECT); removing it restores traffic", async () => {
    expect(await probe(B, A.ip)).toBe("icmp-open tcp-open");
    await api("POST", `${guestFw(A)}/rules`, {
      type: "in",
      action: "DROP",
      source: B.ip,
      enable: 1,
    });
    expect(await probe(B, A.ip)).toBe("icmp-closed tcp-dropped");
    await api("PUT", `${guestFw(A)}/rules/0`, { action: "REJECT", proto: "tcp", dport: 22 });
    expect(await probe(B, A.ip)).toBe("icmp-open tcp-refused");
    await api("DELETE", `${guestFw(A)}/rules/0`);
    expect(await probe(B, A.ip)).toBe("icmp-open tcp-open");
  }, 60_000);

  test("no enforcement with the guest's enable=0, the NIC's firewall=0, or the datacenter off", async () => {
    await api("POST", `${guestFw(A)}/rules`, { type: "in", action: "DROP", source: B.ip });
    expect(await probe(B, A.ip)).toBe("icmp-closed tcp-dropped");
    await api("PUT", `${guestFw(A)}/options`, { enable: 0 });
    expect(await probe(B, A.ip)).toBe("icmp-open tcp-open");
    await api("PUT", `${guestFw(A)}/options`, { enable: 1 });
    expect(await probe(B, A.ip)).toBe("icmp-closed tcp-dropped");
    const net0 = `name=eth0,bridge=fwnet,ip=${A.ip}/24,gw=${GW},type=veth`;
    await api("PUT", `/nodes/${NODE}/lxc/${A.vmid}/config`, { net0 });
    expect(await probe(B, A.ip)).toBe("icmp-open tcp-open");
    await api("PUT", `/nodes/${NODE}/lxc/${A.vmid}/config`, { net0: `${net0},firewall=1` });
    expect(await probe(B, A.ip)).toBe("icmp-closed tcp-dropped");
    await api("PUT", "/cluster/firewall/options", { enable: 0 });
    expect(await probe(B, A.ip)).toBe("icmp-open tcp-open");
    await api("PUT", "/cluster/firewall/options", { enable: 1 });
    await api("DELETE", `${guestFw(A)}/rules/0`);
    expect(await probe(B, A.ip)).toBe("icmp-open tcp-open");
  }, 90_000);

  test("a security group referencing a datacenter ipset; changing the ipset takes effect", async () => {
    await api("POST", "/cluster/firewall/ipset", { name: "suspects" });
    await api("POST", "/cluster/firewall/ipset/suspects", { cidr: B.ip });
    await api("POST", "/cluster/firewall/groups", { group: "quarantine" });
    await api("POST", "/cluster/firewall/groups/quarantine", {
      type: "in",
      action: "DROP",
      source: "+suspects",
    });
    await api("POST", `${guestFw(A)}/rules`, {
      type: "group",
      action: "quarantine",
      iface: "net0",
    });
    expect(await probe(B, A.ip)).toBe("icmp-closed tcp-dropped");
    await api("DELETE", `/cluster/firewall/ipset/suspects/${B.ip}`);
    expect(await probe(B, A.ip)).toBe("icmp-open tcp-open");
    await api("DELETE", `${guestFw(A)}/rules/0`);
  }, 60_000);

  test("cluster rules judge the node: policy_in DROP by default, a Ping macro rule opens it", async () => {
    expect((await probe(B, GW)).split(" ")[0]).toBe("icmp-closed");
    await api("POST", "/cluster/firewall/rules", {
      type: "in",
      action: "ACCEPT",
      macro: "Ping",
      enable: 1,
    });
    expect((await probe(B, GW)).split(" ")[0]).toBe("icmp-open");
    await api("DELETE", "/cluster/firewall/rules/0");
    expect((await probe(B, GW)).split(" ")[0]).toBe("icmp-closed");
  }, 60_000);

  test("a change that cannot be realised is refused and undone, the traffic unchanged", async () => {
    await expect(
      api("POST", `${guestFw(A)}/rules`, { type: "in", action: "DROP", macro: "Teleport" }),
    ).rejects.toThrow(
      /500 firewall change not applied: guest 351 rule 0: unknown macro 'Teleport'/,
    );
    expect(await api("GET", `${guestFw(A)}/rules`)).toEqual([]);
    expect(await probe(B, A.ip)).toBe("icmp-open tcp-open");
  }, 60_000);
});

// Guests with NICs on SDN vnets: the host realiser drives the SDN realiser (applySdn) and plugs
// each guest's net<N> into its vnet bridge on the guest's node; guests on two nodes talk over
// VXLAN. Real sshd, real namespaces.
import type { HostRealiser } from "../../src/realise/host/index.js";
import type { RunningSdnConfig } from "../../src/realise/types.js";
import type { GuestRuntimeSpec } from "../../src/realise/types.js";
import {
  describeHost,
  newRealiser,
  operatorKey,
  removeStateDir,
  spec,
  sshRun,
  waitSsh,
  type OperatorKey,
} from "./support.js";

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
    await r.init();
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
});

/**
 * The ProxmoxNetPort adapter in-process against the testbed's API: the NetPort contract
 * (create of an existing object → AlreadyExistsError, delete of a missing one = success) and
 * the SSH readiness wait by TCP connect.
 */
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { AlreadyExistsError } from "@txbox/net";
import { TimeoutError } from "@txbox/core";
import { addressOf, managementAddress, proxmoxNetPort, type ProxmoxNetPort } from "@txbox/runtime";
import { startNetLab, type NetLab } from "./harness.js";

let lab: NetLab;
let port: ProxmoxNetPort;
let endpointPort = 0;
const notes: string[] = [];
const ref = { node: "pve2", vmid: 2401, type: "qemu" as const };

function listen(server: Server, at = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(at, "127.0.0.1", () => {
      const a = server.address();
      resolve(typeof a === "object" && a !== null ? a.port : 0);
    });
  });
}
const close = (server: Server) => new Promise<void>((r) => server.close(() => r()));

beforeAll(async () => {
  lab = await startNetLab();
  // A port that nothing listens on (until the test opens it).
  const probe = createServer();
  endpointPort = await listen(probe);
  await close(probe);
  port = proxmoxNetPort(lab.client, {
    stateDir: join(lab.root, "ledger"),
    sshEndpoint: async (g) =>
      g.vmid === ref.vmid ? { host: "127.0.0.1", port: endpointPort } : undefined,
    log: (m) => notes.push(m),
    pollMs: 50,
  });
}, 60_000);

afterAll(async () => {
  await port?.close();
  await lab?.stop();
});

test("creating an existing SDN object throws AlreadyExistsError; deleting a missing one succeeds", async () => {
  await port.createZone({ zone: "pz", type: "vxlan", peers: "10.250.0.11" });
  await expect(
    port.createZone({ zone: "pz", type: "vxlan", peers: "10.250.0.11" }),
  ).rejects.toBeInstanceOf(AlreadyExistsError);
  await port.deleteZone("pz");
  await port.deleteZone("pz");
  await port.deleteVnet("nosuchvnet");
  await port.deleteSubnet("nosuchvnet", "pz-10.0.0.0-24");
  expect((await port.listZones()).map((z) => [z.zone, z.state])).toEqual([]);
});

test("clone goes to the template's node with the guest's node as target; a repeat is AlreadyExistsError", async () => {
  const clone = { ...ref, template: 9001, templateNode: "pve1", name: "probe", linked: true };
  await port.cloneGuest(clone);
  await expect(port.cloneGuest(clone)).rejects.toBeInstanceOf(AlreadyExistsError);
  const g = (await port.listGuests()).find((x) => x.vmid === ref.vmid);
  expect(g).toMatchObject({
    node: "pve2",
    type: "qemu",
    name: "probe",
    status: "stopped",
    template: false,
  });
});

test("waitForSsh waits for the guest to run and its sshd port to accept, within the timeout", async () => {
  await port.startGuest(ref);
  await port.startGuest(ref); // running already: success
  await expect(port.waitForSsh(ref, "root", 500)).rejects.toBeInstanceOf(TimeoutError);
  await expect(port.waitForSsh(ref, "root", 500)).rejects.toThrow(
    `sshd on 127.0.0.1:${endpointPort} did not answer`,
  );
  const server = createServer((socket) => socket.end());
  let accepted = 0;
  server.on("connection", () => accepted++);
  await listen(server, endpointPort);
  try {
    await port.waitForSsh(ref, "root", 5000);
    expect(accepted).toBeGreaterThanOrEqual(1);
  } finally {
    await close(server);
  }
}, 30_000);

test("stop and destroy are idempotent; a guest that is gone is success", async () => {
  await port.stopGuest(ref);
  await port.stopGuest(ref);
  await port.destroyGuest(ref);
  await port.destroyGuest(ref);
  await port.stopGuest(ref);
  expect((await port.listGuests()).map((g) => g.vmid).sort()).toEqual([9000, 9001]);
});

test("the management address comes from net1 (LXC) or ipconfig1 (qemu)", () => {
  expect(addressOf("name=eth1,bridge=vmbr9,ip=10.250.9.11/24,firewall=1")).toBe("10.250.9.11");
  expect(managementAddress({ ipconfig1: "ip=10.250.9.31/24" })).toBe("10.250.9.31");
  expect(managementAddress({ net0: "name=eth0,bridge=a,ip=10.0.0.2/24" })).toBeUndefined();
  expect(managementAddress({ net1: "name=eth1,bridge=vmbr9,ip=dhcp" })).toBeUndefined();
});

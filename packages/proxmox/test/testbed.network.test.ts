// Integration tests of the SDN and firewall modules against the testbed's PVE API (MemoryRealiser).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestbed, type TestbedHandle } from "@txbox/testbed";
import { schemaCheck, unlistedCalls } from "./privilege-coverage.js";
import { ProxmoxClient } from "../src/client.js";
import { configSchema } from "@txbox/core";
import { ApiError, AuthFailed } from "../src/errors.js";
import type { FirewallScope } from "../src/firewall.js";

let tb: TestbedHandle;
let dir: string;
let client: ProxmoxClient;
const answered: { method?: unknown; path?: unknown }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "txbox-pve-net-"));
  tb = await startTestbed({
    stateDir: dir,
    port: 0,
    log: (line) => answered.push(line),
    config: {
      realiser: "memory",
      api: { port: 0, authFailDelayMs: 0 },
      users: [{ userid: "root@pam", password: "testbed-pw", tokens: [{ id: "txbox" }] }],
    },
  });
  client = await ProxmoxClient.connect({
    url: tb.url,
    node: tb.node,
    fingerprint: tb.fingerprint,
    credentials: { kind: "token", tokenId: tb.tokenId, secret: tb.secret },
  });
});
afterAll(async () => {
  await client?.close();
  await tb?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("SDN: controller, zone, vnet, subnet; pending; apply; delete", async () => {
  const sdn = client.sdn;
  await sdn.createController({
    controller: "evpn1",
    type: "evpn",
    asn: 65000,
    peers: "10.255.0.1",
  });
  await sdn.createZone({ zone: "agents", type: "evpn", controller: "evpn1", "vrf-vxlan": 10000 });
  await sdn.createVnet({ vnet: "agnet1", zone: "agents", tag: 10001 });
  await sdn.createSubnet("agnet1", { subnet: "10.10.1.0/24", gateway: "10.10.1.1" });

  const pending = await sdn.pending();
  expect(pending.zones.map((z) => [z.zone, z.state])).toEqual([["agents", "new"]]);
  expect(pending.vnets.map((v) => v.vnet)).toEqual(["agnet1"]);
  expect(pending.controllers.map((c) => c.controller)).toEqual(["evpn1"]);
  expect(pending.subnets.length).toBe(1);

  const applied = await sdn.applySdn();
  expect(applied.upid).toMatch(/:reloadnetworkall:/);
  expect(applied.exitstatus).toBe("OK");
  expect(await sdn.pending()).toEqual({ zones: [], vnets: [], controllers: [], subnets: [] });
  expect((await sdn.zones()).map((z) => z.zone)).toContain("agents");
  const subnets = await sdn.subnets("agnet1");
  expect(subnets.map((s) => s.subnet)).toEqual(["agents-10.10.1.0-24"]);

  // A duplicate VNI is PVE's validation error, typed.
  await expect(
    sdn.createVnet({ vnet: "agnet2", zone: "agents", tag: 10001 }),
  ).rejects.toBeInstanceOf(ApiError);

  await sdn.deleteSubnet("agnet1", "agents-10.10.1.0-24");
  await sdn.deleteVnet("agnet1");
  await sdn.deleteZone("agents");
  await sdn.deleteController("evpn1");
  await sdn.applySdn();
  expect((await sdn.zones()).map((z) => z.zone)).not.toContain("agents");
  // Deleting what is already gone is success.
  await sdn.deleteZone("agents");
  await sdn.deleteVnet("agnet1");
});

test.each<[string, () => FirewallScope]>([
  ["cluster", () => ({ kind: "cluster" })],
  ["guest", () => ({ kind: "guest", node: tb.node, type: "qemu", vmid: 101 })],
])("firewall rules and options (%s)", async (_name, scope) => {
  const fw = client.firewall;
  const s = scope();
  const before = (await fw.rules(s)).length;
  await fw.createRule(s, {
    type: "in",
    action: "ACCEPT",
    proto: "tcp",
    dport: "22",
    enable: 1,
    comment: "txbox ssh",
  });
  await fw.createRule(s, {
    type: "out",
    action: "DROP",
    dest: "10.0.0.0/8",
    enable: 1,
    comment: "txbox lan",
  });
  const rules = await fw.rules(s);
  expect(rules.length).toBe(before + 2);
  const ssh = rules.find((r) => r.comment === "txbox ssh")!;
  expect(ssh).toMatchObject({ type: "in", action: "ACCEPT", dport: "22" });
  await fw.updateRule(s, ssh.pos, { enable: 0 });
  expect((await fw.rule(s, ssh.pos)).enable).toBe(0);
  for (const r of (await fw.rules(s))
    .filter((x) => String(x.comment).startsWith("txbox"))
    .reverse()) {
    await fw.deleteRule(s, r.pos);
  }
  expect((await fw.rules(s)).length).toBe(before);
  await fw.setOptions(s, { enable: 1 });
  expect((await fw.options(s)).enable).toBe(1);
});

test("connect from the txbox.yaml section (token from the environment)", async () => {
  const section = configSchema.parse({
    proxmox: {
      url: tb.url,
      tokenId: tb.tokenId,
      secretEnv: "TB_SECRET",
      fingerprint: tb.fingerprint,
    },
  }).proxmox!;
  const c = await ProxmoxClient.connect(section, { env: { TB_SECRET: tb.secret } });
  try {
    expect((await c.nodes()).map((n) => n.node)).toContain(tb.node);
  } finally {
    await c.close();
  }
});

test("ticket login: reads and CSRF-protected writes; a wrong password is AuthFailed", async () => {
  const conn = { url: tb.url, fingerprint: tb.fingerprint };
  const c = await ProxmoxClient.connect({
    ...conn,
    credentials: { kind: "ticket", username: "root@pam", password: "testbed-pw" },
  });
  try {
    const s: FirewallScope = { kind: "cluster" };
    await c.firewall.createRule(s, { type: "in", action: "DROP", comment: "txbox ticket" });
    const rule = (await c.firewall.rules(s)).find((r) => r.comment === "txbox ticket")!;
    await c.firewall.deleteRule(s, rule.pos);
  } finally {
    await c.close();
  }
  const bad = ProxmoxClient.connect({
    ...conn,
    credentials: { kind: "ticket", username: "root@pam", password: "wrong" },
  });
  await expect(bad).rejects.toBeInstanceOf(AuthFailed);
});

test("every call made above is in the privilege table", () => {
  expect(unlistedCalls(answered)).toEqual([]);
});

test("every call made above matches the API schema: path, method, parameter names and values", () => {
  const { violations, calls } = schemaCheck(answered);
  expect(violations).toEqual([]);
  expect(calls.size).toBeGreaterThan(10);
});

// Integration tests: the client against the testbed's PVE API over HTTPS (MemoryRealiser guests).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestbed, type TestbedHandle } from "@txbox/testbed";
import { schemaCheck, unlistedCalls } from "./privilege-coverage.js";
import { ProxmoxClient } from "../src/client.js";
import { connectionFromTestbedState } from "../src/connection.js";
import {
  ApiError,
  AuthFailed,
  Locked,
  NotFound,
  Timeout,
  TlsFingerprintMismatch,
} from "../src/errors.js";

let tb: TestbedHandle;
let seeded: () => number;
let dir: string;
let client: ProxmoxClient;
const answered: { path?: unknown; status?: unknown }[] = [];
const draws: number[] = [];
/** Requests a test sends wrong on purpose: not held to the schema. */
const deliberate = new Set<object>();
/** A seeded PRNG, so that fault injection is the same on every run. */
function lcg(seed: number): () => number {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
}

beforeAll(async () => {
  seeded = lcg(42);
  dir = mkdtempSync(join(tmpdir(), "txbox-pve-"));
  tb = await startTestbed({
    stateDir: dir,
    port: 0,
    random: () => {
      const v = seeded();
      draws.push(v);
      return v;
    },
    log: (line) => answered.push(line),
    config: {
      realiser: "memory",
      api: { port: 0, authFailDelayMs: 0, lockTimeoutMs: 1000 },
      users: [{ userid: "root@pam", password: "pw-root", tokens: [{ id: "txbox" }] }],
    },
  });
  const state = join(dir, "testbed.json");
  writeFileSync(
    state,
    JSON.stringify({
      url: tb.url,
      fingerprint: tb.fingerprint,
      tokenId: tb.tokenId,
      secret: tb.secret,
      node: tb.node,
    }),
  );
  client = await ProxmoxClient.connect({
    ...connectionFromTestbedState(state),
    taskTimeoutMs: 30_000,
  });
});
afterAll(async () => {
  await client?.close();
  await tb?.stop();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  tb.faults.clear();
});

test("nodes, nextId, resources and guest resolution", async () => {
  expect((await client.nodes()).map((n) => n.node)).toContain(tb.node);
  expect(await client.nextId()).toBeGreaterThanOrEqual(100);
  const vms = await client.resources("vm");
  expect(vms.map((r) => r.vmid)).toEqual(expect.arrayContaining([101, 102, 201]));
  const vm = await client.guest(101);
  expect({ vmid: vm.vmid, node: vm.node, type: vm.type }).toEqual({
    vmid: 101,
    node: tb.node,
    type: "qemu",
  });
  const ct = await client.guest(201);
  expect(ct.type).toBe("lxc");
  await expect(client.guest(4242)).rejects.toBeInstanceOf(NotFound);
});

test("a wrong secret is AuthFailed; a wrong pin is refused", async () => {
  const base = connectionFromTestbedState(join(dir, "testbed.json"));
  const bad = {
    ...base,
    credentials: {
      kind: "token" as const,
      tokenId: tb.tokenId,
      secret: "00000000-0000-0000-0000-000000000000",
    },
  };
  await expect(ProxmoxClient.connect(bad)).rejects.toBeInstanceOf(AuthFailed);
  const pin = { ...base, fingerprint: "00:".repeat(31) + "00" };
  const err = await ProxmoxClient.connect(pin).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(TlsFingerprintMismatch);
  expect(err).toMatchObject({ code: "E_TLS_FINGERPRINT", retryable: false });
});

test.each([101, 201])("snapshot lifecycle on guest %i", async (vmid) => {
  const g = await client.guest(vmid);
  const name = `txbox-t${vmid}`;
  await g.deleteSnapshot(name); // idempotent clean start
  const created = await g.createSnapshot(name, {
    description: `txbox:t${vmid} test`,
    marker: `txbox:t${vmid}`,
  });
  expect(created.upid).toMatch(/^UPID:/);
  expect(created.exitstatus).toBe("OK");
  // Creating it again is recognised as ours.
  expect(
    await g.createSnapshot(name, { description: `txbox:t${vmid} test`, marker: `txbox:t${vmid}` }),
  ).toMatchObject({ upid: null });
  const list = await g.snapshots();
  expect(list.snapshots.map((s) => s.name)).toContain(name);
  expect(list.current.parent).toBe(name);
  expect(list.snapshots.find((s) => s.name === "current")).toBeUndefined();
  const rb = await g.rollback(name, { start: true });
  expect(rb.exitstatus).toBe("OK");
  expect((await g.status()).status).toBe("running");
  await g.deleteSnapshot(name);
  expect((await g.snapshots()).snapshots.map((s) => s.name)).not.toContain(name);
  expect(await g.deleteSnapshot(name)).toMatchObject({ upid: null });
});

test("the snapshot tree follows parent links", async () => {
  const g = await client.guest(102);
  await g.createSnapshot("tree-a", { description: "txbox:tree" });
  await g.createSnapshot("tree-b", { description: "txbox:tree" });
  await g.rollback("tree-a");
  await g.createSnapshot("tree-c", { description: "txbox:tree" });
  const { roots } = await g.snapshots();
  const a = roots.find((r) => r.name === "tree-a");
  expect(a?.children.map((c) => c.name).sort()).toEqual(["tree-b", "tree-c"]);
  for (const s of ["tree-c", "tree-b", "tree-a"]) await g.deleteSnapshot(s);
});

test("stop, start, shutdown, config are idempotent effects", async () => {
  const g = await client.guest(102);
  await g.start();
  expect((await g.stop()).upid).toMatch(/^UPID:/);
  expect((await g.stop()).upid).toBeNull();
  expect((await g.status()).status).toBe("stopped");
  expect((await g.start()).exitstatus).toBe("OK");
  expect((await g.start()).upid).toBeNull();
  expect((await g.shutdown({ timeout: 10 })).exitstatus).toBe("OK");
  await g.updateConfig({ description: "txbox integration" });
  expect((await g.config()).description).toBe("txbox integration");
  await g.start();
});

test("a lock held by someone else is waited out; a stale lock is cleared by unlock()", async () => {
  // PVE lets only root@pam itself use skiplock: a password login, not a token.
  const root = await ProxmoxClient.connect({
    url: tb.url,
    fingerprint: tb.fingerprint,
    node: tb.node,
    credentials: { kind: "ticket", username: "root@pam", password: "pw-root" },
  });
  const g = await client.guest(101);
  tb.faults.set({ guestLocks: [{ vmid: 101, lock: "backup", ms: 1500 }] });
  expect((await g.status()).lock).toBe("backup");
  const r = await g.createSnapshot("txbox-locked", { description: "txbox:locked" });
  expect(r.exitstatus).toBe("OK");
  await g.deleteSnapshot("txbox-locked");
  tb.faults.set({ guestLocks: [{ vmid: 101, lock: "snapshot-delete", ms: 600_000 }] });
  // An API token cannot: the error says what to run on the node.
  await expect(g.unlock()).rejects.toMatchObject({
    code: "E_LOCKED",
    hint: `on node ${tb.node}, as root: qm unlock 101`,
  });
  const asRoot = await root.guest(101);
  expect(await asRoot.unlock()).toEqual({ cleared: "snapshot-delete" });
  expect((await g.status()).lock).toBeUndefined();
  expect(await g.unlock()).toEqual({ cleared: undefined });
  await root.close();
});

test("a locked container cannot be unlocked over the API, not even by root@pam", async () => {
  const ct = await client.guest(201);
  tb.faults.set({ guestLocks: [{ vmid: 201, lock: "backup", ms: 1500 }] });
  await expect(ct.unlock()).rejects.toMatchObject({
    code: "E_LOCKED",
    hint: `on node ${tb.node}, as root: pct unlock 201`,
  });
  // The held lock ends by itself; later tests need the container unlocked.
  const deadline = Date.now() + 10_000;
  while ((await ct.status()).lock !== undefined && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  expect((await ct.status()).lock).toBeUndefined();
});

test("config-file lock contention is retried", async () => {
  const g = await client.guest(102);
  tb.faults.set({ configLockHolds: [{ vmid: 102, ms: 2500 }] });
  await g.updateConfig({ description: "after contention" });
  expect((await g.config()).description).toBe("after contention");
});

test("reads survive injected 503s and dropped connections", async () => {
  tb.faults.set({
    errors: [{ fraction: 0.3, status: 503, path: "^/cluster/resources" }],
    drops: [{ fraction: 0.2, path: "^/cluster/resources" }],
  });
  const before = answered.length;
  for (let i = 0; i < 8; i++) expect((await client.resources("vm")).length).toBeGreaterThan(0);
  // Faults really were injected (503s answered), and every read still succeeded.
  expect(answered.slice(before).filter((l) => l.status === 503).length).toBeGreaterThan(0);
});

test("a snapshot POST whose connection dropped is checked, then sent again, never doubled", async () => {
  const g = await client.guest(201);
  tb.faults.set({ drops: [{ fraction: 0.5, path: "^/nodes/[^/]+/lxc/201/snapshot$" }] });
  const from = draws.length;
  for (const i of [1, 2, 3, 4]) {
    const r = await g.createSnapshot(`txbox-drop${i}`, { description: `txbox:drop${i}` });
    expect(r.exitstatus).toBe("OK");
  }
  tb.faults.clear();
  // Each POST to that path drew one number; below 0.5 it was dropped.
  expect(draws.slice(from).some((v) => v < 0.5)).toBe(true);
  const names = (await g.snapshots()).snapshots
    .map((x) => x.name)
    .filter((n) => n.startsWith("txbox-drop"));
  expect(names.sort()).toEqual(["txbox-drop1", "txbox-drop2", "txbox-drop3", "txbox-drop4"]);
  for (const i of [4, 3, 2, 1]) await g.deleteSnapshot(`txbox-drop${i}`);
});

test("a failed task carries its log; a bad parameter carries PVE's errors map", async () => {
  const g = await client.guest(101);
  tb.faults.set({
    taskFailures: [{ type: "qmsnapshot", error: "snapshot feature is not available", count: 1 }],
  });
  const err = await g
    .createSnapshot("txbox-fail", { description: "txbox:f" })
    .catch((e: unknown) => e);
  expect((err as { code?: string }).code).toBe("E_TASK_FAILED");
  expect((err as { log: string[] }).log.join("\n")).toContain("snapshot feature is not available");
  const before = answered.length;
  const bad = await g.createSnapshot("x", { description: "txbox:x" }).catch((e: unknown) => e);
  for (const l of answered.slice(before)) deliberate.add(l);
  expect(bad).toBeInstanceOf(ApiError);
  expect(Object.keys((bad as ApiError).errors ?? {})).toContain("snapname");
});

test("a task wait that runs out of budget is Timeout, and the task still finishes", async () => {
  const g = await client.guest(102);
  tb.faults.set({ taskDelayMs: 1500 });
  const err = await g
    .createSnapshot("txbox-slow", { description: "txbox:slow", timeoutMs: 300 })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(Timeout);
  tb.faults.clear();
  // The task kept running: waiting on its UPID again (never re-sending) sees it through.
  const upid = (err as Timeout).upid!;
  expect(upid).toMatch(/^UPID:.*:qmsnapshot:102:/);
  expect((await client.waitTask(g.node, upid)).exitstatus).toBe("OK");
  expect((await g.createSnapshot("txbox-slow", { description: "txbox:slow" })).upid).toBeNull();
  await g.deleteSnapshot("txbox-slow");
});

test("clone and destroy", async () => {
  const tpl = await client.guest(9000);
  const newid = await client.nextId();
  const r = await tpl.clone(newid, { name: "clone1" });
  expect(r.exitstatus).toBe("OK");
  const c = await client.guest(newid);
  expect(c.type).toBe("lxc");
  await c.destroy();
  await expect(client.guest(newid)).rejects.toBeInstanceOf(NotFound);
  expect((await c.destroy()).upid).toBeNull();
});

test("Locked is typed for a lock that outlives the effect budget", async () => {
  // A read of a locked guest's snapshot delete under RETRY.none semantics: status shows the lock.
  const g = await client.guest(201);
  tb.faults.set({ guestLocks: [{ vmid: 201, lock: "backup", ms: 3000 }] });
  const err = await client
    .request("POST", `/nodes/${g.node}/lxc/201/status/stop`)
    .then((upid) => client.waitTask(g.node, String(upid)))
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(Locked);
  expect((err as Locked).lock).toBe("backup");
  // Let the injected lock expire, so that nothing writes testbed state after the test ends.
  const end = Date.now() + 10_000;
  while ((await g.status()).lock !== undefined && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 200));
  }
  expect((await g.status()).lock).toBeUndefined();
});

test("every call made above is in the privilege table", () => {
  expect(unlistedCalls(answered)).toEqual([]);
});

test("every call made above matches the API schema: path, method, parameter names and values", () => {
  const { violations, calls } = schemaCheck(answered.filter((l) => !deliberate.has(l)));
  expect(violations).toEqual([]);
  expect(calls.size).toBeGreaterThan(10);
});

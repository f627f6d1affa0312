/**
 * A rollback of an HA-managed guest (HaGuard): the resource is held at `ignored` while the
 * rollback runs and restored after, so the testbed's HA manager never fights the rollback; a hold
 * left by a crash is finished by the next rollback; a token without Sys.Console is refused
 * before any snapshot (E_HA_MANAGED).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestbed, type TestbedHandle } from "@txbox/testbed";
import { ProxmoxClient } from "../src/client.js";
import { HaGuard, HaManaged } from "../src/ha.js";

let tb: TestbedHandle;
let dir: string;
let client: ProxmoxClient;
const OPS_SECRET = "0b7e3c1e-4a7e-4c52-9a51-3f0b2a6f5d10";

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "txbox-pve-ha-"));
  tb = await startTestbed({
    stateDir: dir,
    port: 0,
    config: {
      realiser: "memory",
      api: { port: 0, authFailDelayMs: 0, lockTimeoutMs: 300, haIntervalMs: 100 },
      users: [
        { userid: "root@pam", password: "pw-root", tokens: [{ id: "txbox" }] },
        { userid: "ops@pve", tokens: [{ id: "tx", secret: OPS_SECRET, privsep: false }] },
      ],
      acl: [
        { path: "/", ugid: "ops@pve", roles: ["PVEAuditor"] },
        { path: "/vms", ugid: "ops@pve", roles: ["PVEVMAdmin"] },
      ],
    },
  });
  client = await ProxmoxClient.connect({
    url: tb.url,
    fingerprint: tb.fingerprint,
    node: "pve1",
    credentials: { kind: "token", tokenId: tb.tokenId, secret: tb.secret },
  });
}, 60_000);

afterEach(async () => {
  await client?.close();
  await tb?.stop();
  rmSync(dir, { recursive: true, force: true });
});

type Res = { sid: string; state: string; comment?: string };
const resource = async (): Promise<Res> => client.get<Res>("/cluster/ha/resources/vm%3A101");
/** Start tasks the HA manager (root@pam) ran on guest 101 that failed. */
const failedStarts = async (): Promise<string[]> =>
  (
    await client.get<{ type: string; id: string; user: string; status?: string }[]>(
      "/nodes/pve1/tasks",
      { source: "all", limit: 500 },
    )
  )
    .filter((t) => t.type === "qmstart" && t.id === "101" && t.user === "root@pam")
    .filter((t) => t.status !== undefined && t.status !== "OK")
    .map((t) => String(t.status));

test("without the guard, the HA manager fights a rollback: its start attempts fail on the rollback's lock", async () => {
  const g = await client.guest(101);
  await client.request("POST", "/cluster/ha/resources", { sid: "vm:101", state: "started" });
  await g.createSnapshot("before", { description: "t" });
  tb.faults.set({ realiseLatencyMs: 400 });
  // PVE's rollback stops the VM under the `rollback` lock; the LRM sees it stopped and starts it
  const outcome = await g.rollback("before", { start: true }).then(
    () => "rolled back",
    (e: unknown) => (e as Error).message,
  );
  const failed = await failedStarts();
  expect(failed.length > 0 || outcome !== "rolled back").toBe(true);
});

test("with the guard, HA is held at ignored during the rollback and restored after; HA starts nothing meanwhile", async () => {
  const g = await client.guest(101);
  await client.request("POST", "/cluster/ha/resources", {
    sid: "vm:101",
    state: "started",
    comment: "prod db",
  });
  await g.createSnapshot("before", { description: "t" });
  tb.faults.set({ realiseLatencyMs: 400 });
  const seen: Res[] = [];
  await new HaGuard(client).around(101, "txbox-abc", async () => {
    seen.push(await resource());
    await g.rollback("before", { start: true });
  });
  expect(seen[0]).toMatchObject({ state: "ignored" });
  expect(seen[0]!.comment).toMatch(/^txbox-ha-hold state=started by=txbox-abc comment=/);
  expect(await failedStarts()).toEqual([]);
  expect(await resource()).toMatchObject({ state: "started", comment: "prod db" });
  expect((await g.status()).status).toBe("running");
});

test("a hold left by a crash (state ignored, txbox's comment) is finished by the next rollback", async () => {
  const g = await client.guest(101);
  await g.createSnapshot("before", { description: "t" });
  const comment = `txbox-ha-hold state=started by=txbox-old comment=${Buffer.from("").toString("base64url")}`;
  await client.request("POST", "/cluster/ha/resources", {
    sid: "vm:101",
    state: "ignored",
    comment,
  });
  await new HaGuard(client).around(101, "txbox-new", () => g.rollback("before", { start: true }));
  const r = await resource();
  expect(r.state).toBe("started");
  expect(r).not.toHaveProperty("comment");
});

test("a token without Sys.Console on / is refused before the transaction: E_HA_MANAGED with the reason", async () => {
  await client.request("POST", "/cluster/ha/resources", { sid: "vm:101", state: "started" });
  const ops = await ProxmoxClient.connect({
    url: tb.url,
    fingerprint: tb.fingerprint,
    node: "pve1",
    credentials: { kind: "token", tokenId: "ops@pve!tx", secret: OPS_SECRET },
  });
  try {
    const err = await new HaGuard(ops).check(101).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HaManaged);
    expect(err).toMatchObject({ code: "E_HA_MANAGED" });
    expect((err as Error).message).toMatch(/lacks Sys.Console on \//);
    // a guest HA does not keep running needs nothing
    await client.request("PUT", "/cluster/ha/resources/vm%3A101", { state: "stopped" });
    await expect(new HaGuard(ops).check(101)).resolves.toBeUndefined();
  } finally {
    await ops.close();
  }
});

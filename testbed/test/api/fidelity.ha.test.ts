/**
 * HA resources (pve-ha-manager `API2/HA/Resources.pm`, `Config.pm`) and the HA manager's effect
 * (`Manager.pm`, `LRM.pm`): a guest whose requested state is `started` is started again after it
 * stopped; `ignored` leaves it alone; `status/current` reports `ha.managed`.
 */
import { afterEach, expect, test } from "@jest/globals";
import { startBed, run, testConfig, type Bed } from "./helpers.js";

let beds: Bed[] = [];
afterEach(async () => {
  for (const b of beds) await b.close().catch(() => undefined);
  beds = [];
});

async function bed(): Promise<Bed> {
  const api = testConfig().api as Record<string, unknown>;
  const b = await startBed({ config: { api: { ...api, haIntervalMs: 100 } } });
  beds.push(b);
  return b;
}

const until = async (what: () => Promise<boolean>, ms = 5000): Promise<boolean> => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await what()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
};

test("create, read, update, delete; a bare vmid becomes vm:/ct:, `enabled` is stored as started", async () => {
  const b = await bed();
  const ha = b.api.cluster.ha.resources;
  await ha.$post({ sid: "101", state: "enabled", comment: "db" });
  await ha.$post({ sid: "201", state: "ignored" });
  expect((await ha.$get()).map((r) => [r.sid, r.state, r.comment])).toEqual([
    ["vm:101", "started", "db"],
    ["ct:201", "ignored", undefined],
  ]);
  const dup = await b.raw("POST", "/api2/json/cluster/ha/resources", { body: "sid=vm:101" });
  expect(`${dup.status} ${dup.statusText}`).toBe("500 resource ID 'vm:101' already defined");
  await ha.$("vm:101").$put({ state: "ignored", delete: "comment" });
  expect(await ha.$("vm:101").$get()).toMatchObject({ sid: "vm:101", state: "ignored" });
  expect(await ha.$("vm:101").$get()).not.toHaveProperty("comment");
  expect((await b.api.nodes.$("pve1").qemu.$(101).status.current.$get()).ha).toEqual({
    managed: 1,
    state: "ignored",
  });
  await ha.$("ct:201").$delete();
  expect((await ha.$get()).map((r) => r.sid)).toEqual(["vm:101"]);
});

test("the HA manager starts a stopped guest whose requested state is started, and leaves an ignored one stopped", async () => {
  const b = await bed();
  const vm = b.api.nodes.$("pve1").qemu.$(101);
  const ct = b.api.nodes.$("pve1").lxc.$(201);
  await b.api.cluster.ha.resources.$post({ sid: "vm:101", state: "started" });
  await b.api.cluster.ha.resources.$post({ sid: "ct:201", state: "ignored" });
  expect(await run(b, vm.status.stop.$post())).toBe("OK");
  expect(await run(b, ct.status.stop.$post())).toBe("OK");
  expect(await until(async () => (await vm.status.current.$get()).status === "running")).toBe(true);
  // several rounds later the ignored one is still stopped
  await new Promise((r) => setTimeout(r, 500));
  expect((await ct.status.current.$get()).status).toBe("stopped");
});

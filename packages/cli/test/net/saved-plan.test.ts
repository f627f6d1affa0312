/**
 * Saved plans: `net plan --out FILE` then `net apply FILE` does exactly the reviewed plan, or
 * refuses (E_NET_PLAN_STALE) when the cluster or the spec changed since; `--detailed-exitcode`
 * exits 0 (no changes), 2 (changes), 1 (error). Against the testbed's API (memory realiser).
 */
import { appendFileSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../support-io.js";
import { labSpec, startNetLab, type NetLab } from "./harness.js";

let lab: NetLab;
const LAB = { name: "lab7", zone: "lab7z", vnet: "agents7", tag: 10700, net: 17, vmid: 2701 };

beforeAll(async () => {
  lab = await startNetLab();
}, 60_000);
afterAll(async () => {
  await lab?.stop();
});

// in process (no Node start per command): the suite's time matters
const run = (args: string[]) => runCli(args, { cwd: lab.stateDir });

test("a saved plan applies as reviewed; a changed cluster or spec makes it stale", async () => {
  const spec = join(lab.stateDir, "lab7.yaml");
  writeFileSync(spec, labSpec(LAB));

  const planned = await run([
    "net",
    "plan",
    "lab7.yaml",
    "--out",
    "p1.json",
    "--detailed-exitcode",
  ]);
  expect(planned.code).toBe(2);
  expect(planned.stderr).toContain("txbox net apply p1.json");
  const p1 = join(lab.stateDir, "p1.json");
  expect(statSync(p1).mode & 0o777).toBe(0o600);
  expect(JSON.parse(readFileSync(p1, "utf8"))).toMatchObject({
    format: "txbox-net-plan/1",
    name: "lab7",
    target: lab.tb.url,
    specFile: spec,
  });

  // Someone switches the datacenter firewall on: the saved plan's first step no longer applies
  await lab.client.firewall.setOptions({ kind: "cluster" }, { enable: 1 });
  const stale = await run(["net", "apply", "p1.json", "--enable-firewall", "--json"]);
  expect(stale.code).toBe(1);
  const err = JSON.parse(stale.stdout) as { code: string; message: string; details: unknown };
  expect(err.code).toBe("E_NET_PLAN_STALE");
  expect(err.message).toContain("the cluster changed since it was made");
  expect(err.details).toMatchObject({
    noLongerPlanned: ["change datacenter"],
    nowPlanned: [],
  });
  expect(await lab.client.sdn.zones()).toEqual([]);

  // Planned again, applied as saved, without a confirmation (it was reviewed when saved)
  expect((await run(["net", "plan", "lab7.yaml", "--out", "p2.json"])).code).toBe(0);
  const applied = await run(["net", "apply", "p2.json", "--enable-firewall"]);
  expect(applied.code).toBe(0);
  expect(applied.stdout).toMatch(/^Apply complete: \d+ steps/m);
  expect((await lab.client.sdn.zones()).map((z) => z.zone)).toEqual([LAB.zone]);

  // No changes: exit 0
  expect((await run(["net", "plan", "lab7.yaml", "--detailed-exitcode"])).code).toBe(0);

  // An edited spec makes a plan stale even when the cluster did not change
  expect((await run(["net", "plan", "lab7.yaml", "--out", "p3.json"])).code).toBe(0);
  appendFileSync(spec, "# edited\n");
  const edited = await run(["net", "apply", "p3.json"]);
  expect(edited.code).toBe(1);
  expect(edited.stderr).toMatch(/E_NET_PLAN_STALE.*the spec changed since/);
}, 300_000);

test("--detailed-exitcode: an error exits 1, never 2", async () => {
  const r = await run(["net", "plan", "missing.yaml", "--detailed-exitcode"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("txbox: error [");
});

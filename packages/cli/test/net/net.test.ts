/**
 * `txbox net plan|apply|destroy` as a child process against the testbed's PVE API (memory
 * realiser: this checks the API conversation of the ProxmoxNetPort adapter, not the devices).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cli, KEY, labSpec, lastJson, startNetLab, type NetLab } from "./harness.js";

interface PlanJson {
  name: string;
  actions: { op: string; kind: string; id: string }[];
  conflicts: string[];
  prerequisites: { call: string }[];
  changes: number;
}

let lab: NetLab;
const LAB1 = { name: "lab1", zone: "labz", vnet: "agents", tag: 10100, net: 10, vmid: 2101 };
const LAB2 = { name: "lab2", zone: "labyz", vnet: "agentsy", tag: 10200, net: 12, vmid: 2201 };
const LAB5 = { name: "lab5", zone: "labvz", vnet: "agentsv", tag: 10500, net: 15, vmid: 2501 };
const LAB4 = { name: "lab4", zone: "labwz", vnet: "agentsw", tag: 10400, net: 14, vmid: 2401 };

function spec(dir: string, file: string, text: string): string {
  writeFileSync(join(dir, file), text);
  return file;
}

async function planJson(args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<PlanJson> {
  const r = await cli(["net", "plan", ...args, "--json"], { cwd, ...(env ? { env } : {}) });
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
  return lastJson<PlanJson>(r);
}

beforeAll(async () => {
  lab = await startNetLab();
}, 60_000);

afterAll(async () => {
  await lab?.stop();
});

test("plan lists the spec's objects; apply creates them; then plan is empty and apply says so", async () => {
  const file = spec(lab.stateDir, "lab1.yaml", labSpec(LAB1));
  const before = await planJson(["-f", file], lab.stateDir);
  expect(before.changes).toBe(12);
  expect(before.actions.map((a) => `${a.op} ${a.kind} ${a.id}`)).toEqual([
    // PVE's defaults: no firewall anywhere, so nothing the spec asks for would be enforced.
    "change firewall-switch datacenter",
    "change firewall-switch node pve1",
    "change firewall-switch node pve2",
    "create zone labz",
    "create vnet agents",
    "create subnet agents/labz-10.10.0.0-24",
    "apply sdn cluster",
    "create vnet-firewall agents",
    "create guest lab1a (2101@pve1)",
    "create guest lab1b (2102@pve2)",
    "start guest lab1a (2101@pve1)",
    "start guest lab1b (2102@pve2)",
  ]);
  expect(before.prerequisites.map((x) => x.call)).toEqual([
    "PUT /cluster/firewall/options enable=1",
    "PUT /nodes/pve1/firewall/options nftables=1",
    "PUT /nodes/pve2/firewall/options nftables=1",
  ]);

  const refused = await cli(["net", "apply", "-f", file, "--yes"], { cwd: lab.stateDir });
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain("E_NET_FIREWALL_OFF");
  expect(refused.stderr).toContain("PUT /nodes/pve2/firewall/options nftables=1");
  expect(refused.stderr).toContain("--enable-firewall");
  expect(await lab.client.sdn.zones()).toEqual([]);

  const applied = await cli(["net", "apply", "-f", file, "--yes", "--enable-firewall"], {
    cwd: lab.stateDir,
  });
  expect(applied.code).toBe(0);
  expect(applied.stdout).toMatch(
    /^Apply complete: 12 steps in [\d.]+s; 6 created, 3 changed, 0 deleted\.$/m,
  );
  // One progress line per step, in order, each with its elapsed time.
  const progress = applied.stderr.split("\n").filter((l) => /^\[\d+\/12\]/.test(l));
  expect(progress).toHaveLength(12);
  expect(progress[0]).toMatch(
    /^\[1\/12\] change firewall-switch datacenter: done \([\d.]+s, total [\d.]+s\)$/,
  );
  expect(await lab.client.firewall.options({ kind: "cluster" })).toMatchObject({ enable: 1 });
  expect(await lab.client.firewall.options({ kind: "node", node: "pve2" })).toMatchObject({
    nftables: 1,
  });

  // The cluster, read independently of the CLI.
  const vnets = await lab.client.sdn.vnets();
  expect(vnets.map((v) => [v.vnet, v.zone, v.tag, v.alias])).toEqual([
    ["agents", "labz", 10100, "txbox:lab1"],
  ]);
  const ct = await lab.client.guest(2101);
  const vm = await lab.client.guest(2102);
  expect([ct.node, ct.type, (await ct.status()).status]).toEqual(["pve1", "lxc", "running"]);
  expect([vm.node, vm.type, (await vm.status()).status]).toEqual(["pve2", "qemu", "running"]);
  expect((await ct.config()).net0).toBe(
    "name=eth0,bridge=agents,ip=10.10.0.11/24,gw=10.10.0.1,firewall=1",
  );
  const vmConfig = await vm.config();
  expect(vmConfig).toMatchObject({ ipconfig0: "ip=10.10.0.12/24,gw=10.10.0.1", ciuser: "agent" });
  expect(decodeURIComponent(String(vmConfig.sshkeys))).toBe(KEY);
  const fw = await lab.client.firewall.rules({ kind: "vnet", vnet: "agents" });
  expect(fw.map((r) => r.comment)).toEqual(["txbox:lab1:intra", "txbox:lab1:egress package proxy"]);
  // The LXC keys wait for operator SSH access, which this memory testbed has not got.
  expect(applied.stderr).toMatch(/guest 2101: SSH keys for root not installed/);
  expect(JSON.parse(readFileSync(join(lab.stateDir, ".txbox/net/keys/2101.json"), "utf8"))).toEqual(
    {
      user: "root",
      keys: [KEY],
    },
  );

  expect((await planJson([file], lab.stateDir)).changes).toBe(0);
  const again = await cli(["net", "apply", file], { cwd: lab.stateDir });
  expect({ code: again.code, stdout: again.stdout }).toEqual({
    code: 0,
    stdout: "No changes. The cluster matches the spec.\n",
  });
}, 120_000);

test("changing one subnet in the spec plans exactly that change", async () => {
  const file = spec(lab.stateDir, "lab1-nosnat.yaml", labSpec({ ...LAB1, snat: false }));
  const p = await planJson(["-f", file], lab.stateDir);
  expect(p.actions.map((a) => `${a.op} ${a.kind} ${a.id}`)).toEqual([
    "change subnet agents/labz-10.10.0.0-24",
    "apply sdn cluster",
  ]);
  const human = await cli(["net", "plan", file], { cwd: lab.stateDir });
  expect(human.stdout).toContain(
    "~ change subnet agents/labz-10.10.0.0-24\n      snat : 1 -> (none)\n",
  );
  expect(human.stdout).toContain("Plan: 0 to create, 1 to change, 0 to delete.");
  const applied = await cli(["net", "apply", file, "--yes", "--json"], { cwd: lab.stateDir });
  expect(lastJson(applied)).toMatchObject({ ok: true, name: "lab1", applied: 2, changes: 2 });
  expect((await planJson([file], lab.stateDir)).changes).toBe(0);
  const [subnet] = await lab.client.sdn.subnets("agents");
  expect(subnet).toMatchObject({ subnet: "labz-10.10.0.0-24", gateway: "10.10.0.1" });
  expect(subnet?.snat ?? 0).toBe(0);
  // And back, so the later tests start from the original spec.
  expect((await cli(["net", "apply", "lab1.yaml", "--yes"], { cwd: lab.stateDir })).code).toBe(0);
}, 120_000);

test("a txbox.yaml proxmox section is a target too; its ledger lives beside txbox.yaml", async () => {
  const LAB3 = { name: "lab3", zone: "labxz", vnet: "agentsx", tag: 10300, net: 13, vmid: 2301 };
  const file = spec(lab.configDir, "lab3.yaml", labSpec(LAB3));
  const opts = { cwd: lab.configDir, env: lab.configEnv };
  const applied = await cli(["net", "apply", file, "--yes", "--json"], opts);
  expect(lastJson(applied)).toMatchObject({ ok: true, name: "lab3", applied: 9 });
  expect((await planJson([file], lab.configDir, lab.configEnv)).changes).toBe(0);
  expect(
    JSON.parse(readFileSync(join(lab.configDir, ".txbox/net/lab3.ledger.json"), "utf8")),
  ).toEqual({
    controllers: [],
    zones: ["labxz"],
  });
  const destroyed = await cli(["net", "destroy", file, "--yes", "--json"], opts);
  expect(lastJson(destroyed)).toMatchObject({
    ok: true,
    summary: { create: 0, change: 0, delete: 5 },
  });
  expect((await lab.client.sdn.zones()).map((z) => z.zone)).toEqual(["labz"]);
}, 120_000);

test("apply after a SIGKILL mid-apply converges", async () => {
  const file = spec(lab.stateDir, "lab2.yaml", labSpec(LAB2));
  // Slow tasks keep the apply inside its task steps when the kill lands.
  lab.tb.faults.set({ taskDelayMs: 300 });
  let killedAfter: string | undefined;
  const killed = await cli(["net", "apply", "-f", file, "--yes"], {
    cwd: lab.stateDir,
    onStderrLine: (line, kill) => {
      if (killedAfter === undefined && /^\[1\/\d+\] .*: done/.test(line)) {
        killedAfter = line;
        kill("SIGKILL");
      }
    },
  });
  lab.tb.faults.clear();
  expect(killed.signal).toBe("SIGKILL");
  expect(killedAfter).toMatch(/^\[1\/9\] create zone labyz: done/);
  const partial = await planJson([file], lab.stateDir);
  expect(partial.conflicts).toEqual([]);
  expect(partial.changes).toBeGreaterThan(0);
  expect(partial.changes).toBeLessThan(9);

  const resumed = await cli(["net", "apply", "-f", file, "--yes"], { cwd: lab.stateDir });
  expect(resumed.code).toBe(0);
  expect((await planJson([file], lab.stateDir)).changes).toBe(0);
  const zones = await lab.client.sdn.zones();
  expect(zones.map((z) => z.zone).sort()).toEqual(["labyz", "labz"]);
  expect((await lab.client.guest(2202)).node).toBe("pve2");
}, 120_000);

test("Ctrl-C stops the apply after the current step (E_NET_ABORTED); apply again resumes", async () => {
  const file = spec(lab.stateDir, "lab5.yaml", labSpec(LAB5));
  lab.tb.faults.set({ taskDelayMs: 300 });
  let interrupted = false;
  const stopped = await cli(["net", "apply", file, "--yes", "--json"], {
    cwd: lab.stateDir,
    onStderrLine: (line, kill) => {
      if (!interrupted && /^\[1\/\d+\] .*: done/.test(line)) {
        interrupted = true;
        kill("SIGINT");
      }
    },
  });
  lab.tb.faults.clear();
  expect(stopped.code).toBe(1);
  expect(stopped.stderr).toContain("interrupted: stopping after the current step");
  expect(lastJson(stopped)).toMatchObject({ code: "E_NET_ABORTED" });
  expect((await planJson([file], lab.stateDir)).changes).toBeGreaterThan(0);
  expect((await cli(["net", "apply", file, "--yes"], { cwd: lab.stateDir })).code).toBe(0);
  expect((await planJson([file], lab.stateDir)).changes).toBe(0);
}, 120_000);

test("running out of --timeout stops the apply with E_TIMEOUT; apply again resumes", async () => {
  const file = spec(lab.stateDir, "lab4.yaml", labSpec(LAB4));
  // Tasks that take longer than the whole budget: the wait for PUT /cluster/sdn runs out.
  lab.tb.faults.set({ taskDelayMs: 3000 });
  const late = await cli(["net", "apply", file, "--yes", "--json", "--timeout", "1s"], {
    cwd: lab.stateDir,
  });
  lab.tb.faults.clear();
  expect(late.code).toBe(1);
  expect(lastJson(late)).toMatchObject({ code: "E_TIMEOUT" });
  expect((await planJson([file], lab.stateDir)).changes).toBeGreaterThan(0);
  expect((await cli(["net", "apply", file, "--yes"], { cwd: lab.stateDir })).code).toBe(0);
  expect((await planJson([file], lab.stateDir)).changes).toBe(0);
}, 120_000);

test("an invalid spec names file, line and field and exits 1", async () => {
  const file = spec(
    lab.stateDir,
    "bad.yaml",
    labSpec(LAB1).replace("gateway: 10.10.0.1", "gateway: 10.9.0.1"),
  );
  const r = await cli(["net", "plan", "-f", file], { cwd: lab.stateDir });
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(
    "bad.yaml:15:18: vnets[0].subnets[0].gateway: 10.9.0.1 is not in subnet 10.10.0.0/24",
  );
  const j = await cli(["net", "apply", "-f", file, "--yes", "--json"], { cwd: lab.stateDir });
  expect(j.code).toBe(1);
  expect(lastJson(j)).toMatchObject({ code: "E_NET_SPEC" });
  const usage = await cli(["net", "apply", "lab1.yaml", "--timeout", "soon"], {
    cwd: lab.stateDir,
  });
  expect(usage.code).toBe(2);
});

test("apply and destroy refuse to change the cluster without --yes when nobody can be asked", async () => {
  const file = spec(lab.stateDir, "lab1-mtu.yaml", labSpec(LAB1).replace("mtu: 1450", "mtu: 1400"));
  const r = await cli(["net", "apply", file], { cwd: lab.stateDir });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain("pass --yes");
  expect((await planJson([file], lab.stateDir)).changes).toBe(2);
});

test("destroy leaves nothing behind, and a second destroy has nothing to do", async () => {
  for (const s of [LAB1, LAB2, LAB4, LAB5]) {
    const r = await cli(["net", "destroy", "-f", `${s.name}.yaml`, "--yes"], { cwd: lab.stateDir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Destroy complete: /m);
  }
  expect(await lab.client.sdn.zones()).toEqual([]);
  expect(await lab.client.sdn.vnets()).toEqual([]);
  expect((await lab.client.sdn.pending()).zones).toEqual([]);
  expect((await lab.client.resources("vm")).map((r) => r.vmid).sort()).toEqual([9000, 9001]);
  expect(
    JSON.parse(readFileSync(join(lab.stateDir, ".txbox/net/lab2.ledger.json"), "utf8")),
  ).toEqual({
    controllers: [],
    zones: [],
  });
  const again = await cli(["net", "destroy", "lab1.yaml", "--yes"], { cwd: lab.stateDir });
  expect({ code: again.code, stdout: again.stdout }).toEqual({
    code: 0,
    stdout: "No changes. The cluster matches the spec.\n",
  });
}, 120_000);

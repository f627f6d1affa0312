/**
 * `txbox net apply` against a testbed on the host realiser (real namespaced guests with sshd):
 * the adapter waits for the guest's sshd by TCP connect on its management address and installs
 * the spec's SSH key into the LXC guest with the operator's access; the key then logs in.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SshExecutor } from "@txbox/exec";
import { startTestbed, type TestbedHandle } from "@txbox/testbed";
import { fetchTestbedGuests } from "@txbox/runtime";
import { describeAsRoot } from "../support/e2e.js";
import { cli } from "./harness.js";

describeAsRoot("txbox net on the host realiser", () => {
  let root: string;
  let dir: string;
  let tb: TestbedHandle;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "txbox-net-e2e-"));
    dir = join(root, "project");
    mkdirSync(join(dir, ".txbox"), { recursive: true });
    // One host testbed at a time (fixed management range): wait while another one runs.
    const deadline = Date.now() + 240_000;
    const start = async (): Promise<TestbedHandle> => {
      for (;;) {
        try {
          return await startTestbed({
            stateDir: join(root, "testbed"),
            port: 0,
            config: {
              api: { authFailDelayMs: 0 },
              lab: {
                templates: [
                  {
                    vmid: 9000,
                    type: "lxc",
                    name: "tpl-debian",
                    start: false,
                    memory: 512,
                    cores: 1,
                  },
                ],
                guests: [],
              },
            },
          });
        } catch (error) {
          if (!/another testbed/.test(String(error)) || Date.now() > deadline) throw error;
          await new Promise((r) => setTimeout(r, 5000));
        }
      }
    };
    tb = await start();
    writeFileSync(
      join(dir, ".txbox", "testbed.json"),
      JSON.stringify({
        url: tb.url,
        fingerprint: tb.fingerprint,
        tokenId: tb.tokenId,
        secret: tb.secret,
        node: tb.node,
        stateDir: tb.stateDir,
        operatorKey: join(tb.stateDir, "operator_ed25519"),
      }),
    );
    execFileSync("ssh-keygen", [
      "-q",
      "-t",
      "ed25519",
      "-N",
      "",
      "-C",
      "e2e",
      "-f",
      join(dir, "agent"),
    ]);
    writeFileSync(
      join(dir, "lab.yaml"),
      `version: 1
name: e2e
zones: [{ id: e2ez, type: vxlan, peers: [10.250.0.11] }]
vnets:
  - { id: e2enet, zone: e2ez, tag: 10400, subnets: [{ cidr: 10.14.0.0/24, gateway: 10.14.0.1 }] }
guests:
  - name: e2ea
    vmid: 2501
    type: lxc
    template: 9000
    node: ${tb.node}
    vnet: e2enet
    ip: 10.14.0.11/24
    ssh: { user: root, publicKeyFile: agent.pub }
`,
    );
  }, 300_000);

  afterAll(async () => {
    await tb?.stop({ teardown: true });
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  }, 120_000);

  test("apply waits for sshd and installs the spec's key; the key logs in; destroy removes the guest", async () => {
    const applied = await cli(
      ["net", "apply", "-f", "lab.yaml", "--yes", "--enable-firewall", "--timeout", "3m"],
      {
        cwd: dir,
      },
    );
    expect({
      code: applied.code,
      notes: applied.stderr.split("\n").filter((l) => l.startsWith("note:")),
    }).toEqual({
      code: 0,
      notes: [],
    });
    expect(existsSync(join(dir, ".txbox/net/keys/2501.json"))).toBe(false);

    const guest = (await fetchTestbedGuests({ ...tb })).find((g) => g.vmid === 2501);
    expect(guest?.status).toBe("running");
    const executor = new SshExecutor();
    try {
      let out = "";
      for (const hostKey of guest!.hostKeyFingerprints) {
        try {
          const r = await executor.run(
            { host: guest!.mgmtAddress!, user: "root", keyFile: join(dir, "agent"), hostKey },
            "grep -c e2e /root/.ssh/authorized_keys",
            { timeoutMs: 30_000 },
          );
          out = r.stdout.trim();
          break;
        } catch {
          // another of the guest's host keys
        }
      }
      expect(out).toBe("1");
    } finally {
      await executor.close();
    }

    const again = await cli(["net", "apply", "lab.yaml"], { cwd: dir });
    expect(again.stdout).toBe("No changes. The cluster matches the spec.\n");
    const destroyed = await cli(["net", "destroy", "lab.yaml", "--yes"], { cwd: dir });
    expect(destroyed.code).toBe(0);
    expect((await fetchTestbedGuests({ ...tb })).map((g) => g.vmid)).toEqual([9000]);
  }, 300_000);

  test("blue allows red, then no longer: probed from inside the guests each time; plan stays truthful", async () => {
    const isoSpec = (allowFrom: string) => `version: 1
name: iso
zones: [{ id: isoz, type: vxlan, peers: [10.250.0.11] }]
vnets:
  - { id: red, zone: isoz, tag: 10500, subnets: [{ cidr: 10.15.0.0/24, gateway: 10.15.0.1 }] }
  - { id: blue, zone: isoz, tag: 10600, subnets: [{ cidr: 10.16.0.0/24, gateway: 10.16.0.1 }], firewall: { allowFrom: ${allowFrom} } }
guests:
  - { name: red1, vmid: 2511, type: lxc, template: 9000, node: ${tb.node}, vnet: red, ip: 10.15.0.11/24, ssh: { publicKeyFile: agent.pub } }
  - { name: red2, vmid: 2512, type: lxc, template: 9000, node: ${tb.node}, vnet: red, ip: 10.15.0.12/24, ssh: { publicKeyFile: agent.pub } }
  - { name: blue1, vmid: 2521, type: lxc, template: 9000, node: ${tb.node}, vnet: blue, ip: 10.16.0.11/24, ssh: { publicKeyFile: agent.pub } }
`;
    type Outcome = {
      from: string;
      to: string;
      kind: string;
      port?: number;
      got: string;
      ok: boolean;
    };
    const seen = (report: { probes: Outcome[] }, from: string, to: string) =>
      report.probes
        .filter((p) => p.from === from && p.to === to)
        .map((p) => `${p.kind}${p.port ? `/${p.port}` : ""} ${p.got}`);
    writeFileSync(join(dir, "iso.yaml"), isoSpec("[red]"));
    const first = await cli(
      ["net", "apply", "iso.yaml", "--yes", "--verify", "--json", "--timeout", "5m"],
      { cwd: dir },
    );
    const one = JSON.parse(first.stdout) as {
      ok: boolean;
      verify: { ok: boolean; probes: Outcome[] };
    };
    expect({ code: first.code, ok: one.ok, bad: one.verify.probes.filter((p) => !p.ok) }).toEqual({
      code: 0,
      ok: true,
      bad: [],
    });
    expect(seen(one.verify, "red1", "blue1")).toEqual(["icmp reach", "tcp/22 reach"]);
    expect(seen(one.verify, "blue1", "red1")).toEqual(["icmp blocked", "tcp/22 blocked"]);
    expect(seen(one.verify, "red1", "red2")).toEqual(["icmp reach", "tcp/22 reach"]);
    expect(seen(one.verify, "red1", "management")).toEqual([
      "icmp blocked",
      "tcp/22 blocked",
      "tcp/8006 blocked",
    ]);

    // The same spec without the allowance: plan shows exactly the firewall change.
    writeFileSync(join(dir, "iso.yaml"), isoSpec("[]"));
    const planned = await cli(["net", "plan", "iso.yaml", "--json"], { cwd: dir });
    const p = JSON.parse(planned.stdout) as { actions: { op: string; kind: string; id: string }[] };
    expect(p.actions.map((a) => `${a.op} ${a.kind} ${a.id}`)).toEqual([
      "change vnet-firewall red",
      "change vnet-firewall blue",
    ]);
    const second = await cli(
      ["net", "apply", "iso.yaml", "--yes", "--verify", "--json", "--timeout", "5m"],
      { cwd: dir },
    );
    const two = JSON.parse(second.stdout) as {
      ok: boolean;
      verify: { ok: boolean; probes: Outcome[] };
    };
    expect({ code: second.code, bad: two.verify.probes.filter((x) => !x.ok) }).toEqual({
      code: 0,
      bad: [],
    });
    expect(seen(two.verify, "red1", "blue1")).toEqual(["icmp blocked", "tcp/22 blocked"]);
    expect(seen(two.verify, "red1", "red2")).toEqual(["icmp reach", "tcp/22 reach"]);
    const after = await cli(["net", "plan", "iso.yaml"], { cwd: dir });
    expect(after.stdout).toBe("No changes. The cluster matches the spec.\n");
    // The human matrix of `net verify`.
    const human = await cli(["net", "verify", "iso.yaml"], { cwd: dir });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^from \\ to\s+red2\s+blue1\s+management/m);
    expect(human.stdout).toMatch(/Verified "iso": \d+ probes, all as the spec says\./);
    expect((await cli(["net", "destroy", "iso.yaml", "--yes"], { cwd: dir })).code).toBe(0);
  }, 600_000);
});

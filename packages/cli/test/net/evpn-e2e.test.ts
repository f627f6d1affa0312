/**
 * The EVPN lab of infra/ on a three-node testbed started by the CLI (`txbox testbed up`), as a
 * user would: FRR zebra and bgpd per node (they drop to user frr, so their directories must be
 * reachable from the testbed's private state directory), `net apply --enable-firewall --verify`
 * of infra/lab-evpn-3node.yaml from a template on local storage (full clones on the template's
 * node, migrated to theirs), probes across nodes, then destroy and `testbed down`.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describeAsRoot } from "../support/e2e.js";
import { cli } from "./harness.js";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");

interface Outcome {
  from: string;
  to: string;
  kind: string;
  port?: number;
  got: string;
  ok: boolean;
}

describeAsRoot("the EVPN lab on a CLI-started three-node testbed", () => {
  let dir: string;
  let up = false;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "txbox-evpn-e2e-"));
    mkdirSync(join(dir, "infra"), { recursive: true });
    mkdirSync(join(dir, ".txbox", "keys"), { recursive: true });
    copyFileSync(join(REPO, "infra/lab-evpn-3node.yaml"), join(dir, "infra/lab-evpn-3node.yaml"));
    execFileSync(
      "ssh-keygen",
      ["-q", "-t", "ed25519", "-N", "", "-C", "evpn-e2e", "-f"].concat(
        join(dir, ".txbox/keys/agent"),
      ),
    );
    writeFileSync(
      join(dir, "testbed.yaml"),
      [
        "nodes: [pve1, pve2, pve3]",
        "api: { port: 0, authFailDelayMs: 0 }",
        // Local storage only, as on most clusters: PVE clones to another node only from shared
        // storage (clone_vm), so txbox clones a2, b1, b2 in full on pve1 and migrates them.
        "storages:",
        "  - { id: local-btrfs, type: btrfs, content: [images, rootdir] }",
        "lab:",
        "  templates: [{ vmid: 9000, type: lxc, name: tpl-debian, storage: local-btrfs, start: false, memory: 512, cores: 1 }]",
        "  guests: []",
        "",
      ].join("\n"),
    );
    // One host testbed at a time (fixed management range): wait while another one runs.
    const deadline = Date.now() + 240_000;
    for (;;) {
      const r = await cli(["testbed", "up", "--config", "testbed.yaml", "--json"], {
        cwd: dir,
        timeoutMs: 240_000,
      });
      if (r.code === 0) break;
      if (!/another testbed/.test(r.stderr) || Date.now() > deadline)
        throw new Error(`testbed up failed: ${r.stderr}`);
      await new Promise((res) => setTimeout(res, 5000));
    }
    up = true;
  }, 600_000);

  afterAll(async () => {
    if (up) await cli(["testbed", "down"], { cwd: dir, timeoutMs: 180_000 });
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }, 240_000);

  test("apply brings EVPN up on every node and net verify passes across nodes", async () => {
    const spec = "infra/lab-evpn-3node.yaml";
    const planned = await cli(["net", "plan", spec], { cwd: dir });
    const notes = [...planned.stdout.matchAll(/note\s+= "(clone on [^"]*)"/g)].map((m) => m[1]);
    expect(notes).toEqual(
      ["pve2", "pve2", "pve3"].map(
        (n) =>
          `clone on pve1, migrate to ${n}: template 9000 (node pve1) uses local storage local-btrfs`,
      ),
    );
    const applied = await cli(
      ["net", "apply", spec, "--yes", "--enable-firewall", "--verify", "--json", "--timeout", "8m"],
      { cwd: dir, timeoutMs: 540_000 },
    );
    let result: { ok: boolean; verify?: { probes: Outcome[]; unreachable: unknown[] } };
    try {
      result = JSON.parse(applied.stdout) as typeof result;
    } catch {
      const log = readFileSync(join(dir, ".txbox/testbed/testbed.log"), "utf8").slice(-3000);
      throw new Error(
        `apply failed (${applied.code}):\n${applied.stderr}\n--- testbed log:\n${log}`,
      );
    }
    const bad = (result.verify?.probes ?? []).filter((p) => !p.ok);
    expect({ code: applied.code, bad, unreachable: result.verify?.unreachable }).toEqual({
      code: 0,
      bad: [],
      unreachable: [],
    });
    const seen = (from: string, to: string) =>
      result
        .verify!.probes.filter((p) => p.from === from && p.to === to)
        .map((p) => `${p.kind}${p.port ? `/${p.port}` : ""} ${p.got}`);
    // Same tenant across nodes (pve1 -> pve2, pve2 -> pve3) over EVPN; other tenant blocked.
    // The https egress (0.0.0.0/0 tcp/443) is probed on every guest: open in the own vnet only.
    expect(seen("a1", "a2")).toEqual(["icmp reach", "tcp/22 reach", "tcp/443 reach"]);
    expect(seen("b1", "b2")).toEqual(["icmp reach", "tcp/22 reach", "tcp/443 reach"]);
    expect(seen("a1", "b2")).toEqual(["icmp blocked", "tcp/22 blocked", "tcp/443 blocked"]);

    // Nothing left to do, and nothing pending on any node.
    const again = await cli(["net", "plan", spec, "--json"], { cwd: dir });
    expect((JSON.parse(again.stdout) as { actions: unknown[] }).actions).toEqual([]);

    const destroyed = await cli(["net", "destroy", spec, "--yes", "--timeout", "5m"], {
      cwd: dir,
      timeoutMs: 360_000,
    });
    expect(destroyed.code).toBe(0);
  }, 900_000);
});

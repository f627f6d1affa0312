/**
 * `txbox net` against the testbed's PVE API: a testbed on the memory realiser (two nodes, an LXC
 * and a qemu template) started through the library, project directories pointing at it (by
 * `.txbox/testbed.json` or by a txbox.yaml `proxmox:` section), and the real CLI as a child.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ProxmoxClient } from "@txbox/proxmox";
import { MemoryRealiser, startTestbed, type TestbedHandle } from "@txbox/testbed";

export const CLI = resolve(dirname(fileURLToPath(import.meta.url)), "../../bin/txbox.js");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Called with every complete stderr line; may kill the child. */
  onStderrLine?: (line: string, kill: (signal: NodeJS.Signals) => void) => void;
  timeoutMs?: number;
}

/** Run the real CLI in a child process (killed after `timeoutMs`, default 120 s). */
export function cli(args: string[], opts: RunOptions): Promise<CliResult> {
  return new Promise((resolveRun, reject) => {
    const env = { ...process.env, ...opts.env };
    delete env.TXBOX_CONFIG;
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: opts.cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let partial = "";
    const kill = (signal: NodeJS.Signals) => child.kill(signal);
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      stderr += c;
      partial += c;
      const lines = partial.split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) opts.onStderrLine?.(line, kill);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, stdout, stderr });
    });
  });
}

/** The last stdout line of a `--json` run, parsed. */
export function lastJson<T = Record<string, unknown>>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout.trim().split("\n").pop() ?? "") as T;
  } catch {
    throw new Error(`not JSON (exit ${r.code}, signal ${r.signal}): ${r.stdout}\n${r.stderr}`);
  }
}

export interface NetLab {
  tb: TestbedHandle;
  root: string;
  /** Project dir whose `.txbox/testbed.json` points at the testbed. */
  stateDir: string;
  /** Project dir whose `txbox.yaml` `proxmox:` section points at the testbed (secret in $LAB_SECRET). */
  configDir: string;
  /** Environment for runs in `configDir`. */
  configEnv: NodeJS.ProcessEnv;
  /** An API client on the testbed, for observing the cluster independently of the CLI. */
  client: ProxmoxClient;
  stop(): Promise<void>;
}

export async function startNetLab(): Promise<NetLab> {
  const root = mkdtempSync(join(tmpdir(), "txbox-net-cli-"));
  const tb = await startTestbed({
    stateDir: join(root, "testbed"),
    realiser: new MemoryRealiser(),
    port: 0,
    config: {
      realiser: "memory",
      nodes: ["pve1", "pve2"],
      api: { host: "127.0.0.1", port: 0, authFailDelayMs: 0 },
      // PVE clones to another node only from shared storage (clone_vm): the templates live there
      storages: [
        { id: "local-btrfs", type: "btrfs", content: ["images", "rootdir"] },
        { id: "shared", type: "btrfs", shared: true, content: ["images", "rootdir"] },
      ],
      lab: {
        templates: [
          { vmid: 9000, type: "lxc", name: "tpl-ct", storage: "shared", start: false },
          { vmid: 9001, type: "qemu", name: "tpl-vm", storage: "shared", start: false },
        ],
        guests: [],
      },
    },
  });
  const stateDir = join(root, "by-state");
  mkdirSync(join(stateDir, ".txbox"), { recursive: true });
  writeFileSync(
    join(stateDir, ".txbox", "testbed.json"),
    JSON.stringify({
      url: tb.url,
      fingerprint: tb.fingerprint,
      tokenId: tb.tokenId,
      secret: tb.secret,
      node: tb.node,
    }),
  );
  const configDir = join(root, "by-config");
  mkdirSync(configDir, { recursive: true });
  writeFileSync(
    join(configDir, "txbox.yaml"),
    [
      "proxmox:",
      `  url: ${tb.url}`,
      `  tokenId: "${tb.tokenId}"`,
      "  secretEnv: LAB_SECRET",
      `  fingerprint: "${tb.fingerprint}"`,
      "",
    ].join("\n"),
  );
  // An empty TXBOX_TESTBED_STATE is ignored; no .txbox/testbed.json above configDir is found.
  const configEnv = { LAB_SECRET: tb.secret, TXBOX_TESTBED_STATE: "" };
  const client = await ProxmoxClient.connect({
    url: tb.url,
    credentials: { kind: "token", tokenId: tb.tokenId, secret: tb.secret },
    fingerprint: tb.fingerprint,
  });
  return {
    tb,
    root,
    stateDir,
    configDir,
    configEnv,
    client,
    async stop() {
      await client.close();
      await tb.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export const KEY =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ0b8nRk3e5oVvUu2bVbq8d6m1r0Y9p7uX3lQw4sT2aB lab";

/**
 * A spec adapted from infra/lab-single-node.yaml: one VXLAN zone, one isolated vnet with an
 * egress rule, an LXC guest on the templates' node and a qemu guest cloned to the other node.
 */
export function labSpec(p: {
  name: string;
  zone: string;
  vnet: string;
  tag: number;
  net: number;
  vmid: number;
  snat?: boolean;
}): string {
  const n = p.net;
  return `# adapted from infra/lab-single-node.yaml
version: 1
name: ${p.name}
zones:
  - id: ${p.zone}
    type: vxlan
    peers: [10.250.0.11, 10.250.0.12]
    mtu: 1450
vnets:
  - id: ${p.vnet}
    zone: ${p.zone}
    tag: ${p.tag}
    subnets:
      - cidr: 10.${n}.0.0/24
        gateway: 10.${n}.0.1
        snat: ${p.snat ?? true}
    firewall:
      isolate: true
      egress:
        - { dest: 10.20.0.10/32, proto: tcp, dport: 3128, comment: package proxy }
guests:
  - name: ${p.name}a
    vmid: ${p.vmid}
    type: lxc
    template: 9000
    node: pve1
    vnet: ${p.vnet}
    ip: 10.${n}.0.11/24
    ssh: { user: root, publicKey: "${KEY}" }
  - name: ${p.name}b
    vmid: ${p.vmid + 1}
    type: qemu
    template: 9001
    node: pve2
    vnet: ${p.vnet}
    ip: 10.${n}.0.12/24
    ssh: { user: agent, publicKey: "${KEY}" }
`;
}

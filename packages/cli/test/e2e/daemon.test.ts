/**
 * The resident runtime: `txbox run`, `policy check` and `mcp` as thin clients of `txbox serve`,
 * started on first use, one per journal; the same answers as `--no-daemon`; 16 concurrent
 * transactions on 8 guests through one daemon, all committed and serialised per guest; the
 * daemon stops when asked or when idle.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { Session } from "@txbox/runtime";
import { CLI, describeAsRoot, orphanSnapshots, sh, startE2E, type E2E } from "../support/e2e.js";

const P = "/root/project";
/** The installed command: the native thin client when it is built (native/build), else Node. */
const INSTALLED = join(dirname(CLI), "txbox");
const VMID = 101;

type Timings = Record<string, number>;

/** The fields of a `txbox run --json` body that do not depend on the run (id, timings). */
function stable(body: Record<string, unknown>): Record<string, unknown> {
  const { txid: _txid, timings: _timings, ...rest } = body;
  return rest;
}

describeAsRoot("daemon: txbox serve holds the session; the CLI is its thin client", () => {
  let e: E2E;
  let s: Session;
  let runtimeDir: string;
  let env: NodeJS.ProcessEnv;
  let guests: number[];

  beforeAll(async () => {
    e = await startE2E("daemon", { guests: 5 });
    s = await e.session();
    runtimeDir = mkdtempSync(join(tmpdir(), "txbox-xdg-"));
    // e.cli merges this over the suite's environment, whose TXBOX_NO_DAEMON=1 this empties.
    env = { ...e.env, XDG_RUNTIME_DIR: runtimeDir, TXBOX_NO_DAEMON: "" };
    guests = [...e.tb.cluster().guests.byId.values()]
      .filter((g) => g.config.template !== 1)
      .map((g) => g.vmid)
      .sort((a, b) => a - b);
    for (const vmid of guests)
      await sh(s, vmid, `rm -rf ${P} && mkdir -p ${P} && echo v0 > ${P}/f`);
  }, 300_000);

  afterAll(async () => {
    if (env !== undefined) await e?.cli(["serve", "--stop"], { env });
    await s?.close();
    await e?.stop();
    if (runtimeDir !== undefined) rmSync(runtimeDir, { recursive: true, force: true });
  }, 180_000);

  const sockets = (): string[] =>
    existsSync(join(runtimeDir, "txbox"))
      ? readdirSync(join(runtimeDir, "txbox")).filter((f) => f.endsWith(".sock"))
      : [];

  test("policy check: started on first use, same answer and exit status as --no-daemon", async () => {
    expect(sockets()).toEqual([]);
    for (const cmd of ["ls -la", "rm -rf /", "echo x > f"]) {
      const viaDaemon = await e.cli(["policy", "check", "--", cmd], { env });
      const inProcess = await e.cli(["policy", "check", "--no-daemon", "--", cmd], { env });
      expect(viaDaemon).toEqual(inProcess);
    }
    expect(sockets()).toHaveLength(1);
    const status = await e.cli(["serve", "--status", "--json"], { env });
    expect(JSON.parse(status.stdout)).toMatchObject({ running: true, requests: 3 });
  }, 120_000);

  test("run: same result as --no-daemon; the timings include reaching the daemon and add up", async () => {
    const args = ["run", "--guest", String(VMID), "--json", "--", `cat ${P}/f`];
    const viaDaemon = await e.cli(args, { env });
    const inProcess = await e.cli([...args.slice(0, 3), "--no-daemon", ...args.slice(3)], { env });
    expect(viaDaemon.code).toBe(0);
    const a = JSON.parse(viaDaemon.stdout) as Record<string, unknown> & { timings: Timings };
    const b = JSON.parse(inProcess.stdout) as Record<string, unknown>;
    expect(stable(a)).toEqual(stable(b));
    expect(a).toMatchObject({ outcome: "executed", stdout: "v0\n" });
    expect(typeof a.timings.daemonMs).toBe("number");
    expect(typeof a.timings.transferMs).toBe("number");
    const sum = Object.entries(a.timings)
      .filter(([k]) => k !== "totalMs")
      .reduce((x, [, v]) => x + v, 0);
    expect(Math.abs(sum - a.timings.totalMs!) / a.timings.totalMs!).toBeLessThan(0.05);
  }, 120_000);

  test("run through the native client: the same bytes and exit status as the Node client", async () => {
    const built = spawnSync(join(dirname(CLI), "..", "native", "build"), { encoding: "utf8" });
    expect(built.stdout).toContain("native client: built");
    const bytes = (file: string, args: string[]): Promise<[number | null, string, string]> =>
      new Promise((done) => {
        const child = spawn(file, args, { cwd: e.dir, env: { ...e.env, ...env } });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on("data", (c: Buffer) => out.push(c));
        child.stderr.on("data", (c: Buffer) => err.push(c));
        child.on("close", (code) =>
          done([code, Buffer.concat(out).toString("base64"), Buffer.concat(err).toString()]),
        );
      });
    // Each run has its own transaction id and timings (and only the Node client has a `start`
    // phase): --json bodies are compared without them, text without the id and the ms figures.
    const body = (r: [number | null, string, string]): Record<string, unknown> =>
      stable(JSON.parse(Buffer.from(r[1], "base64").toString()) as Record<string, unknown>);
    const sameRun = (r: [number | null, string, string]): [number | null, string, string] => [
      r[0],
      r[1],
      r[2]
        .replace(/\(tx [0-9a-z]+,/g, "(tx <txid>,")
        .split("\n")
        .map((line) =>
          line
            .split(" · ")
            .filter((part) => !/^[a-z-]+ [\d.,]+ ms$/.test(part))
            .join(" · "),
        )
        .join("\n"),
    ];
    const g = ["run", "--guest", String(VMID)];
    for (const args of [
      [...g, "--", `cat ${P}/f`],
      [...g, "--", "printf '\\000\\377\\376 bytes\\n'; echo to-stderr >&2"],
      [...g, "--exit-code", "--", "ls /nonexistent"],
      [...g, "--exit-code", "--timeout", "1s", "--", "sleep 5"],
      [...g, "--", "rm -rf /"],
      [...g, "--json", "--", "rm -rf /"],
    ]) {
      const viaNode = await bytes(process.execPath, [CLI, ...args]);
      const viaNative = await bytes(INSTALLED, args);
      if (args.includes("--json"))
        expect([viaNative[0], body(viaNative)]).toEqual([viaNode[0], body(viaNode)]);
      else expect(sameRun(viaNative)).toEqual(sameRun(viaNode));
    }
    const json = [...g, "--json", "--", `cat ${P}/f`];
    const [a, b] = [await bytes(process.execPath, [CLI, ...json]), await bytes(INSTALLED, json)];
    expect([b[0], body(b)]).toEqual([a[0], body(a)]);
  }, 180_000);

  test("16 concurrent transactions on 8 guests through one daemon: all commit, none overlap", async () => {
    expect(guests).toHaveLength(8);
    const before = (
      JSON.parse((await e.cli(["serve", "--status", "--json"], { env })).stdout) as {
        requests: number;
      }
    ).requests;
    const jobs = guests.flatMap((vmid) =>
      [1, 2].map(async (n) => {
        const r = await e.cli(
          [
            "run",
            "--guest",
            String(vmid),
            "--json",
            "--",
            `echo "start ${n}" >> ${P}/log; sleep 0.5; echo "end ${n}" >> ${P}/log`,
          ],
          { env, timeoutMs: 240_000 },
        );
        const body = JSON.parse(r.stdout) as { outcome: string; error?: unknown };
        return [r.code, body.outcome, body.error];
      }),
    );
    expect(await Promise.all(jobs)).toEqual(
      Array.from({ length: 16 }, () => [0, "committed", undefined]),
    );
    for (const vmid of guests) {
      const lines = (await sh(s, vmid, `cat ${P}/log`)).trim().split("\n");
      expect(lines.map((l) => l.split(" ")[0])).toEqual(["start", "end", "start", "end"]);
      expect(lines[0]?.split(" ")[1]).toBe(lines[1]?.split(" ")[1]);
      // Committed snapshots stay in the retention window; none may be left unaccounted for.
      expect(await orphanSnapshots(s, vmid)).toEqual([]);
    }
    expect(s.journal.locks()).toEqual([]);
    const status = JSON.parse((await e.cli(["serve", "--status", "--json"], { env })).stdout) as {
      requests: number;
    };
    expect(status.requests - before).toBe(16);
    expect(sockets()).toHaveLength(1);
  }, 300_000);

  test("mcp through the daemon: a client's tool call runs on the guest", async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, "mcp", "--guest", String(VMID), "--cwd", P],
      cwd: e.dir,
      env: env as Record<string, string>,
      stderr: "pipe",
    });
    const client = new Client({ name: "txbox-test", version: "0.0.0" });
    await client.connect(transport);
    try {
      const r = (await client.callTool({
        name: "run_command",
        arguments: { command: "echo via-daemon > mcp.txt" },
      })) as { structuredContent?: { outcome?: string } };
      expect(r.structuredContent?.outcome).toBe("committed");
      expect(await sh(s, VMID, `cat ${P}/mcp.txt`)).toBe("via-daemon\n");
    } finally {
      await client.close();
    }
  }, 120_000);

  test("serve --stop ends the daemon; the next command starts a new one", async () => {
    const stopped = await e.cli(["serve", "--stop", "--json"], { env });
    expect(JSON.parse(stopped.stdout)).toMatchObject({ running: true });
    for (let i = 0; i < 100 && sockets().length > 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(sockets()).toEqual([]);
    const again = await e.cli(["policy", "check", "--", "ls"], { env });
    expect(again.code).toBe(0);
    expect(sockets()).toHaveLength(1);
  }, 120_000);

  test("a daemon with --idle stops by itself once idle", async () => {
    const socket = join(runtimeDir, "idle.sock");
    const child = spawn(process.execPath, [CLI, "serve", "--socket", socket, "--idle", "1s"], {
      cwd: e.dir,
      env,
      stdio: "ignore",
    });
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    expect(await exited).toBe(0);
    clearTimeout(timer);
    expect(existsSync(socket)).toBe(false);
  }, 60_000);
});

#!/usr/bin/env node
/**
 * `txbox-testbed` (and `txbox testbed …`): start, inspect and stop the local Proxmox VE API testbed.
 * `up` runs the server detached (log in the state dir) and writes `.txbox/testbed.json`, the default
 * connection of the rest of txbox; `--foreground` runs it in this process.
 */
import { spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  watch,
} from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { errorMessage, isTxboxError } from "@txbox/core";
import { writeAtomic } from "../api/store.js";
import { parseTestbedConfig, type TestbedConfig } from "../config.js";
import { connectionFile, readConnection, type TestbedConnection } from "../connection.js";
import { loadTestbedConfig, startTestbed } from "../testbed.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Exit statuses: 0 ok, 1 failure, 2 cannot run here (needs root / usage). */
class CliExit extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

function out(json: boolean, data: Record<string, unknown>, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(data)}\n` : `${text}\n`);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** GET a testbed URL with the token, trusting exactly the certificate with the given fingerprint. */
function apiGet(conn: TestbedConnection, path: string, timeoutMs = 5000): Promise<unknown> {
  const cert = readFileSync(join(conn.stateDir, "pve-ssl.pem"), "utf8");
  return new Promise((resolveP, reject) => {
    const req = request(
      `${conn.url}${path}`,
      {
        method: "GET",
        ca: cert,
        checkServerIdentity: (_h, c) =>
          c.fingerprint256 === conn.fingerprint
            ? undefined
            : new Error("certificate fingerprint mismatch"),
        headers: { authorization: `PVEAPIToken=${conn.tokenId}=${conn.secret}` },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          if (res.statusCode !== 200) reject(new Error(`${res.statusCode} ${res.statusMessage}`));
          else
            resolveP(
              (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { data: unknown }).data,
            );
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

function loadConfig(file: string | undefined): TestbedConfig {
  return file === undefined ? parseTestbedConfig({}) : loadTestbedConfig(resolve(file));
}

interface UpOptions {
  config?: string;
  guests?: string;
  port?: string;
  stateDir: string;
  json?: boolean;
  foreground?: boolean;
}

async function runForeground(o: UpOptions, cwd: string): Promise<void> {
  const stateDir = resolve(cwd, o.stateDir);
  const config = loadConfig(o.config);
  const log = (line: Record<string, unknown>): void => {
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...line })}\n`);
  };
  const tb = await startTestbed({
    stateDir,
    config,
    ...(o.port === undefined ? {} : { port: Number(o.port) }),
    ...(o.guests === undefined ? {} : { guests: Number(o.guests) }),
    log,
  });
  const conn: TestbedConnection = {
    url: tb.url,
    host: tb.host,
    port: tb.port,
    fingerprint: tb.fingerprint,
    tokenId: tb.tokenId,
    secret: tb.secret,
    node: tb.node,
    stateDir,
    pid: process.pid,
    logFile: join(stateDir, "testbed.log"),
    ...(existsSync(join(stateDir, "operator_ed25519"))
      ? { operatorKey: join(stateDir, "operator_ed25519") }
      : {}),
  };
  writeAtomic(join(stateDir, "connection.json"), `${JSON.stringify(conn, null, 2)}\n`);
  writeAtomic(connectionFile(cwd), `${JSON.stringify(conn, null, 2)}\n`);
  log({ event: "up", url: tb.url, fingerprint: tb.fingerprint, tokenId: tb.tokenId });
  let stopping = false;
  const stop = async (teardown: boolean): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log({ event: "stopping", teardown });
    await tb.stop({ teardown });
    rmSync(join(stateDir, "connection.json"), { force: true });
    const c = readConnection(connectionFile(cwd));
    if (c?.pid === process.pid) rmSync(connectionFile(cwd), { force: true });
    log({ event: "down" });
    process.exit(0);
  };
  // SIGTERM comes from `down`: stop and tear the realisation down; SIGINT (Ctrl-C) only stops
  process.on("SIGTERM", () => void stop(true));
  process.on("SIGINT", () => void stop(false));
}

async function up(o: UpOptions): Promise<void> {
  const cwd = process.cwd();
  const stateDir = resolve(cwd, o.stateDir);
  const config = loadConfig(o.config);
  if (config.realiser === "host" && process.getuid?.() !== 0)
    throw new CliExit(
      "the testbed's host realiser needs root (loop devices, btrfs, network namespaces).\n" +
        "Run it as root (`sudo txbox testbed up`), or set `realiser: memory` in a testbed config " +
        "(`--config FILE`) for an API-only testbed without real guests.",
      2,
    );
  const existing = readConnection(connectionFile(cwd));
  if (existing !== undefined && pidAlive(existing.pid)) {
    out(!!o.json, { ...existing, alreadyRunning: 1 }, describe(existing, true));
    return;
  }
  if (o.foreground) {
    await runForeground(o, cwd);
    return;
  }
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const logFile = join(stateDir, "testbed.log");
  const fd = openSync(logFile, "a", 0o600);
  const self = fileURLToPath(import.meta.url);
  const args = [self, "up", "--foreground", "--state-dir", stateDir];
  if (o.config !== undefined) args.push("--config", resolve(o.config));
  if (o.guests !== undefined) args.push("--guests", o.guests);
  if (o.port !== undefined) args.push("--port", o.port);
  rmSync(join(stateDir, "connection.json"), { force: true });
  const child = spawn(process.execPath, args, { cwd, detached: true, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  child.unref();
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.pid === undefined || !pidAlive(child.pid))
      throw new CliExit(
        `the testbed exited during start; see ${logFile}:\n${tail(logFile, 15)}`,
        1,
      );
    const conn = readConnection(join(stateDir, "connection.json"));
    if (conn !== undefined && conn.pid === child.pid) {
      try {
        await apiGet(conn, "/api2/json/version");
        out(!!o.json, { ...conn }, describe(conn, true));
        return;
      } catch {
        // not answering yet
      }
    }
    if (Date.now() > deadline)
      throw new CliExit(`the testbed did not answer within 180 s; see ${logFile}`, 1);
    await sleep(200);
  }
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

function describe(c: TestbedConnection, withSecret: boolean): string {
  return [
    `URL:         ${c.url}`,
    `Fingerprint: ${c.fingerprint}`,
    `Token:       ${c.tokenId}`,
    ...(withSecret ? [`Secret:      ${c.secret}`] : []),
    `Node:        ${c.node}`,
    `State:       ${c.stateDir} (pid ${c.pid})`,
  ].join("\n");
}

function requireConnection(): TestbedConnection {
  const conn = readConnection();
  if (conn === undefined)
    throw new CliExit(
      `no testbed here (no .txbox/testbed.json); start one with \`${process.env.TXBOX_TESTBED_PROG ?? "txbox-testbed"} up\``,
      1,
    );
  return conn;
}

async function status(o: { json?: boolean }): Promise<void> {
  const conn = requireConnection();
  const alive = pidAlive(conn.pid);
  let guests: unknown[] = [];
  let answering = false;
  if (alive) {
    try {
      guests = (await apiGet(conn, "/testbed/guests")) as unknown[];
      answering = true;
    } catch {
      answering = false;
    }
  }
  const lines = [
    describe(conn, false),
    `Process:     ${alive ? "running" : "not running"}${alive ? (answering ? ", answering" : ", not answering") : ""}`,
    ...(
      guests as { vmid: number; type: string; status: string; mgmtAddress?: string; name: string }[]
    ).map(
      (g) =>
        `  ${g.vmid} ${g.type.padEnd(4)} ${g.status.padEnd(8)} ${g.name} ${g.mgmtAddress ?? ""}`,
    ),
  ];
  out(
    !!o.json,
    { ...conn, secret: undefined, running: alive ? 1 : 0, answering: answering ? 1 : 0, guests },
    lines.join("\n"),
  );
  if (!alive || !answering) process.exitCode = 1;
}

async function down(o: { json?: boolean }): Promise<void> {
  const file = connectionFile();
  const conn = readConnection(file);
  if (conn === undefined || !pidAlive(conn.pid)) {
    rmSync(file, { force: true });
    out(!!o.json, { stopped: 0, reason: "not running" }, "testbed is not running");
    return;
  }
  process.kill(conn.pid, "SIGTERM");
  const deadline = Date.now() + 120_000;
  while (pidAlive(conn.pid)) {
    if (Date.now() > deadline) {
      process.kill(conn.pid, "SIGKILL");
      break;
    }
    await sleep(200);
  }
  rmSync(file, { force: true });
  out(!!o.json, { stopped: 1, pid: conn.pid }, `testbed stopped (pid ${conn.pid})`);
}

function formatLogLine(line: string, json: boolean): string {
  if (json) return line;
  try {
    const l = JSON.parse(line) as Record<string, unknown>;
    const { time, ...rest } = l;
    if (rest.method !== undefined)
      return `${String(time)} ${String(rest.method)} ${String(rest.path)} ${String(rest.status)} ${String(rest.ms)}ms`;
    return `${String(time)} ${Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join(" ")}`;
  } catch {
    return line;
  }
}

async function logs(o: { follow?: boolean; json?: boolean; stateDir: string }): Promise<void> {
  const conn = readConnection();
  const file = conn?.logFile ?? join(resolve(o.stateDir), "testbed.log");
  if (!existsSync(file)) throw new CliExit(`no log file at ${file}`, 1);
  let pos = 0;
  const print = (): void => {
    const size = statSync(file).size;
    if (size < pos) pos = 0;
    if (size === pos) return;
    const buf = readFileSync(file).subarray(pos, size);
    const text = buf.toString("utf8");
    const end = text.lastIndexOf("\n") + 1;
    pos += Buffer.byteLength(text.slice(0, end));
    for (const line of text.slice(0, end).split("\n"))
      if (line !== "") process.stdout.write(`${formatLogLine(line, !!o.json)}\n`);
  };
  print();
  if (!o.follow) return;
  const watcher = watch(file, () => print());
  await new Promise<void>((r) => process.once("SIGINT", () => r()));
  watcher.close();
}

async function ssh(vmid: string, command: string[]): Promise<void> {
  const conn = requireConnection();
  const guests = (await apiGet(conn, "/testbed/guests")) as {
    vmid: number;
    mgmtAddress?: string;
    hostKeyFingerprints: string[];
  }[];
  const g = guests.find((x) => x.vmid === Number(vmid));
  if (g === undefined) throw new CliExit(`no guest ${vmid}`, 1);
  if (g.mgmtAddress === undefined)
    throw new CliExit(
      `guest ${vmid} has no management address (is it running? is this the memory realiser?)`,
      1,
    );
  const key = conn.operatorKey ?? join(conn.stateDir, "operator_ed25519");
  // Pin the host key: scan it, and accept it only if its fingerprint is one the testbed recorded
  const scan = spawnSync("ssh-keyscan", ["-T", "5", "-t", "ed25519,ecdsa,rsa", g.mgmtAddress], {
    encoding: "utf8",
    timeout: 15000,
  });
  const pinned = scan.stdout
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.startsWith("#"))
    .filter((l) => {
      const fp = spawnSync("ssh-keygen", ["-lf", "-"], { input: l, encoding: "utf8" }).stdout.split(
        " ",
      )[1];
      return fp !== undefined && g.hostKeyFingerprints.includes(fp);
    });
  if (pinned.length === 0)
    throw new CliExit(
      `guest ${vmid}: no host key matching the recorded fingerprints ${g.hostKeyFingerprints.join(", ")}`,
      1,
    );
  const knownHosts = join(tmpdir(), `txbox-testbed-known-hosts-${process.pid}`);
  writeAtomic(knownHosts, `${pinned.join("\n")}\n`);
  try {
    const r = spawnSync(
      "ssh",
      [
        "-i",
        key,
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        `UserKnownHostsFile=${knownHosts}`,
        "-o",
        "StrictHostKeyChecking=yes",
        `root@${g.mgmtAddress}`,
        ...command,
      ],
      { stdio: "inherit" },
    );
    process.exitCode = r.status ?? 1;
  } finally {
    rmSync(knownHosts, { force: true });
  }
}

/** Build the command line program (exported for `txbox testbed …` forwarding). */
export function program(): Command {
  // `txbox testbed …` runs this entry point and names it so in usage lines.
  const p = new Command(process.env.TXBOX_TESTBED_PROG ?? "txbox-testbed")
    .description("A local Proxmox VE API testbed")
    .showHelpAfterError();
  p.command("up")
    .description("start the testbed in the background and print how to connect")
    .option("--config <file>", "testbed configuration (YAML)")
    .option("--guests <n>", "extra lab guests")
    .option("--port <port>", "API port (default 8006)")
    .option("--state-dir <dir>", "state directory", ".txbox/testbed")
    .option("--json", "JSON output")
    .option("--foreground", "run in this process")
    .action((o: UpOptions) => up(o));
  p.command("status")
    .description("the connection, whether the server answers, and every guest (exit 1 when down)")
    .option("--json", "JSON output")
    .action((o: { json?: boolean }) => status(o));
  p.command("down")
    .description(
      "stop the testbed: every process, mount, loop device, namespace and interface it made",
    )
    .option("--json", "JSON output")
    .action((o: { json?: boolean }) => down(o));
  p.command("logs")
    .description("the API server's request and realiser log")
    .option("-f, --follow", "follow the log")
    .option("--json", "raw JSON lines")
    .option("--state-dir <dir>", "state directory", ".txbox/testbed")
    .action((o: { follow?: boolean; json?: boolean; stateDir: string }) => logs(o));
  p.command("ssh")
    .description(
      "operator shell into a guest (unguarded; uses the operator key and the pinned host key)",
    )
    .argument("<vmid>")
    .argument("[command...]")
    .action((vmid: string, command: string[]) => ssh(vmid, command));
  return p;
}

/** Run the program; maps errors to exit statuses (2 = cannot run here). */
export async function main(argv = process.argv): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (err) {
    // The same shapes as txbox's own errors: a JSON object on stdout with --json, else
    // `… error [CODE]: message` and a hint line on stderr.
    const code = isTxboxError(err) ? err.code : "E_TESTBED";
    const hint = isTxboxError(err) ? err.hint : undefined;
    if (argv.includes("--json")) {
      const body = isTxboxError(err)
        ? err.toJSON()
        : { error: "TestbedError", code, message: errorMessage(err), retryable: false };
      process.stdout.write(`${JSON.stringify(body)}\n`);
    } else {
      const prog = process.env.TXBOX_TESTBED_PROG ?? "txbox-testbed";
      process.stderr.write(`${prog}: error [${code}]: ${errorMessage(err)}\n`);
      if (hint !== undefined) process.stderr.write(`hint: ${hint}\n`);
    }
    process.exitCode = err instanceof CliExit ? err.status : 1;
  }
}

// Run when executed, not when imported. argv[1] may be a symlink (pnpm's node_modules/.bin and
// @txbox/testbed links), while import.meta.url is always the real path: compare real paths.
function invokedDirectly(): boolean {
  const arg = process.argv[1];
  if (arg === undefined) return false;
  try {
    return realpathSync(resolve(arg)) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}
if (invokedDirectly()) void main();

/**
 * End-to-end harness: a real testbed (host realiser: namespaced guests with real sshd and btrfs
 * snapshots) started through the library, a project directory whose `.txbox/testbed.json` points
 * at it, the real CLI as a child process, and in-process sessions built by the same wiring.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { startTestbed, type TestbedHandle } from "@txbox/testbed";
import type { Io } from "../../src/output.js";
import { openSession, type Session, type SessionOptions } from "@txbox/runtime";
import { describeWith, hostTestbed } from "../../../../test/support/requirements.js";

/**
 * `describe` when a host-realiser testbed can run here (root, the guest rootfs, the tools); else
 * skipped with the reason in its name, or failing under CI / TXBOX_REQUIRE_E2E=1.
 */
export function describeAsRoot(name: string, fn: () => void): void {
  describeWith(name, hostTestbed(), fn);
}

export const CLI = resolve(dirname(fileURLToPath(import.meta.url)), "../../bin/txbox.js");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface E2E {
  tb: TestbedHandle;
  /** Project directory (cwd of the CLI), holding `.txbox/testbed.json` and the journal. */
  dir: string;
  env: NodeJS.ProcessEnv;
  /** Run the real CLI in a child process. */
  cli(
    args: string[],
    options?: { env?: NodeJS.ProcessEnv; timeoutMs?: number },
  ): Promise<CliResult>;
  /** `cli` with `--json` parsed. */
  cliJson<T = Record<string, unknown>>(
    args: string[],
    env?: NodeJS.ProcessEnv,
  ): Promise<{ code: number | null; body: T; stderr: string }>;
  /** An Io for in-process calls; its output is discarded. */
  io(): Io;
  /** An in-process session on the same testbed and journal (close it). */
  session(options?: SessionOptions): Promise<Session>;
  stop(): Promise<void>;
}

/**
 * Every host testbed uses the same management network, so one started by another suite on this
 * machine makes ours fail fast: wait for it to go (up to 10 min) instead of failing.
 */
async function startSharedHost(start: () => Promise<TestbedHandle>): Promise<TestbedHandle> {
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      return await start();
    } catch (error) {
      const busy = error instanceof Error && /another testbed/.test(error.message);
      if (!busy || Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 3000));
    }
  }
}

/** Start a testbed for one suite (unique state dir, any free port) and a project dir beside it. */
export async function startE2E(name: string, options: { guests?: number } = {}): Promise<E2E> {
  const root = mkdtempSync(join(tmpdir(), `txbox-e2e-${name}-`));
  const stateDir = join(root, "testbed");
  const dir = join(root, "project");
  mkdirSync(join(dir, ".txbox"), { recursive: true });
  const tb = await startSharedHost(() =>
    startTestbed({
      stateDir,
      port: 0,
      guests: options.guests ?? 0,
      config: { api: { authFailDelayMs: 0 } },
    }),
  );
  const stateFile = join(dir, ".txbox", "testbed.json");
  writeFileSync(
    stateFile,
    JSON.stringify({
      url: tb.url,
      host: tb.host,
      port: tb.port,
      fingerprint: tb.fingerprint,
      tokenId: tb.tokenId,
      secret: tb.secret,
      node: tb.node,
      stateDir: tb.stateDir,
      pid: process.pid,
      logFile: "",
      operatorKey: join(tb.stateDir, "operator_ed25519"),
    }),
  );
  // TXBOX_CONFIG unset and cwd = dir: no txbox.yaml is found, so the testbed is the target.
  const env: NodeJS.ProcessEnv = { ...process.env, TXBOX_TESTBED_STATE: stateFile };
  delete env.TXBOX_CONFIG;
  delete env.TXBOX_CRASH_AT;
  // Each command in its own process, as before the daemon; the daemon suite turns this off.
  env.TXBOX_NO_DAEMON = "1";

  const cli: E2E["cli"] = (args, opts = {}) =>
    new Promise((resolveRun, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], {
        cwd: dir,
        env: { ...env, ...opts.env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
      child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
      const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
      child.on("error", reject);
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        resolveRun({ code, signal, stdout, stderr });
      });
    });

  const io = (): Io => ({
    stdout: new PassThrough().resume(),
    stderr: new PassThrough().resume(),
    stdin: new PassThrough(),
    env,
    cwd: dir,
  });

  return {
    tb,
    dir,
    env,
    cli,
    cliJson: async (args, extraEnv) => {
      const dd = args.indexOf("--");
      const withJson =
        dd < 0 ? [...args, "--json"] : [...args.slice(0, dd), "--json", ...args.slice(dd)];
      const r = await cli(withJson, extraEnv === undefined ? {} : { env: extraEnv });
      let body: unknown;
      try {
        body = JSON.parse(r.stdout.trim().split("\n").pop() ?? "");
      } catch {
        throw new Error(`not JSON (exit ${r.code}, signal ${r.signal}): ${r.stdout}\n${r.stderr}`);
      }
      return { code: r.code, body: body as never, stderr: r.stderr };
    },
    io,
    session: (opts = {}) => openSession(io(), opts),
    stop: async () => {
      await tb.stop({ teardown: true });
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * Run an idempotent inspection or setup command, retried while the guest is unreachable (it may
 * still be booting after a rollback; and see the exec note on lost exit statuses).
 */
async function inspect(session: Session, vmid: number, command: string) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await session.exec.run({ vmid }, command, { timeoutMs: 60_000 });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== "E_UNREACHABLE" || attempt >= 20) throw error;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/**
 * A fingerprint of a directory tree in a guest: every entry's type, mode, owner and path, and
 * the sha256 of every regular file and the target of every symlink, sorted.
 */
export async function treeDigest(session: Session, vmid: number, dir: string): Promise<string> {
  const script = [
    `cd ${dir} || exit 9`,
    `find . -printf '%y %m %U:%G %p -> %l\\n' | LC_ALL=C sort`,
    `find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum`,
  ].join(" && ");
  const r = await session.exec.run({ vmid }, script, { timeoutMs: 60_000 });
  if (r.exitCode !== 0)
    throw new Error(`treeDigest ${vmid}:${dir}: exit ${r.exitCode}: ${r.stderr}`);
  return r.stdout;
}

/** Run a shell command in a guest outside any transaction (test setup and inspection). */
export async function sh(session: Session, vmid: number, command: string): Promise<string> {
  const r = await inspect(session, vmid, command);
  if (r.exitCode !== 0) throw new Error(`${vmid}: ${command}: exit ${r.exitCode}: ${r.stderr}`);
  return r.stdout;
}

/** `txbox-*` snapshots of a guest. */
export async function txboxSnapshots(session: Session, vmid: number): Promise<string[]> {
  return (await session.snapshots.list({ vmid }))
    .map((s) => s.name)
    .filter((n) => n.startsWith("txbox-"));
}

/**
 * txbox snapshots of a guest that no transaction keeps: every one but those of COMMITTED
 * transactions in the retention window. Recovery must leave none.
 */
export async function orphanSnapshots(session: Session, vmid: number): Promise<string[]> {
  const kept = new Set(
    session.journal
      .listTxs({ guest: { vmid }, states: ["COMMITTED"] })
      .filter((t) => t.keepSnapshot && !t.snapshotRemoved)
      .map((t) => t.snapshotName),
  );
  return (await txboxSnapshots(session, vmid)).filter((n) => !kept.has(n));
}

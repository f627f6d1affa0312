/**
 * A client never gets answers from a daemon running other code. A copy of the txbox package
 * (sharing the workspace's `@txbox/*` packages) plays the installed txbox; changing its version,
 * its build stamp or a file it ships makes the next command end up at a daemon of the new build,
 * and the old daemon go. A fake daemon of protocol 1 (before the build handshake) is stopped and
 * replaced the same way. No testbed: `policy check` goes through the daemon too. Both clients: the
 * Node one (bin/txbox.js) and the installed command (bin/txbox), which runs the native client
 * (native/txbox-client, built here) and must honour the same handshake.
 */
import { execFile, execFileSync } from "node:child_process";
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeFrame, frameReader, LEGACY_MISMATCH, socketPath } from "@txbox/runtime/daemon";

const CLI_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

let dir: string;
let pkg: string;
let project: string;
let env: NodeJS.ProcessEnv;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Which client the copy is run with: `node bin/txbox.js`, or the installed `bin/txbox`. */
let client: "node" | "native";

function txbox(args: string[]): Promise<Ran> {
  const [file, argv] =
    client === "node"
      ? [process.execPath, [join(pkg, "bin", "txbox.js"), ...args]]
      : [join(pkg, "bin", "txbox"), args];
  return new Promise((resolveRun) => {
    execFile(
      file,
      argv,
      { cwd: project, env, encoding: "utf8", timeout: 60_000 },
      (error, stdout, stderr) =>
        resolveRun({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }),
    );
  });
}

interface Status {
  running: boolean;
  pid?: number;
  version?: string;
  build?: string;
}

async function status(): Promise<Status> {
  return JSON.parse((await txbox(["serve", "--status", "--json"])).stdout) as Status;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(check: () => boolean, ms = 20_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

/** `policy check -- ls` through the daemon: the answer of this build, and nothing else on stderr. */
async function checkLs(): Promise<void> {
  const r = await txbox(["policy", "check", "--json", "--", "ls"]);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
  expect(JSON.parse(r.stdout)).toMatchObject({ cmd: "ls", decision: "allow" });
}

function setUp(which: "node" | "native"): void {
  client = which;
  dir = mkdtempSync(join(tmpdir(), "txbox-build-"));
  pkg = join(dir, "txbox");
  project = join(dir, "project");
  mkdirSync(project);
  mkdirSync(join(dir, "xdg"), { mode: 0o700 });
  for (const part of ["package.json", "bin", "lib", "native"])
    cpSync(join(CLI_ROOT, part), join(pkg, part), { recursive: true });
  if (which === "native") {
    execFileSync(join(pkg, "native", "build"));
    expect(existsSync(join(pkg, "native", "txbox-client"))).toBe(true);
  }
  symlinkSync(join(CLI_ROOT, "node_modules"), join(pkg, "node_modules"));
  env = {
    ...process.env,
    XDG_RUNTIME_DIR: join(dir, "xdg"),
    TXBOX_NO_DAEMON: "",
  };
  delete env.TXBOX_CONFIG;
  delete env.TXBOX_TESTBED_STATE;
}

async function tearDown(): Promise<void> {
  const s = await status().catch(() => undefined);
  await txbox(["serve", "--stop"]);
  if (s?.pid !== undefined) await until(() => !alive(s.pid!));
  rmSync(dir, { recursive: true, force: true });
}

describe.each(["node", "native"] as const)(
  "a daemon of another build is never used (%s client)",
  (which) => {
    beforeAll(() => setUp(which));
    afterAll(tearDown, 60_000);

    test("a new version, a rebuild, and a changed shipped file each give a daemon of the new build", async () => {
      await checkLs();
      const first = await status();
      expect(first).toMatchObject({ running: true, version: "0.1.0" });

      // An upgrade: the installed package now says another version.
      const manifest = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as Record<
        string,
        unknown
      >;
      writeFileSync(
        join(pkg, "package.json"),
        JSON.stringify({ ...manifest, version: "0.1.1-test" }),
      );
      await checkLs();
      const second = await status();
      expect(second).toMatchObject({ running: true, version: "0.1.1-test" });
      expect(second.pid).not.toBe(first.pid);
      expect(await until(() => !alive(first.pid!))).toBe(true);

      // A rebuild: tsc -b rewrote the build stamp.
      writeFileSync(join(pkg, "tsconfig.tsbuildinfo"), "{}");
      await checkLs();
      const third = await status();
      expect(third.pid).not.toBe(second.pid);
      expect(third.build).not.toBe(second.build);
      expect(await until(() => !alive(second.pid!))).toBe(true);

      // A shipped file changed with no build stamp to show it: the daemon sees it and leaves.
      const sock = socketPath(project, env);
      expect(existsSync(sock)).toBe(true);
      appendFileSync(join(pkg, "lib", "output.js"), "\n// edited\n");
      expect(await until(() => !existsSync(sock) && !alive(third.pid!))).toBe(true);
      await checkLs();
      expect((await status()).pid).not.toBe(third.pid);
    }, 180_000);

    test("a daemon from before the build handshake is asked to stop and replaced", async () => {
      await txbox(["serve", "--stop"]);
      const sock = socketPath(project, env);
      await until(() => !existsSync(sock));
      const asked: string[] = [];
      // What a protocol-1 daemon does: refuse another protocol in words, stop when told.
      const legacy: Server = createServer((conn) => {
        conn.on(
          "data",
          frameReader<{ t: string; v?: number; op?: string }>((f) => {
            asked.push(f.t === "ctl" ? `ctl ${f.op}` : f.t);
            if (f.t === "req" && f.v !== 1) {
              conn.write(
                encodeFrame({ t: "err", d: Buffer.from(LEGACY_MISMATCH).toString("base64") }),
              );
              conn.end(encodeFrame({ t: "exit", code: 70 }));
            } else if (f.t === "ctl" && f.op === "stop") {
              conn.end();
              legacy.close();
            }
          }),
        );
      });
      await new Promise<void>((r) => legacy.listen(sock, () => r()));
      await checkLs();
      expect(asked).toEqual(expect.arrayContaining(["req", "ctl stop"]));
      expect(legacy.listening).toBe(false);
      expect(await status()).toMatchObject({ running: true, version: "0.1.1-test" });
    }, 120_000);
  },
);

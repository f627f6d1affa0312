/**
 * The native thin client (native/txbox-client, what the installed `bin/txbox` runs when it was
 * built) against the Node client (bin/txbox.js): the same socket and build id, and the same
 * bytes on stdout and stderr and the same exit status for the same commands through the same warm
 * daemon; everything it does not serve itself handed to Node unchanged; and without it, the
 * installed command is the Node client. No testbed (`run` on guests: e2e/daemon.test.ts).
 */
import { execFileSync, spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildInfo, configArg, socketPath } from "@txbox/runtime/daemon";
import { nativeClientCheck } from "../src/commands/doctor.js";

const CLI_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const NODE_CLIENT = join(CLI_ROOT, "bin", "txbox.js");
const INSTALLED = join(CLI_ROOT, "bin", "txbox");
const NATIVE = join(CLI_ROOT, "native", "txbox-client");

let dir: string;
let project: string;
let env: NodeJS.ProcessEnv;

interface Ran {
  code: number | null;
  stdout: Buffer;
  stderr: Buffer;
}

function run(file: string, args: string[], extra: NodeJS.ProcessEnv = {}, cwd = project): Ran {
  const r = spawnSync(file, args, { cwd, env: { ...env, ...extra }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const viaNode = (args: string[], extra?: NodeJS.ProcessEnv): Ran =>
  run(process.execPath, [NODE_CLIENT, ...args], extra);
const viaInstalled = (args: string[], extra?: NodeJS.ProcessEnv): Ran =>
  run(INSTALLED, args, extra);

beforeAll(() => {
  // The build scripts/bootstrap runs; this machine has a C compiler, so it must succeed.
  const said = execFileSync(join(CLI_ROOT, "native", "build"), { encoding: "utf8" });
  expect(said).toContain("native client: built");
  expect(existsSync(NATIVE)).toBe(true);
  dir = mkdtempSync(join(tmpdir(), "txbox-native-"));
  project = join(dir, "project");
  mkdirSync(project);
  mkdirSync(join(dir, "xdg", "txbox"), { recursive: true, mode: 0o700 });
  env = { ...process.env, XDG_RUNTIME_DIR: join(dir, "xdg"), TXBOX_NO_DAEMON: "" };
  delete env.TXBOX_CONFIG;
  delete env.TXBOX_TESTBED_STATE;
  delete env.TXBOX_JOURNAL;
  delete env.TXBOX_CRASH_AT;
});

afterAll(() => {
  viaNode(["serve", "--stop"]);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe("the native client finds the daemon the Node client finds", () => {
  /** What the native client computed: version, build id, socket. */
  function probe(args: string[], cwd: string, extra: NodeJS.ProcessEnv = {}): string {
    const r = run(NATIVE, args, { ...extra, TXBOX_NATIVE_PROBE: "1" }, cwd);
    expect(r.code).toBe(0);
    return r.stdout.toString("utf8").trim();
  }
  function expected(args: string[], cwd: string, extra: NodeJS.ProcessEnv = {}): string {
    const e = { ...env, ...extra };
    const words = args.includes("--") ? args.slice(0, args.indexOf("--")) : args;
    const { version, build } = buildInfo(CLI_ROOT);
    return `${version} ${build} ${socketPath(cwd, e, configArg(words))}`;
  }

  test.each([
    ["nothing found: the cwd", [], {}],
    ["--config, relative, with ..", ["--config", "./x/../txbox.yaml"], {}],
    ["--config= empty falls to what is found", ["--config="], {}],
    ["$TXBOX_CONFIG", [], { TXBOX_CONFIG: "conf/../a.yaml" }],
    ["$TXBOX_TESTBED_STATE", [], { TXBOX_TESTBED_STATE: "s/.txbox/testbed.json" }],
    ["$TXBOX_JOURNAL, relative", [], { TXBOX_JOURNAL: "j/../journal.db" }],
    ["$TXBOX_JOURNAL over --config", ["--config", "a.yaml"], { TXBOX_JOURNAL: "/x/j.db" }],
    ["$XDG_RUNTIME_DIR with a trailing slash and a dot", [], { XDG_RUNTIME_DIR: "<dir>/./xdg/" }],
  ] as const)("%s", (_what, options, extra) => {
    const args = ["policy", "check", ...options, "--", "ls"];
    const e: NodeJS.ProcessEnv = Object.fromEntries(
      Object.entries(extra).map(([k, v]) => [k, v.replace("<dir>", dir)]),
    );
    expect(probe(args, project, e)).toBe(expected(args, project, e));
  });

  test("txbox.yaml or .txbox/testbed.json above the cwd, in directories with quotes and non-ASCII names", () => {
    const odd = join(dir, 'a "quoted" dir ü', "sub");
    mkdirSync(join(odd, "deeper"), { recursive: true });
    const args = ["run", "--guest", "101", "--", "ls"];
    expect(probe(args, join(odd, "deeper"))).toBe(expected(args, join(odd, "deeper")));
    mkdirSync(join(odd, ".txbox"));
    writeFileSync(join(odd, ".txbox", "testbed.json"), "{}");
    expect(probe(args, join(odd, "deeper"))).toBe(expected(args, join(odd, "deeper")));
    writeFileSync(join(dirname(odd), "txbox.yaml"), "");
    expect(probe(args, join(odd, "deeper"))).toBe(expected(args, join(odd, "deeper")));
  });
});

describe("the same bytes and exit status as the Node client, through the same warm daemon", () => {
  beforeAll(() => {
    // Started by the Node client, so that both clients below talk to one warm daemon.
    expect(viaNode(["policy", "check", "--", "ls"]).code).toBe(0);
  });

  test.each([
    ["allow", ["policy", "check", "--", "ls -la"]],
    ["deny (exit 3)", ["policy", "check", "--", "rm -rf /"]],
    ["transact, --json", ["policy", "check", "--json", "--", "echo x > f"]],
    [
      "--cwd and a quote, tab and newline in the command",
      ["policy", "check", "--cwd", "/srv", "--", "printf 'a\tb\n' \"$HOME\""],
    ],
    ["non-ASCII text", ["policy", "check", "--json", "--", "echo grüße → ✓"]],
    ["--help of policy check", ["policy", "check", "--help"]],
    ["--help of run", ["run", "--help"]],
    ["a usage error", ["run", "--", "ls"]],
    ["a usage error, --json", ["run", "--json", "--", "ls"]],
    ["an unknown option", ["policy", "check", "--bogus", "--", "ls"]],
    [
      "a missing rule pack (txbox's error shape)",
      ["policy", "check", "--policy", "/nonexistent.yaml", "--", "ls"],
    ],
    ["run with no testbed or config here", ["run", "--guest", "101", "--", "ls"]],
    [
      "run with no testbed, --json --exit-code",
      ["run", "--guest", "101", "--json", "--exit-code", "--", "ls"],
    ],
  ])("%s", (_what, args) => {
    const a = viaNode(args);
    // PATH without node: the native client must have been answered by the daemon itself.
    const b = viaInstalled(args, { PATH: "/nonexistent" });
    expect(b.stderr.toString("utf8")).toBe(a.stderr.toString("utf8"));
    expect(b.stdout.equals(a.stdout)).toBe(true);
    expect(b.code).toBe(a.code);
  });

  test("what it does not serve goes to the Node client unchanged", () => {
    for (const args of [
      ["--version"],
      ["policy", "check", "--no-daemon", "--json", "--", "rm -rf /"],
      ["policy", "--help"],
      ["serve", "--status", "--json"],
    ]) {
      const a = viaNode(args);
      const b = viaInstalled(args);
      const strip = (s: Buffer): string => s.toString("utf8").replace(/"idleMs":\d+,?/, "");
      expect({ code: b.code, out: strip(b.stdout), err: b.stderr.toString() }).toEqual({
        code: a.code,
        out: strip(a.stdout),
        err: a.stderr.toString(),
      });
    }
    const batch = spawnSync(INSTALLED, ["policy", "check", "--batch"], {
      cwd: project,
      env,
      input: '{"cmd":"ls"}\n',
    });
    expect(batch.status).toBe(0);
    expect(JSON.parse(batch.stdout.toString())).toMatchObject({ cmd: "ls", decision: "allow" });
    // TXBOX_NO_DAEMON and text Node would read lossily (not UTF-8) also go to Node: with no
    // node on PATH, the native client says so instead of answering.
    const noDaemon = viaInstalled(["policy", "check", "--", "ls"], {
      TXBOX_NO_DAEMON: "1",
      PATH: "/nonexistent",
    });
    const notUtf8 = spawnSync(
      "/bin/sh",
      ["-c", 'PATH=/nonexistent; exec "$0" policy check -- "$(printf "l\\377")"', INSTALLED],
      { cwd: project, env },
    );
    for (const r of [noDaemon, { code: notUtf8.status, stderr: notUtf8.stderr }]) {
      expect(r.stderr.toString()).toContain("txbox: cannot run node");
      expect(r.code).toBe(127);
    }
  });
});

test("without the native client the installed command is the Node client", () => {
  const bin = join(dir, "pkg", "bin");
  mkdirSync(bin, { recursive: true });
  copyFileSync(INSTALLED, join(bin, "txbox"));
  symlinkSync(NODE_CLIENT, join(bin, "txbox.js"));
  const args = ["policy", "check", "--json", "--", "rm -rf /"];
  const a = viaNode(args);
  const b = run(join(bin, "txbox"), args);
  expect({ code: b.code, out: b.stdout.toString() }).toEqual({
    code: a.code,
    out: a.stdout.toString(),
  });
  expect(b.code).toBe(3);
});

test("doctor says whether the native client is built, as an optional check", () => {
  const root = join(dir, "doctor");
  mkdirSync(join(root, "native"), { recursive: true });
  copyFileSync(join(CLI_ROOT, "native", "txbox-client.c"), join(root, "native", "txbox-client.c"));
  expect(nativeClientCheck(root)).toMatchObject({ ok: false, optional: true, feature: "core" });
  execFileSync(join(CLI_ROOT, "native", "build"), { env: { ...process.env } });
  copyFileSync(NATIVE, join(root, "native", "txbox-client"));
  expect(nativeClientCheck(root)).toMatchObject({ ok: true, optional: true });
  // edited since it was built
  const later = new Date(Date.now() + 60_000);
  utimesSync(join(root, "native", "txbox-client.c"), later, later);
  expect(nativeClientCheck(root)).toMatchObject({
    ok: false,
    detail: expect.stringContaining("older"),
  });
  expect(nativeClientCheck(CLI_ROOT)).toMatchObject({ ok: true, detail: NATIVE });
});

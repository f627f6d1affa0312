import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { PassThrough } from "node:stream";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig, UsageError } from "@txbox/core";
import { exitFor, passThroughExit, runJson, writeStreams } from "../src/commands/run.js";
import { parseCount, parseGuest } from "../src/commands/common-tx.js";
import {
  findTestbedState,
  journalPath,
  loggerFor,
  resolveTarget,
  rootStorage,
} from "@txbox/runtime";
import { CLI } from "./support/e2e.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "txbox-wiring-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const STATE = {
  url: "https://127.0.0.1:1",
  fingerprint: Array.from({ length: 32 }, () => "AB").join(":"),
  tokenId: "root@pam!txbox",
  secret: "00000000-0000-0000-0000-000000000000",
  node: "pve1",
};

describe("rootStorage", () => {
  test.each([
    [{ rootfs: "local-btrfs:subvol-201-disk-0,size=8G" }, "local-btrfs"],
    [{ scsi0: "tank:vm-101-disk-0,size=8G", ide2: "local:iso/x.iso,media=cdrom" }, "tank"],
    [{ ide2: "local:iso/x.iso,media=cdrom", virtio0: "fast:vm-1-disk-0" }, "fast"],
    [{ scsi0: "none,media=cdrom" }, undefined],
    [{ name: "x" }, undefined],
  ])("%j → %s", (config, storage) => {
    expect(rootStorage(config)).toBe(storage);
  });
});

describe("findTestbedState", () => {
  test("$TXBOX_TESTBED_STATE wins, relative to cwd", () => {
    expect(findTestbedState({ cwd: dir, env: { TXBOX_TESTBED_STATE: "x/tb.json" } })).toBe(
      join(dir, "x/tb.json"),
    );
  });
  test("the nearest .txbox/testbed.json upwards", () => {
    mkdirSync(join(dir, ".txbox"));
    mkdirSync(join(dir, "a/b"), { recursive: true });
    writeFileSync(join(dir, ".txbox/testbed.json"), "{}");
    expect(findTestbedState({ cwd: join(dir, "a/b"), env: {} })).toBe(
      join(dir, ".txbox/testbed.json"),
    );
  });
  test("none", () => {
    expect(findTestbedState({ cwd: dir, env: {} })).toBeUndefined();
  });
});

describe("resolveTarget", () => {
  test("no proxmox section and no testbed: a ConfigError that says what to do", () => {
    const loaded = loadConfig({ cwd: dir, env: {} });
    let caught: unknown;
    try {
      resolveTarget({ cwd: dir, env: {} }, loaded);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).message).toMatch(/no Proxmox target/);
    expect((caught as ConfigError).hint).toMatch(/txbox testbed up/);
  });

  test("a testbed state file gives the API connection", () => {
    mkdirSync(join(dir, ".txbox"));
    writeFileSync(join(dir, ".txbox/testbed.json"), JSON.stringify(STATE));
    const t = resolveTarget({ cwd: dir, env: {} }, loadConfig({ cwd: dir, env: {} }));
    expect(t.source).toBe("testbed");
    expect(t.connection).toEqual({
      url: STATE.url,
      node: "pve1",
      credentials: { kind: "token", tokenId: STATE.tokenId, secret: STATE.secret },
      fingerprint: STATE.fingerprint,
    });
  });

  test("txbox.yaml's proxmox section and guests list win", async () => {
    writeFileSync(join(dir, "secret"), "s3cret\n");
    writeFileSync(
      join(dir, "txbox.yaml"),
      [
        "proxmox:",
        "  url: https://pve.example.invalid:8006",
        "  tokenId: root@pam!txbox",
        "  secretFile: secret",
        "guests:",
        "  - vmid: 101",
        "    host: 10.0.0.5",
        "    keyFile: keys/id",
        "    hostKey: SHA256:fBgKT976YzonPz1CZ/ek1GSR63mPoR58hzMvuPGhmmQ",
        "tx:",
        "  journal: state/j.db",
      ].join("\n"),
    );
    const loaded = loadConfig({ cwd: dir, env: {} });
    // HOME has no .ssh/config: the entry alone decides, known_hosts only at OpenSSH's places.
    const t = resolveTarget({ cwd: dir, env: { HOME: dir } }, loaded);
    expect(t.source).toBe("config");
    expect(t.connection.credentials).toEqual({
      kind: "token",
      tokenId: "root@pam!txbox",
      secret: "s3cret",
    });
    expect(await t.ssh(101)).toEqual({
      host: "10.0.0.5",
      port: 22,
      user: "root",
      keyFile: join(dir, "keys/id"),
      identityFiles: [],
      hostKeys: ["SHA256:fBgKT976YzonPz1CZ/ek1GSR63mPoR58hzMvuPGhmmQ"],
      knownHostsFiles: [
        join(dir, ".ssh/known_hosts"),
        join(dir, ".ssh/known_hosts2"),
        "/etc/ssh/ssh_known_hosts",
      ],
      jump: [],
    });
    await expect(t.ssh(102)).rejects.toThrow(/guest 102 is not listed under guests/);
    expect(journalPath({ cwd: "/elsewhere", env: {} }, loaded)).toBe(join(dir, "state/j.db"));
  });
});

describe("journalPath", () => {
  test("without txbox.yaml, one journal per project: beside the testbed state, from any subdirectory", () => {
    mkdirSync(join(dir, ".txbox"));
    mkdirSync(join(dir, "src/deep"), { recursive: true });
    writeFileSync(join(dir, ".txbox/testbed.json"), "{}");
    const loaded = loadConfig({ cwd: join(dir, "src/deep"), env: {} });
    expect(journalPath({ cwd: join(dir, "src/deep"), env: {} }, loaded)).toBe(
      join(dir, ".txbox/journal.db"),
    );
    expect(journalPath({ cwd: dir, env: {} }, loadConfig({ cwd: dir, env: {} }))).toBe(
      join(dir, ".txbox/journal.db"),
    );
  });
  test("with neither txbox.yaml nor a testbed: the user's journal, never the working directory", () => {
    const loaded = loadConfig({ cwd: dir, env: {} });
    expect(journalPath({ cwd: dir, env: { XDG_STATE_HOME: "/s" } }, loaded)).toBe(
      "/s/txbox/journal.db",
    );
    expect(journalPath({ cwd: dir, env: { HOME: "/h" } }, loaded)).toBe(
      "/h/.local/state/txbox/journal.db",
    );
    expect(journalPath({ cwd: dir, env: { TXBOX_JOURNAL: "j.db" } }, loaded)).toBe(
      join(dir, "j.db"),
    );
  });
});

describe("loggerFor", () => {
  test("log: level, format and file from txbox.yaml; secrets redacted; TXBOX_DEBUG means debug", async () => {
    writeFileSync(
      join(dir, "txbox.yaml"),
      "log:\n  level: warn\n  format: json\n  file: logs/txbox.log\n",
    );
    mkdirSync(join(dir, "logs"));
    const loaded = loadConfig({ cwd: dir, env: {} });
    let err = "";
    const stderr = new PassThrough();
    stderr.on("data", (c: Buffer) => (err += String(c)));
    const logger = loggerFor({ env: {}, stderr, cwd: dir }, loaded);
    logger.debug("tx t1 → EXECUTING");
    logger.warn("could not remove snapshot", { secret: "s3cr3t", txid: "t1" });
    await new Promise<void>((r) => logger.on("finish", () => r()).end());
    const lines = err
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: "warn", secret: "[redacted]", txid: "t1" });
    await new Promise((r) => setTimeout(r, 200));
    expect(readFileSync(join(dir, "logs/txbox.log"), "utf8")).toContain('"txid":"t1"');
    const debug = loggerFor({ env: { TXBOX_DEBUG: "1" }, stderr, cwd: dir }, loaded);
    expect(debug.level).toBe("debug");
    debug.close();
  });
});

describe("options and outcomes", () => {
  test("--guest and counts are validated as usage errors", () => {
    expect(parseGuest("101")).toEqual({ vmid: 101 });
    expect(parseGuest(undefined)).toBeUndefined();
    expect(() => parseGuest("abc")).toThrow(UsageError);
    expect(() => parseGuest("7")).toThrow(UsageError);
    expect(parseCount("0", "--limit")).toBe(0);
    expect(() => parseCount("-1", "--limit")).toThrow(UsageError);
  });

  test.each([
    ["executed", 0],
    ["committed", 0],
    ["denied", 3],
    ["rolled-back", 4],
    ["failed", 1],
  ] as const)("outcome %s exits %i", (outcome, code) => {
    expect(exitFor({ outcome })).toBe(code);
  });

  test.each([
    ["executed", 0, 0],
    ["executed", 7, 7],
    ["committed", 0, 0],
    ["rolled-back", 3, 3],
    ["rolled-back", 0, 125], // rolled back by a verify check: the command's success did not stand
    ["rolled-back", null, 125],
    ["timed-out", 143, 124],
    ["denied", null, 126],
    ["failed", 0, 125],
    ["executed", 300, 44], // a status is a byte
  ] as const)("--exit-code: outcome %s with status %s exits %i", (outcome, exitCode, code) => {
    expect(passThroughExit({ outcome, exitCode })).toBe(code);
  });

  test("runJson has the documented fields", () => {
    const body = runJson({
      txid: "t1",
      guest: { vmid: 101 },
      decision: "deny",
      outcome: "denied",
      exitCode: null,
      stdout: "",
      stderr: "",
      rules: ["r"],
      reason: "why",
      alternative: "instead",
      timings: { policyMs: 1, snapshotMs: 0, execMs: 0, verifyMs: 0, totalMs: 1 },
    });
    expect(body).toEqual({
      txid: "t1",
      guest: 101,
      decision: "deny",
      outcome: "denied",
      exitCode: null,
      stdout: "",
      stderr: "",
      rules: ["r"],
      reason: "why",
      alternative: "instead",
      timings: { policyMs: 1, snapshotMs: 0, execMs: 0, verifyMs: 0, totalMs: 1 },
    });
  });
});

describe("txbox run prints the command's output exactly", () => {
  const BIN = Buffer.from([0x00, 0xff, 0x80, 0x61]); // no newline at the end either
  const record = {
    txid: "t2",
    guest: { vmid: 101 },
    decision: "allow" as const,
    outcome: "executed" as const,
    exitCode: 0,
    stdout: BIN.toString("base64"),
    stderr: "warn",
    streams: {
      stdout: {
        encoding: "base64" as const,
        bytes: 9000,
        sha256: "h",
        truncated: true,
        file: "/j/output/t2.stdout",
      },
      stderr: { encoding: "utf8" as const, bytes: 4, sha256: "h2", truncated: false },
    },
    rules: [],
    reason: "reads",
    timings: { policyMs: 1, snapshotMs: 0, execMs: 1, verifyMs: 0, totalMs: 2 },
  };

  function capture(): { stream: PassThrough; bytes: () => Buffer } {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    return { stream, bytes: () => Buffer.concat(chunks) };
  }

  test("stdout gets the bytes themselves; stderr too, then a note on the cut stream", () => {
    const out = capture();
    const err = capture();
    writeStreams({ stdout: out.stream, stderr: err.stream }, record);
    expect(out.bytes().equals(BIN)).toBe(true);
    expect(err.bytes().toString()).toBe(
      "warn\ntxbox: stdout cut at the cap: 9000 bytes in all, whole in /j/output/t2.stdout\n",
    );
  });

  test("--json keeps the encoding, size, digest and file of each stream", () => {
    const body = runJson(record);
    expect(body.stdout).toBe(BIN.toString("base64"));
    expect(body.streams).toEqual(record.streams);
  });
});

describe("the CLI process", () => {
  const env: NodeJS.ProcessEnv = { ...process.env, TXBOX_TESTBED_STATE: "" };
  delete env.TXBOX_CONFIG;
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: "utf8", env });

  test.each([
    ["run"],
    ["tx", "list"],
    ["tx", "show"],
    ["tx", "rollback"],
    ["tx", "recover"],
    ["snapshot", "prune"],
  ])("txbox %s --help", (...words) => {
    const r = cli([...words, "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: txbox /);
  });

  test("run without --guest is a usage error", () => {
    expect(cli(["run", "--", "ls"]).status).toBe(2);
    expect(cli(["run", "--guest", "abc", "--", "ls"]).status).toBe(2);
    expect(cli(["run", "--guest", "101", "--timeout", "soon", "--", "ls"]).status).toBe(2);
  });

  test("run with no target explains how to get one", () => {
    const r = cli(["run", "--guest", "101", "--json", "--", "ls"]);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: "E_CONFIG" });
  });

  test("read commands never create a journal: without one they say so (E_NO_JOURNAL, exit 1)", () => {
    const journal = join(dir, "state", "j.db");
    const env1 = { ...env, TXBOX_JOURNAL: journal };
    const run = (args: string[]) =>
      spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: "utf8", env: env1 });
    for (const words of [
      ["tx", "list"],
      ["tx", "audit"],
      ["tx", "show", "nope"],
    ]) {
      const r = run([...words, "--json"]);
      expect(r.status).toBe(1);
      expect(JSON.parse(r.stdout)).toMatchObject({
        code: "E_NO_JOURNAL",
        details: { file: journal },
      });
      const text = run(words);
      expect(text.status).toBe(1);
      expect(text.stderr).toContain(`no journal at ${journal}`);
    }
    expect(existsSync(journal)).toBe(false);
    expect(existsSync(join(dir, "state"))).toBe(false);
  });
});

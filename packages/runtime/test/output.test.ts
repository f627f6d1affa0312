// Exec fidelity end to end without a testbed: a real sshd on 127.0.0.1 stands in for the guest's,
// the runtime's SSH port (with its output store) and the transaction engine with a real journal
// carry the bytes to the record. Snapshots are an in-memory stand-in: not what this is about.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { streamBytes } from "@txbox/core";
import { SshExecutor } from "@txbox/exec";
import {
  openJournal,
  TxEngine,
  type Journal,
  type SnapshotInfo,
  type SnapshotPort,
} from "@txbox/tx";
import { startSshd, type SshdFixture } from "../../exec/test/fixtures/sshd.js";
import { OutputStore } from "../src/output-store.js";
import { SshExecPort } from "../src/ssh-port.js";

const guest = { vmid: 101 };
const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");
/** Every byte value, then a cut multi-byte sequence: not UTF-8. */
const BINARY = Buffer.from([...Array(256).keys(), 0xe2, 0x82]);
const octal = (b: Buffer): string =>
  [...b].map((x) => `\\${x.toString(8).padStart(3, "0")}`).join("");

/** Snapshots kept in a list: the engine needs them to exist, nothing here rolls back for real. */
function memorySnapshots(): SnapshotPort {
  let snaps: SnapshotInfo[] = [];
  return {
    async create(_g, name, description) {
      if (!snaps.some((s) => s.name === name)) snaps.push({ name, description });
    },
    async rollback() {},
    async remove(_g, name) {
      snaps = snaps.filter((s) => s.name !== name);
    },
    async list() {
      return [...snaps];
    },
    async state() {
      return { running: true };
    },
    async unlock() {},
  };
}

let sshd: SshdFixture;
let dir: string;
let journal: Journal;
let executor: SshExecutor;
let engine: TxEngine;

beforeAll(async () => {
  sshd = await startSshd();
}, 60_000);
afterAll(async () => {
  await sshd?.stop();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "txbox-output-"));
  journal = openJournal(join(dir, "journal.db"));
  executor = new SshExecutor();
  const exec = new SshExecPort(
    executor,
    async () => ({
      host: "127.0.0.1",
      port: sshd.port,
      user: sshd.user,
      keyFile: sshd.keyFile,
      identityFiles: [],
      hostKeys: [sshd.hostKey],
      knownHostsFiles: [],
      jump: [],
    }),
    () => undefined,
    new OutputStore(join(dir, "output"), { maxAgeMs: 0, maxBytes: 1024 ** 3 }),
  );
  engine = new TxEngine({
    journal,
    snapshots: memorySnapshots(),
    exec,
    crash: () => {},
    execTimeoutMs: 20_000,
    verify: { protectedPaths: [] },
  });
});
afterEach(async () => {
  await executor.close();
  journal.close();
  rmSync(dir, { recursive: true, force: true });
});

const ALLOW = { decision: "allow" as const, ruleIds: ["read"], reasons: ["reads"] };
const TRANSACT = { decision: "transact" as const, ruleIds: ["fs.write"], reasons: ["writes"] };

describe("command output, byte for byte from the SSH channel to the record", () => {
  test.each([
    ["allow", ALLOW],
    ["transact", TRANSACT],
  ])("%s: bytes that are not UTF-8 come back as base64 of exactly those bytes", async (_t, d) => {
    const r = await engine.run({
      guest,
      command: `printf '${octal(BINARY)}'; printf 'ok\\r\\n' >&2`,
      decision: d,
    });
    expect(r.exitCode).toBe(0);
    expect(r.streams?.stdout).toEqual({
      encoding: "base64",
      bytes: BINARY.length,
      sha256: sha(BINARY),
      truncated: false,
    });
    expect(streamBytes(r, "stdout").equals(BINARY)).toBe(true);
    expect(r.stdout).toBe(BINARY.toString("base64"));
    // UTF-8 output stays text, CR and all.
    expect(r.stderr).toBe("ok\r\n");
    expect(r.streams?.stderr.encoding).toBe("utf8");
    // The audit's digest is of the exact bytes, not of a decoded text.
    const [audit] = journal.auditLog({ limit: 1 }).slice(-1);
    expect(audit?.stdoutSha256).toBe(sha(BINARY));
    expect(audit?.stderrSha256).toBe(sha(Buffer.from("ok\r\n")));
    // A JSON round trip (the daemon, --json, MCP) loses nothing.
    const back = JSON.parse(JSON.stringify(r)) as typeof r;
    expect(streamBytes(back, "stdout").equals(BINARY)).toBe(true);
  });

  test("output past the cap is marked truncated with its full size; the whole is in the file the record names", async () => {
    const r = await engine.run({
      guest,
      command: "head -c 9000000 /dev/urandom",
      decision: TRANSACT,
    });
    const s = r.streams!.stdout;
    expect({ truncated: s.truncated, bytes: s.bytes }).toEqual({
      truncated: true,
      bytes: 9_000_000,
    });
    expect(s.file).toBe(join(dir, "output", `${r.txid}.stdout`));
    const whole = readFileSync(s.file!);
    expect(whole.length).toBe(9_000_000);
    expect(sha(whole)).toBe(s.sha256);
    const kept = streamBytes(r, "stdout");
    expect(kept.length).toBe(8 * 1024 * 1024);
    expect(whole.subarray(0, kept.length).equals(kept)).toBe(true);
    expect(journal.getTx(r.txid).stdoutSha256).toBe(s.sha256);
    expect(r.streams!.stderr).toMatchObject({ truncated: false, bytes: 0 });
    expect(readdirSync(join(dir, "output"))).toEqual([`${r.txid}.stdout`]);
  }, 60_000);
});

describe("the output store's retention", () => {
  test("files older than the age limit go, then the oldest past the byte budget", () => {
    const store = new OutputStore(join(dir, "out"), { maxAgeMs: 60_000, maxBytes: 250 });
    const now = Date.now();
    const put = (name: string, size: number, ageMs: number): string => {
      const p = store.paths(name).stdout;
      writeFileSync(p, Buffer.alloc(size));
      utimesSync(p, (now - ageMs) / 1000, (now - ageMs) / 1000);
      return p;
    };
    const stale = put("stale", 10, 120_000);
    const newest = put("newest", 100, 1_000);
    const middle = put("middle", 100, 2_000);
    const oldest = put("oldest", 100, 3_000);
    expect(store.prune(now).sort()).toEqual([oldest, stale].sort());
    expect(readdirSync(join(dir, "out")).sort()).toEqual(
      [newest, middle].map((p) => p.slice(p.lastIndexOf("/") + 1)).sort(),
    );
    // Names come from the command's id, made safe for a file name.
    expect(store.paths("../x y").stdout).toBe(join(dir, "out", ".._x_y.stdout"));
  });
});

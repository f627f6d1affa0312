// `txbox doctor` against the testbed's PVE API (in-process, MemoryRealiser guests): a privileged
// token, a privilege-separated one lacking VM.Snapshot on the guest, a wrong pin; the restricted
// case also run as an unprivileged user (nobody) through the installed command.
import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startTestbed, type TestbedHandle } from "@txbox/testbed";
import { startSshd, type SshdFixture } from "../../exec/test/fixtures/sshd.js";
import { runCli } from "./support-io.js";

const OPS_SECRET = "6f1d2a8e-3b4c-4d5e-8f90-a1b2c3d4e5f6";
const repo = resolve(import.meta.dirname, "../../..");
let tb: TestbedHandle;
let dir: string;

interface Rep {
  ok: boolean;
  checks: {
    feature: string;
    name: string;
    ok: boolean;
    optional?: boolean;
    detail: string;
    fix?: string;
  }[];
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "txbox-doctor-"));
  chmodSync(dir, 0o755);
  tb = await startTestbed({
    stateDir: join(dir, "state"),
    port: 0,
    config: {
      realiser: "memory",
      api: { port: 0, authFailDelayMs: 0 },
      users: [
        { userid: "root@pam", tokens: [{ id: "txbox" }] },
        { userid: "ops@pve", tokens: [{ id: "doctor", secret: OPS_SECRET, privsep: true }] },
      ],
      acl: [
        { path: "/", ugid: "ops@pve", roles: ["Administrator"] },
        // everything a transaction needs on guest 101 except VM.Snapshot
        { path: "/", ugid: "ops@pve!doctor", roles: ["PVEAuditor"] },
        { path: "/vms/101", ugid: "ops@pve!doctor", roles: ["NoSnapshot"] },
      ],
      // PVEVMAdmin's privileges but VM.Snapshot: the token lacks exactly one privilege
      roles: {
        NoSnapshot: [
          "VM.Audit",
          "VM.PowerMgmt",
          "VM.Config.Options",
          "VM.Config.Network",
          "VM.Snapshot.Rollback",
          "VM.GuestAgent.Audit",
          "VM.Clone",
          "VM.Allocate",
        ],
      },
    },
  });
});
afterAll(async () => {
  await tb?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A project directory whose txbox.yaml points at the testbed with this token and pin. */
const NO_SSH = {
  port: 1,
  user: "root",
  keyFile: "/nonexistent",
  hostKey: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
};

function project(
  name: string,
  tokenId: string,
  secret: string,
  fingerprint: string,
  ssh: { port: number; user: string; keyFile: string; hostKey: string } = NO_SSH,
): string {
  const p = join(dir, name);
  rmSync(p, { recursive: true, force: true });
  writeFileSync(join(dir, `${name}.secret`), secret, { mode: 0o644 });
  mkdirSync(p, { mode: 0o755 });
  writeFileSync(
    join(p, "txbox.yaml"),
    [
      "proxmox:",
      `  url: ${tb.url}`,
      `  tokenId: "${tokenId}"`,
      `  secretFile: ../${name}.secret`,
      `  fingerprint: "${fingerprint}"`,
      "guests:",
      "  - vmid: 101",
      "    host: 127.0.0.1",
      `    port: ${ssh.port}`,
      `    user: ${ssh.user}`,
      `    keyFile: ${ssh.keyFile}`,
      `    hostKey: "${ssh.hostKey}"`,
      "",
    ].join("\n"),
  );
  return p;
}

const byName = (rep: Rep, name: string) => rep.checks.find((c) => c.name === name);

test("a privileged token: API, TLS, credentials, version, privileges and the guest pass", async () => {
  const p = project("root", tb.tokenId, tb.secret, tb.fingerprint);
  const r = await runCli(["doctor", "--json"], { cwd: p });
  const rep = JSON.parse(r.stdout) as Rep;
  for (const name of ["reachable", "tls", "credentials", "pve version", "node and type"])
    expect(byName(rep, name)).toMatchObject({ ok: true });
  expect(byName(rep, "pve version")!.detail).toMatch(/^PVE 9\.1\.1 \(supported: 8\.x and 9\.x\)/);
  expect(rep.checks.filter((c) => c.feature === "privileges" && !c.ok)).toEqual([]);
  expect(byName(rep, "token expiry")).toMatchObject({
    ok: true,
    detail: expect.stringMatching(/never expires/),
  });
  // no sshd listens on port 1: the guest's SSH check fails, and with it doctor
  expect(byName(rep, "ssh")).toMatchObject({ ok: false, feature: "guest 101" });
  expect(r.code).toBe(1);
  // testbed host checks are not a cluster's business
  expect(rep.checks.some((c) => c.feature === "testbed")).toBe(false);
});

test("a token lacking VM.Snapshot on the guest: doctor names the privilege and the path", async () => {
  const p = project("ops", "ops@pve!doctor", OPS_SECRET, tb.fingerprint);
  const r = await runCli(["doctor", "--json"], { cwd: p });
  const rep = JSON.parse(r.stdout) as Rep;
  const failed = rep.checks.filter((c) => c.feature === "privileges" && !c.ok && !c.optional);
  expect(failed.map((c) => c.name)).toEqual(["/vms/101 VM.Snapshot"]);
  expect(failed[0]!.detail).toMatch(
    /^ops@pve!doctor lacks VM\.Snapshot on \/vms\/101 — needed by POST \/nodes\/\{node\}\/qemu\/\{vmid\}\/snapshot/,
  );
  expect(failed[0]!.fix).toMatch(
    /^pveum acl modify \/vms\/101 --tokens 'ops@pve!doctor' --roles PVEVMAdmin/,
  );
  expect(rep.ok).toBe(false);
  expect(r.code).toBe(1);
  // the token cannot read its own expiry (PVE: userid-param self is the user, not its token)
  expect(byName(rep, "token expiry")).toMatchObject({ ok: false, optional: true });
});

test("a wrong pin: doctor names the pinned and the presented fingerprint", async () => {
  const wrong = tb.fingerprint.replace(/^(..)/, (m) => (m === "AA" ? "BB" : "AA"));
  const p = project("pin", tb.tokenId, tb.secret, wrong);
  const r = await runCli(["doctor"], { cwd: p });
  expect(r.code).toBe(1);
  expect(r.stdout).toContain(`FAIL tls`);
  expect(r.stdout).toContain(`pins ${wrong}`);
  expect(r.stdout).toContain(`presents certificate ${tb.fingerprint}`);
  expect(r.stdout).toContain(`→ fix: compare with \`pvenode cert info\``);
});

test("run as an unprivileged user through the installed command", async () => {
  const p = project("nobody", "ops@pve!doctor", OPS_SECRET, tb.fingerprint);
  const root = process.getuid?.() === 0;
  const out = await new Promise<{ code: number; stdout: string }>((done) => {
    execFile(
      process.execPath,
      [join(repo, "packages/cli/bin/txbox.js"), "doctor"],
      {
        cwd: p,
        env: { PATH: process.env.PATH, HOME: "/nonexistent" },
        ...(root ? { uid: 65534, gid: 65534 } : {}),
        timeout: 60_000,
      },
      (err, stdout) => done({ code: err === null ? 0 : Number(err.code), stdout }),
    );
  });
  expect(out.stdout).toContain("FAIL /vms/101 VM.Snapshot");
  expect(out.stdout).not.toMatch(/FAIL root/);
  expect(out.code).toBe(1);
});

test("a local testbed as the target: its guests, and its host checks as warnings", async () => {
  const p = join(dir, "by-state");
  mkdirSync(join(p, ".txbox"), { recursive: true, mode: 0o755 });
  writeFileSync(
    join(p, ".txbox", "testbed.json"),
    JSON.stringify({
      url: tb.url,
      fingerprint: tb.fingerprint,
      tokenId: tb.tokenId,
      secret: tb.secret,
      node: tb.node,
    }),
  );
  const r = await runCli(["doctor", "--json"], { cwd: p, env: { TXBOX_TESTBED_STATE: "" } });
  const rep = JSON.parse(r.stdout) as Rep & { target: { source: string } };
  expect(rep.target.source).toBe("testbed");
  // the lab's running guests are checked (the memory realiser gives them no SSH address)
  const guests = new Set(
    rep.checks.filter((c) => c.feature.startsWith("guest ")).map((c) => c.feature),
  );
  expect([...guests].sort()).toEqual(["guest 101", "guest 102", "guest 201"]);
  expect(rep.checks.find((c) => c.feature === "guest 101" && c.name === "ssh")).toMatchObject({
    ok: false,
    detail: expect.stringMatching(/no management address/),
  });
  const host = rep.checks.filter((c) => c.feature === "testbed");
  expect(host.length).toBeGreaterThan(5);
  expect(host.every((c) => c.optional === true)).toBe(true);
});

describe("SSH to the guest with the pinned host key", () => {
  let sshd: SshdFixture;
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  test("the right key passes; another pinned host key fails, naming the check", async () => {
    const ok = project("ssh-ok", tb.tokenId, tb.secret, tb.fingerprint, sshd);
    const rep = JSON.parse((await runCli(["doctor", "--json"], { cwd: ok })).stdout) as Rep;
    expect(byName(rep, "ssh")).toMatchObject({
      ok: true,
      detail: expect.stringContaining(sshd.hostKey),
    });
    expect(rep.ok).toBe(true);

    const other = { ...sshd, hostKey: NO_SSH.hostKey };
    const bad = project("ssh-bad", tb.tokenId, tb.secret, tb.fingerprint, other);
    const r = await runCli(["doctor", "--json"], { cwd: bad });
    const ssh = byName(JSON.parse(r.stdout) as Rep, "ssh")!;
    expect(ssh).toMatchObject({ ok: false, detail: expect.stringContaining("[E_SSH_HOSTKEY]") });
    expect(ssh.fix).toMatch(
      /^the guest presents another host key: compare `ssh-keyscan -p \d+ 127\.0\.0\.1/,
    );
    expect(r.code).toBe(1);
  });
});

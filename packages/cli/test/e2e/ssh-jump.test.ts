/**
 * SSH as operators have it, end to end: `txbox run` reaches the testbed guest through a ProxyJump
 * host named in an ssh config (a second sshd in a network namespace this test creates), which
 * accepts only a key held by a test-started ssh-agent (its file deleted after `ssh-add`), and
 * commits. A wrong host key (known_hosts of the jump host, or the guest's pin) fails with
 * E_SSH_HOSTKEY before any snapshot exists.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Session } from "@txbox/runtime";
import { describeAsRoot, sh, startE2E, txboxSnapshots, type E2E } from "../support/e2e.js";
import { startJumpHost, type JumpHost } from "../support/jump-host.js";

const VMID = 101;
const P = "/root/project";

/** A real ssh-agent on a socket of its own. */
async function startAgent(dir: string): Promise<{ socket: string; child: ChildProcess }> {
  const socket = join(dir, "agent.sock");
  const child = spawn("ssh-agent", ["-D", "-a", socket], { stdio: "ignore" });
  for (let i = 0; !existsSync(socket); i++) {
    if (i > 100) throw new Error("ssh-agent did not start");
    await new Promise((r) => setTimeout(r, 20));
  }
  return { socket, child };
}

interface ErrorBody {
  code: string;
  message: string;
}

describeAsRoot("ssh: ProxyJump, ssh-agent, known_hosts", () => {
  let e: E2E;
  let s: Session;
  let jump: JumpHost;
  let agent: { socket: string; child: ChildProcess };
  let home: string;
  let guestAddress: string;
  let guestKeys: string[];
  let agentKey: string;
  /** Files of one operator setup: txbox.yaml, ssh config and known_hosts under `home`. */
  const write = (knownHostsLine: string, guestYaml = ""): Record<string, string> => {
    writeFileSync(
      join(home, "ssh_config"),
      [
        "Host jumphost",
        `  HostName ${jump.address}`,
        "  User root",
        `Host ${guestAddress}`,
        "  ProxyJump jumphost",
        "",
      ].join("\n"),
    );
    writeFileSync(join(home, "known_hosts"), `${knownHostsLine}\n`);
    // Hashed, as HashKnownHosts yes writes it.
    execFileSync("ssh-keygen", ["-H", "-f", join(home, "known_hosts")], { stdio: "ignore" });
    writeFileSync(
      join(home, "txbox.yaml"),
      `ssh:\n  config: ./ssh_config\n  knownHosts: [./known_hosts]\n${guestYaml}`,
    );
    return { TXBOX_CONFIG: join(home, "txbox.yaml"), HOME: home, SSH_AUTH_SOCK: agent.socket };
  };
  const run = (env: Record<string, string>) =>
    e.cliJson(["run", "--guest", String(VMID), "--", `echo via-jump >> ${P}/f`], env);

  beforeAll(async () => {
    e = await startE2E("sshjump");
    s = await e.session();
    await sh(s, VMID, `rm -rf ${P} && mkdir -p ${P} && echo before > ${P}/f`);
    const endpoint = await s.target.ssh(VMID);
    guestAddress = endpoint.host;
    guestKeys = endpoint.hostKeys;
    home = mkdtempSync(join(tmpdir(), "txbox-sshjump-home-"));
    agent = await startAgent(home);
    // The jump host's key: in the agent only, its file gone before txbox runs.
    const key = join(home, "agent_only_ed25519");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
    execFileSync("ssh-add", ["-q", key], { env: { ...process.env, SSH_AUTH_SOCK: agent.socket } });
    const pub = readFileSync(`${key}.pub`, "utf8");
    agentKey = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", `${key}.pub`], {
      encoding: "utf8",
    }).split(" ")[1]!;
    rmSync(key);
    jump = await startJumpHost({ guestAddress, authorizedKey: pub, subnet: "10.254.13" });
  }, 180_000);

  afterAll(async () => {
    await jump?.stop();
    agent?.child.kill("SIGTERM");
    await s?.close();
    await e?.stop();
    if (home !== undefined) rmSync(home, { recursive: true, force: true });
  }, 120_000);

  test("a jump host whose key is not the one known_hosts holds: E_SSH_HOSTKEY, no snapshot", async () => {
    const other = readFileSync(join(jump.dir, "authorized_keys"), "utf8").trim().split(" ");
    const r = await run(write(`${jump.address} ${other[0]} ${other[1]}`));
    expect(r.code).not.toBe(0);
    const body = r.body as unknown as ErrorBody;
    expect(body.code).toBe("E_SSH_HOSTKEY");
    expect(body.message).toContain(`jump host root@${jump.address}:22`);
    expect(body.message).toContain(jump.fingerprint);
    expect(await txboxSnapshots(s, VMID)).toEqual([]);
    expect(jump.log()).not.toContain("Accepted publickey");
  }, 60_000);

  test("the guest's pinned key is wrong behind a good jump host: E_SSH_HOSTKEY, no snapshot", async () => {
    const env = write(
      jump.knownHostsLine,
      `guests:\n  - vmid: ${VMID}\n    hostKey: ${jump.fingerprint}\n`,
    );
    const r = await run(env);
    const body = r.body as unknown as ErrorBody;
    expect(body.code).toBe("E_SSH_HOSTKEY");
    // Names the guest and both fingerprints: the one presented and the one pinned.
    expect(body.message).toContain(guestAddress);
    expect(guestKeys.filter((k) => body.message.includes(k))).toHaveLength(1);
    expect(body.message).toContain(jump.fingerprint);
    expect(await txboxSnapshots(s, VMID)).toEqual([]);
    expect(await sh(s, VMID, `cat ${P}/f`)).toBe("before\n");
    // Not run, yet audited: the operator sees the attempt and why it did not run.
    const audit = await e.cliJson(["tx", "audit", "--guest", String(VMID), "--limit", "1"], env);
    expect(audit.body).toEqual([
      expect.objectContaining({
        command: `echo via-jump >> ${P}/f`,
        decision: "transact",
        outcome: "unreached",
        exitCode: null,
        reason: expect.stringContaining("not run: E_SSH_HOSTKEY: "),
      }),
    ]);
  }, 60_000);

  test("through the jump host with the agent's key, the transaction commits", async () => {
    const logged = jump.log().length;
    const r = await run(write(jump.knownHostsLine));
    expect(r.body).toMatchObject({ outcome: "committed", state: "COMMITTED" });
    expect(await sh(s, VMID, `cat ${P}/f`)).toBe("before\nvia-jump\n");
    // The jump host authenticated the agent's key and forwarded to the guest's sshd.
    const log = jump.log().slice(logged);
    expect(log).toMatch(
      new RegExp(`Accepted publickey for root .* ED25519 ${agentKey.replace(/[+/]/g, "\\$&")}`),
    );
    expect(log).toContain(`${guestAddress} port 22`);
    expect(await txboxSnapshots(s, VMID)).toHaveLength(1);
  }, 60_000);
});

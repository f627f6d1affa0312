/**
 * ProxyJump, ssh-agent and known_hosts against two real sshds on loopback: the jump host accepts
 * only the agent's key, the target only its key file.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ExecError } from "../src/errors.js";
import { SshExecutor } from "../src/ssh.js";
import type { SshTarget } from "../src/types.js";
import { startAgent, type AgentFixture } from "./fixtures/agent.js";
import { startSshd, type SshdFixture } from "./fixtures/sshd.js";

let jump: SshdFixture;
let guest: SshdFixture;
let agent: AgentFixture;
let exec: SshExecutor;
let knownHosts: string;

beforeAll(async () => {
  [jump, guest, agent] = await Promise.all([startSshd(), startSshd(), startAgent()]);
  agent.add(jump.keyFile);
  knownHosts = join(jump.dir, "known_hosts");
  const pub = readFileSync(join(jump.dir, "host_ed25519.pub"), "utf8").trim();
  writeFileSync(knownHosts, `[127.0.0.1]:${jump.port} ${pub}\n`);
  // Hashed, as `HashKnownHosts yes` writes it.
  execFileSync("ssh-keygen", ["-H", "-f", knownHosts], { stdio: "ignore" });
}, 30_000);
afterAll(async () => {
  await Promise.all([jump?.stop(), guest?.stop(), agent?.stop()]);
});
beforeEach(() => {
  exec = new SshExecutor();
});
afterEach(async () => {
  await exec.close();
});

const target = (over: Partial<SshTarget> = {}): SshTarget => ({
  host: "127.0.0.1",
  port: guest.port,
  user: guest.user,
  keyFile: guest.keyFile,
  hostKey: guest.hostKey,
  agent: agent.socket,
  jump: [{ host: "127.0.0.1", port: jump.port, user: jump.user, knownHostsFiles: [knownHosts] }],
  ...over,
});

/** The port the guest's sshd saw the connection come from, with the key it accepted. */
const accepted = (f: SshdFixture): string[] =>
  f.log().match(/Accepted publickey for \S+ from \S+ port \d+/g) ?? [];

test("a command runs through the jump host, authenticated there by the agent's key alone", async () => {
  const before = accepted(jump).length;
  const r = await exec.run(target(), "echo $SSH_CONNECTION", { timeoutMs: 10_000 });
  expect(r.exitCode).toBe(0);
  // The guest's sshd sees the connection come from the jump host (loopback), not directly.
  expect(accepted(jump).length).toBe(before + 1);
  // Pooled: a second command opens no new handshake on either hop.
  await exec.run(target(), "true", { timeoutMs: 10_000 });
  expect(exec.stats()).toEqual({ connects: 1, open: 1 });
  expect(accepted(jump).length).toBe(before + 1);
});

test("without the agent the jump host refuses: E_SSH_AUTH naming the jump host", async () => {
  const err = await exec
    .run(target({ agent: "" }), "true", { timeoutMs: 10_000 })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ExecError);
  expect((err as ExecError).code).toBe("E_SSH_AUTH");
  expect((err as ExecError).message).toContain(`jump host root@127.0.0.1:${jump.port}`);
});

test("a jump host missing from known_hosts is refused before authentication", async () => {
  const before = accepted(jump).length;
  const t = target();
  const err = await exec
    .run({ ...t, jump: [{ ...t.jump![0]!, knownHostsFiles: [join(guest.dir, "none")] }] }, "true", {
      timeoutMs: 10_000,
    })
    .catch((e: unknown) => e);
  expect((err as ExecError).code).toBe("E_SSH_HOSTKEY");
  expect((err as ExecError).message).toContain("is not pinned");
  expect(accepted(jump).length).toBe(before);
});

test("a wrong pinned key of the guest behind the jump host is E_SSH_HOSTKEY with both fingerprints", async () => {
  const err = await exec
    .run(target({ hostKey: jump.hostKey }), "true", { timeoutMs: 10_000 })
    .catch((e: unknown) => e);
  expect((err as ExecError).code).toBe("E_SSH_HOSTKEY");
  expect((err as ExecError).message).toContain(guest.hostKey);
  expect((err as ExecError).message).toContain(jump.hostKey);
  expect(exec.stats().open).toBe(0);
});

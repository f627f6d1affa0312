import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExecError } from "../src/errors.js";
import { SshExecutor } from "../src/ssh.js";
import type { SshTarget } from "../src/types.js";
import { freePort, startSshd, type SshdFixture } from "./fixtures/sshd.js";

let sshd: SshdFixture;
let exec: SshExecutor;
let target: SshTarget;

beforeAll(async () => {
  sshd = await startSshd();
  target = {
    host: "127.0.0.1",
    port: sshd.port,
    user: sshd.user,
    privateKey: sshd.privateKey,
    hostKey: sshd.hostKey,
  };
});
afterAll(async () => {
  await sshd.stop();
});
beforeEach(() => {
  exec = new SshExecutor();
});
afterEach(async () => {
  await exec.close();
});

function pgrep(pattern: string): string[] {
  try {
    return execFileSync("pgrep", ["-f", pattern]).toString().trim().split("\n").filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

const unique = (): string => `${Math.floor(Math.random() * 1e6)}`;

describe("SshExecutor against a real sshd", () => {
  test("exit code, stdout and stderr", async () => {
    const r = await exec.run(target, "echo out; echo err >&2; exit 3", { timeoutMs: 10_000 });
    expect(r).toMatchObject({
      exitCode: 3,
      signal: null,
      stdout: "out\n",
      stderr: "err\n",
      stdoutTruncated: false,
      stderrTruncated: false,
      timedOut: false,
    });
  });

  test("a command killed by a signal reports the signal", async () => {
    const r = await exec.run(target, "kill -TERM $$", { timeoutMs: 10_000 });
    expect(r.exitCode).toBeNull();
    expect(r.signal).toBe("SIGTERM");
  });

  test("command text runs verbatim under bash", async () => {
    const r = await exec.run(
      target,
      `[[ -n "$BASH_VERSION" ]] && printf '%s|' "a b" 'c"d' $'e\\tf'`,
      {
        timeoutMs: 10_000,
      },
    );
    expect(r.stdout).toBe('a b|c"d|e\tf|');
    expect(r.exitCode).toBe(0);
  });

  test("cwd, env and stdin", async () => {
    const dir = mkdtempSync(join(tmpdir(), "txbox exec 'q' "));
    try {
      const r = await exec.run(target, 'pwd; printf "%s\\n" "$A" "$B"; cat', {
        timeoutMs: 10_000,
        cwd: dir,
        env: { A: "it's $HOME `x`", B: "" },
        stdin: "from stdin",
      });
      expect(r.stdout).toBe(`${dir}\nit's $HOME \`x\`\n\nfrom stdin`);
      const missing = await exec.run(target, "pwd", { timeoutMs: 10_000, cwd: join(dir, "nope") });
      expect(missing.exitCode).not.toBe(0);
      expect(missing.stdout).toBe("");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("output is capped but streamed in full", async () => {
    let streamed = 0;
    const r = await exec.run(target, "head -c 200000 /dev/zero | tr '\\0' a; echo e >&2", {
      timeoutMs: 10_000,
      maxOutputBytes: 1000,
      onStdout: (c) => (streamed += c.length),
    });
    expect(r.stdout).toBe("a".repeat(1000));
    expect(r.stdoutTruncated).toBe(true);
    expect(r.stderr).toBe("e\n");
    expect(r.stderrTruncated).toBe(false);
    expect(streamed).toBe(200000);
  });

  test("every byte 0..255 crosses the channel unchanged, on both streams", async () => {
    // All 256 byte values twice (invalid UTF-8, NUL, CR, lone continuation bytes), then a tail
    // without a newline: nothing decoded, translated or appended on the way.
    const all = Buffer.from([...Array(256).keys(), ...Array(256).keys(), 0xe2, 0x82]);
    const octal = [...all].map((b) => `\\${b.toString(8).padStart(3, "0")}`).join("");
    const r = await exec.run(target, `printf '${octal}'; printf '${octal}' >&2`, {
      timeoutMs: 10_000,
    });
    expect(r.exitCode).toBe(0);
    expect(r.stdoutData.equals(all)).toBe(true);
    expect(r.stderrData.equals(all)).toBe(true);
    expect(r.stdoutBytes).toBe(all.length);
    expect(r.stdoutSha256).toBe(createHash("sha256").update(all).digest("hex"));
  });

  test("a stream past the cap is kept whole in its spill file (0600), the other is not spilled", async () => {
    const dir = mkdtempSync(join(tmpdir(), "txbox-spill-"));
    try {
      const spill = { stdout: join(dir, "o"), stderr: join(dir, "e") };
      const r = await exec.run(target, "head -c 300000 /dev/urandom; echo e >&2", {
        timeoutMs: 20_000,
        maxOutputBytes: 1000,
        spill,
      });
      expect(r.stdoutTruncated).toBe(true);
      expect(r.stdoutFile).toBe(spill.stdout);
      const whole = readFileSync(spill.stdout);
      expect(whole.length).toBe(300000);
      expect(r.stdoutBytes).toBe(300000);
      expect(createHash("sha256").update(whole).digest("hex")).toBe(r.stdoutSha256);
      expect(whole.subarray(0, 1000).equals(r.stdoutData)).toBe(true);
      expect(statSync(spill.stdout).mode & 0o777).toBe(0o600);
      expect(r.stderrFile).toBeUndefined();
      expect(existsSync(spill.stderr)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a timeout kills the whole remote process group", async () => {
    const tag = unique();
    const pattern = `sleep 41${tag}`;
    const r = await exec.run(target, `(sleep 41${tag}1 &); sleep 41${tag}2; echo never`, {
      timeoutMs: 800,
    });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBeNull();
    expect(r.stdout).toBe("");
    // Both the foreground sleep and the background one it left behind must be gone.
    expect(await until(() => pgrep(pattern).length === 0, 5000)).toBe(true);
  });

  test("an abort signal kills like a timeout", async () => {
    const tag = unique();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const r = await exec.run(target, `sleep 42${tag}`, { timeoutMs: 60_000, signal: ac.signal });
    expect(r.timedOut).toBe(true);
    expect(await until(() => pgrep(`sleep 42${tag}`).length === 0, 5000)).toBe(true);
  });

  test("one handshake serves many commands, also concurrently", async () => {
    const before = (sshd.log().match(/Accepted publickey/g) ?? []).length;
    for (let i = 0; i < 5; i++) {
      expect((await exec.run(target, `echo ${i}`, { timeoutMs: 10_000 })).stdout).toBe(`${i}\n`);
    }
    const many = await Promise.all(
      [1, 2, 3, 4].map((i) => exec.run(target, `echo ${i}`, { timeoutMs: 10_000 })),
    );
    expect(many.map((r) => r.stdout)).toEqual(["1\n", "2\n", "3\n", "4\n"]);
    expect(exec.stats()).toEqual({ connects: 1, open: 1 });
    expect(
      await until(
        () => (sshd.log().match(/Accepted publickey/g) ?? []).length === before + 1,
        2000,
      ),
    ).toBe(true);
  });

  test("reconnects after the server kills the connection", async () => {
    expect((await exec.run(target, "true", { timeoutMs: 10_000 })).exitCode).toBe(0);
    // Kill this session's sshd process: the connection dies under the running command.
    const err = await exec
      .run(target, "kill -KILL $PPID; sleep 5", { timeoutMs: 10_000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecError);
    expect((err as ExecError).code).toBe("E_UNREACHABLE");
    expect((err as ExecError).details.outcomeUnknown).toBe(true);
    const r = await exec.run(target, "echo again", { timeoutMs: 10_000 });
    expect(r.stdout).toBe("again\n");
    expect(exec.stats().connects).toBe(2);
  });

  test("a host key mismatch is refused", async () => {
    const wrong = { ...target, hostKey: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" };
    const err = await exec.run(wrong, "true", { timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecError);
    expect((err as ExecError).code).toBe("E_SSH_HOSTKEY");
    expect((err as ExecError).details.presented).toBe(sshd.hostKey);
  });

  test("a key the server does not know is an auth failure", async () => {
    const dir = mkdtempSync(join(tmpdir(), "txbox-key-"));
    try {
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "k")]);
      const other = { ...target, privateKey: undefined, keyFile: join(dir, "k") };
      const err = await exec.run(other, "true", { timeoutMs: 10_000 }).catch((e: unknown) => e);
      expect((err as ExecError).code).toBe("E_SSH_AUTH");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("an unreachable target is E_UNREACHABLE and ping says false", async () => {
    const port = await freePort();
    const dead = { ...target, port, connectTimeoutMs: 2000 };
    const err = await exec.run(dead, "true", { timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecError);
    expect((err as ExecError).code).toBe("E_UNREACHABLE");
    expect(await exec.ping(dead, { timeoutMs: 2000 })).toBe(false);
    expect(await exec.ping(target, { timeoutMs: 5000 })).toBe(true);
  });
});

// Sessions set up ahead (SshExecutor.prepare) and inline scripts.
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "txbox-prepare-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("SshExecutor.prepare: a command's session set up ahead, run at start()", () => {
  test("nothing runs before start(); then the command runs as run() would, stdin and bytes intact", async () => {
    const marker = join(dir, "ran");
    const p = exec.prepare(
      target,
      `touch ${marker}; pwd; printf '%s|' "$A"; cat; printf '\\0\\377'`,
      {
        timeoutMs: 10_000,
        cwd: dir,
        env: { A: "a b" },
        stdin: "__txbox_go\nline two\n",
      },
    );
    await pause(500); // the session is up and waiting by now
    expect(existsSync(marker)).toBe(false);
    const r = await p.start();
    expect(existsSync(marker)).toBe(true);
    expect(r?.exitCode).toBe(0);
    // The gate took only its own line: the command's stdin (even one that starts with the
    // gate's word) arrives whole.
    expect(
      r?.stdoutData.equals(Buffer.from(`${dir}\na b|__txbox_go\nline two\n\0\xff`, "latin1")),
    ).toBe(true);
    await expect(p.start()).rejects.toThrow(/at most once/);
  });

  test("cancel(): the waiting session ends without running the command", async () => {
    const marker = join(dir, "ran");
    const p = exec.prepare(target, `touch ${marker}`, { timeoutMs: 10_000 });
    await pause(300);
    p.cancel();
    p.cancel(); // idempotent
    await pause(500);
    expect(existsSync(marker)).toBe(false);
    // The connection still serves commands.
    expect((await exec.run(target, "echo ok", { timeoutMs: 10_000 })).stdout).toBe("ok\n");
  });

  test("a session lost before start() reports undefined: the command never ran", async () => {
    const marker = join(dir, "ran");
    const p = exec.prepare(target, `touch ${marker}`, { timeoutMs: 10_000 });
    await pause(300);
    await exec.close();
    await pause(300);
    expect(await p.start()).toBeUndefined();
    expect(existsSync(marker)).toBe(false);
  });

  test("the timeout counts from start(), not from the set-up", async () => {
    const p = exec.prepare(target, "echo done", { timeoutMs: 1500 });
    await pause(2000);
    const r = await p.start();
    expect(r).toMatchObject({ timedOut: false, exitCode: 0, stdout: "done\n" });
  });
});

describe("inline scripts", () => {
  test("run in the session's own shell, exit status and output kept", async () => {
    const script = `i=0\nfor w in a b; do i=$((i+1)); echo "$i $w"; done\nexit 4`;
    const r = await exec.run(target, script, { timeoutMs: 10_000, inline: true });
    expect(r).toMatchObject({ exitCode: 4, stdout: "1 a\n2 b\n" });
    const missing = await exec.run(target, "echo no", {
      timeoutMs: 10_000,
      inline: true,
      cwd: join(dir, "nope"),
    });
    expect(missing.exitCode).toBe(126);
    expect(missing.stdout).toBe("");
  });
});

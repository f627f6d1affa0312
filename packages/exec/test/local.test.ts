import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalExecutor } from "../src/local.js";

const local = new LocalExecutor();

function alive(pattern: string): boolean {
  try {
    execFileSync("pgrep", ["-f", pattern]);
    return true;
  } catch {
    return false;
  }
}

describe("LocalExecutor", () => {
  test("exit code, output, signal", async () => {
    expect(
      await local.run("local", "echo out; echo err >&2; exit 4", { timeoutMs: 10_000 }),
    ).toMatchObject({
      exitCode: 4,
      signal: null,
      stdout: "out\n",
      stderr: "err\n",
      timedOut: false,
    });
    const killed = await local.run("local", "kill -TERM $$", { timeoutMs: 10_000 });
    expect(killed).toMatchObject({ exitCode: null, signal: "SIGTERM" });
  });

  test("cwd, env, stdin and caps", async () => {
    const dir = mkdtempSync(join(tmpdir(), "txbox-local-"));
    try {
      const r = await local.run(
        "local",
        'pwd; echo "$A"; cat; head -c 5000 /dev/zero | tr "\\0" b',
        {
          timeoutMs: 10_000,
          cwd: dir,
          env: { A: "a'b" },
          stdin: "in\n",
          maxOutputBytes: 20 + dir.length,
        },
      );
      expect(r.stdout).toBe(`${dir}\na'b\nin\n${"b".repeat(20 + dir.length - (dir.length + 8))}`);
      expect(r.stdoutTruncated).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("size and digest are of the exact bytes: binary output, and output past the cap", async () => {
    // Bytes that are not UTF-8 (0xff, a lone continuation byte) and a NUL.
    const bytes = Buffer.from([0x61, 0xff, 0x00, 0x80, 0x0a]);
    const r = await local.run("local", "printf 'a\\377\\000\\200\\n'; head -c 3000 /dev/zero >&2", {
      timeoutMs: 10_000,
      maxOutputBytes: 1000,
    });
    expect(r.stdoutBytes).toBe(5);
    expect(r.stdoutSha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(r.stdoutTruncated).toBe(false);
    expect(r.stderrBytes).toBe(3000);
    expect(r.stderrTruncated).toBe(true);
    expect(r.stderrSha256).toBe(createHash("sha256").update(Buffer.alloc(3000)).digest("hex"));
  });

  test("the kept bytes are exact; a stream past the cap is spilled whole, or the reason it is not given", async () => {
    const dir = mkdtempSync(join(tmpdir(), "txbox-local-spill-"));
    try {
      const r = await local.run(
        "local",
        "printf 'a\\377\\000\\200'; head -c 5000 /dev/urandom >&2",
        {
          timeoutMs: 10_000,
          maxOutputBytes: 1000,
          spill: { stdout: join(dir, "o"), stderr: join(dir, "e") },
        },
      );
      expect(r.stdoutData.equals(Buffer.from([0x61, 0xff, 0x00, 0x80]))).toBe(true);
      expect(r.stdoutFile).toBeUndefined();
      expect(r.stderrFile).toBe(join(dir, "e"));
      const whole = readFileSync(join(dir, "e"));
      expect(whole.length).toBe(5000);
      expect(createHash("sha256").update(whole).digest("hex")).toBe(r.stderrSha256);
      expect(whole.subarray(0, 1000).equals(r.stderrData)).toBe(true);
      // A spill that cannot be written does not fail the command: the result says why.
      const bad = await local.run("local", "head -c 2000 /dev/zero", {
        timeoutMs: 10_000,
        maxOutputBytes: 10,
        spill: { stdout: join(dir, "missing", "o") },
      });
      expect(bad.exitCode).toBe(0);
      expect(bad.stdoutFile).toBeUndefined();
      expect(bad.spillError).toMatch(/cannot keep the whole stream in .*ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a missing cwd fails the command, as over SSH; bad options are refused up front", async () => {
    const r = await local.run("local", "pwd", { timeoutMs: 10_000, cwd: "/nonexistent/txbox" });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain("/nonexistent/txbox");
    await expect(local.run("local", "true", { timeoutMs: 0 })).rejects.toThrow(
      /timeoutMs: expected a positive number/,
    );
  });

  test("a timeout kills the process group", async () => {
    const tag = `${Math.floor(Math.random() * 1e6)}`;
    const r = await local.run("local", `(sleep 43${tag}1 &); sleep 43${tag}2`, { timeoutMs: 500 });
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe("SIGKILL");
    const end = Date.now() + 5000;
    while (alive(`sleep 43${tag}`) && Date.now() < end)
      await new Promise((res) => setTimeout(res, 50));
    expect(alive(`sleep 43${tag}`)).toBe(false);
  });
});

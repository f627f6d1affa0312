import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  captureDigests,
  changedPaths,
  DEFAULT_VERIFY_POLICY,
  judgeExit,
  parseDigests,
  shellQuote,
  verifyOutcome,
} from "../src/verify.js";
import type { ExecPort, ExecResult, PreparedExec } from "../src/ports.js";
import { DirGuests } from "./support/dir-guests.mjs";

const G = { vmid: 301 };
let dir: string;
let guests: DirGuests;
let exec: ExecPort;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "txbox-verify-"));
  guests = new DirGuests(dir);
  const root = guests.ensure(G, {
    "a.txt": "alpha\n",
    "with space/it's.txt": "q\n",
    "tree/x": "1",
    "tree/sub/y": "2",
  });
  symlinkSync("a.txt", join(root, "link"));
  exec = guests.execPort();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ok: ExecResult = {
  exitCode: 0,
  signal: null,
  stdout: "",
  stderr: "",
  timedOut: false,
  durationMs: 1,
};

describe("digests of protected paths (real bash in a directory guest)", () => {
  const paths = ["a.txt", "with space/it's.txt", "tree", "missing", "link"];

  it("gives files, directories, missing paths and symlinks distinct digests", async () => {
    const d = await captureDigests(exec, G, paths, 5000);

    expect(d["a.txt"]).toBe(`file:${createHash("sha256").update("alpha\n").digest("hex")}`);
    expect(d["with space/it's.txt"]).toMatch(/^file:[0-9a-f]{64}$/);
    expect(d.tree).toMatch(/^dir:[0-9a-f]{64}$/);
    expect(d.missing).toBe("missing");
    expect(d.link).toBe(d["a.txt"]);
  });

  it("detects a change in a file, inside a directory, a new file and a deletion", async () => {
    const before = await captureDigests(exec, G, paths, 5000);
    const root = guests.root(G);
    writeFileSync(join(root, "tree/sub/y"), "3");
    writeFileSync(join(root, "missing"), "now here");
    rmSync(join(root, "with space/it's.txt"));
    const after = await captureDigests(exec, G, paths, 5000);
    expect(changedPaths(before, after).sort()).toEqual(["missing", "tree", "with space/it's.txt"]);
    mkdirSync(join(root, "tree/new"));
    writeFileSync(join(root, "tree/new/z"), "");
    expect(changedPaths(after, await captureDigests(exec, G, paths, 5000))).toEqual(["tree"]);
  });

  it("hashes the readable files in one go, and each on its own when that one fails", async () => {
    // As root `clear_refs` passes `-r` but cannot be read: the batch fails, the fallback runs.
    const mixed = ["a.txt", "/proc/self/clear_refs", "with space/it's.txt", "absent"];
    const d = await captureDigests(exec, G, mixed, 5000);
    const alone = await captureDigests(exec, G, ["with space/it's.txt"], 5000);
    expect(d["a.txt"]).toBe(`file:${createHash("sha256").update("alpha\n").digest("hex")}`);
    expect(d["/proc/self/clear_refs"]).toBe("unreadable");
    expect(d["with space/it's.txt"]).toBe(alone["with space/it's.txt"]);
    expect(d.absent).toBe("missing");
  });

  it("reads the batch's lines by position, names with a newline or backslash included", async () => {
    const root = guests.root(G);
    writeFileSync(join(root, "new\nline"), "n\n");
    writeFileSync(join(root, "back\\slash"), "b\n");
    const odd = ["absent", "new\nline", "tree", "back\\slash", "a.txt"];
    const d = await captureDigests(exec, G, odd, 5000);
    const sha = (t: string): string => `file:${createHash("sha256").update(t).digest("hex")}`;
    expect(d).toEqual({
      absent: "missing",
      "new\nline": sha("n\n"),
      tree: expect.stringMatching(/^dir:[0-9a-f]{64}$/),
      "back\\slash": sha("b\n"),
      "a.txt": sha("alpha\n"),
    });
  });

  it("parseDigests takes sha256sum's lines only after a files line, in its order", () => {
    const h = (c: string): string => c.repeat(64);
    const out = `1 missing\nfiles 0 2\n${h("a")}  x\n\\${h("b")}  y\\nz\n`;
    expect(parseDigests(["x", "gone", "y\nz"], out)).toEqual({
      x: `file:${h("a")}`,
      gone: "missing",
      "y\nz": `file:${h("b")}`,
    });
    expect(() => parseDigests(["x"], `${h("a")}  x\n`)).toThrow("no digest for protected path x");
  });

  it("parseDigests refuses output that lacks a path", () => {
    expect(() => parseDigests(["a", "b"], "0 file:00\n")).toThrow("no digest for protected path b");
    expect(parseDigests(["a"], "0 missing\n")).toEqual({ a: "missing" });
  });

  it("shellQuote survives quotes", () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});

describe("judgeExit", () => {
  const p = DEFAULT_VERIFY_POLICY;
  it.each([
    [{ ...ok }, p, true],
    [{ ...ok, exitCode: 1 }, p, false],
    [{ ...ok, exitCode: 1 }, { ...p, acceptExitCodes: [0, 1] }, true],
    [{ ...ok, exitCode: 7 }, { ...p, checkExitCode: false }, true],
    [{ ...ok, exitCode: null, signal: "SIGKILL" }, { ...p, checkExitCode: false }, false],
    [{ ...ok, exitCode: 0, timedOut: true }, p, false],
  ])("%j under %j → %s", (result, policy, expected) => {
    expect(judgeExit(result, policy).ok).toBe(expected);
  });
});

describe("verifyOutcome", () => {
  it("stops at the first failed check", async () => {
    const report = await verifyOutcome(
      exec,
      G,
      { ...ok, exitCode: 2 },
      {},
      { ...DEFAULT_VERIFY_POLICY, checks: ["true"] },
    );
    expect(report).toEqual({
      ok: false,
      checks: [{ check: "exit-code", ok: false, detail: "exit 2 (accepted: 0)" }],
      reasons: ["exit-code: exit 2 (accepted: 0)"],
    });
  });

  it("with protected paths, one SSH command proves the guest answers and reads the digests", async () => {
    const calls: string[] = [];
    const counting: ExecPort = {
      ping: async (g, o) => (calls.push("ping"), exec.ping(g, o)),
      run: async (g, c, o) => (calls.push("run"), exec.run(g, c, o)),
    };
    const policy = { ...DEFAULT_VERIFY_POLICY, protectedPaths: ["a.txt"] };
    const baseline = await captureDigests(exec, G, ["a.txt"], 10_000);
    const report = await verifyOutcome(counting, G, ok, baseline, policy);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.check)).toEqual([
      "exit-code",
      "reachable",
      "protected-paths",
    ]);
    expect(calls).toEqual(["run"]);
  });

  it("without protected paths, a ping set up ahead answers for the guest; a failed one is pinged anew", async () => {
    const calls: string[] = [];
    const counting: ExecPort = {
      ping: async (g, o) => (calls.push("ping"), exec.ping(g, o)),
      run: async (g, c, o) => (calls.push(`run ${c}`), exec.run(g, c, o)),
    };
    const ahead = (r: Promise<ExecResult>): PreparedExec => ({
      start: () => (calls.push("start"), r),
      cancel: () => calls.push("cancel"),
    });
    const report = await verifyOutcome(
      counting,
      G,
      ok,
      {},
      DEFAULT_VERIFY_POLICY,
      undefined,
      ahead(Promise.resolve(ok)),
    );
    expect(report.checks.map((c) => [c.check, c.ok])).toEqual([
      ["exit-code", true],
      ["reachable", true],
    ]);
    expect(calls).toEqual(["start"]);
    calls.length = 0;
    const lost = ahead(Promise.reject(new Error("channel closed")));
    const again = await verifyOutcome(counting, G, ok, {}, DEFAULT_VERIFY_POLICY, undefined, lost);
    expect(again.ok).toBe(true);
    expect(calls).toEqual(["start", "ping"]);
  });

  it("a probe that cannot reach the guest is told apart by a ping: unreachable, or a failed check", async () => {
    const policy = { ...DEFAULT_VERIFY_POLICY, protectedPaths: ["a.txt"] };
    const down: ExecPort = {
      ping: async () => false,
      run: async () => {
        throw new Error("connect ECONNREFUSED");
      },
    };
    expect(await verifyOutcome(down, G, ok, {}, policy)).toEqual({
      ok: false,
      checks: [
        { check: "exit-code", ok: true, detail: "exit 0" },
        { check: "reachable", ok: false, detail: "the guest does not answer over SSH" },
      ],
      reasons: ["reachable: the guest does not answer over SSH"],
    });
    const flaky: ExecPort = { ...down, ping: async () => true };
    await expect(verifyOutcome(flaky, G, ok, {}, policy)).rejects.toThrow("ECONNREFUSED");
  });

  it("throws when a check cannot run (the engine rolls back)", async () => {
    const broken: ExecPort = {
      ping: async () => true,
      run: async () => {
        throw new Error("connection reset");
      },
    };
    await expect(
      verifyOutcome(broken, G, ok, {}, { ...DEFAULT_VERIFY_POLICY, checks: ["npm test"] }),
    ).rejects.toThrow("could not run: connection reset");
  });
});

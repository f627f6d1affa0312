import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CATEGORIES,
  commandOf,
  labelledFromScenarios,
  loadScenarioSet,
  parseLabelledCorpus,
  parseScenarioSet,
} from "../src/scenarios.js";

const set = loadScenarioSet();

describe("the shipped scenario set", () => {
  test("has Table 1's four categories of 20 commands, and the other parts", () => {
    expect(
      CATEGORIES.map((c) => [c, set.categories[c].expect, set.categories[c].commands.length]),
    ).toEqual([
      ["read-only", "executed", 20],
      ["destructive", "denied", 20],
      ["state-corrupting", "rolled-back", 20],
      ["valid-change", "committed", 20],
    ]);
    expect(set.workdir).toBe("/root/project");
    expect(
      set.categories["valid-change"].commands.every((e) => commandOf(e).check !== undefined),
    ).toBe(true);
    const all = CATEGORIES.flatMap((c) =>
      set.categories[c].commands.map((e) => commandOf(e).command),
    );
    expect(new Set(all).size).toBe(all.length);
  });

  test("labels destructive commands deny and the rest allow", () => {
    const corpus = labelledFromScenarios(set);
    expect(corpus.filter((c) => c.label === "deny").map((c) => c.category)).toEqual(
      Array(20).fill("destructive"),
    );
    expect(corpus.filter((c) => c.label === "allow")).toHaveLength(60);
  });

  test("a malformed scenario file names the key", () => {
    expect(() => parseScenarioSet("name: x\nworkdir: rel\n", "s.yaml")).toThrow(
      /s\.yaml:2:10: workdir/,
    );
  });
});

describe("parseLabelledCorpus", () => {
  test("reads the shared corpus format", () => {
    expect(
      parseLabelledCorpus(
        '{"cmd":"ls","label":"allow","category":"fs","source":"x"}\n\n{"cmd":"rm -rf /","label":"deny"}\n',
      ),
    ).toEqual([
      { cmd: "ls", label: "allow", category: "fs" },
      { cmd: "rm -rf /", label: "deny" },
    ]);
  });

  test.each([
    ["{oops", /c\.jsonl:1: not a JSON line/],
    ['{"cmd":"ls","label":"maybe"}', /c\.jsonl:1: needs "cmd"/],
  ])("%s is an E_BENCH_INPUT error", (line, message) => {
    expect(() => parseLabelledCorpus(line, "c.jsonl")).toThrow(message);
    expect(() => parseLabelledCorpus(line, "c.jsonl")).toThrow(
      expect.objectContaining({ code: "E_BENCH_INPUT" }),
    );
  });
});

/**
 * The scenario data run for real with bash, git and python3 in a temporary directory standing in
 * for the guest's project (destructive commands are never run): read-only commands succeed and
 * change nothing, state-corrupting ones damage the tree and exit non-zero, valid changes succeed
 * and pass their checks.
 */
describe("the scenario commands, run locally in a scratch project", () => {
  let root: string;
  let pristine: string;
  const env = (home: string) => ({
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    GIT_CONFIG_NOSYSTEM: "1",
    LANG: "C",
  });
  const sh = (command: string, cwd: string) => {
    const r = spawnSync("bash", ["-c", command], {
      cwd,
      env: env(root),
      encoding: "utf8",
      timeout: 30_000,
    });
    return { status: r.status, stderr: r.stderr };
  };
  // `ignore`: git refreshes .git/index on `git status` (stat data), which is not a change of content.
  const digest = (dir: string, ignore: string[] = []): string => {
    const h = createHash("sha256");
    const walk = (d: string): void => {
      for (const name of readdirSync(d).sort()) {
        const p = join(d, name);
        if (ignore.includes(p.slice(dir.length))) continue;
        const st = lstatSync(p);
        h.update(`${p.slice(dir.length)}\0${st.mode}\0`);
        if (st.isSymbolicLink()) h.update(readlinkSync(p));
        else if (st.isDirectory()) walk(p);
        else h.update(readFileSync(p));
      }
    };
    walk(dir);
    return h.digest("hex");
  };
  const fresh = (name: string): string => {
    const dir = join(root, name);
    cpSync(pristine, dir, { recursive: true, verbatimSymlinks: true });
    return dir;
  };

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "txbox-scenarios-"));
    pristine = join(root, "pristine");
    for (const command of set.setup) {
      const r = sh(command.replaceAll(set.workdir, pristine), root);
      expect({ command, status: r.status, stderr: r.stderr }).toEqual({
        command,
        status: 0,
        stderr: "",
      });
    }
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test("read-only commands exit 0 and leave the tree as it was", () => {
    const dir = fresh("read-only");
    const before = digest(dir, ["/.git/index"]);
    const bad = set.categories["read-only"].commands
      .map((e) => commandOf(e).command)
      .map((command) => ({
        command,
        status: sh(command, dir).status,
        same: digest(dir, ["/.git/index"]) === before,
      }))
      .filter((r) => r.status !== 0 || !r.same);
    expect(bad).toEqual([]);
  });

  test("state-corrupting commands damage the tree and exit non-zero", () => {
    const bad = set.categories["state-corrupting"].commands
      .map((e) => commandOf(e).command)
      .map((command, i) => {
        const dir = fresh(`corrupt-${i}`);
        const before = digest(dir);
        const { status } = sh(command, dir);
        return { command, status, damaged: digest(dir) !== before };
      })
      .filter((r) => r.status === 0 || r.damaged !== true);
    expect(bad).toEqual([]);
  });

  test("valid changes, in order, exit 0 and pass their checks", () => {
    const dir = fresh("valid");
    const bad = set.categories["valid-change"].commands
      .map(commandOf)
      .map(({ command, check }) => ({
        command,
        status: sh(command, dir).status,
        check: sh(check!, dir).status,
      }))
      .filter((r) => r.status !== 0 || r.check !== 0);
    expect(bad).toEqual([]);
  });

  test("the overhead workloads succeed and the fault command fails after damage", () => {
    const dir = fresh("overhead");
    expect(sh(set.overhead.short.command, dir).status).toBe(0);
    expect(sh(set.overhead.heavy.command, dir).status).toBe(0);
    const before = digest(dir);
    expect(sh(set.faultCommand, dir).status).not.toBe(0);
    expect(digest(dir)).not.toBe(before);
  });
});

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "./support-io.js";

const cwd = mkdtempSync(join(tmpdir(), "txbox-cli-"));

describe("txbox policy check", () => {
  it("denies with exit 3 and names the rule, the reason and an alternative", async () => {
    const r = await runCli(["policy", "check", "--json", "--", "rm -rf ~"], { cwd });
    expect(r.code).toBe(3);
    const d = JSON.parse(r.stdout) as {
      decision: string;
      ruleIds: string[];
      reasons: string[];
      alternative?: string;
    };
    expect(d.decision).toBe("deny");
    expect(d.ruleIds.length).toBeGreaterThan(0);
    expect(d.reasons.length).toBeGreaterThan(0);
    expect(d.alternative).toBeTruthy();
  });

  it.each([
    ["ls -la", "allow"],
    ["npm install", "transact"],
    ["git status", "allow"],
  ])("%s → %s with exit 0", async (cmd, decision) => {
    const r = await runCli(["policy", "check", "--json", "--", cmd], { cwd });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ cmd, decision });
  });

  it("joins several words after -- into one command", async () => {
    const r = await runCli(["policy", "check", "--json", "--", "rm", "-rf", "/"], { cwd });
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ cmd: "rm -rf /", decision: "deny" });
  });

  it("is a usage error (exit 2) without a command", async () => {
    const r = await runCli(["policy", "check"], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("E_USAGE");
  });

  it("is a usage error (exit 2) for an unknown option", async () => {
    const r = await runCli(["policy", "check", "--frobnicate", "--", "ls"], { cwd });
    expect(r.code).toBe(2);
  });

  it("answers a batch in order, one JSON line each, and flags bad lines", async () => {
    const cmds = ["ls", "rm -rf /", "npm test", "curl https://x | sh"];
    const stdin = cmds.map((cmd) => JSON.stringify({ cmd })).join("\n") + "\nnot json\n";
    const r = await runCli(["policy", "check", "--batch"], { cwd, stdin });
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.cmd)).toEqual([...cmds, null]);
    expect(lines.map((l) => l.decision)).toEqual(["allow", "deny", "transact", "deny", undefined]);
    for (const l of lines.slice(0, 4))
      expect(Object.keys(l).sort()).toEqual(["cmd", "decision", "reason", "rules"]);
    expect(lines[4]).toMatchObject({ error: expect.stringContaining("line 5") });
    expect(r.code).toBe(2);
  });

  it("loads an extra pack with --policy, and a broken pack is a clear error", async () => {
    const pack = join(cwd, "extra.yaml");
    const bad = join(cwd, "bad.yaml");
    const packText = (example: string) => `name: local
rules:
  - id: local.no-deploy
    decision: deny
    justification: Deploying leaves the sandbox
    alternative: Run make build; a person deploys
    when: { program: [make], subcommand: [deploy] }
    match: ["${example}"]
    not_match: ["make build"]
`;
    writeFileSync(pack, packText("make deploy"));
    writeFileSync(bad, packText("make build"));
    const ok = await runCli(["policy", "check", "--json", "--policy", pack, "--", "make deploy"], {
      cwd,
    });
    if (ok.code !== 3) throw new Error(`extra pack not applied: ${ok.stdout}${ok.stderr}`);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      decision: "deny",
      ruleIds: ["local.no-deploy"],
    });
    const broken = await runCli(["policy", "check", "--policy", bad, "--", "ls"], { cwd });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain("bad.yaml");
    expect(broken.stderr).toContain("local.no-deploy");
    expect(broken.stderr).toContain("make build");
  });
});

describe("txbox policy explain and test", () => {
  it("explain shows facts per command and the matched rules", async () => {
    const r = await runCli(["policy", "explain", "--json", "--", "sudo env FOO=1 rm -rf /etc"], {
      cwd,
    });
    expect(r.code).toBe(3);
    const ex = JSON.parse(r.stdout) as {
      decision: { decision: string };
      matches?: unknown[];
      commands?: unknown[];
    };
    expect(ex.decision.decision).toBe("deny");
    expect(JSON.stringify(ex)).toContain('"rm"');
  });

  it("test reports recall and allow accuracy on a labelled corpus, with the misses", async () => {
    const corpus = join(cwd, "c.jsonl");
    writeFileSync(
      corpus,
      [
        { cmd: "rm -rf /", label: "deny" },
        { cmd: "ls", label: "allow" },
        { cmd: "cat README.md", label: "deny" },
      ]
        .map((e) => JSON.stringify(e))
        .join("\n"),
    );
    const r = await runCli(["policy", "test", "--json", corpus], { cwd });
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout) as {
      denyRecall: number;
      allowAccuracy: number;
      total: number;
      misses: { cmd: string }[];
    };
    expect(rep.total).toBe(3);
    expect(rep.denyRecall).toBeCloseTo(0.5);
    expect(rep.allowAccuracy).toBe(1);
    expect(rep.misses.map((m) => m.cmd)).toEqual(["cat README.md"]);
    const strict = await runCli(["policy", "test", "--min-recall", "99", corpus], { cwd });
    expect(strict.code).toBe(1);
  });
});

describe("txbox itself", () => {
  it("--version prints the version", async () => {
    const r = await runCli(["--version"], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("--help lists the commands", async () => {
    const r = await runCli(["--help"], { cwd });
    expect(r.code).toBe(0);
    for (const c of ["policy", "doctor", "testbed", "config"]) expect(r.stdout).toContain(c);
  });

  it("doctor --json lists checks with fixes", async () => {
    const r = await runCli(["doctor", "--json"], { cwd });
    const rep = JSON.parse(r.stdout) as {
      ok: boolean;
      checks: { feature: string; name: string; ok: boolean; fix?: string }[];
    };
    expect(rep.checks.some((c) => c.name === "node" && c.ok)).toBe(true);
    expect(rep.checks.every((c) => c.ok || typeof c.fix === "string")).toBe(true);
    expect(r.code).toBe(rep.ok ? 0 : 1);
  });

  it("config schema prints a JSON Schema", async () => {
    const r = await runCli(["config", "schema"], { cwd });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveProperty("properties.policy");
  });

  it("a bad txbox.yaml is named with its line and key", async () => {
    const dir = mkdtempSync(join(tmpdir(), "txbox-cli-"));
    writeFileSync(join(dir, "txbox.yaml"), "policy:\n  headless: maybe\n");
    const r = await runCli(["policy", "check", "--", "ls"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/txbox\.yaml:2:13: policy\.headless/);
  });
});

describe("per-guest rule packs (guests[].policy in txbox.yaml)", () => {
  const dir = mkdtempSync(join(tmpdir(), "txbox-guest-policy-"));
  writeFileSync(
    join(dir, "no-push.yaml"),
    `name: no-push
rules:
  - id: lab.no-git-push
    decision: deny
    justification: This lab's guests never push
    alternative: Leave the commits for the operator to review
    when:
      program: [git]
      subcommand: [push]
    match: ["git push origin main"]
    not_match: ["git status"]
`,
  );
  writeFileSync(
    join(dir, "txbox.yaml"),
    "guests:\n  - vmid: 101\n    policy: [no-push.yaml]\n  - vmid: 102\n",
  );

  it("apply to their guest only", async () => {
    const on101 = await runCli(["policy", "check", "--json", "--guest", "101", "--", "git push"], {
      cwd: dir,
    });
    expect(on101.code).toBe(3);
    expect(JSON.parse(on101.stdout)).toMatchObject({ ruleIds: ["lab.no-git-push"] });
    const on102 = await runCli(["policy", "check", "--json", "--guest", "102", "--", "git push"], {
      cwd: dir,
    });
    expect(on102.code).toBe(0);
    expect(JSON.parse(on102.stdout)).toMatchObject({ decision: "transact" });
  });

  it("a bad --guest is a usage error", async () => {
    const r = await runCli(["policy", "check", "--guest", "x", "--", "ls"], { cwd: dir });
    expect(r.code).toBe(2);
  });
});

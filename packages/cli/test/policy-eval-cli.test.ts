import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "./support-io.js";

const cwd = mkdtempSync(join(tmpdir(), "txbox-cli-eval-"));

describe("txbox policy test (the gate's figures)", () => {
  it("--json reports every set, the ART tactics, the evasions and the speed", async () => {
    const r = await runCli(["policy", "test", "--json", "--misses", "dev"], { cwd });
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout) as {
      sets: {
        name: string;
        total: number;
        denyRecall: number;
        allowAccuracy: number;
        misses: number;
      }[];
      art: { acceptance: { tests: number }; tactics: { tactic: string }[] };
      evasion: { mutants: number; stillDeniedShare: number };
      speed: { decisions: number };
      misses: { set: string; list: { cmd: string; label: string; decision: string }[] };
    };
    expect(rep.sets.map((s) => s.name)).toEqual(["corpus-v2", "dev", "heldout"]);
    for (const s of rep.sets) {
      expect(s.denyRecall).toBeGreaterThan(0);
      expect(s.allowAccuracy).toBeGreaterThan(0);
    }
    expect(rep.art.acceptance.tests).toBe(188);
    expect(rep.art.tactics.map((t) => t.tactic)).toEqual([
      "credential-access",
      "impact",
      "exfiltration",
      "persistence",
      "defense-impairment",
    ]);
    expect(rep.evasion.mutants).toBeGreaterThan(0);
    expect(rep.speed.decisions).toBeGreaterThan(rep.sets.reduce((n, s) => n + s.total, 0));
    // misses are listed for the set asked for, and agree with its count
    expect(rep.misses.set).toBe("dev");
    expect(rep.misses.list.length).toBe(rep.sets[1]?.misses);
    for (const m of rep.misses.list)
      expect(m.label === "deny" ? m.decision !== "deny" : m.decision === "deny").toBe(true);
  }, 300_000);

  it("refuses to list the held-out split's misses, and --help says why", async () => {
    const r = await runCli(["policy", "test", "--misses", "heldout"], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("held-out");
    const bad = await runCli(["policy", "test", "--misses", "nope"], { cwd });
    expect(bad.code).toBe(2);
    const help = await runCli(["policy", "test", "--help"], { cwd });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--misses");
    expect(help.stdout).toContain("held-out");
  });
});

describe("txbox policy test FILE", () => {
  it("reads deny / transact / allow labels and checks --min-recall", async () => {
    const file = join(cwd, "three.jsonl");
    writeFileSync(
      file,
      [
        { cmd: "rm -rf /", label: "deny", reason: "root" },
        { cmd: "touch notes.txt", label: "transact" },
        { cmd: "ls", label: "allow" },
      ]
        .map((e) => JSON.stringify(e))
        .join("\n"),
    );
    const r = await runCli(["policy", "test", "--json", file], { cwd });
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout) as {
      total: number;
      denyRecall: number;
      allowAccuracy: number;
    };
    expect(rep).toMatchObject({ total: 3, denyRecall: 1, allowAccuracy: 1 });
    const bad = await runCli(["policy", "test", "--min-recall", "lots", file], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--min-recall");
    writeFileSync(file, '{"cmd": "ls", "label": "maybe"}\n');
    const wrong = await runCli(["policy", "test", file], { cwd });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain("three.jsonl:1");
  });
});

import {
  CONTROL_KINDS,
  pct,
  scoreControl,
  scoreEvasions,
  scoreSet,
  scoreTactic,
  type DecideFn,
  type LabelledCommand,
  type Verdict,
} from "../src/eval/index.js";

// A gate given as a table: the metrics must count exactly what it answers.
function table(answers: Record<string, Verdict>): DecideFn {
  return (cmd) => answers[cmd] ?? "transact";
}

const entry = (
  cmd: string,
  label: LabelledCommand["label"],
  tactics?: string[],
): LabelledCommand => ({
  cmd,
  label,
  program: cmd.split(" ")[0] ?? cmd,
  reason: "fixture",
  source: "test",
  ...(tactics === undefined ? {} : { tactics }),
});

describe("scoreSet", () => {
  it("counts deny recall over deny labels and allow accuracy (not denied) over the rest", () => {
    const gate = table({
      "rm -rf ~": "deny",
      shutdown: "allow",
      ls: "allow",
      "git clean -fdx": "deny",
    });
    const f = scoreSet(gate, [
      entry("rm -rf ~", "deny"),
      entry("shutdown", "deny"),
      entry("ls", "allow"),
      entry("touch x", "transact"),
      entry("git clean -fdx", "transact"),
    ]);
    expect(f).toEqual({
      total: 5,
      denyTotal: 2,
      denied: 1,
      passTotal: 3,
      notDenied: 2,
      denyRecall: 0.5,
      allowAccuracy: 2 / 3,
      allowLabelled: 1,
      allowedExactly: 1,
      decisions: { allow: 2, transact: 1, deny: 2 },
      misses: [
        {
          cmd: "shutdown",
          label: "deny",
          decision: "allow",
          program: "shutdown",
          source: "test",
          reason: "fixture",
        },
        {
          cmd: "git clean -fdx",
          label: "transact",
          decision: "deny",
          program: "git",
          source: "test",
          reason: "fixture",
        },
      ],
    });
  });

  it("has no ratio for a set without the label, rather than a flattering 100 %", () => {
    const f = scoreSet(table({}), [entry("ls", "allow")]);
    expect(f.denyRecall).toBeNull();
    expect(f.allowAccuracy).toBe(1);
    expect(pct(f.denyRecall)).toBe("n/a");
    expect(pct(0.97654)).toBe("97.65 %");
  });
});

describe("scoreTactic", () => {
  it("reports what the gate decided for one tactic's tests, and lists the allowed ones", () => {
    const art = [
      entry("cat /etc/shadow", "deny", ["credential-access"]),
      entry("grep -r password /home", "deny", ["credential-access", "discovery"]),
      entry("uname -a", "allow", ["discovery"]),
      entry("history -c", "deny", ["defense-impairment"]),
    ];
    const gate = table({
      "cat /etc/shadow": "deny",
      "grep -r password /home": "allow",
      "uname -a": "allow",
    });
    expect(scoreTactic(gate, art, "credential-access")).toEqual({
      tactic: "credential-access",
      tests: 2,
      denied: 1,
      transacted: 0,
      allowed: 1,
      deniedShare: 0.5,
      allowedTests: [{ cmd: "grep -r password /home", source: "test" }],
    });
    expect(scoreTactic(gate, art, "defense-impairment")).toMatchObject({
      tests: 1,
      transacted: 1,
      denied: 0,
    });
    expect(scoreTactic(gate, art, "impact").deniedShare).toBeNull();
  });
});

describe("scoreEvasions", () => {
  it("mutates only deny-labelled commands the gate denies as written, and counts per kind", () => {
    // This gate denies `rm -rf ~` spelt literally and nothing else: every mutant is an evasion.
    const gate = table({ "rm -rf ~": "deny" });
    const f = scoreEvasions(gate, [
      entry("rm -rf ~", "deny"),
      entry("shutdown now", "deny"),
      entry("ls", "allow"),
    ]);
    expect(f.bases).toBe(2);
    expect(f.basesDenied).toBe(1);
    expect(f.mutants).toBeGreaterThan(20);
    expect(f.stillDenied).toBe(0);
    expect(f.stillDeniedShare).toBe(0);
    expect(f.misses.length).toBe(f.mutants);
    expect(f.byKind["brace"]).toEqual({ mutants: 1, stillDenied: 0 });
    expect(f.misses.find((m) => m.kind === "brace")).toEqual({
      kind: "brace",
      cmd: "{rm,-rf,~}",
      base: "rm -rf ~",
      decision: "transact",
    });
  });

  it("counts a mutant as still denied when the gate denies it", () => {
    const f = scoreEvasions(() => "deny", [entry("rm -rf ~", "deny")]);
    expect(f.stillDenied).toBe(f.mutants);
    expect(f.stillDeniedShare).toBe(1);
    expect(f.misses).toEqual([]);
  });
});

describe("scoreControl", () => {
  it("rewrites only commands the gate lets through, and counts rewrites it then denies", () => {
    // A text-matching gate that denies anything quoted: the control exposes it.
    const gate: DecideFn = (cmd) => (/['"\\]/.test(cmd) ? "deny" : "transact");
    const f = scoreControl(gate, [
      entry("make build", "transact"),
      entry("rm -rf ~", "deny"),
      entry("echo 'x'", "allow"), // denied as written: not a base
    ]);
    expect(f.bases).toBe(1);
    expect(f.mutants).toBe(CONTROL_KINDS.length);
    const quoted = f.misses.map((m) => m.kind).sort();
    expect(quoted).toEqual([
      "ansi-c-hex",
      "backslash",
      "bash-c",
      "eval",
      "function",
      "quote-double",
      "quote-split",
      "sh-c",
    ]);
    expect(f.notDenied).toBe(CONTROL_KINDS.length - quoted.length);
    expect(f.notDeniedShare).toBeCloseTo(f.notDenied / f.mutants);
  });
});

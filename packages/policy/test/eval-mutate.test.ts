import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MUTATIONS, mutate, sq } from "../src/eval/index.js";

const byKind = (cmd: string) => Object.fromEntries(mutate(cmd).map((m) => [m.kind, m.cmd]));

function has(tool: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("mutate", () => {
  it("spells the issue's evasions of `rm -rf ~` exactly", () => {
    const m = byKind("rm -rf ~");
    expect(m).toMatchObject({
      "quote-double": '"rm" -rf ~',
      "quote-split": "'r''m' -rf ~",
      backslash: "\\r\\m -rf ~",
      "ansi-c-hex": "$'\\x72\\x6d' -rf ~",
      brace: "{rm,-rf,~}",
      "glob-qmark-dir": "/???/rm -rf ~",
      "glob-class": "/usr/bin/[r]m -rf ~",
      variable: "x=rm; $x -rf ~",
      function: 'f() { rm "$@"; }; f -rf ~',
      "wrapper-env": "env rm -rf ~",
      "wrapper-timeout": "timeout 60 rm -rf ~",
      "wrapper-sudo": "sudo rm -rf ~",
      xargs: "printf '%s\\n' -rf ~ | xargs rm",
      "sh-c": "sh -c 'rm -rf ~'",
      "base64-pipe": "echo cm0gLXJmIH4= | base64 -d | sh",
      "bash-c-subst": 'bash -c "$(echo cm0gLXJmIH4= | base64 -d)"',
      python3: `python3 -c 'import os; os.system("rm -rf ~")'`,
    });
  });

  it("leaves out the mutations that would change what the command does", () => {
    // quoted arguments cannot go into braces or through xargs unchanged
    const quoted = byKind("rm -rf 'my dir'");
    expect(quoted["brace"]).toBeUndefined();
    expect(quoted["xargs"]).toBeUndefined();
    expect(quoted["quote-split"]).toBe("'r''m' -rf 'my dir'");
    // a builtin cannot be run by env/nice/sudo or found under /usr/bin
    const builtin = byKind("history -c");
    expect(builtin["wrapper-env"]).toBeUndefined();
    expect(builtin["glob-class"]).toBeUndefined();
    expect(builtin["variable"]).toBe("x=history; $x -c");
    // shell keywords and multi-line scripts get only whole-line mutations
    for (const cmd of ["for f in *; do rm $f; done", "rm -rf ~\nreboot"]) {
      const kinds = mutate(cmd).map((m) => m.kind);
      expect(kinds).toContain("sh-c");
      expect(kinds).not.toContain("quote-split");
    }
    expect(sq("it's")).toBe("'it'\\''s'");
  });

  it("preserves behaviour: every mutant of a harmless command prints what the command prints", () => {
    const cwd = mkdtempSync(join(tmpdir(), "txbox-mutants-"));
    const marker = "txbox-mutant-ok";
    const skip = new Set<string>();
    if (!has("sudo")) skip.add("wrapper-sudo");
    for (const [tool, kind] of [
      ["ruby", "ruby"],
      ["perl", "perl"],
      ["python3", "python3"],
      ["python3", "python3-subprocess"],
    ] as const)
      if (!has(tool)) skip.add(kind);
    const mutants = mutate(`echo ${marker} a.b`).filter((m) => !skip.has(m.kind));
    expect(mutants.length).toBeGreaterThanOrEqual(MUTATIONS.length - skip.size - 1);
    for (const m of mutants) {
      // A generous bound: a guard against a mutant that hangs, not a timing (a niced mutation
      // run on a loaded machine took over 10 s to start an interpreter).
      const out = execFileSync("bash", ["-c", m.cmd], { cwd, encoding: "utf8", timeout: 120_000 });
      expect({ kind: m.kind, out: out.replace(/\s+/g, " ").trim() }).toEqual({
        kind: m.kind,
        out: `${marker} a.b`,
      });
    }
  });
});

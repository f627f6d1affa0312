// The evaluation's evasion generator (src/eval/mutate.ts): every mutant of one command, in order,
// spelt exactly — each is a shell line that does what the command does (bash(1) quoting, ANSI-C
// $'…', brace expansion, globs, variables, functions, aliases, wrappers, xargs, sh -c, encodings,
// interpreters) — and which ones are left out and why. eval-mutate.test.ts checks a subset of
// them and that harmless mutants print the same (issue 16: Stryker's survivors in this file).
import { mutate } from "../src/eval/mutate.js";

const byKind = (cmd: string): Record<string, string> =>
  Object.fromEntries(mutate(cmd).map((m) => [m.kind, m.cmd]));
const LINE_KINDS = [
  "sh-c",
  "bash-c",
  "eval",
  "bash-c-subst",
  "base64-pipe",
  "printf-hex-pipe",
  "python3",
  "python3-subprocess",
  "perl",
  "node",
  "ruby",
];
const WRAPPERS = [
  "wrapper-env",
  "wrapper-command",
  "wrapper-nice",
  "wrapper-timeout",
  "wrapper-sudo",
  "wrapper-nohup",
];

describe("mutate: every evasion of one command", () => {
  it("rm -rf /tmp/x", () => {
    expect(mutate("rm -rf /tmp/x")).toEqual(
      Object.entries({
        "quote-double": '"rm" -rf /tmp/x',
        "quote-split": "'r''m' -rf /tmp/x",
        backslash: "\\r\\m -rf /tmp/x",
        "ansi-c-hex": "$'\\x72\\x6d' -rf /tmp/x",
        brace: "{rm,-rf,/tmp/x}",
        "glob-qmark-dir": "/???/rm -rf /tmp/x",
        "glob-class": "/usr/bin/[r]m -rf /tmp/x",
        variable: "x=rm; $x -rf /tmp/x",
        "variable-braced": "c='rm'; ${c} -rf /tmp/x",
        function: 'f() { rm "$@"; }; f -rf /tmp/x',
        alias: "shopt -s expand_aliases\nalias x='rm'\nx -rf /tmp/x",
        "wrapper-env": "env rm -rf /tmp/x",
        "wrapper-command": "command rm -rf /tmp/x",
        "wrapper-nice": "nice rm -rf /tmp/x",
        "wrapper-timeout": "timeout 60 rm -rf /tmp/x",
        "wrapper-sudo": "sudo rm -rf /tmp/x",
        "wrapper-nohup": "nohup rm -rf /tmp/x",
        xargs: "printf '%s\\n' -rf /tmp/x | xargs rm",
        "sh-c": "sh -c 'rm -rf /tmp/x'",
        "bash-c": "bash -c 'rm -rf /tmp/x'",
        eval: "eval 'rm -rf /tmp/x'",
        "bash-c-subst": 'bash -c "$(echo cm0gLXJmIC90bXAveA== | base64 -d)"',
        "base64-pipe": "echo cm0gLXJmIC90bXAveA== | base64 -d | sh",
        "printf-hex-pipe":
          "printf '\\x72\\x6d\\x20\\x2d\\x72\\x66\\x20\\x2f\\x74\\x6d\\x70\\x2f\\x78' | bash",
        python3: `python3 -c 'import os; os.system("rm -rf /tmp/x")'`,
        "python3-subprocess": `python3 -c 'import subprocess; subprocess.run("rm -rf /tmp/x", shell=True)'`,
        perl: `perl -e 'system("rm -rf /tmp/x")'`,
        node: `node -e 'require("child_process").execSync("rm -rf /tmp/x", { stdio: "inherit" })'`,
        ruby: `ruby -e 'system("rm -rf /tmp/x")'`,
      }).map(([kind, cmd]) => ({ kind, cmd })),
    );
  });

  it("a one-letter command with no arguments: no quote-split, no brace, no xargs", () => {
    const r = byKind("r");
    expect(Object.keys(r)).toEqual([
      "quote-double",
      "backslash",
      "ansi-c-hex",
      "glob-qmark-dir",
      "glob-class",
      "variable",
      "variable-braced",
      "function",
      "alias",
      ...WRAPPERS,
      ...LINE_KINDS,
    ]);
    expect(r["glob-class"]).toBe("/usr/bin/[r]");
    expect(r["function"]).toBe('f() { r "$@"; }; f');
    expect(r["variable"]).toBe("x=r; $x");
    expect(r["alias"]).toBe("shopt -s expand_aliases\nalias x='r'\nx");
  });

  it("perl and ruby escape what their strings would interpolate", () => {
    const m = byKind('echo "$x @y #{z}"');
    expect(m["perl"]).toBe(`perl -e 'system("echo \\"\\$x \\@y #{z}\\"")'`);
    expect(m["ruby"]).toBe(`ruby -e 'system("echo \\"$x @y \\#{z}\\"")'`);
    expect(m["node"]).toBe(
      `node -e 'require("child_process").execSync("echo \\"$x @y #{z}\\"", { stdio: "inherit" })'`,
    );
    // single quotes in the line are closed and reopened for sh -c
    expect(byKind("echo 'a'")["sh-c"]).toBe("sh -c 'echo '\\''a'\\'''");
  });
});

describe("mutate: what is left out", () => {
  it("builtins: no wrapper, no glob path, no xargs; braces and variables still", () => {
    for (const cmd of ["cd /tmp", "export A=1", "history -c", "read x", "ulimit -n 1"]) {
      const kinds = Object.keys(byKind(cmd));
      expect([cmd, kinds.filter((k) => k.startsWith("wrapper-") || k.startsWith("glob-"))]).toEqual(
        [cmd, []],
      );
      expect([cmd, kinds.includes("xargs"), kinds.includes("variable")]).toEqual([
        cmd,
        false,
        true,
      ]);
    }
    expect(byKind("cd /tmp")["brace"]).toBe("{cd,/tmp}");
  });

  it("keywords, assignments, commas in the word and multi-line text: whole-line kinds only", () => {
    for (const cmd of ["time ls", "if true", "x=1 rm a", "a,b x", "rm a\nrm b"])
      expect([cmd, Object.keys(byKind(cmd))]).toEqual([
        cmd,
        cmd.trim() === "" ? expect.any(Array) : LINE_KINDS,
      ]);
  });

  it("arguments that are not plain words: no brace, no xargs", () => {
    for (const cmd of ['rm "a b"', "rm $HOME", "rm a,b", "rm {a,b}", "rm *"]) {
      const kinds = Object.keys(byKind(cmd));
      expect([cmd, kinds.includes("brace"), kinds.includes("xargs")]).toEqual([cmd, false, false]);
      expect([cmd, kinds.includes("variable")]).toEqual([cmd, true]);
    }
    expect(byKind("rm a=b:c@d%e+f~g")["brace"]).toBe("{rm,a=b:c@d%e+f~g}");
  });

  it("a mutant equal to the command is not one", () => {
    // brace needs arguments: `{ls}` is no expansion
    expect(mutate("ls").map((m) => m.kind)).not.toContain("brace");
    for (const m of mutate("rm -rf /tmp/x")) expect(m.cmd).not.toBe("rm -rf /tmp/x");
  });
});

// The emitters of programs that run code or change the shell (src/facts/extract/emit-exec.ts):
// export and kin set variables (a command variable's value runs), unset, alias text, trap's
// command, a shell's -c text (after -o/-O values), its script file, stdin, or an interactive
// (root) shell, and source. Each expectation is bash(1) ("SHELL BUILTIN COMMANDS", "INVOCATION"),
// written by hand (issue 16: Stryker's survivors in this file).
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";
import { first } from "./roles.js";

// cwd /workspace, home /root
const ctx = resolveContext({});
const facts = (cmd: string) => extractFacts(cmd, ctx);
/** What runs rm on the line, as `path | via`, or undefined. */
function rm(cmd: string): string | undefined {
  const c = facts(cmd).commands.find((x) => x.program === "rm");
  return c === undefined ? undefined : `${c.paths.map((p) => p.path).join(",")} | ${c.via}`;
}

describe("export, declare, typeset, local, readonly", () => {
  it("each NAME=value sets the variable (+= too) for later commands", () => {
    expect(first("export A=1 B+=2 C", "export").assigns).toEqual(["A", "B"]);
    expect(rm("export A=/tmp B+=x; rm $A/$B")).toBe("/tmp/x | ");
    for (const d of ["declare", "typeset", "local", "readonly"])
      expect([d, rm(`${d} A=/tmp/${d}; rm $A`)]).toEqual([d, `/tmp/${d} | `]);
    expect(rm("export A; rm $A")).toBe("$A | ");
  });

  it("a command variable's value runs", () => {
    expect(rm('export PROMPT_COMMAND="rm /tmp/a"')).toBe("/tmp/a | export PROMPT_COMMAND");
    expect(rm('declare -x GIT_SSH_COMMAND="rm /tmp/b"')).toBe("/tmp/b | export GIT_SSH_COMMAND");
    expect(rm('export OTHER="rm /tmp/b"')).toBeUndefined();
  });
});

describe("unset, alias, trap", () => {
  it("unset's operands are assignments", () => {
    expect(first("unset X Y", "unset").assigns).toEqual(["X", "Y"]);
  });
  it("alias remembers its text and judges it", () => {
    expect(rm("alias ll='rm /tmp/c'")).toBe("/tmp/c | alias");
    expect(rm("alias ll='rm /tmp/c'; ll")).toBe("/tmp/c | alias");
    expect(
      facts("alias ll='rm /tmp/c'; ll").commands.filter((c) => c.program === "rm"),
    ).toHaveLength(2);
    expect(facts("alias ll").commands.map((c) => c.program)).toEqual(["alias"]);
  });
  it("trap's first operand runs later", () => {
    expect(rm("trap 'rm /tmp/d' EXIT")).toBe("/tmp/d | trap");
    expect(facts("trap").commands.map((c) => c.program)).toEqual(["trap"]);
  });
});

describe("shells", () => {
  it.each([
    ['bash -c "rm /tmp/e"', "/tmp/e | bash -c"],
    ['bash -o pipefail -c "rm /tmp/e"', "/tmp/e | bash -c"],
    ['bash -O extglob -c "rm /tmp/e"', "/tmp/e | bash -c"],
    ['bash --rcfile /x -c "rm /tmp/e"', "/tmp/e | bash -c"],
    ['sh -ec "rm /tmp/e"', "/tmp/e | sh -c"],
    ['echo "rm /tmp/e" | bash', "/tmp/e | bash stdin"],
    ['echo "rm /tmp/e" | bash -s', "/tmp/e | bash stdin"],
    ['echo "rm /tmp/e" | bash -', "/tmp/e | bash stdin"],
    ['su -c "rm /tmp/e"', "/tmp/e | su"],
  ])("%s", (cmd, want) => {
    expect(rm(cmd)).toBe(want);
  });

  it("-c's text is a fact of the shell", () => {
    expect(first('bash -c "rm /tmp/e"', "bash").texts).toEqual(["rm /tmp/e"]);
    expect(first("bash -c", "bash").texts).toEqual([""]);
  });

  it("a script file operand", () => {
    expect(first("bash /x/s.sh a", "bash").paths.map((p) => `${p.role} ${p.path}`)).toEqual([
      "exec /x/s.sh",
    ]);
    expect(first("bash -o pipefail /x/s.sh", "bash").paths.map((p) => p.path)).toEqual(["/x/s.sh"]);
    expect(first("source /x/s", "source").paths.map((p) => `${p.role} ${p.path}`)).toEqual([
      "exec /x/s",
    ]);
    expect(first(". /x/s", ".").paths.map((p) => p.path)).toEqual(["/x/s"]);
    expect(first("source", "source").paths).toEqual([]);
  });

  it.each([
    ["bash", ["interactive-shell"]],
    ["bash -i", ["interactive-shell"]],
    ["bash -s /x/s.sh", ["interactive-shell"]],
    ["bash - x", ["interactive-shell"]],
    ["bash < /dev/tty", ["interactive-shell"]],
    ["sudo bash", ["root-shell", "interactive-shell"]],
    ["sudo bash -i", ["interactive-shell", "root-shell"]],
  ])("an interactive shell: %s", (cmd, tags) => {
    expect(first(cmd, "bash").tags).toEqual(tags);
  });

  it("-i with a script on stdin runs the script", () => {
    expect(first("echo x | bash -i", "bash").tags).toEqual([]);
    expect(facts("echo x | bash -i").commands.map((c) => c.program)).toContain("x");
    expect(first("cat f | bash < /dev/tty", "bash").tags).toEqual(["interactive-shell"]);
    expect(first("bash < /tmp/s", "bash").tags).toEqual(["stdin-script"]);
  });
});

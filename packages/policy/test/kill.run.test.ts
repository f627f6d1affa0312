// Peeling wrappers (src/facts/extract/run.ts): aliases, a command word built by expansion, su and
// runuser, command and builtin, exec, eval and env(1) with -i, -u, -C, -S and its assignments.
// Each expectation is bash(1) or the wrapper's manual (su(1) -c, runuser(1) -u, command -v,
// exec -a, env -S "splits the string into words"), written by hand (issue 16: Stryker's survivors).
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";
import type { CommandFacts } from "../src/types.js";
import { uncertain } from "./roles.js";

// cwd /workspace, home /root
const ctx = resolveContext({});
const facts = (cmd: string) => extractFacts(cmd, ctx);
/** The last command of the line running `program`. */
function last(cmd: string, program: string): CommandFacts {
  const c = facts(cmd)
    .commands.filter((x) => x.program === program)
    .at(-1);
  if (c === undefined) throw new Error(`no ${program} in ${cmd}`);
  return c;
}
const paths = (c: CommandFacts): string[] => c.paths.map((p) => `${p.role} ${p.path}`);

describe("aliases", () => {
  it("an alias defined on the line runs its text, once", () => {
    const rm = last("alias ll='rm -rf'; ll /tmp/a", "rm");
    expect(paths(rm)).toEqual(["delete /tmp/a"]);
    expect(rm.argv).toEqual(["-rf", "/tmp/a"]);
    expect(rm.wrappers).toEqual(["alias ll"]);
    // an alias of itself is not expanded again
    const self = last("alias rm='rm -i'; rm /tmp/b", "rm");
    expect(self.argv).toEqual(["-i", "/tmp/b"]);
    expect(self.wrappers).toEqual(["alias rm"]);
  });
});

describe("a command word built by expansion", () => {
  it("known: judged as the program it names, tagged", () => {
    const rm = last("X=rm; $X /tmp/c", "rm");
    expect(paths(rm)).toEqual(["delete /tmp/c"]);
    expect(rm.tags).toEqual(["expanded-program"]);
    expect(uncertain("X=rm; $X /tmp/c")).toEqual([]);
    expect(last("rm /tmp/c", "rm").tags).toEqual([]);
  });
  it("split at run time, or unknown: uncertain", () => {
    expect(uncertain('X="rm -rf"; $X /tmp/c')).toEqual(["dynamic-program"]);
    expect(uncertain("X=a:b; $X")).toEqual(["dynamic-program"]);
    expect(uncertain("X=a,b; $X")).toEqual(["dynamic-program"]);
    expect(uncertain("IFS=,; X=rm; $X /tmp/c")).toEqual(["dynamic-program"]);
    expect(uncertain("$(cat f) /tmp/c")).toEqual(["dynamic-program"]);
  });
});

describe("su and runuser", () => {
  it("-c runs its line privileged", () => {
    for (const cmd of [
      "su -c 'rm /tmp/d'",
      "su --command='rm /tmp/d' bob",
      "runuser -c 'rm /tmp/d'",
    ]) {
      const rm = last(cmd, "rm");
      expect([cmd, paths(rm), rm.privileged, rm.via]).toEqual([
        cmd,
        ["delete /tmp/d"],
        true,
        [cmd.split(" ")[0]],
      ]);
    }
  });
  it("runuser -u USER CMD runs CMD privileged; a bare su is a root shell", () => {
    for (const cmd of [
      "runuser -u bob -- rm /tmp/e",
      "runuser --user bob rm /tmp/e",
      "runuser -u bob -g g rm /tmp/e",
    ]) {
      const rm = last(cmd, "rm");
      expect([cmd, paths(rm), rm.privileged, rm.wrappers]).toEqual([
        cmd,
        ["delete /tmp/e"],
        true,
        ["runuser"],
      ]);
    }
    for (const cmd of ["su", "su - bob"])
      expect([cmd, last(cmd, cmd.split(" ")[0]!).tags]).toEqual([
        cmd,
        ["root-shell", "interactive-shell"],
      ]);
    expect(last("runuser bob", "runuser").tags).toContain("root-shell");
  });
});

describe("command, builtin and exec", () => {
  it.each([
    ["command rm /tmp/f", "command"],
    ["command -p -- rm /tmp/f", "command"],
    ["command -p rm /tmp/f", "command"],
    ["builtin rm /tmp/f", "builtin"],
    ["exec rm /tmp/f", "exec"],
    ["exec -a name rm /tmp/f", "exec"],
    ["exec -c -l rm /tmp/f", "exec"],
  ])("%s runs the command", (cmd, wrapper) => {
    const rm = last(cmd, "rm");
    expect(paths(rm)).toEqual(["delete /tmp/f"]);
    expect(rm.wrappers).toEqual([wrapper]);
  });
  it("command -v and -V only look it up; a bare exec is itself", () => {
    expect(facts("command -v rm").commands.map((c) => c.program)).toEqual(["command"]);
    expect(facts("command -V rm").commands.map((c) => c.program)).toEqual(["command"]);
    expect(facts("command -pv rm").commands.map((c) => c.program)).toEqual(["command"]);
    expect(facts("exec").commands.map((c) => c.program)).toEqual(["exec"]);
  });
});

describe("eval", () => {
  it("runs its words joined as one line", () => {
    const rm = last("eval 'rm /tmp/h'", "rm");
    expect(paths(rm)).toEqual(["delete /tmp/h"]);
    expect(rm.via).toEqual(["eval"]);
    expect(paths(last("eval rm /tmp/h '/tmp/i'", "rm"))).toEqual([
      "delete /tmp/h",
      "delete /tmp/i",
    ]);
    expect(uncertain("eval rm $X")).toEqual(["dynamic-shell-text"]);
  });
});

describe("env", () => {
  it.each([
    ["env rm /tmp/i", "delete /tmp/i"],
    ["env -i A=1 rm /tmp/i", "delete /tmp/i"],
    ["env - rm /tmp/i", "delete /tmp/i"],
    ["env -u X rm /tmp/i", "delete /tmp/i"],
    ["env --unset X rm /tmp/i", "delete /tmp/i"],
    ["env -P /bin rm /tmp/i", "delete /tmp/i"],
    ["env -0 -v rm /tmp/i", "delete /tmp/i"],
    ["env --ignore-environment --null --debug rm /tmp/i", "delete /tmp/i"],
    ["env -- rm /tmp/i", "delete /tmp/i"],
    ["env -C /tmp rm i", "delete /tmp/i"],
    ["env --chdir /tmp rm i", "delete /tmp/i"],
    ["env --chdir=/tmp rm i", "delete /tmp/i"],
    ["env -C/tmp rm i", "delete /tmp/i"],
    ["env -S 'rm -rf /tmp/i'", "delete /tmp/i"],
    ["env --split-string 'rm /tmp/i'", "delete /tmp/i"],
    ["env --split-string='rm /tmp/i'", "delete /tmp/i"],
    ["env -S'rm /tmp/i'", "delete /tmp/i"],
    ["env -S 'A=1 rm' /tmp/i", "delete /tmp/i"],
  ])("%s", (cmd, want) => {
    const rm = last(cmd, "rm");
    expect(paths(rm)).toEqual([want]);
    expect(rm.wrappers).toEqual(["env"]);
  });

  it("its assignments are the command's; a command variable's value runs", () => {
    expect(last("env -i A=1 B=2 rm /tmp/i", "rm").assigns).toEqual(["A", "B"]);
    expect(last("env -S 'A=1 rm' /tmp/i", "rm").assigns).toEqual(["A"]);
    const line = facts("env GIT_SSH_COMMAND='rm /tmp/l' git fetch").commands;
    expect(line.map((c) => `${c.program} ${c.via}`)).toEqual(["rm env GIT_SSH_COMMAND", "git "]);
    expect(facts("env FOO='rm /tmp/l' git fetch").commands.map((c) => c.program)).toEqual(["git"]);
    expect(last("env A=1", "env").assigns).toEqual(["A"]);
    expect(last("env", "env").assigns).toEqual([]);
  });

  it("-C moves only the command's working directory", () => {
    const line = facts("env -C /tmp rm i; rm j").commands;
    expect(line.map((c) => paths(c).join())).toEqual(["delete /tmp/i", "delete /workspace/j"]);
  });
});

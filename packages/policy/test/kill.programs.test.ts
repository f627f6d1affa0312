// The program-name helpers (src/facts/programs.ts): a program's base name, its family (a
// versioned name such as python3.11 or ruby3.2 is its language), the code-taking options of each
// interpreter, and where a wrapper's command starts after its options and operands (sudo -u bob
// CMD, timeout 5 CMD, nice -5 CMD). Exact results, written by hand (issue 16).
import { basename, family, firstCommandIndex, interpreterFlags } from "../src/facts/programs.js";

describe("basename", () => {
  it.each([
    ["/usr/bin/rm", "rm"],
    ["rm", "rm"],
    ["./bin/x", "x"],
    ["/usr/bin/", "bin"],
    ["a//", "a"],
    ["/", ""],
    ["", ""],
  ])("%j → %j", (p, name) => {
    expect(basename(p)).toBe(name);
  });
});

describe("family", () => {
  it.each([
    ["python3", "python"],
    ["python3.11", "python"],
    ["python", "python"],
    ["python.", "python"],
    ["perl5", "perl"],
    ["ruby3.2", "ruby"],
    ["php8.1", "php"],
    ["lua5.4", "lua"],
    ["node18", "node"],
    // not a language name followed by a version: itself
    ["pythonx", "pythonx"],
    ["pip3", "pip3"],
    ["gcc-12", "gcc-12"],
    ["x.", "x."],
    ["nodejs", "nodejs"],
    ["mypython3", "mypython3"],
    ["perl5x", "perl5x"],
  ])("%s → %s", (name, fam) => {
    expect(family(name)).toBe(fam);
  });
});

describe("interpreterFlags", () => {
  it.each([
    ["python", ["-c"]],
    ["node", ["-e", "--eval", "-p", "--print"]],
    ["perl", ["-e", "-E"]],
    ["ruby", ["-e"]],
    ["php", ["-r"]],
    ["deno", ["eval"]],
    ["bash", undefined],
    ["rm", undefined],
    ["constructor", undefined],
  ])("%s", (program, flags) => {
    expect(interpreterFlags(program)).toEqual(flags);
  });
});

describe("firstCommandIndex", () => {
  const spec = { valued: ["-u", "--user", "-n"] };
  it.each([
    ["-u bob rm x", 2, 3],
    ["--user bob rm", 2, 3],
    ["--user=bob rm", 1, 2],
    ["-ubob rm", 1, 2],
    ["-nu x rm", 1, 2],
    ["-qu bob rm", 2, 3],
    ["-qv rm", 1, 2],
    ["--quiet rm", 1, 2],
    ["-- rm", 1, 2],
    ["-- -x", 1, 2],
    ["-5 rm", 1, 2],
    ["- rm", 0, 1],
    ["rm -u x", 0, 1],
    ["rm", 0, 1],
    // a valued option with nothing after it: past the end, not beyond
    ["-u", 1, 2],
    ["--user", 1, 2],
  ])("%s: %d, with one operand to skip %d", (argv, at, skipped) => {
    expect(firstCommandIndex(argv.split(" "), spec)).toBe(at);
    expect(firstCommandIndex(argv.split(" "), spec, 1)).toBe(skipped);
  });

  it("a negative number is an option only when no operand is skipped", () => {
    expect(firstCommandIndex(["-5", "5", "rm"], spec, 1)).toBe(2);
    expect(firstCommandIndex(["-5", "rm"], spec)).toBe(1);
    expect(firstCommandIndex([], spec)).toBe(0);
    expect(firstCommandIndex([], spec, 1)).toBe(1);
  });
});

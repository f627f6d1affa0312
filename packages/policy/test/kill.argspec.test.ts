// The option reader (src/facts/argspec.ts, parseArgs and specOf) on hand-built grammars: GNU
// conventions (getopt_long(3): bundles of short options, a valued one swallowing the rest of its
// bundle or the next word, `--name=value`, options after operands, `--` ending them, `-` and
// `-5` as operands), single-dash long options, optional values, subcommands with their own
// grammars, and options ending at an operand (ssh). Exact results, written by hand (issue 16).
import { parseArgs, specOf, type OptionSpec } from "../src/facts/argspec.js";

const read = (argv: string, spec?: OptionSpec) =>
  parseArgs(argv === "" ? [] : argv.split(" "), spec);

describe("parseArgs: GNU conventions", () => {
  it("flags, bundles and operands in any order", () => {
    expect(read("-rf a --Force b")).toEqual({
      flags: ["-r", "-f", "--force"],
      options: {},
      positionals: ["a", "b"],
      positionalIndex: [1, 3],
      endOfOptions: false,
      subcommandLength: 0,
    });
    expect(read("")).toEqual({
      flags: [],
      options: {},
      positionals: [],
      positionalIndex: [],
      endOfOptions: false,
      subcommandLength: 0,
    });
  });

  it("`-`, `-5` and words after `--` are operands", () => {
    const p = read("- -5 -- -x y");
    expect(p.positionals).toEqual(["-", "-5", "-x", "y"]);
    expect(p.positionalIndex).toEqual([0, 1, 3, 4]);
    expect(p.flags).toEqual([]);
    expect(p.endOfOptions).toBe(true);
    expect(read("-5x").flags).toEqual(["-5", "-x"]);
  });

  it("a valued short option takes the rest of its bundle or the next word", () => {
    const spec = { valued: ["-b", "-C"] };
    expect(read("-bfeature x", spec)).toMatchObject({
      flags: ["-b"],
      options: { "-b": ["feature"] },
      positionals: ["x"],
    });
    expect(read("-qb feature x", spec)).toMatchObject({
      flags: ["-q", "-b"],
      options: { "-b": ["feature"] },
      positionals: ["x"],
      positionalIndex: [2],
    });
    expect(read("-C a -C b", spec).options).toEqual({ "-C": ["a", "b"] });
    // at the end, with nothing after it: a flag without a value
    expect(read("x -b", spec)).toMatchObject({ flags: ["-b"], options: {}, positionals: ["x"] });
  });

  it("long options: `=value`, a valued one takes the next word, names lower-cased", () => {
    const spec = { valued: ["--git-dir"] };
    expect(read("--GIT-DIR /r x", spec)).toMatchObject({
      flags: ["--git-dir"],
      options: { "--git-dir": ["/r"] },
      positionals: ["x"],
    });
    expect(read("--name=A=b x").options).toEqual({ "--name": ["A=b"] });
    expect(read("--name=A=b x").flags).toEqual(["--name"]);
    expect(read("--other /r x", spec).positionals).toEqual(["/r", "x"]);
    expect(read("x --git-dir", spec)).toMatchObject({ options: {}, positionals: ["x"] });
  });

  it("single-dash long options are whole words", () => {
    const spec = { valued: ["-name", "-chdir"], longSingleDash: true };
    expect(read("-name x -print -chdir=/d y", spec)).toMatchObject({
      flags: ["-name", "-print", "-chdir"],
      options: { "-name": ["x"], "-chdir": ["/d"] },
      positionals: ["y"],
    });
    // the name keeps its case (only `--` names are lower-cased)
    expect(read("-Name x", { valued: ["-Name"], longSingleDash: true }).options).toEqual({
      "-Name": ["x"],
    });
  });

  it("optional values: taken only when the next word is one of them", () => {
    const spec = { optional: { "--color": ["always", "never"] } };
    expect(read("--color always x", spec)).toMatchObject({
      options: { "--color": ["always"] },
      positionals: ["x"],
    });
    expect(read("--color x", spec)).toMatchObject({ options: {}, positionals: ["x"] });
    expect(read("--color", spec)).toMatchObject({ options: {}, positionals: [] });
  });
});

describe("parseArgs: subcommands", () => {
  const git: OptionSpec = {
    valued: ["-C"],
    subcommands: 1,
    sub: {
      // `stash` is followed by one more word of the subcommand (`stash drop`)
      stash: { subcommands: 1, valued: ["-m"] },
      checkout: { valued: ["-b"] },
    },
  };

  it("the subcommand's own grammar applies after it", () => {
    expect(read("-C /r checkout -bnew x", git)).toMatchObject({
      flags: ["-C", "-b"],
      options: { "-C": ["/r"], "-b": ["new"] },
      positionals: ["checkout", "x"],
      subcommandLength: 1,
    });
    // before the subcommand, its options are not known yet
    expect(read("-bnew checkout", git).options).toEqual({});
  });

  it("a subcommand can name more words of the subcommand", () => {
    expect(read("Stash drop -m msg x", git)).toMatchObject({
      positionals: ["Stash", "drop", "x"],
      subcommandLength: 2,
      options: { "-m": ["msg"] },
    });
    expect(read("log x y", git).subcommandLength).toBe(1);
    expect(read("", git).subcommandLength).toBe(0);
  });

  it("`--` before the subcommand does not end the options; after it, it does", () => {
    expect(read("-- checkout -bnew", git)).toMatchObject({
      positionals: ["checkout"],
      options: { "-b": ["new"] },
      endOfOptions: false,
    });
    const after = read("checkout -- -bnew", git);
    expect(after.positionals).toEqual(["checkout", "-bnew"]);
    expect(after.endOfOptions).toBe(true);
    expect(read("-- -x", { subcommands: 1 })).toMatchObject({
      flags: ["-x"],
      positionals: [],
      endOfOptions: false,
    });
  });

  it("options end at an operand (ssh's destination and command)", () => {
    const ssh = { valued: ["-p"], optionsEndAt: 2 };
    expect(read("-p 22 h rm -rf y", ssh)).toMatchObject({
      flags: ["-p"],
      options: { "-p": ["22"] },
      positionals: ["h", "rm", "-rf", "y"],
      endOfOptions: true,
    });
    expect(read("h -v", ssh)).toMatchObject({ flags: ["-v"], positionals: ["h"] });
  });
});

describe("specOf", () => {
  it("a hand-written grammar, a generated one, or none", () => {
    expect(specOf("git")?.generated).toBeUndefined();
    expect(specOf("git")?.valued).toContain("-C");
    expect(specOf("no-such-program-x")).toBeUndefined();
    expect(specOf("constructor")).toBeUndefined();
    // asked twice: the same object
    expect(specOf("no-such-program-x")).toBe(specOf("no-such-program-x"));
  });
});

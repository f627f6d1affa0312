// The rule matcher (src/rules/matcher.ts) clause by clause on hand-built facts: each clause holds
// on a command that has what it names and fails on one that lacks it, clauses combine with "and"
// whatever their number, `any` and `not` nest, and programsOf gives the rule index the programs a
// matcher can match. The packs' own examples reach these through whole rules, where another rule
// often decides the same (issue 16: Stryker's survivors in this file).
import { compileMatcher, programsOf } from "../src/rules/matcher.js";
import type { Matcher } from "../src/rules/schema.js";
import type { PathFact } from "../src/types.js";
import { command } from "./command.js";

const m = (x: Matcher) => compileMatcher(x);
const p = (path: string, role: PathFact["role"], classes: string[], remote?: boolean) =>
  ({ raw: path, path, role, classes, ...(remote === undefined ? {} : { remote }) }) as PathFact;

describe("word clauses", () => {
  it("program, case-insensitively as written in the rule", () => {
    expect(m({ program: ["RM", "rmdir"] })(command("rm"))).toBe(true);
    expect(m({ program: ["rm"] })(command("rmx"))).toBe(false);
  });

  it("program_match", () => {
    expect(m({ program_match: "^mkfs\\." })(command("mkfs.ext4"))).toBe(true);
    expect(m({ program_match: "^mkfs\\." })(command("mkfs"))).toBe(false);
  });

  it("subcommand: the words begin with one of them", () => {
    const t = m({ subcommand: ["Stash  Drop", "reset"] });
    expect(t(command("git", { words: ["stash", "drop", "x"] }))).toBe(true);
    expect(t(command("git", { words: ["reset"] }))).toBe(true);
    expect(t(command("git", { words: ["stash"] }))).toBe(false);
    expect(t(command("git", { words: ["x", "stash", "drop"] }))).toBe(false);
    expect(t(command("git", { words: ["stash", "list"] }))).toBe(false);
  });

  it("words and word_match", () => {
    expect(m({ words: ["Prune"] })(command("x", { words: ["a", "prune"] }))).toBe(true);
    expect(m({ words: ["prune"] })(command("x", { words: ["a", "pruned"] }))).toBe(false);
    expect(m({ word_match: "^PR" })(command("x", { words: ["a", "prune"] }))).toBe(true);
    expect(m({ word_match: "^pr" })(command("x", { words: ["apr"] }))).toBe(false);
    expect(m({ word_match: "^pr" })(command("x"))).toBe(false);
  });
});

describe("argument clauses", () => {
  it("flags, all_flags, not_flags", () => {
    const c = command("rm", { flags: ["-r", "-f"] });
    expect(m({ flags: ["-f", "-x"] })(c)).toBe(true);
    expect(m({ flags: ["-x"] })(c)).toBe(false);
    expect(m({ all_flags: ["-r", "-f"] })(c)).toBe(true);
    expect(m({ all_flags: ["-r", "-i"] })(c)).toBe(false);
    expect(m({ not_flags: ["-i"] })(c)).toBe(true);
    expect(m({ not_flags: ["-i", "-f"] })(c)).toBe(false);
  });

  it("args and not_args: regular expressions over the raw arguments", () => {
    const c = command("dd", { argv: ["if=/dev/zero", "of=/dev/sda"] });
    expect(m({ args: ["^of=/dev/sd"] })(c)).toBe(true);
    expect(m({ args: ["^x", "^if="] })(c)).toBe(true);
    expect(m({ args: ["^of=/dev/nvme"] })(c)).toBe(false);
    expect(m({ not_args: ["^of=/dev/nvme"] })(c)).toBe(true);
    expect(m({ not_args: ["^x", "^of="] })(c)).toBe(false);
  });

  it("option: present with a value, or with a value matching", () => {
    const c = command("x", { options: { "-o": ["Out.TXT"], "--empty": [] } });
    expect(m({ option: { names: ["--other", "-o"] } })(c)).toBe(true);
    expect(m({ option: { names: ["--empty"] } })(c)).toBe(false);
    expect(m({ option: { names: ["--missing"] } })(c)).toBe(false);
    expect(m({ option: { names: ["-o"], match: "\\.txt$" } })(c)).toBe(true);
    expect(m({ option: { names: ["-o"], match: "\\.log$" } })(c)).toBe(false);
    expect(m({ option: { names: ["--empty", "-o"], match: "txt" } })(c)).toBe(true);
  });

  it("operands: the words after the subcommand, between min and max", () => {
    const c = command("git", { words: ["rm", "a", "b"], subcommand: ["rm"] });
    expect(m({ operands: { min: 2 } })(c)).toBe(true);
    expect(m({ operands: { min: 3 } })(c)).toBe(false);
    expect(m({ operands: { max: 2 } })(c)).toBe(true);
    expect(m({ operands: { max: 1 } })(c)).toBe(false);
    expect(m({ operands: { min: 2, max: 2 } })(c)).toBe(true);
    expect(m({ operands: {} })(c)).toBe(true);
  });
});

describe("path clauses", () => {
  const c = command("cp", {
    paths: [p("/etc/x", "write", ["system"]), p("/tmp/y", "read", ["temp"], true)],
    redirects: [
      { operator: "<", target: "/etc/r", write: false, path: p("/etc/r", "read", ["system"]) },
      { operator: ">", target: "/srv/w", write: true, path: p("/srv/w", "write", ["outside"]) },
      { operator: ">", target: "$X", write: true },
    ],
    inputs: [p("/root/.netrc", "read", ["home", "credential"])],
  });

  it("paths: a class, a role, not a class, remote", () => {
    expect(m({ paths: { class: ["system"] } })(c)).toBe(true);
    expect(m({ paths: { class: ["home"] } })(c)).toBe(false);
    expect(m({ paths: { class: ["system"], role: ["write"] } })(c)).toBe(true);
    expect(m({ paths: { class: ["system"], role: ["read"] } })(c)).toBe(false);
    expect(m({ paths: { class: ["system"], not_class: ["temp"] } })(c)).toBe(true);
    expect(m({ paths: { class: ["system"], not_class: ["system"] } })(c)).toBe(false);
    expect(m({ paths: { class: ["temp"], remote: true } })(c)).toBe(true);
    expect(m({ paths: { class: ["temp"], remote: false } })(c)).toBe(false);
    // a path without the remote mark is local
    expect(m({ paths: { class: ["system"], remote: false } })(c)).toBe(true);
    expect(m({ paths: { class: ["system"], remote: true } })(c)).toBe(false);
  });

  it("redirect: only a writing redirect with a path", () => {
    expect(m({ redirect: { class: ["outside"] } })(c)).toBe(true);
    expect(m({ redirect: { class: ["system"] } })(c)).toBe(false);
    expect(m({ redirect: { class: ["outside"], role: ["read"] } })(c)).toBe(false);
  });

  it("inputs", () => {
    expect(m({ inputs: { class: ["credential"] } })(c)).toBe(true);
    expect(m({ inputs: { class: ["system"] } })(c)).toBe(false);
  });
});

describe("fact clauses", () => {
  const c = command("x", {
    assigns: ["LD_PRELOAD"],
    tags: ["heredoc", "upload"],
    texts: ["import os"],
    sql: ["DROP TABLE t", "select 1"],
    via: ["sh -c", "function f"],
    remote: true,
    privileged: true,
    wrappers: ["sudo"],
  });

  it("assigns, tags, not_tags", () => {
    expect(m({ assigns: ["LD_PRELOAD"] })(c)).toBe(true);
    expect(m({ assigns: ["PATH"] })(c)).toBe(false);
    expect(m({ tags: ["x", "upload"] })(c)).toBe(true);
    expect(m({ tags: ["x"] })(c)).toBe(false);
    expect(m({ not_tags: ["x"] })(c)).toBe(true);
    expect(m({ not_tags: ["x", "heredoc"] })(c)).toBe(false);
  });

  it("texts and sql, case-insensitively; sql's unless", () => {
    expect(m({ texts: "IMPORT" })(c)).toBe(true);
    expect(m({ texts: "^os" })(c)).toBe(false);
    expect(m({ sql: { match: "^drop" } })(c)).toBe(true);
    expect(m({ sql: { match: "^drop", unless: "table" } })(c)).toBe(false);
    expect(m({ sql: { match: "^drop", unless: "index" } })(c)).toBe(true);
    expect(m({ sql: { match: "^delete" } })(c)).toBe(false);
  });

  it("via: the first word of each way the command is reached", () => {
    expect(m({ via: ["sh"] })(c)).toBe(true);
    expect(m({ via: ["function"] })(c)).toBe(true);
    expect(m({ via: ["f"] })(c)).toBe(false);
    expect(m({ via: ["sh -c"] })(c)).toBe(false);
    expect(m({ via: ["ssh"] })(command("x", { via: ["ssh"] }))).toBe(true);
  });

  it("remote, privileged, wrapped: true and false", () => {
    const plain = command("x");
    expect(m({ remote: true })(c)).toBe(true);
    expect(m({ remote: true })(plain)).toBe(false);
    expect(m({ remote: false })(plain)).toBe(true);
    expect(m({ privileged: true })(c)).toBe(true);
    expect(m({ privileged: false })(c)).toBe(false);
    expect(m({ wrapped: true })(c)).toBe(true);
    expect(m({ wrapped: true })(plain)).toBe(false);
    expect(m({ wrapped: false })(plain)).toBe(true);
    expect(m({ wrapped: false })(c)).toBe(false);
  });
});

describe("combining clauses", () => {
  const c = command("rm", { flags: ["-r"], words: ["a"], tags: ["t"], remote: true });
  it("every clause must hold, however many there are", () => {
    expect(m({})(c)).toBe(true);
    const hold: Matcher[] = [
      { program: ["rm"] },
      { program: ["rm"], flags: ["-r"] },
      { program: ["rm"], flags: ["-r"], words: ["a"] },
      { program: ["rm"], flags: ["-r"], words: ["a"], tags: ["t"] },
      { program: ["rm"], flags: ["-r"], words: ["a"], tags: ["t"], remote: true },
    ];
    for (const x of hold) expect([x, m(x)(c)]).toEqual([x, true]);
    // each of them with one clause that fails, at every position
    const keys = ["program", "flags", "words", "tags", "remote"] as const;
    const bad: Matcher = {
      program: ["cp"],
      flags: ["-f"],
      words: ["b"],
      tags: ["u"],
      remote: false,
    };
    for (const x of hold)
      for (const k of keys)
        if (k in x) {
          const broken = { ...x, [k]: bad[k] };
          expect([broken, m(broken)(c)]).toEqual([broken, false]);
        }
  });

  it("not negates; any holds when one branch does", () => {
    expect(m({ not: { flags: ["-r"] } })(c)).toBe(false);
    expect(m({ not: { flags: ["-f"] } })(c)).toBe(true);
    expect(m({ any: [{ flags: ["-f"] }, { tags: ["t"] }] })(c)).toBe(true);
    expect(m({ any: [{ flags: ["-f"] }, { tags: ["u"] }] })(c)).toBe(false);
  });

  it("any: a branch naming programs only for those programs, the others for every program", () => {
    const t = m({
      any: [
        { program: ["cp"], flags: ["-r"] },
        { program: ["rm", "cp"], tags: ["t"] },
        { tags: ["generic"] },
      ],
    });
    expect(t(command("cp", { flags: ["-r"] }))).toBe(true);
    expect(t(command("cp", { tags: ["t"] }))).toBe(true);
    expect(t(command("rm", { tags: ["t"] }))).toBe(true);
    expect(t(command("rm", { flags: ["-r"] }))).toBe(false);
    expect(t(command("mv", { tags: ["t"] }))).toBe(false);
    expect(t(command("mv", { tags: ["generic"] }))).toBe(true);
    expect(t(command("rm", { tags: ["generic"] }))).toBe(true);
    expect(t(command("cp", { tags: ["generic"] }))).toBe(true);
    // a branch with a program_match matches programs no list names
    const re = m({ any: [{ program: ["cp"] }, { program_match: "^mk" }] });
    expect(re(command("mkfs"))).toBe(true);
    expect(re(command("cp"))).toBe(true);
    expect(re(command("rm"))).toBe(false);
  });
});

describe("programsOf: the programs a matcher can match, for the rule index", () => {
  it.each([
    [{ program: ["RM", "cp"] }, ["rm", "cp"]],
    [{ any: [{ program: ["rm"] }, { program: ["cp", "rm"] }] }, ["rm", "cp"]],
    [{ any: [{ any: [{ program: ["a"] }] }, { program: ["b"] }] }, ["a", "b"]],
    [{ any: [{ program: ["rm"] }, { flags: ["-f"] }] }, undefined],
    [{ any: [{ program: ["rm"] }], program_match: "^x" }, undefined],
    [{ program_match: "^x" }, undefined],
    [{ flags: ["-f"] }, undefined],
    [{}, undefined],
  ] as [Matcher, string[] | undefined][])("%j", (x, want) => {
    expect(programsOf(x)).toEqual(want);
  });
});

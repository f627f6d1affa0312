import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";
import { compileDescribed, describedIn, type DescribedEntry } from "../src/knowledge/described.js";
import { explain, loadPolicy } from "../src/policy.js";
import type { CommandFacts } from "../src/types.js";

/**
 * Where a described effect applies (src/knowledge/described.ts), on hand-written entries of an
 * unknown program `demo`: the generated file's entries change when it is regenerated, these do not.
 */
const ctx = resolveContext({});
const facts = (cmd: string): CommandFacts => extractFacts(cmd, ctx).commands[0]!;
const upload: DescribedEntry = { words: ["Upload"], effect: "send", rule: "send.upload" };
const publish: DescribedEntry = {
  words: ["publish"],
  effect: "remote-change",
  rule: "remote.publish",
  after: ["pub"],
};
const clean: DescribedEntry = {
  flags: ["-t", "--time"],
  effect: "tamper",
  rule: "tamper.logs",
  after: ["Logs"],
};
const loop: DescribedEntry = {
  words: ["push"],
  effect: "send",
  rule: "send.push",
  after: ["push"],
};
const entries = compileDescribed([upload, publish, clean, loop], ["--dry-run"]);
const whats = (cmd: string) => describedIn(entries, facts(cmd)).map((d) => d.what);

describe("described effects: a subcommand's place", () => {
  it("a first-level subcommand is the first word only (entries are matched lower-case)", () => {
    expect(describedIn(entries, facts("demo upload f.cast"))).toEqual([
      { effect: "send", rule: "send.upload", what: "upload" },
    ]);
    expect(whats("demo play upload")).toEqual([]);
  });

  it("a nested subcommand follows the word it is placed after, within three words", () => {
    expect(whats("demo pub publish")).toEqual(["publish"]);
    expect(whats("demo x pub publish")).toEqual(["publish"]);
    expect(whats("demo x y pub publish")).toEqual([]);
    expect(whats("demo x publish")).toEqual([]);
    expect(whats("demo pub get")).toEqual([]);
    expect(whats("demo publish pub")).toEqual([]);
  });

  it("a word does not follow itself", () => {
    expect(whats("demo other push")).toEqual([]);
    expect(whats("demo push push")).toEqual(["push"]);
  });

  it("an option applies after its word, among the first three words", () => {
    expect(whats("demo logs -t")).toEqual(["-t"]);
    expect(whats("demo logs extra -t")).toEqual(["-t"]);
    expect(whats("demo other -t")).toEqual([]);
    expect(whats("demo a b c logs -t")).toEqual([]);
    expect(whats("demo logs")).toEqual([]);
  });

  it("an option described as a dry run switches every described effect off", () => {
    expect(whats("demo upload --dry-run f")).toEqual([]);
    expect(describedIn(compileDescribed([], []), facts("demo upload"))).toEqual([]);
  });
});

describe("described effects in an explanation", () => {
  it("names the program, the word and the rule, on the guest", () => {
    const e = explain(loadPolicy({}), "asciinema upload demo.cast", { headless: true });
    expect(e.effects.find((f) => f.id === "described.send.upload")).toEqual({
      kind: "send",
      id: "described.send.upload",
      reason:
        "asciinema upload: its completion file describes it as send: upload (generated knowledge)",
      remote: false,
      command: 0,
    });
  });

  it("is read beside a rule that names no program (only a program's own entry silences it)", () => {
    const e = explain(loadPolicy({}), "asciinema upload x < ~/.git-credentials", {
      headless: true,
    });
    expect(e.matches.map((m) => m.id)).toEqual(["cred.read-git-or-redirect"]);
    expect(e.effects.map((f) => f.id)).toContain("described.send.upload");
  });
});

describe("described effects: universal dry-run options", () => {
  it("--dry-run, --dryrun, --simulate and --what-if switch every entry off, listed or not", () => {
    const none = compileDescribed([upload], []);
    expect(describedIn(none, facts("demo upload f.cast")).map((d) => d.what)).toEqual(["upload"]);
    for (const opt of ["--dry-run", "--dryrun", "--simulate", "--what-if", "--dry-run=true"])
      expect([opt, describedIn(none, facts(`demo upload ${opt} f.cast`))]).toEqual([opt, []]);
    expect(describedIn(none, facts("demo upload -n f.cast")).map((d) => d.what)).toEqual([
      "upload",
    ]);
  });
});

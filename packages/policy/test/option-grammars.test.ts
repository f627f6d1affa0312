import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { explain, loadPolicy } from "../src/policy.js";

/**
 * The option grammars generated from fish's completion files (issue 10, item 2) are data
 * produced by a script, never edited: regenerating them gives the committed file.
 */
const here = dirname(fileURLToPath(import.meta.url));
const script = join(here, "../scripts/gen-option-grammars.mjs");
const committed = join(here, "../knowledge/option-grammars.generated.json");
const fishDir = "/usr/share/fish/completions";

function findTldr(): string | undefined {
  for (let dir = here; dir !== dirname(dir); dir = dirname(dir)) {
    const f = join(dir, "shared/corpora/tldr-examples.jsonl");
    if (existsSync(f)) return f;
  }
  return undefined;
}

describe("generated option grammars", () => {
  const data = JSON.parse(readFileSync(committed, "utf8")) as {
    generated_by: string;
    inputs_sha256: string;
    programs: Record<string, { valued: string[] }>;
  };

  it("say which options take a value, from the completion files", () => {
    expect(data.generated_by).toBe("packages/policy/scripts/gen-option-grammars.mjs");
    // tar.fish: `-s f -l file -r`; `-s c -l create` takes none
    expect(data.programs["tar"]?.valued).toEqual(expect.arrayContaining(["-f", "--file", "-C"]));
    expect(data.programs["tar"]?.valued).not.toContain("-c");
    expect(Object.keys(data.programs).length).toBeGreaterThan(250);
  });

  it("trust -x (no file completion) only with a fixed list of values, never on flags or actions", () => {
    // dpkg.fish: `-s P -l purge -xa '(dpkg-query …)'` — an action whose words are operands
    expect(data.programs["dpkg"]?.valued ?? []).not.toContain("-P");
    expect(data.programs["dpkg"]?.valued ?? []).not.toContain("--install");
    // nmcli.fish: `-s h -l help -x` is a flag; `-s m -l mode -xa 'tabular multiline'` takes a value
    expect(data.programs["nmcli"]?.valued).not.toContain("--help");
    expect(data.programs["nmcli"]?.valued).toEqual(expect.arrayContaining(["-m", "--mode"]));
  });

  it("read a program with no fish file from its zsh `_arguments` specs: `--opt=` only", () => {
    const dir = mkdtempSync(join(tmpdir(), "grammars-zsh-"));
    try {
      mkdirSync(join(dir, "fish"));
      mkdirSync(join(dir, "zsh/Unix"), { recursive: true });
      const spec = [
        "#compdef rootx",
        "_arguments \\",
        "  '--userspec=[specify user and group to run process as]: :->userspecs' \\",
        "  '--skip-chdir[do not change working directory to /]' \\",
        "  '-u+[specify user]: :_users' \\",
        "  '-c[command string]:command' \\",
        "  '--only=-[value in the same word]'",
      ].join("\n");
      writeFileSync(join(dir, "zsh/Unix/_rootx"), spec + "\n");
      writeFileSync(
        join(dir, "tldr.jsonl"),
        JSON.stringify({ section: "linux", page: "rootx" }) + "\n",
      );
      const out = join(dir, "g.json");
      const args = ["tldr.jsonl", "fish", "g.json", "zsh"].map((f) => join(dir, f));
      execFileSync(process.execPath, [script, ...args], { stdio: "pipe" });
      const g = JSON.parse(readFileSync(out, "utf8")) as typeof data;
      // `-u+` and `-c[…]:…` are not trusted: zsh marks code and command arguments the same way
      expect(g.programs["rootx"]).toEqual({ valued: ["--userspec"] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("read a program whose fish file marks nothing from its manual page's option tags", () => {
    const dir = mkdtempSync(join(tmpdir(), "grammars-man-"));
    try {
      for (const d of ["fish", "zsh", "man/man1"]) mkdirSync(join(dir, d), { recursive: true });
      const tp = (tag: string, d: string) => [".TP", tag, d];
      const page = [
        ".TH PAGEX 1",
        ".SH NAME",
        "pagex \\- do a thing",
        ".SH OPTIONS",
        ...tp("\\fB\\-s\\fR, \\fB\\-\\-size\\fR=\\fISIZE\\fR", "set the size"),
        ...tp("\\fB\\-f\\fR \\fIfile\\fR", "read from file"),
        ...tp("\\fB\\-\\-color\\fR[=\\fIWHEN\\fR]", "colour the output"),
        ...tp("\\fB\\-a\\fR | \\fB\\-all\\fR", "show all"),
        ...tp("\\fB\\-v\\fR, \\fB\\-\\-verbose\\fR", "say more"),
        ".SH CONDITIONAL EXPRESSIONS",
        ...tp("\\fB\\-e\\fR \\fIfile\\fR", "True if file exists."),
      ].join("\n");
      writeFileSync(join(dir, "man/man1/pagex.1"), page + "\n");
      // a fish file marking no parameter says nothing of the grammar: the page is read
      writeFileSync(join(dir, "fish/pagex.fish"), "complete -c pagex -s v -d 'say more'\n");
      writeFileSync(
        join(dir, "tldr.jsonl"),
        JSON.stringify({ section: "linux", page: "pagex" }) + "\n",
      );
      const args = ["tldr.jsonl", "fish", "g.json", "zsh", "man"].map((f) => join(dir, f));
      execFileSync(process.execPath, [script, ...args], { stdio: "pipe" });
      const g = JSON.parse(readFileSync(join(dir, "g.json"), "utf8")) as typeof data;
      // a value shown after the name (both names of the tag); not an optional value, not a
      // switch's other name, not an operator documented outside the options
      expect(g.programs["pagex"]).toEqual({ valued: ["--size", "-f", "-s"] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const tldr = findTldr();
  const can = tldr !== undefined && existsSync(fishDir);
  (can ? it : it.skip)("are what the generator writes (fish completions and tldr present)", () => {
    const dir = mkdtempSync(join(tmpdir(), "grammars-"));
    try {
      const out = join(dir, "g.json");
      execFileSync(process.execPath, [script, tldr!, fishDir, out], { stdio: "pipe" });
      const again = JSON.parse(readFileSync(out, "utf8")) as typeof data;
      // zsh files and manual pages differ between machines; same inputs, same output
      if (again.inputs_sha256 === data.inputs_sha256) expect(again).toEqual(data);
      else expect(again.programs["tar"]).toEqual(data.programs["tar"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the parser reads generated grammars", () => {
  const policy = loadPolicy({});
  const facts = (cmd: string) => explain(policy, cmd).facts.commands[0]!;

  it("takes an option's value for a program with no hand-written spec", () => {
    // touch.fish: `-s r -l reference -r`: the reference file is read, the operand is touched
    const c = facts("touch -acmr /bin/sh /tmp/x");
    expect(c.options["-r"]).toEqual(["/bin/sh"]);
    expect(c.words).toEqual(["/tmp/x"]);
    expect(facts("ansible -i hosts all -m ping").words).toEqual(["all"]);
  });

  it("takes a long option's value from a zsh spec when the program has no fish file", () => {
    // _chroot: `'--userspec=[…]: :->userspecs'`; chroot has no fish file here
    const c = facts("chroot --userspec u:g /srv/root");
    expect(c.options["--userspec"]).toEqual(["u:g"]);
    expect(c.words).toEqual(["/srv/root"]);
    // with its value taken, the run gives chroot no command: its page's purpose (a shell in the
    // new root) applies
    expect(explain(policy, "chroot --userspec u:g /srv/root").decision.decision).toBe("deny");
  });

  it("still reads a path-looking option value as a path operand", () => {
    const c = facts("cwebp -o /etc/x.webp in.png");
    expect(c.options["-o"]).toEqual(["/etc/x.webp"]);
    expect(c.paths.map((p) => p.path)).toContain("/etc/x.webp");
  });

  it("prefers the hand-written spec", () => {
    // git's own spec: `-c` takes a value there as in fish; `-P` (no pager) stays a flag
    expect(facts("git -P log").words).toEqual(["log"]);
  });
});

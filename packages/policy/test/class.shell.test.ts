// Tests by class over the shell's own constructs the extractor reads (src/facts/extract/loops.ts,
// emit-exec.ts, simple.ts): endless loop conditions (bash(1) "Compound Commands", true(1),
// false(1), test(1), `(( expr ))`), how a shell is started (-c, -i, a script, -s, the terminal),
// the builtins that store a command for later (export/declare/typeset/local/readonly of a
// command variable, alias, trap), and variables named as commands by the programs that run them
// (restic's RESTIC_PASSWORD_COMMAND, borg's BORG_PASSCOMMAND, …_CMD). Expectations by hand.
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";
import { roles } from "./roles.js";

const ctx = resolveContext({});
const tags = (cmd: string): string[] => extractFacts(cmd, ctx).commands.flatMap((c) => c.tags);

describe("a loop that never ends and starts background jobs piles them up", () => {
  const endless = [
    "while true",
    "while :",
    "while /bin/true",
    "while /usr/bin/true",
    "while [ 1 ]",
    "while [[ 1 ]]",
    "while (( 1 ))",
    "while test 1",
    "until false",
    "until /bin/false",
    "until ! true",
    "until [ ]",
    "until (( 0 ))",
    "for ((;;))",
  ];
  it("endless conditions", () => {
    const missed = endless.filter((c) => !tags(`${c}; do sleep 1 & done`).includes("fork-bomb"));
    expect(missed).toEqual([]);
  });

  it("not a loop that ends, nor one that waits for each job", () => {
    for (const cmd of [
      "while false; do sleep 1 & done",
      "while [ -f x ]; do sleep 1 & done",
      "until true; do sleep 1 & done",
      "for i in 1 2; do sleep 1 & done",
      "while true; do sleep 1; done",
    ])
      expect([cmd, tags(cmd)]).toEqual([cmd, []]);
  });
});

describe("how a shell is started", () => {
  it.each([
    ["bash -i", ["interactive-shell"]],
    ["sudo bash -i", ["interactive-shell", "root-shell"]],
    ["sh < /dev/tty", ["interactive-shell"]],
    ["bash -s < /srv/x", ["stdin-script"]],
  ])("%s", (cmd, expected) => {
    expect(tags(cmd)).toEqual(expected);
  });

  it("runs -c's text after options that take a file", () => {
    expect(roles("bash --rcfile /srv/rc -c 'rm /srv/p'").rm).toEqual(["delete /srv/p"]);
    expect(roles("bash --init-file /srv/rc -c 'rm /srv/p'").rm).toEqual(["delete /srv/p"]);
    expect(roles("sh -e -c 'rm /srv/p'").rm).toEqual(["delete /srv/p"]);
  });

  it("reads +x, +o opt and +O opt (options unset) as options, not as the script", () => {
    expect(roles("bash +x -c 'rm /srv/p'").rm).toEqual(["delete /srv/p"]);
    expect(roles("bash +o pipefail -c 'rm /srv/p'").rm).toEqual(["delete /srv/p"]);
    expect(roles("bash +O extglob -c 'rm /srv/p'").rm).toEqual(["delete /srv/p"]);
    expect(roles("sh +eu -c 'rm /srv/p'").rm).toEqual(["delete /srv/p"]);
  });
});

describe("builtins that store a command to run later", () => {
  it.each([
    "export PAGER='rm /srv/p'",
    "declare EDITOR='rm /srv/p'",
    "typeset VISUAL='rm /srv/p'",
    "local BROWSER='rm /srv/p'",
    "readonly GIT_SSH='rm /srv/p'",
    "export GIT_SSH_COMMAND+='rm /srv/p'",
    "alias ll='rm /srv/p'",
    "trap 'rm /srv/p' EXIT",
  ])("%s", (cmd) => {
    expect(roles(cmd).rm).toEqual(["delete /srv/p"]);
  });

  it("export of a variable nothing runs only stores it; an alias runs when called", () => {
    expect(roles("export LANG='rm /srv/p'").rm).toBeUndefined();
    expect(roles("export D=/srv/d; rm $D/x").rm).toEqual(["delete /srv/d/x"]);
    expect(roles("alias del='rm -f'; del /srv/q").rm).toEqual(["delete /srv/q"]);
  });

  it("a value known only at run time stays unknown through export and declare", () => {
    for (const b of ["export", "declare", "local", "readonly"]) {
      const [p] = extractFacts(`${b} X=$(cat f); rm -rf $X`, ctx).commands.filter(
        (c) => c.program === "rm",
      )[0]!.paths;
      expect(p).toMatchObject({ path: "$X", classes: ["unknown"] });
    }
    const [q] = extractFacts("export X=/srv/w; rm -rf $X", ctx).commands.filter(
      (c) => c.program === "rm",
    )[0]!.paths;
    expect(q).toMatchObject({ path: "/srv/w" });
  });
});

describe("variables a program runs as a command, by their name", () => {
  it.each([
    "RESTIC_PASSWORD_COMMAND='rm /srv/p' restic snapshots",
    "BORG_PASSCOMMAND='rm /srv/p' borg list",
    "FOO_CMD='rm /srv/p' foo",
    "X_COMMAND='rm /srv/p' foo",
  ])("%s", (cmd) => {
    expect(roles(cmd).rm).toEqual(["delete /srv/p"]);
  });
  it("not a lower-case name or another suffix", () => {
    expect(roles("foo_cmd='rm /srv/p' foo").rm).toBeUndefined();
    expect(roles("MY_COMMANDS='rm /srv/p' foo").rm).toBeUndefined();
  });
});

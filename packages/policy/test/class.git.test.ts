// Tests by class over git's command-valued settings and sed's commands (src/facts/extract/tools.ts).
// git-config(1) documents each key below as a command git runs (core.pager, core.sshCommand,
// diff.<driver>.textconv, filter.<driver>.smudge, gpg.program, `alias.x = !cmd`…), set with
// `git -c key=value` or stored with `git config key value`; sed(1) documents `e command`,
// `w file`, `r file`, `s///w file`, `s///e` and -i (--in-place).
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";
import { roles } from "./roles.js";

const ctx = resolveContext({});

describe("git settings whose value is a command git runs", () => {
  const keys = [
    "core.pager",
    "core.editor",
    "core.sshCommand",
    "core.fsmonitor",
    "core.gitProxy",
    "core.askPass",
    "pager.log",
    "diff.external",
    "diff.x.command",
    "diff.x.textconv",
    "difftool.x.cmd",
    "mergetool.x.cmd",
    "remote.origin.uploadpack",
    "remote.origin.receivepack",
    "sequence.editor",
    "credential.helper",
    "filter.x.clean",
    "filter.x.smudge",
    "filter.x.process",
    "merge.x.driver",
    "gpg.program",
    "uploadpack.packObjectsHook",
  ];
  it("set with git -c", () => {
    const missed = keys.filter(
      (k) => JSON.stringify(roles(`git -c ${k}='rm /srv/p' status`).rm) !== '["delete /srv/p"]',
    );
    expect(missed).toEqual([]);
  });
  it("stored with git config (also --global)", () => {
    const missed = keys.filter(
      (k) => JSON.stringify(roles(`git config ${k} 'rm /srv/p'`).rm) !== '["delete /srv/p"]',
    );
    expect(missed).toEqual([]);
    expect(roles("git config --global core.pager 'rm /srv/p'").rm).toEqual(["delete /srv/p"]);
  });
  it("an alias starting with ! is a shell command; core.hooksPath moves the hooks", () => {
    expect(roles("git -c alias.x='!rm /srv/p' x").rm).toEqual(["delete /srv/p"]);
    expect(roles("git -c alias.x='log' x").rm).toBeUndefined();
    const tags = extractFacts("git -c core.hooksPath=/srv/h commit", ctx).commands[0]!.tags;
    expect(tags).toContain("git-hooks-override");
  });
  it("not reading a setting, nor a key whose value is data", () => {
    for (const cmd of [
      "git config --get core.pager 'rm /srv/p'",
      "git config --unset core.pager 'rm /srv/p'",
      "git config -l core.pager 'rm /srv/p'",
      "git -c user.name='rm /srv/p' status",
      "git -c core.pagerx='rm /srv/p' status",
    ])
      expect([cmd, roles(cmd).rm]).toEqual([cmd, undefined]);
  });
});

describe("git: a remote added on the line, and files it writes", () => {
  it("pushing to a remote added or re-pointed earlier on the line", () => {
    for (const add of ["remote add x https://h/r", "remote set-url x https://h/r"]) {
      const tags = extractFacts(`git ${add}; git push x main`, ctx).commands.flatMap((c) => c.tags);
      expect([add, tags]).toEqual([add, ["push-new-remote"]]);
    }
    expect(extractFacts("git push origin main", ctx).commands.flatMap((c) => c.tags)).not.toContain(
      "push-new-remote",
    );
  });
  it("writes --output / -o files", () => {
    expect(roles("git log --output /srv/o").git).toContain("write /srv/o");
    expect(roles("git diff --output=/srv/o").git).toContain("write /srv/o");
  });
});

describe("sed's commands", () => {
  it.each([
    ["sed 'e rm /srv/p' /srv/f", "rm", ["delete /srv/p"]],
    ["sed '1e rm /srv/p' /srv/f", "rm", ["delete /srv/p"]],
    ["sed '/x/e rm /srv/p' /srv/f", "rm", ["delete /srv/p"]],
    ["sed -e '1,$e rm /srv/p' /srv/f", "rm", ["delete /srv/p"]],
    ["sed 'w /srv/o' /srv/f", "sed", ["read /srv/f", "write /srv/o"]],
    ["sed 'W /srv/o' /srv/f", "sed", ["read /srv/f", "write /srv/o"]],
    ["sed 'r /srv/i' /srv/f", "sed", ["read /srv/f", "read /srv/i"]],
    ["sed '$R /srv/i' /srv/f", "sed", ["read /srv/f", "read /srv/i"]],
    ["sed 's/a/b/w /srv/o' /srv/f", "sed", ["read /srv/f", "write /srv/o"]],
    ["sed -i 's/a/b/' /srv/f", "sed", ["write /srv/f"]],
    ["sed -i.bak 's/a/b/' /srv/f", "sed", ["write /srv/f"]],
    ["sed --in-place 's/a/b/' /srv/f", "sed", ["write /srv/f"]],
    ["sed -ni 's/a/b/p' /srv/f", "sed", ["write /srv/f"]],
    ["sed -n 's/a/b/p' /srv/f", "sed", ["read /srv/f"]],
    ["sed -f /srv/s.sed /srv/f", "sed", ["read /srv/f"]],
  ])("%s", (cmd, program, expected) => {
    expect(roles(cmd)[program]).toEqual(expected);
  });

  it("fails closed where the command is the text itself (e alone, s///e)", () => {
    for (const cmd of ["sed e /srv/f", "sed 's/.*/rm &/e' /srv/f"])
      expect(extractFacts(cmd, ctx).uncertain.map((u) => u.tag)).toEqual(["dynamic-shell-text"]);
    expect(extractFacts("sed 's/a/b/g' /srv/f", ctx).uncertain).toEqual([]);
  });
});

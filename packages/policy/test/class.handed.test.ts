// Tests by class over shells handed to programs the gate has no grammar for
// (src/facts/extract/handed.ts): a shell's path inside a longer argument (fzf(1)'s
// `--bind 'key:execute(/bin/sh)'`, an injected `'}; /bin/sh #'`), the programs that only print,
// copy or inspect their arguments (echo(1), printf(1), sed(1), awk(1), git(1), ssh(1), sudo(8)…),
// and files written on the line whose content starts a shell, handed on by name, by directory or
// left where a program reads its configuration (bundler's Gemfile, rtorrent's ~/.rtorrent.rc).
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";

const ctx = resolveContext({});
const tags = (cmd: string): string[] => extractFacts(cmd, ctx).commands.flatMap((c) => c.tags);

describe("a shell's path inside a longer argument", () => {
  it("of every shell of /etc/shells, under /bin, /usr/bin and /usr/local/bin", () => {
    const shells =
      "/bin/sh /usr/bin/bash /bin/dash /bin/zsh /bin/ksh /bin/mksh /bin/csh /bin/tcsh /bin/ash " +
      "/bin/fish /usr/local/bin/bash /bin/rsh /bin/ysh";
    const missed = shells
      .split(" ")
      .filter((s) => !tags(`foo -p '${s} -i'`).includes("embedded-shell"));
    expect(missed).toEqual([]);
  });

  it.each(["fzf --bind 'enter:execute(/bin/sh)'", "foo '}; /bin/dash #'"])("%s", (cmd) => {
    expect(tags(cmd)).toEqual(["embedded-shell"]);
  });

  it("not a bare shell path (chsh -s /bin/bash names a file), nor a longer name", () => {
    for (const cmd of [
      "chsh -s /bin/bash",
      "foo /bin/sh",
      "foo --shell=/bin/sh",
      "foo -p '/bin/shx -i'",
      "foo -p 'x/bin/sh -i'",
    ])
      expect([cmd, tags(cmd)]).toEqual([cmd, []]);
  });

  it("not in programs that only print, copy or inspect their arguments", () => {
    for (const cmd of [
      "echo 'x /bin/sh -i'",
      "printf 'x /bin/sh -i'",
      "print 'x /bin/sh -i'",
      "export X='x /bin/sh -i'",
      "declare X='x /bin/sh -i'",
      "local X='x /bin/sh -i'",
      "alias x='y /bin/sh -i'",
      "sed 's/x/ /bin/sh -i/'",
      "git log --format='x /bin/sh -i'",
      "su -s '/bin/sh -i'",
      "doas -u x 'y /bin/sh -i'",
      "cat 'x /bin/sh -i'",
      "rm 'x /bin/sh -i'",
      "touch 'x /bin/sh -i'",
      "tee 'x /bin/sh -i'",
    ])
      expect([cmd, tags(cmd).includes("embedded-shell")]).toEqual([cmd, false]);
  });
});

describe("a file written on the line that starts a shell, handed to a program", () => {
  it.each([
    "echo '/bin/sh' > /srv/cfg; foo --config=/srv/cfg",
    "echo '/bin/sh' > /srv/cfg; foo -c /srv/cfg",
    "echo 'system(\"sh\")' > /srv/x.rb; foo /srv/x.rb",
    "echo 'popen(\"bash -i\")' > /srv/x; foo /srv/x",
    "echo 'os.execute(\"sh\")' > /srv/x; foo /srv/x",
    "echo 'exec(\"zsh\")' > /srv/x; foo /srv/x",
    "echo 'shell_exec(\"sh\")' > /srv/x; foo /srv/x",
    "echo 'passthru(\"ksh\")' > /srv/x; foo /srv/x",
    "echo '/bin/sh' > /srv/d/cfg; foo /srv/d/",
    "echo '/bin/sh' > Gemfile; bundle install",
    "echo '/bin/sh' > ~/.rtorrent.rc; rtorrent",
  ])("%s", (cmd) => {
    expect(tags(cmd)).toContain("handed-shell-file");
  });

  it("not a shebang, make's SHELL, another file, a container build or a reader", () => {
    for (const cmd of [
      "echo '#!/bin/sh' > /srv/cfg; foo --config=/srv/cfg",
      "echo 'SHELL := /bin/bash' > /srv/cfg; foo --config=/srv/cfg",
      "echo '/bin/sh' > /srv/cfg; foo --config=/srv/other",
      "echo '/bin/sh' > /srv/cfg; docker build /srv/cfg",
      "echo '/bin/sh' > /srv/cfg; podman build /srv/cfg",
      "echo '/bin/sh' > /srv/cfg; buildah bud /srv/cfg",
      "echo '/bin/sh' > /srv/cfg; cat /srv/cfg",
      "echo 'system(\"ls\")' > /srv/x; foo /srv/x",
    ])
      expect([cmd, tags(cmd)]).toEqual([cmd, []]);
  });
});

// Tests by class over the extractor's program and variable tables (src/facts/programs.ts) and the
// wrappers src/facts/extract/run.ts peels. Each expectation is what the program's manual page says
// the command does to its operand (rm(1) removes it, touch(1) writes it, cat(1) reads it,
// env(1) runs the command after its assignments…), written by hand, not read from the tables: a
// program deleted from a table, or a branch that reads one class of entry, makes a row fail.
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";
import { roles } from "./roles.js";

const ctx = resolveContext({});

/** The programs whose `PROGRAM /srv/a` gives another role than `expected` to /srv/a. */
function wrongRole(programs: string, expected: string): string[] {
  return programs.split(" ").filter((p) => {
    const got = roles(`${p} /srv/a`)[p];
    return JSON.stringify(got) !== JSON.stringify([`${expected} /srv/a`]);
  });
}

describe("the role of a program's path operand, by class", () => {
  it("removes it: rm, rmdir, unlink, shred, secure-delete and trash tools", () => {
    // shred(1) overwrites the file's contents beyond recovery: its data is destroyed as by rm
    const deleters = "rm rmdir unlink shred srm wipe trash trash-put rimraf del-cli trash-cli";
    expect(wrongRole(deleters, "delete")).toEqual([]);
    expect(roles("gio trash /srv/a").gio).toContain("delete /srv/a");
  });

  it("writes it: creators, mode and owner changers, editors, tee, sponge, patch", () => {
    const writers = "tee touch mkdir mkfifo sponge ed nano emacs patch";
    expect(wrongRole(writers, "write")).toEqual([]);
    // the mode or owner comes first, then the file (chmod(1), chown(1), chgrp(1))
    expect(roles("chmod 600 /srv/a").chmod).toEqual(["write /srv/a"]);
    expect(roles("chown bob /srv/a").chown).toEqual(["write /srv/a"]);
    expect(roles("chgrp staff /srv/a").chgrp).toEqual(["write /srv/a"]);
    expect(roles("chattr -i /srv/a").chattr).toEqual(["write /srv/a"]);
    expect(roles("setfacl -m u:bob:r /srv/a").setfacl).toEqual(["write /srv/a"]);
    expect(roles("truncate -s 0 /srv/a").truncate).toEqual(["write /srv/a"]);
    expect(roles("fallocate -l 1M /srv/a").fallocate).toEqual(["write /srv/a"]);
  });

  it("reads it: pagers, dumpers, checksums, comparers, formatters, jq/yq, gpg", () => {
    const readers =
      "cat tac less more head tail nl od xxd hexdump hd base64 base32 strings wc md5sum " +
      "sha1sum sha256sum sha512sum cksum sum file stat diff cmp sort uniq cut paste column " +
      "fold fmt pr expand iconv bat batcat view jq yq gpg";
    expect(wrongRole(readers, "read")).toEqual([]);
  });

  it("runs it: `source FILE` and `. FILE` execute the file in the current shell", () => {
    expect(wrongRole("source .", "exec")).toEqual([]);
  });

  it("reads only the files after a search tool's pattern (grep PATTERN FILE…)", () => {
    const searchers = "grep egrep fgrep rg ag ack zgrep".split(" ");
    const wrong = searchers.filter(
      (p) => JSON.stringify(roles(`${p} /srv/pattern /srv/a`)[p]) !== '["read /srv/a"]',
    );
    expect(wrong).toEqual([]);
    // with -e the pattern is the option's value, and every operand is a file
    expect(roles("grep -e /srv/pattern /srv/a /srv/b").grep).toEqual([
      "read /srv/a",
      "read /srv/b",
    ]);
  });
});

describe("wrappers run their argument", () => {
  it.each([
    ["env -i rm /srv/a", "delete /srv/a"],
    ["env -0 rm /srv/a", "delete /srv/a"],
    ["env -u HOME rm /srv/a", "delete /srv/a"],
    ["env -- rm /srv/a", "delete /srv/a"],
    ["env X=1 Y=2 rm /srv/a", "delete /srv/a"],
    ["env -C /srv rm a", "delete /srv/a"],
    ["env -C/srv rm a", "delete /srv/a"],
    ["env --chdir=/srv rm a", "delete /srv/a"],
    ["env --chdir /srv rm a", "delete /srv/a"],
    ["env -S 'rm /srv/a'", "delete /srv/a"],
    ["env -S'rm /srv/a'", "delete /srv/a"],
    ["env --split-string='rm /srv/a'", "delete /srv/a"],
    ["command rm /srv/a", "delete /srv/a"],
    ["command -- rm /srv/a", "delete /srv/a"],
    ["builtin rm /srv/a", "delete /srv/a"],
    ["exec rm /srv/a", "delete /srv/a"],
    ["exec -c rm /srv/a", "delete /srv/a"],
    ["exec -a name rm /srv/a", "delete /srv/a"],
    ["eval rm /srv/a", "delete /srv/a"],
    ["su -c 'rm /srv/a'", "delete /srv/a"],
    ["su root -c 'rm /srv/a'", "delete /srv/a"],
    ["runuser -u bob rm /srv/a", "delete /srv/a"],
    ["runuser -u bob -g staff rm /srv/a", "delete /srv/a"],
    ["runuser --user=bob rm /srv/a", "delete /srv/a"],
  ])("%s", (cmd, role) => {
    expect(roles(cmd).rm).toEqual([role]);
  });

  it("only looks the program up with `command -v` / `-V` (command(1) in bash's manual)", () => {
    expect(roles("command -v rm /srv/a").rm).toBeUndefined();
    expect(roles("command -V rm").rm).toBeUndefined();
  });

  it("runs su's -c line and runuser's command as root", () => {
    for (const cmd of ["su -c 'rm /srv/a'", "runuser -u bob rm /srv/a", "sudo rm /srv/a"]) {
      const rm = extractFacts(cmd, ctx).commands.find((c) => c.program === "rm");
      expect([cmd, rm?.privileged]).toEqual([cmd, true]);
    }
    expect(extractFacts("rm /srv/a", ctx).commands[0]?.privileged).toBe(false);
    expect(extractFacts("su", ctx).commands[0]?.tags).toContain("root-shell");
    expect(extractFacts("su -c 'rm /srv/a'", ctx).commands.flatMap((c) => c.tags)).not.toContain(
      "root-shell",
    );
  });

  it("runs a shell's -c text, for every POSIX shell of /etc/shells", () => {
    const shells =
      "sh bash zsh dash ksh ash mksh yash fish tcsh csh rbash busybox-sh lksh posh sash hush osh";
    const wrong = shells
      .split(" ")
      .filter((s) => JSON.stringify(roles(`${s} -c 'rm /srv/a'`).rm) !== '["delete /srv/a"]');
    expect(wrong).toEqual([]);
    expect(roles("bash /srv/s.sh").bash).toEqual(["exec /srv/s.sh"]);
  });
});

describe("interpreters' code options run their value as code", () => {
  it.each([
    ["python", "-c"],
    ["python3", "-c"],
    ["python3.11", "-c"],
    ["node", "-e --eval -p --print"],
    ["nodejs", "-e --eval -p --print"],
    ["bun", "-e --eval"],
    ["perl", "-e -E"],
    ["ruby", "-e"],
    ["php", "-r"],
    ["lua", "-e"],
    ["luajit", "-e"],
    ["Rscript", "-e"],
    ["R", "-e"],
    ["guile", "-c"],
    ["ghc", "-e"],
    ["jrunscript", "-e"],
    ["osascript", "-e"],
    ["pwsh", "-c -command"],
    ["powershell", "-c -command"],
  ])("%s %s", (program, options) => {
    const missing = options.split(" ").filter((o) => {
      const tags = extractFacts(`${program} ${o} 'x = 1'`, ctx).commands.flatMap((c) => c.tags);
      return !tags.includes("interpreter-code");
    });
    expect(missing).toEqual([]);
  });

  it("deno runs code with its eval subcommand; a script file is run, not code", () => {
    expect(extractFacts("deno eval 'x'", ctx).commands[0]?.tags).toContain("interpreter-code");
    const script = extractFacts("python -v /srv/s.py", ctx).commands[0]!;
    expect(script.tags).not.toContain("interpreter-code");
    expect(roles("perl -w /srv/s.pl").perl).toEqual(["exec /srv/s.pl"]);
  });
});

describe("environment variables", () => {
  // Each is documented as a command line its program runs: git(1) GIT_PAGER, GIT_EDITOR,
  // GIT_SSH(_COMMAND), GIT_EXTERNAL_DIFF, GIT_PROXY_COMMAND; less(1) LESSOPEN/LESSCLOSE; man(1)
  // MANPAGER; systemctl(1) SYSTEMD_PAGER; sudo(8) SUDO_ASKPASS; ssh(1) SSH_ASKPASS; rsync(1)
  // RSYNC_RSH; cvs(1) CVS_RSH; bash(1) BASH_ENV, ENV, PROMPT_COMMAND; PAGER, EDITOR, VISUAL,
  // BROWSER and svn's SVN_EDITOR by convention.
  const commandVars =
    "PAGER GIT_PAGER MANPAGER SYSTEMD_PAGER EDITOR VISUAL GIT_EDITOR SVN_EDITOR GIT_SSH_COMMAND " +
    "GIT_SSH GIT_EXTERNAL_DIFF GIT_PROXY_COMMAND LESSOPEN LESSCLOSE BROWSER PROMPT_COMMAND " +
    "SUDO_ASKPASS SSH_ASKPASS RSYNC_RSH CVS_RSH BASH_ENV ENV";

  it.each([
    ["a prefix assignment", (v: string) => `${v}='rm /srv/p' true`],
    ["env(1)", (v: string) => `env ${v}='rm /srv/p' true`],
  ])("a command variable's value is run as a command line, set by %s", (_, line) => {
    const wrong = commandVars
      .split(" ")
      .filter((v) => JSON.stringify(roles(line(v)).rm) !== '["delete /srv/p"]');
    expect(wrong).toEqual([]);
    // a variable no program runs is only data
    expect(roles(line("LANG")).rm).toBeUndefined();
  });

  it.each([
    ["HOME", "/root/x"],
    ["TMPDIR", "/tmp/x"],
    ["TMP", "/tmp/x"],
    ["TEMP", "/tmp/x"],
    ["PWD", "/workspace/x"],
    ["OLDPWD", "/workspace/x"],
  ])("$%s names a known directory before anything sets it", (v, path) => {
    expect(roles(`rm $${v}/x`).rm).toEqual([`delete ${path}`]);
    expect(roles(`rm \${${v}}/x`).rm).toEqual([`delete ${path}`]);
  });

  it("an assignment before a command is the command's, not the shell's: ~ is still $HOME", () => {
    // bash(1): tilde expansion happens in the current shell before the assignment is exported
    expect(roles("HOME=/srv rm ~/x").rm).toEqual(["delete /root/x"]);
    // a plain assignment changes what later words expand to
    expect(roles("D=/srv/d; rm $D/x").rm).toEqual(["delete /srv/d/x"]);
  });
});

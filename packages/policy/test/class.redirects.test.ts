// Tests by class over redirections (bash(1) REDIRECTION: every operator that opens a file for
// writing or reading, on simple and compound commands) and the classes the gate gives a path
// (src/facts/paths.ts), named by what each file is for in its own documentation: bash(1)'s
// startup files, crontab(5), systemd.unit(5), sshd_config(5), ld.so(8), githooks(5) and
// git-config(1), the AWS CLI's credentials file, shadow(5), proc(5), /dev/tcp in bash(1).
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";

const ctx = resolveContext({});

/** The redirects of every command of `cmd`: `w|r path`. */
function redirects(cmd: string): string[] {
  return extractFacts(cmd, ctx).commands.flatMap((c) =>
    c.redirects.map((r) => `${r.write ? "w" : "r"} ${r.path?.path ?? "-"}`),
  );
}

describe("redirection operators", () => {
  it.each([
    ["echo x > /srv/a", "w"],
    ["echo x >> /srv/a", "w"],
    ["echo x >| /srv/a", "w"],
    ["echo x &> /srv/a", "w"],
    ["echo x &>> /srv/a", "w"],
    ["echo x 2> /srv/a", "w"],
    ["echo x 2>> /srv/a", "w"],
    ["cat < /srv/a", "r"],
    ["cat 0< /srv/a", "r"],
    ["cat <> /srv/a", "w"],
    ["exec > /srv/a", "w"],
    ["exec 3> /srv/a", "w"],
  ])("%s", (cmd, mode) => {
    expect(redirects(cmd)).toEqual([`${mode} /srv/a`]);
  });

  it("reads an input redirect's file as the command's input", () => {
    const cat = extractFacts("cat < /srv/a", ctx).commands[0]!;
    expect(cat.inputs.map((p) => p.path)).toContain("/srv/a");
  });

  it("opens no file for a descriptor copy, a here-string or a here-document", () => {
    expect(redirects("echo x 1>&2")).toEqual([]);
    expect(redirects("echo x >&3")).toEqual([]);
    expect(redirects("cat <<< /srv/a")).toEqual([]);
    expect(redirects("cat <<EOF\n/srv/a\nEOF")).toEqual([]);
  });

  it.each([
    "{ echo x; } > /srv/a",
    "( echo x ) > /srv/a",
    "for i in 1; do echo x; done > /srv/a",
    "if true; then echo x; fi > /srv/a",
    "case x in x) echo x;; esac > /srv/a",
    "while false; do :; done > /srv/a",
  ])("applies to a compound command: %s", (cmd) => {
    expect(redirects(cmd)).toEqual(["w /srv/a"]);
  });

  it("belongs to the command it follows in a pipeline", () => {
    const cmds = extractFacts("echo x | tee /srv/a > /srv/b", ctx).commands;
    expect(cmds.find((c) => c.program === "tee")?.redirects.map((r) => r.path?.path)).toEqual([
      "/srv/b",
    ]);
    expect(cmds.find((c) => c.program === "echo")?.redirects).toEqual([]);
  });
});

describe("the class of a written path", () => {
  /** The classes of the path `echo x > PATH` writes. */
  const classes = (path: string): string[] =>
    extractFacts(`echo x > ${path}`, ctx).commands[0]!.redirects[0]!.path!.classes;

  it.each([
    ["/dev/null", "devnull"],
    ["/tmp/a", "temp"],
    ["/var/tmp/a", "temp"],
    ["/dev/shm/a", "temp"],
    ["/tmp", "temp-root"],
    ["/workspace/a", "project"],
    ["./a", "project"],
    ["~/a", "home"],
    ["/home/bob/a", "home"],
    ["/etc/a", "system"],
    ["/run/a", "system"],
    ["/proc/sys/vm/x", "proc"],
    ["/dev/sda", "device"],
    ["/dev/tcp/h/1", "network"],
    ["/dev/udp/h/1", "network"],
    ["/root/.aws/credentials", "credential"],
    ["/root/.ssh/id_rsa", "credential"],
    ["/etc/shadow", "credential"],
    ["/root/.bashrc", "shell-rc"],
    ["/root/.profile", "shell-rc"],
    ["/etc/cron.d/a", "cron"],
    ["/var/spool/cron/crontabs/root", "cron"],
    ["/etc/systemd/system/a.service", "systemd"],
    ["/etc/ssh/sshd_config", "ssh-config"],
    ["/root/.ssh/authorized_keys", "ssh-config"],
    ["/etc/ld.so.preload", "ld-preload"],
    [".git/hooks/pre-commit", "vcs-exec"],
    [".git/config", "vcs-exec"],
    ["/var/log/a.log", "log"],
  ])("%s is %s", (path, cls) => {
    expect(classes(path)).toContain(cls);
  });

  it("every shell's startup file in the home directory is shell-rc (bash(1), zsh(1), ksh(1), csh(1), tcsh(1), readline(3), fish)", () => {
    const files =
      ".shrc .mkshrc .bashrc .bash_profile .bash_login .bash_logout .profile .zshrc .zshenv " +
      ".zprofile .zlogin .kshrc .cshrc .tcshrc .inputrc .config/fish/config.fish";
    const wrong = files.split(" ").filter((f) => !classes(`~/${f}`).includes("shell-rc"));
    expect(wrong).toEqual([]);
    expect(classes("~/.bashrc.bak")).not.toContain("shell-rc");
  });

  it("an ordinary file in a system tree is only system", () => {
    expect(classes("/srv/a")).toEqual(["system"]);
    expect(classes("/etc/a")).toEqual(["system"]);
  });
});

// Programs that run another command (src/facts/extract/runner.ts over knowledge/runners.yaml):
// the command after the runner's options and its own operands (sudo -u, timeout DURATION,
// setarch ARCH -R, flock FILE, chroot DIR), options whose value is a shell line, a program or an
// ex command (flock -c, gdb -ex, vim -c, psql -c '\!'), rest options (gdb --args, ksu -e,
// capsh --), a joined shell line (watch), escapes typed on the following lines (vim, less, ftp
// put), commands embedded in a language or a config file (tex \write18, fail2ban actions,
// rsyslog ^program), and the interactive shell an empty runner opens. Written by hand from the
// manuals cited in runners.yaml (issue 16: Stryker's survivors in this file).
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";
import { first, uncertain } from "./roles.js";

// cwd /workspace, home /root
const ctx = resolveContext({});
const facts = (cmd: string) => extractFacts(cmd, ctx);
/** How rm is reached on the line: `wrappers | via | privileged`, or undefined when it does not run. */
function rm(cmd: string): string | undefined {
  const c = facts(cmd).commands.find((x) => x.program === "rm");
  if (c === undefined) return undefined;
  expect(c.paths.map((p) => p.path)).toEqual(["/tmp/a"]);
  return `${c.wrappers.join(",")} | ${c.via.join(",")} | ${c.privileged}`;
}

describe("the command after the runner's own words", () => {
  it.each([
    ["sudo rm /tmp/a", "sudo |  | true"],
    ["sudo -u bob rm /tmp/a", "sudo |  | true"],
    ["sudo --user=bob -- rm /tmp/a", "sudo |  | true"],
    ["nice -n 5 rm /tmp/a", "nice |  | false"],
    ["timeout -s KILL 5 rm /tmp/a", "timeout |  | false"],
    ["setarch x86_64 -R rm /tmp/a", "setarch |  | false"],
    ["flock /tmp/l rm /tmp/a", "flock |  | false"],
    ["flock -w 3 /tmp/l rm /tmp/a", "flock |  | false"],
    ["flock /tmp/l -- rm /tmp/a", "flock |  | false"],
    ["flock /tmp/l -w 3 rm /tmp/a", "flock |  | false"],
    ["chroot /x rm /tmp/a", "chroot |  | true"],
    ["linux32 rm /tmp/a", "linux32 |  | false"],
    ["ksu -q -e rm /tmp/a", "ksu |  | true"],
    ["gdb --args rm /tmp/a", "gdb |  | false"],
    ["watch -x rm /tmp/a", "watch |  | false"],
  ])("%s", (cmd, how) => {
    expect(rm(cmd)).toBe(how);
  });

  it("a runner's own flags: it runs nothing", () => {
    for (const cmd of ["sudo -l", "sudo -e /tmp/a", "sudo -v"])
      expect([cmd, facts(cmd).commands.map((c) => c.program)]).toEqual([cmd, ["sudo"]]);
  });
});

describe("commands in option values", () => {
  it.each([
    ["flock /tmp/l -c 'rm /tmp/a'", " | flock -c | false"],
    ["gdb -batch -ex 'shell rm /tmp/a' ./a.out", " | gdb -ex | false"],
    ["gdb -ex '!rm /tmp/a'", " | gdb -ex | false"],
    ["psql -c '\\! rm /tmp/a'", " | psql -c | false"],
    ["capsh -- -c 'rm /tmp/a'", "capsh | sh -c | false"],
    ["watch -n 5 'rm /tmp/a'", " | watch | false"],
    ["pdflatex --shell-escape '\\write18{rm /tmp/a}\\end'", " | pdflatex embedded | false"],
  ])("%s", (cmd, how) => {
    expect(rm(cmd)).toBe(how);
  });

  it("vim's -c runs an ex command: `!` a shell line, :shell a shell, :wq nothing", () => {
    expect(
      facts("vim -c ':!rm /tmp/a' -c ':q' a.c").commands.some((c) => c.via.includes("vim -c")),
    ).toBe(true);
    expect(first("vi -c ':shell'", "vi").tags).toEqual(["interactive-shell"]);
    expect(first("vim -c 'term'", "vim").tags).toEqual(["interactive-shell"]);
    expect(first("vim -c 'set nu | sh'", "vim").tags).toEqual(["interactive-shell"]);
    expect(first("vim -c ':wq' a.txt", "vim").tags).toEqual([]);
    expect(first("gdb -ex 'shell'", "gdb").tags).toEqual(["interactive-shell"]);
    expect(first("gdb -ex 'run' ./x", "gdb").tags).toEqual([]);
  });

  it("tex's \\write18 runs only under --shell-escape", () => {
    expect(rm("pdflatex '\\write18{rm /tmp/a}\\end'")).toBeUndefined();
  });

  it("a joined line built at run time is uncertain", () => {
    expect(uncertain("watch rm $X")).toEqual(["dynamic-shell-text"]);
  });
});

describe("an empty runner: an interactive shell", () => {
  it.each([
    ["sudo -i", ["interactive-shell", "root-shell"]],
    ["sudo -s", ["interactive-shell", "root-shell"]],
    ["ksu root", ["interactive-shell", "root-shell"]],
    ["chroot /x", ["interactive-shell", "root-shell"]],
    ["setarch x86_64", ["interactive-shell"]],
    ["linux32", ["interactive-shell"]],
    ["elvish", ["interactive-shell"]],
  ])("%s", (cmd, tags) => {
    expect(first(cmd, cmd.split(" ")[0]!).tags).toEqual(tags);
  });
  it("capsh -- runs a shell; timeout with nothing to run does not", () => {
    const sh = first("capsh --", "sh");
    expect(sh.tags).toEqual(["interactive-shell"]);
    expect(sh.wrappers).toEqual(["capsh"]);
    expect(first("timeout 5", "timeout").tags).toEqual([]);
    expect(first("elvish -c 'echo hi'", "elvish").tags).not.toContain("interactive-shell");
  });
});

describe("what a program reads as typed input", () => {
  it("the lines after it, when the script is read from stdin", () => {
    expect(rm("vim\n:!rm /tmp/a")).toBe(" | vim typed input | false");
    expect(rm("less README\n!rm /tmp/a")).toBe(" | less typed input | false");
    expect(first("vim\n:term", "vim").tags).toEqual(["interactive-shell"]);
    expect(first("ftp h\nput /etc/passwd", "ftp").tags).toEqual(["upload"]);
    expect(first("ftp h\nput", "ftp").tags).toEqual([]);
    expect(first("less README", "less").tags).toEqual([]);
    // a command of its own: no typed input
    expect(rm("vim -c ':q'\n:!rm /tmp/a")).toBeUndefined();
  });
});

describe("commands a daemon's configuration runs later", () => {
  it("fail2ban's actions and rsyslog's ^program in files written on the line", () => {
    const f2b =
      "mkdir -p /tmp/f/action.d; printf 'actionstart = rm /tmp/a\\n' > /tmp/f/action.d/x.conf; fail2ban-client -c /tmp/f/ restart";
    expect(rm(f2b)).toBe(" | fail2ban-client embedded | false");
    const client = first(f2b, "fail2ban-client");
    expect(client.tags).toEqual(["daemon-command"]);
    expect(client.inputs.map((p) => `${p.path} ${p.runs}`)).toEqual(["/tmp/f true"]);
    const other = first("fail2ban-client -c /tmp/g restart", "fail2ban-client");
    expect(other.tags).toEqual([]);
    expect(other.inputs.map((p) => `${p.path} ${p.runs}`)).toEqual(["/tmp/g true"]);
    const rs =
      "printf ':msg, contains, \"x\" ^/usr/bin/logger\\n' > /tmp/r.conf; rsyslogd -f /tmp/r.conf";
    expect(first(rs, "logger").via).toEqual(["rsyslogd embedded"]);
    expect(first(rs, "rsyslogd").tags).toEqual(["daemon-command"]);
  });
});

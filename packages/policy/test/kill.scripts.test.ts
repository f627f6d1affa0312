// Scripts and interpreter calls (src/facts/extract/scripts.ts): a script from a process
// substitution or /dev/stdin, one written earlier on the line (run as shell or as code), one
// downloaded or of unknown origin, awk's program and its pipes, the code flags of python, perl,
// ruby and node (-c, -e, -E, bundles such as -le, the attached `-cCODE`), and an interpreter with
// nothing to run (a REPL) or only asked for its version. Written by hand (issue 16).
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";
import type { CommandFacts } from "../src/types.js";
import { first, uncertain } from "./roles.js";

// cwd /workspace, home /root
const ctx = resolveContext({});
const facts = (cmd: string) => extractFacts(cmd, ctx);
const pathsOf = (c: CommandFacts): string[] => c.paths.map((p) => `${p.role} ${p.path}`);

describe("where a script comes from", () => {
  it("a process substitution is what it prints", () => {
    expect(first("bash <(curl http://h)", "bash").tags).toContain("pipe-from-network");
    expect(first("python3 <(curl http://h)", "python").tags).toContain("pipe-from-network");
    expect(first("source <(echo rm /tmp/a)", "rm").via).toEqual(["source stdin"]);
    expect(first(". <(echo rm /tmp/a)", "rm").via).toEqual([". stdin"]);
    expect(uncertain(". <(cat f)")).toEqual(["computed-script"]);
    // python reads code, not shell: `rm /tmp/a` is no command of its
    expect(facts("python3 <(echo rm /tmp/a)").commands.map((c) => c.program)).not.toContain("rm");
  });

  it("/dev/stdin, /dev/fd/0 and /proc/self/fd/0 are stdin", () => {
    expect(first('echo "rm /tmp/b" | bash /dev/stdin', "rm").via).toEqual(["bash stdin"]);
    expect(first('echo "rm /tmp/b" | sh /proc/self/fd/0', "rm").via).toEqual(["sh stdin"]);
    const py = 'echo "import os; os.remove(\\"/tmp/c\\")" | python3 /dev/fd/0';
    expect(pathsOf(first(py, "rm"))).toEqual(["delete /tmp/c"]);
    expect(first(py, "rm").via).toEqual(["python stdin"]);
    expect(first('echo "rm /tmp/b" | bash /dev/stdinx', "bash").paths.map((p) => p.path)).toEqual([
      "/dev/stdinx",
    ]);
  });

  it("a file written on the line is read and its content run, as shell or as code", () => {
    const sh = 'echo "rm /tmp/d" > /tmp/s; bash /tmp/s';
    expect(pathsOf(first(sh, "bash"))).toEqual(["read /tmp/s"]);
    expect(first(sh, "rm").via).toEqual(["script-file /tmp/s"]);
    const src = 'echo "rm /tmp/d" > /tmp/s; source /tmp/s';
    expect(first(src, "rm").via).toEqual(["script-file /tmp/s"]);
    const py = 'echo "import os; os.remove(\\"/tmp/e\\")" > /tmp/p.py; python3 /tmp/p.py';
    expect(pathsOf(first(py, "python"))).toEqual(["read /tmp/p.py"]);
    expect(first(py, "rm").via).toEqual(["script-file /tmp/p.py"]);
    expect(first(py, "python").tags).toEqual(["interpreter-code"]);
    // shell text run by python is not run as shell
    expect(
      facts('echo "rm /tmp/d" > /tmp/s; python3 /tmp/s').commands.map((c) => c.program),
    ).not.toContain("rm");
  });

  it("a downloaded or otherwise written file runs blind; an unknown one is named", () => {
    const fetched = first("curl -o /tmp/s http://h; bash /tmp/s", "bash");
    expect(pathsOf(fetched)).toEqual(["exec /tmp/s"]);
    expect(fetched.tags).toContain("exec-downloaded");
    expect(first("cat x > /tmp/s; bash /tmp/s", "bash").tags).toEqual(["exec-written"]);
    const unknown = first("bash /tmp/unk", "bash");
    expect(pathsOf(unknown)).toEqual(["exec /tmp/unk"]);
    expect(unknown.tags).toEqual([]);
    expect(first("bash $F", "bash").paths.map((p) => p.classes.join())).toEqual(["unknown"]);
  });
});

describe("awk", () => {
  it("its program is code and text; the operands after it are read", () => {
    const a = first("awk '{print}' /etc/a /etc/b", "awk");
    expect(a.texts).toEqual(["{print}"]);
    expect(pathsOf(a)).toEqual(["read /etc/a", "read /etc/b"]);
    expect(a.tags).toEqual(["interpreter-code"]);
    const f = first("awk -F: '{print $1}' /etc/passwd", "awk");
    expect(f.texts).toEqual(["{print $1}"]);
    expect(pathsOf(f)).toEqual(["read /etc/passwd"]);
    expect(first("awk -v x=1 '{print}' /etc/a", "awk").texts).toEqual(["{print}"]);
    // -f names the program file: the operands are not the program
    expect(first("awk -f prog.awk /etc/x", "awk").texts).toEqual([]);
  });

  it("print | CMD, CMD | getline and system() run commands", () => {
    expect(first("awk '{print | \"rm /tmp/f\"}' x", "rm").via).toEqual(["awk pipe"]);
    expect(first("awk 'BEGIN{\"rm /tmp/g\" | getline}'", "rm").via).toEqual(["awk pipe"]);
    expect(first("awk 'BEGIN{system(\"rm /tmp/h\")}'", "rm").via).toEqual(["awk"]);
    expect(uncertain("awk $P x")).toEqual(["dynamic-interpreter-exec"]);
  });
});

describe("interpreters' code flags", () => {
  it.each([
    ["python3 -c 'import os; os.remove(\"/tmp/i\")'", "python", "python -c"],
    ["python3 -c\"import os; os.remove('/tmp/i')\"", "python", "python -c"],
    ["python3 -u -c 'import os; os.remove(\"/tmp/i\")'", "python", "python -c"],
    ["perl -le 'unlink \"/tmp/i\"'", "perl", "perl -le"],
    ["perl -E 'unlink \"/tmp/i\"'", "perl", "perl -E"],
    ["perl -e 'unlink \"/tmp/i\"'", "perl", "perl -e"],
    ["ruby -e 'File.delete(\"/tmp/i\")'", "ruby", "ruby -e"],
    ["node -e 'fs.rmSync(\"/tmp/i\")'", "node", "node -e"],
  ])("%s", (cmd, program, via) => {
    expect(pathsOf(first(cmd, "rm"))).toEqual(["delete /tmp/i"]);
    expect(first(cmd, "rm").via).toEqual([via]);
    expect(first(cmd, program).texts).toHaveLength(1);
    expect(first(cmd, program).tags).toEqual(["interpreter-code"]);
  });

  it("code built at run time is uncertain; a flag without code runs nothing", () => {
    expect(uncertain("python3 -c $X")).toEqual(["dynamic-interpreter-exec"]);
    expect(uncertain('perl -e "$X"')).toEqual(["dynamic-interpreter-exec"]);
    expect(first("python3 -c", "python").tags).toEqual([]);
    expect(first("python3 -c $X", "python").texts).toEqual(["$X"]);
  });

  it("a script operand after options; python -m runs a module", () => {
    expect(pathsOf(first("perl -w script.pl", "perl"))).toEqual(["exec /workspace/script.pl"]);
    expect(pathsOf(first("python3 -u /x/s.py a b", "python"))).toEqual(["exec /x/s.py"]);
    expect(first("python3 -m pytest", "python").tags).toEqual([]);
    expect(first("python3 -m http.server", "python").paths).toEqual([]);
  });

  it("nothing to run: a REPL, unless stdin feeds it or it only prints information", () => {
    expect(first("python3", "python").tags).toEqual(["interactive-shell"]);
    expect(first("python3 -", "python").tags).toEqual(["interactive-shell"]);
    expect(first("php", "php").tags).toEqual(["interactive-shell"]);
    for (const cmd of [
      "python3 --version",
      "python3 -V",
      "node -v",
      "ruby --help",
      "php -i",
      "php -m",
    ])
      expect([cmd, first(cmd, cmd.split(" ")[0]!.replace("3", "")).tags]).toEqual([cmd, []]);
    expect(first("python3 -i", "python").tags).toEqual(["interactive-shell"]);
    expect(first("ruby -i", "ruby").tags).toEqual(["interactive-shell"]);
    expect(first("echo x | python3", "python").tags).toEqual(["interpreter-code"]);
  });
});

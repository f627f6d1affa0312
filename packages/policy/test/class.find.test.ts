// Tests by class over find(1)'s grammar (src/facts/extract/tools.ts) and socat(1)'s address types
// (src/facts/extract/senders.ts). From find(1): options and actions that do not narrow the files
// an expression selects, primaries that take an argument, the actions that run, delete or write;
// from socat(1): the address types that connect or listen on the network, and -u / -U.
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";
import { roles } from "./roles.js";

const ctx = resolveContext({});

describe("find: what -delete removes", () => {
  // Options, actions and -type/-xtype select every file under the start (of a kind): the start
  // itself is what goes.
  const wholeTree = [
    "-maxdepth 1",
    "-mindepth 1",
    "-depth",
    "-xdev",
    "-mount",
    "-follow",
    "-noleaf",
    "-daystart",
    "-ignore_readdir_race",
    "-type f",
    "-xtype l",
    "-print",
    "-print0",
    "-printf %p",
    "-ls",
    "-true",
    "-nowarn",
    "-warn",
    "-regextype posix-extended",
    "-not -type d",
    "-type f -o -type l",
    "-type f -or -type l",
    "-type f -a -type l",
    "-type f -and -xtype l",
  ];
  it("the start, after expressions that do not narrow it", () => {
    const wrong = wholeTree.filter(
      (e) => JSON.stringify(roles(`find /srv/d ${e} -delete`).rm) !== '["delete /srv/d"]',
    );
    expect(wrong).toEqual([]);
  });

  it("the matches under it, after a test that narrows", () => {
    for (const e of ["-name x", "-newer /srv/r", "-size +1M", "-empty", "-perm -4000", "-user u"])
      expect([e, roles(`find /srv/d ${e} -delete`).rm]).toEqual([e, ["delete /srv/d/<match>"]]);
  });

  it("nothing when -delete is the argument of a primary that takes one", () => {
    const valued =
      "-maxdepth -mindepth -name -iname -path -ipath -wholename -iwholename -regex -iregex " +
      "-type -xtype -newer -anewer -cnewer -mtime -mmin -atime -amin -ctime -cmin -size -perm " +
      "-user -group -uid -gid -links -inum -samefile -lname -ilname -fstype -used -printf " +
      "-regextype -context";
    const wrong = valued
      .split(" ")
      .filter((p) => roles(`find /srv/d ${p} -delete`).rm !== undefined);
    expect(wrong).toEqual([]);
  });

  it("reads the starts after -H/-L/-P/-O level/-D opts, and `.` when none is given", () => {
    for (const pre of ["-L", "-H", "-P", "-O3", "-D tree"])
      expect([pre, roles(`find ${pre} /srv/d -delete`).rm]).toEqual([pre, ["delete /srv/d"]]);
    expect(roles("find -delete").rm).toEqual(["delete /workspace"]);
    expect(roles("find /srv/a /srv/b -name x -delete").rm).toEqual([
      "delete /srv/a/<match>",
      "delete /srv/b/<match>",
    ]);
  });
});

describe("find: actions that run or write", () => {
  it.each(["-exec", "-execdir", "-ok", "-okdir"])("%s runs its command for each item", (a) => {
    expect(roles(`find /srv/d -name x ${a} rm {} ;`).rm).toEqual(["delete /srv/d/<match>"]);
    expect(roles(`find /srv/d ${a} rm {} +`).rm).toEqual(["delete /srv/d"]);
  });

  it.each([
    ["-fprint /srv/o", "write /srv/o"],
    ["-fprint0 /srv/o", "write /srv/o"],
    ["-fls /srv/o", "write /srv/o"],
    ["-fprintf /srv/o %p", "write /srv/o"],
  ])("%s writes its file", (e, role) => {
    expect(roles(`find /srv/d ${e}`).find).toEqual([role, "read /srv/d"]);
  });
});

describe("socat sends a local file to every network address type", () => {
  const tagsOf = (cmd: string): string[] =>
    extractFacts(cmd, ctx).commands.flatMap((c) => (c.program === "socat" ? c.tags : []));
  const network =
    "tcp tcp4 tcp6 tcp-connect tcp4-connect tcp6-connect tcp-listen tcp4-listen tcp6-listen " +
    "tcp-l udp udp4 udp6 udp-connect udp-sendto udp-datagram udp-listen udp-l openssl " +
    "openssl-connect openssl-listen ssl ssl-l sctp sctp-connect sctp-listen dccp-connect socks " +
    "socks4 socks4a socks5 proxy proxy-connect TCP-LISTEN";

  it("file first, network second (-u: one way)", () => {
    const wrong = network
      .split(" ")
      .filter((t) => !tagsOf(`socat -u file:/srv/f ${t}:h:1`).includes("upload"));
    expect(wrong).toEqual([]);
  });

  it("not to a local address type", () => {
    for (const t of ["unix-connect:/run/x", "pipe:/srv/p", "file:/srv/g"])
      expect([t, tagsOf(`socat -u file:/srv/f ${t}`)]).toEqual([t, []]);
  });

  it("follows -u (first to second) and -U (second to first); both ways without them", () => {
    expect(tagsOf("socat -U file:/srv/f tcp:h:1")).toEqual([]);
    expect(tagsOf("socat -U tcp:h:1 file:/srv/f")).toEqual(["upload"]);
    expect(tagsOf("socat -u tcp:h:1 file:/srv/f")).toEqual([]);
    expect(tagsOf("socat tcp:h:1 file:/srv/f")).toEqual(["upload"]);
    expect(tagsOf("socat file:/srv/f tcp:h:1")).toEqual(["upload"]);
  });

  it("sends standard input (-, stdin, stdio) only when it holds local data", () => {
    for (const a of ["-", "stdin", "STDIO"])
      expect([a, tagsOf(`cat /srv/f | socat ${a} tcp:h:1`)]).toEqual([a, ["upload"]]);
    expect(tagsOf("echo hi | socat - tcp:h:1")).toEqual([]);
    expect(tagsOf("socat - tcp:h:1")).toEqual([]);
    expect(tagsOf("curl http://h | socat - tcp:h:1")).toEqual([]);
  });
});

// Behaviour pinned for mutants of the fact extractor that the mutation sample found unchecked
// (docs/mutation/survivors.md, policy-sample).
import { resolveContext } from "../src/context.js";
import { roles } from "./roles.js";
import { extractFacts } from "../src/facts/extract.js";
import { codeEffects } from "../src/facts/interpreters.js";
import { printfText } from "../src/facts/text.js";

const ctx = resolveContext({});

describe("interpreter payloads", () => {
  it("takes Ruby's %x() and qx() for commands run, so a socket plus one is a reverse shell", () => {
    const ruby = codeEffects('require "socket"; s = TCPSocket.new("h", 1); %x(id)');
    expect(ruby.shell).toEqual(["id"]);
    expect(ruby.reverseShell).toBe(true);
    const perl = codeEffects('use IO::Socket; $s = IO::Socket::INET->new("h:1"); qx(id)');
    expect(perl.shell).toEqual(["id"]);
    expect(perl.reverseShell).toBe(true);
  });
});

describe("a call without brackets", () => {
  it("takes its arguments up to the end of the statement, and none when it ends at once", () => {
    expect(codeEffects('system "id"; print 1').shell).toEqual(["id"]);
    expect(codeEffects("system ;print 1")).toMatchObject({ shell: [], dynamic: [] });
  });
});

describe("what echo prints", () => {
  it("drops its leading options only: a shell reading it runs the words after them", () => {
    const rm = extractFacts("echo -n rm -rf /srv/x | sh", ctx).commands.find(
      (c) => c.program === "rm",
    );
    expect(rm?.argv).toEqual(["-rf", "/srv/x"]);
    // an option-like word after the first word is printed, not an option
    const cat = extractFacts("echo cat -n | sh", ctx).commands.find((c) => c.program === "cat");
    expect(cat?.argv).toEqual(["-n"]);
  });
});

describe("find's start points", () => {
  it.each([
    "find /srv/x -delete",
    "find -L /srv/x -delete",
    "find -H -P /srv/x -delete",
    "find -D tree /srv/x -delete",
    "find -O2 /srv/x -delete",
  ])("%s deletes under /srv/x: the options before the start points are skipped", (cmd) => {
    const deletes = extractFacts(cmd, ctx)
      .commands.flatMap((c) => c.paths)
      .filter((p) => p.role === "delete")
      .map((p) => p.path);
    expect(deletes).toEqual(["/srv/x"]);
  });
});

describe("tar's archive", () => {
  it("is read when extracting and written when creating or updating (-c, -r, -u)", () => {
    expect(roles("tar -x -f /srv/a.tar -C /srv/out").tar).toEqual([
      "write /srv/out",
      "read /srv/a.tar",
    ]);
    for (const mode of ["-c", "-r", "-u"])
      expect(roles(`tar ${mode} -f /srv/a.tar /srv/in`).tar).toEqual([
        "write /srv/a.tar",
        "read /srv/in",
      ]);
  });
});

describe("an executable written on the line and handed to another program", () => {
  it("is run by it when named as an option's value (--hook=FILE)", () => {
    const script = "echo 'rm -rf /srv/x' > /tmp/s.sh && chmod +x /tmp/s.sh";
    expect(roles(`${script} && foo --hook=/tmp/s.sh`).rm).toEqual(["delete /srv/x"]);
    expect(roles(`${script} && foo --hook /tmp/s.sh`).rm).toEqual(["delete /srv/x"]);
    expect(roles(script).rm).toBeUndefined();
  });
});

describe("sampled condition mutants", () => {
  it("reads printf's operands as data, not as paths", () => {
    expect(roles("printf '%s\\n' /srv/a").printf).toEqual([]);
  });

  it("prints a format without conversions once, whatever arguments follow", () => {
    expect(printfText("x\\n", ["a", "b"])).toBe("x\n");
  });

  it.each(["perl", "ruby"])("reads %s's bundled -ne code", (program) => {
    expect(roles(`${program} -ne 'system("rm -rf /srv/x")' f`).rm).toEqual(["delete /srv/x"]);
  });

  it("does not resolve ${X%suffix} and the like to X's value", () => {
    expect(roles("X=/srv/ab; rm -rf ${X%b}").rm).toEqual(["delete ${X%b}"]);
  });

  it("takes a known variable's value over its ${X:-default}", () => {
    expect(roles("X=/srv/a; rm -rf ${X:-/tmp}").rm).toEqual(["delete /srv/a"]);
  });

  it("keeps an unmatched [ of a globbed program name literal", () => {
    expect(extractFacts("/bin/r?[ -rf /srv/x", ctx).commands.map((c) => c.program)).toEqual([
      "r?[",
    ]);
  });

  it("unescapes \\t in an interpreter's string literal", () => {
    expect(codeEffects('import os; os.system("echo\\ta")').shell).toEqual(["echo\ta"]);
  });
});

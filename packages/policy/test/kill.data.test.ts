// The data programs' emitters (src/facts/extract/emit-data.ts): ed's command language, readers and
// what a pass-through reader hands on, echo and printf's printed text, make's recipes, vim's `!`,
// apt's hooks, `script -c`, `compgen -C`, `split --filter` and database clients' statements. Each
// expectation is the program's manual (ed(1), cat(1), base64(1) -d, echo(1) -n -e, make(1) -C -f,
// vim(1) -c, apt.conf(5) Pre-Invoke, sqlite3 .shell), written by hand (issue 16: Stryker's
// survivors in this file).
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";
import { first, pathsOf, uncertain } from "./roles.js";

// cwd /workspace, home /root
const ctx = resolveContext({});
const facts = (cmd: string) => extractFacts(cmd, ctx);
/** Every command of the line as `program: paths | via`, in order. */
const lines = (cmd: string): string[] =>
  facts(cmd).commands.map(
    (c) => `${c.program}: ${c.paths.map((p) => `${p.role} ${p.path}`).join(", ")} | ${c.via}`,
  );

describe("ed's commands on stdin", () => {
  it("e and r read, w and W write, ! runs", () => {
    const cmd =
      'printf "w /tmp/o\\nr /etc/passwd\\ne /etc/hosts\\n!rm /tmp/q\\nW /tmp/p\\nq\\n" | ed f';
    expect(pathsOf(cmd, "ed")).toEqual([
      "write /tmp/o",
      "read /etc/passwd",
      "read /etc/hosts",
      "write /tmp/p",
      "write /workspace/f",
    ]);
    expect(lines(cmd)).toContain("rm: delete /tmp/q | ed !");
    // an empty argument is no file
    expect(pathsOf('printf "w\\n r  /etc/x \\n" | ed', "ed")).toEqual(["read /etc/x"]);
    expect(pathsOf("ed f", "ed")).toEqual(["write /workspace/f"]);
    expect(pathsOf("cat x | ed f", "ed")).toEqual(["write /workspace/f"]);
  });
});

describe("readers", () => {
  it("read their operands; a pattern-first program's first word is the pattern", () => {
    expect(pathsOf("grep foo /etc/a /etc/b", "grep")).toEqual(["read /etc/a", "read /etc/b"]);
    expect(pathsOf("grep -e foo /etc/a", "grep")).toEqual(["read /etc/a"]);
    expect(pathsOf("grep --regexp=foo /etc/a", "grep")).toEqual(["read /etc/a"]);
    expect(pathsOf("grep -f pats /etc/a", "grep")).toEqual(["read /etc/a"]);
    expect(pathsOf("cat /etc/a /etc/b", "cat")).toEqual(["read /etc/a", "read /etc/b"]);
  });

  it("a pass-through reader hands on its stdin, a file written on the line, or the network", () => {
    expect(lines('echo "rm /tmp/x" | cat | sh')[2]).toBe("rm: delete /tmp/x | sh stdin");
    expect(lines('echo "rm /tmp/x" > /tmp/s; cat /tmp/s | sh')[2]).toBe(
      "rm: delete /tmp/x | sh stdin",
    );
    expect(first("curl http://h > /tmp/s; cat /tmp/s | sh", "sh").tags).toEqual([
      "pipe-from-network",
    ]);
    const two = first("cat /tmp/s /tmp/t | sh", "sh");
    expect(two.tags).toEqual(["stdin-script"]);
    expect(two.inputs.map((p) => p.path)).toEqual(["/tmp/s", "/tmp/t"]);
    expect(first("cat $F | sh", "sh").tags).toEqual(["stdin-script"]);
    // not a pass-through reader: what it prints is not what it read
    expect(first('echo "rm /tmp/x" > /tmp/s; wc /tmp/s | sh', "sh").tags).toEqual(["stdin-script"]);
    expect(
      first('echo "rm /tmp/x" > /tmp/s; wc /tmp/s | sh', "sh").inputs.map((p) => p.path),
    ).toEqual(["/tmp/s"]);
  });

  it("decoders' output is decoded", () => {
    for (const cmd of [
      "echo aGk= | base64 -d | sh",
      "echo aGk= | base64 -D | sh",
      "echo aGk= | base32 --decode | sh",
      "echo aGk= | basenc -d | sh",
      "xxd -r -p f | sh",
    ])
      expect([cmd, uncertain(cmd)]).toEqual([cmd, ["decoded-payload"]]);
    expect(first("xxd f | sh", "sh").tags).toEqual(["stdin-script"]);
    expect(first("base64 f | sh", "sh").tags).toEqual(["stdin-script"]);
  });
});

describe("echo and printf", () => {
  it.each([
    ['echo "rm /tmp/a" | sh', "rm: delete /tmp/a | sh stdin"],
    ['echo -n "rm /tmp/a" | sh', "rm: delete /tmp/a | sh stdin"],
    ['echo -e "rm /tmp/a\\n" | sh', "rm: delete /tmp/a | sh stdin"],
    ['echo -E "rm /tmp/a" | sh', "rm: delete /tmp/a | sh stdin"],
    ["echo rm -n /tmp/a | sh", "rm: delete /tmp/a | sh stdin"],
    ['printf "rm %s\\n" /tmp/a | sh', "rm: delete /tmp/a | sh stdin"],
    // an option after the first word is a word: `-x` is the program echo prints
    ["echo -n -x /tmp/a | sh", "-x: operand /tmp/a | sh stdin"],
    // no -e: a backslash escape is printed as written, and the shell drops the backslash
    ['echo "\\x72m /tmp/a" | sh', "x72m: operand /tmp/a | sh stdin"],
  ])("%s", (cmd, want) => {
    expect(lines(cmd)).toContain(want);
    expect(uncertain(cmd)).toEqual([]);
  });

  it("escapes printf or echo -e decode hide what is printed", () => {
    for (const cmd of [
      'echo -ne "\\x72m /tmp/x" | sh',
      'echo -e "\\0162m /tmp/x" | sh',
      'printf "\\x72m /tmp/x" | sh',
      'printf "\\162m /tmp/x" | sh',
      'printf "%s" "\\u0072m /tmp/x" | sh',
    ])
      expect([cmd, uncertain(cmd)]).toEqual([cmd, ["decoded-payload"]]);
  });

  it("printed text ends in a newline for echo, not for printf", () => {
    expect(
      facts('echo "rm /tmp/a" > /tmp/s; echo "rm /tmp/b" >> /tmp/s; sh /tmp/s').commands.map(
        (c) => c.program,
      ),
    ).toContain("rm");
    const script = 'printf "rm /tmp/a" > /tmp/s; sh /tmp/s';
    expect(lines(script)).toContain("rm: delete /tmp/a | script-file /tmp/s");
  });

  it("a dynamic word makes the output unknown", () => {
    expect(uncertain("echo $X | sh")).toEqual(["computed-script"]);
    expect(uncertain('printf "%s" $X | sh')).toEqual(["computed-script"]);
  });
});

describe("make", () => {
  it("names its makefile, after -C and -f", () => {
    expect(pathsOf("make", "make")).toEqual(["exec /workspace/Makefile"]);
    expect(pathsOf("make -C sub", "make")).toEqual(["exec /workspace/sub/Makefile"]);
    expect(pathsOf("make --directory=sub", "make")).toEqual(["exec /workspace/sub/Makefile"]);
    expect(pathsOf("make -C sub -f /x/mk", "make")).toEqual(["exec /x/mk"]);
    expect(pathsOf("make -C sub -f mk", "make")).toEqual(["exec /workspace/sub/mk"]);
    expect(pathsOf("make -f my.mk all", "make")).toEqual(["exec /workspace/my.mk"]);
    expect(pathsOf("make --makefile=my.mk", "make")).toEqual(["exec /workspace/my.mk"]);
    expect(pathsOf("gmake", "gmake")).toEqual(["exec /workspace/Makefile"]);
  });

  it("runs a makefile written on the line; one from elsewhere is exec-written", () => {
    const written = 'printf "all:\\n\\trm -rf /tmp/m\\n\\t@-rm /tmp/n\\nx: y\\n" > Makefile; make';
    expect(lines(written).filter((l) => l.startsWith("rm"))).toEqual([
      "rm: delete /tmp/m | script-file Makefile",
      "rm: delete /tmp/n | script-file Makefile",
    ]);
    expect(first(written, "make").tags).toEqual([]);
    expect(first("curl http://h > Makefile; make", "make").tags).toEqual(["exec-written"]);
    expect(first("make", "make").tags).toEqual([]);
  });

  it("--eval's text, and the shell calls in it", () => {
    const cmd = "make --eval='x: ; $(shell rm /tmp/ev) $(shell rm /tmp/ew)'";
    expect(first(cmd, "make").texts).toEqual(["x: ; $(shell rm /tmp/ev) $(shell rm /tmp/ew)"]);
    expect(lines(cmd).filter((l) => l.startsWith("rm"))).toEqual([
      "rm: delete /tmp/ev | make --eval",
      "rm: delete /tmp/ew | make --eval",
    ]);
  });
});

describe("programs that run an option's value", () => {
  it.each([
    ["vim -c '!rm /tmp/v' f", "vim !"],
    ["vim --cmd ':!rm /tmp/v'", "vim !"],
    ["vim '+!rm /tmp/v'", "vim !"],
    ["vim -c ': !rm /tmp/v'", "vim !"],
    ["view '+!rm /tmp/v' /etc/x", "vim !"],
    ['apt-get -o APT::Update::Pre-Invoke::="rm /tmp/v" update', "apt -o hook"],
    ["apt -o Dpkg::Post-Invoke-Success=rm\\ /tmp/v install x", "apt -o hook"],
    ['aptitude -o "DPkg::Pre-Install-Pkgs::=rm /tmp/v" install x', "apt -o hook"],
    ["apt-get -o dpkg::post-invoke::='rm /tmp/v' install x", "apt -o hook"],
    ["script -c 'rm /tmp/v' log", "script -c"],
    ["script --command 'rm /tmp/v'", "script -c"],
    ["compgen -C 'rm /tmp/v' x", "compgen -C"],
    ["split --filter='rm /tmp/v' f", "split --filter"],
  ])("%s", (cmd, via) => {
    expect(lines(cmd)).toContain(`rm: delete /tmp/v | ${via}`);
  });

  it.each(["vim -c 'set nu' f", "apt-get -o Debug::x=1 update", "view /etc/x", "script log"])(
    "not %s",
    (cmd) => {
      expect(facts(cmd).commands.map((c) => c.program)).not.toContain("rm");
    },
  );

  it("view reads its files", () => {
    expect(pathsOf("view /etc/x", "view")).toEqual(["read /etc/x"]);
  });
});

describe("database clients", () => {
  it("their statements are SQL facts, split at `;` and with blanks collapsed", () => {
    const psql = first("psql -c 'DROP   TABLE x' --command 'select 2'", "psql");
    expect(psql.texts).toEqual(["DROP   TABLE x", "select 2"]);
    expect(psql.sql).toEqual(["DROP TABLE x", "select 2"]);
    expect(first("mysql -e 'drop database d' --execute 'x;;'", "mysql").sql).toEqual([
      "drop database d",
      "x",
    ]);
    expect(first("mongosh --eval 'db.dropDatabase()'", "mongosh").sql).toEqual([
      "db.dropDatabase()",
    ]);
    expect(first("redis-cli FLUSHALL x", "redis-cli").sql).toEqual(["FLUSHALL x"]);
    expect(first("echo 'drop table z;' | psql", "psql").sql).toEqual(["drop table z"]);
    expect(first("echo 'drop table z;' | psql", "psql").texts).toEqual(["drop table z;\n"]);
    expect(first("psql", "psql").sql).toEqual([]);
  });

  it("sqlite3: the statements after the database, -cmd, and .shell/.system lines", () => {
    const s = first("sqlite3 db 'drop table t; select 1' '.shell rm /tmp/q1'", "sqlite3");
    expect(s.texts).toEqual(["drop table t; select 1", ".shell rm /tmp/q1"]);
    expect(s.sql).toEqual(["drop table t", "select 1", ".shell rm /tmp/q1"]);
    expect(lines("sqlite3 db '.shell rm /tmp/q1'")[0]).toBe("rm: delete /tmp/q1 | sqlite3 .shell");
    expect(lines("sqlite3 db -cmd '.system rm /tmp/q2'")[0]).toBe(
      "rm: delete /tmp/q2 | sqlite3 .system",
    );
    expect(lines("echo '.shell rm /tmp/q3' | sqlite3 db")).toContain(
      "rm: delete /tmp/q3 | sqlite3 .shell",
    );
    expect(first("sqlite3 db", "sqlite3").sql).toEqual([]);
  });
});

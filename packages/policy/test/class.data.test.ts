// Tests by class over the data programs (src/facts/extract/emit-data.ts): options whose value is a
// command the program runs, database clients' statements, ed's command language, decoders and
// printers whose output is fed to a shell. Each expectation is the program's documented
// behaviour: bash(1) `compgen -C`, split(1) --filter, make(1) --eval with $(shell), vim(1) -c,
// --cmd and +{command} with :!, apt.conf(5) Pre-Invoke/Post-Invoke hooks, script(1) -c,
// sqlite3's .shell/.system, psql(1) -c, mysql(1) -e, ed(1) `w`, `r`, `!`, base64(1) -d…
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";
import { roles } from "./roles.js";

const ctx = resolveContext({});

describe("options whose value is a command the program runs", () => {
  it.each([
    "compgen -C 'rm /srv/p' x",
    "split --filter='rm /srv/p' /srv/f",
    "make --eval='x:=$(shell rm /srv/p)'",
    "gmake --eval='x:=$(shell rm /srv/p)'",
    "vim -c '!rm /srv/p' f",
    "vim -c ':!rm /srv/p' f",
    "vim --cmd '!rm /srv/p' f",
    "vim '+!rm /srv/p' f",
    "vim '+:!rm /srv/p' f",
    "vi -c ':!rm /srv/p' f",
    "nvim --cmd '!rm /srv/p' f",
    "ex -c '!rm /srv/p' f",
    "apt-get -o APT::Update::Pre-Invoke::='rm /srv/p' update",
    "apt -o DPkg::Post-Invoke::='rm /srv/p' install x",
    "aptitude -o DPkg::Pre-Install-Pkgs::='rm /srv/p' install x",
    "apt-get -o APT::Update::Post-Invoke-Success::='rm /srv/p' update",
    "apt-get -o dpkg::pre-invoke::='rm /srv/p' install x",
    "script -c 'rm /srv/p' /srv/log",
    "script --command 'rm /srv/p'",
    "sqlite3 /srv/db '.shell rm /srv/p'",
    "sqlite3 /srv/db '.system rm /srv/p'",
    "sqlite3 -cmd '.shell rm /srv/p' /srv/db",
    "printf '.shell rm /srv/p\\n' | sqlite3 /srv/db",
    "echo '!rm /srv/p' | ed /srv/f",
  ])("%s", (cmd) => {
    expect([...new Set(roles(cmd).rm)]).toEqual(["delete /srv/p"]);
  });

  it("runs nothing for an option that is not a hook, or an ex command without !", () => {
    for (const cmd of [
      "apt-get -o Dpkg::Options::=--force-confold install x",
      "vim -c 'set nu' f",
      "vim '+10' f",
      "make --eval='x:=1'",
    ])
      expect([cmd, roles(cmd).rm]).toEqual([cmd, undefined]);
  });
});

describe("database clients' statements", () => {
  const sql = (cmd: string, program: string): string[] | undefined =>
    extractFacts(cmd, ctx).commands.find((c) => c.program === program)?.sql;

  it.each([
    ["psql -c 'DROP TABLE t'", "psql"],
    ["psql --command='DROP TABLE t'", "psql"],
    ["mysql -e 'DROP TABLE t'", "mysql"],
    ["mysql --execute='DROP TABLE t'", "mysql"],
    ["mariadb -e 'DROP TABLE t'", "mariadb"],
    ["mariadb --execute 'DROP TABLE t'", "mariadb"],
    ["sqlite3 /srv/db 'DROP TABLE t'", "sqlite3"],
    ["sqlite3 -cmd 'DROP TABLE t' /srv/db", "sqlite3"],
    ["echo 'DROP TABLE t' | psql", "psql"],
    ["echo 'DROP   TABLE\tt' | mysql", "mysql"],
    // clickhouse-client(1): --query / -q
    ["clickhouse-client --query 'DROP TABLE t'", "clickhouse-client"],
    ["clickhouse-client -q 'DROP TABLE t' --host ch.example.com", "clickhouse-client"],
    ["clickhouse-client --query='DROP TABLE t'", "clickhouse-client"],
  ])("%s", (cmd, program) => {
    expect(sql(cmd, program)).toEqual(["DROP TABLE t"]);
  });

  it("splits statements at `;`, and takes mongo's --eval and redis-cli's words", () => {
    expect(sql("sqlite3 /srv/db 'DROP TABLE t; SELECT 1;'", "sqlite3")).toEqual([
      "DROP TABLE t",
      "SELECT 1",
    ]);
    expect(sql("mongosh --eval 'db.dropDatabase()'", "mongosh")).toEqual(["db.dropDatabase()"]);
    expect(sql("mongo --eval 'db.dropDatabase()'", "mongo")).toEqual(["db.dropDatabase()"]);
    expect(sql("redis-cli -h 127.0.0.1 FLUSHALL", "redis-cli")).toEqual(["FLUSHALL"]);
  });
});

describe("ed's command language on its standard input", () => {
  it.each([
    ["echo 'w /srv/out' | ed /srv/f", ["write /srv/out", "write /srv/f"]],
    ["echo 'W /srv/out' | ed /srv/f", ["write /srv/out", "write /srv/f"]],
    ["echo 'r /srv/in' | ed /srv/f", ["read /srv/in", "write /srv/f"]],
    ["echo 'e /srv/in' | ed /srv/f", ["read /srv/in", "write /srv/f"]],
    ["printf 'r /srv/in\\nw /srv/out\\n' | ed", ["read /srv/in", "write /srv/out"]],
  ])("%s", (cmd, expected) => {
    expect(roles(cmd).ed).toEqual(expected);
  });
});

describe("text fed to a shell", () => {
  const uncertain = (cmd: string): string[] => extractFacts(cmd, ctx).uncertain.map((u) => u.tag);

  it.each([
    "echo cm0gL3Nydi9w | base64 -d | sh",
    "echo cm0gL3Nydi9w | base64 --decode | sh",
    "echo cm0gL3Nydi9w | base64 -D | sh",
    "echo cm0gL3Nydi9w | base32 -d | sh",
    "echo cm0gL3Nydi9w | basenc -d | sh",
    "echo 726d | xxd -r -p | sh",
    "printf '\\x72m /srv/p' | sh",
    "printf '\\162m /srv/p' | sh",
    "echo -e '\\x72m /srv/p' | sh",
    "echo -ne '\\x72m /srv/p' | sh",
    "base64 -d /srv/f | sh",
    "base64 -D /srv/f | sh",
    "base64 --decode /srv/f | sh",
    "base32 -d /srv/f | sh",
    "xxd -r /srv/f | sh",
    "cat /srv/f | tr a-z n-za-m | sh",
    "cat /srv/f | rev | sh",
    "cat /srv/f | zcat | sh",
    "cat /srv/f | gunzip | sh",
    "cat /srv/f | uudecode | sh",
    "cat /srv/f | gzip -d | sh",
    "cat /srv/f | bzip2 -d | sh",
    "cat /srv/f | xz -d | sh",
    "cat /srv/f | xz --decompress | sh",
    "cat /srv/f | zstd -d | sh",
    "cat /srv/f | openssl enc -d -aes-256-cbc | sh",
    "openssl enc -d -in /srv/f | sh",
  ])("%s: a payload decoded at run time", (cmd) => {
    expect(uncertain(cmd)).toEqual(["decoded-payload"]);
  });

  it("encoding is not decoding; echo without -e prints backslashes as they are", () => {
    expect(uncertain("echo cm0gL3Nydi9w | base64 | sh")).toEqual(["computed-script"]);
    expect(uncertain("echo 726d | xxd -p | sh")).toEqual(["computed-script"]);
    expect(uncertain("cat /srv/f | gzip | sh")).toEqual(["computed-script"]);
    expect(uncertain("echo -E '\\x72m /srv/p' | sh")).toEqual([]);
    expect(roles("echo '\\x72m /srv/p' | sh").x72m).toEqual(["operand /srv/p"]);
  });

  it("runs literal text: echo's and printf's output, and a file written earlier on the line", () => {
    for (const cmd of [
      "echo 'rm /srv/p' | sh",
      "echo -n 'rm /srv/p' | sh",
      "printf 'rm /srv/p' | sh",
      "printf 'rm %s' /srv/p | sh",
      "echo 'rm /srv/p' > /srv/s.sh; cat /srv/s.sh | sh",
      "echo 'rm /srv/p' | tee /srv/s.sh; sh /srv/s.sh",
      "echo 'rm /srv/p' | cat | sh",
      "echo 'rm /srv/p' | head -n 5 | sh",
    ])
      expect([cmd, roles(cmd).rm]).toEqual([cmd, ["delete /srv/p"]]);
  });
});

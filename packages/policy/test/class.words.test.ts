// Tests by class over the word forms the extractor reads (src/facts/extract/words.ts and the
// path reading of src/facts/paths.ts): quoting, globs, brace expansion, tildes, parameter
// expansion. The expectations are bash's, from bash(1) EXPANSION ("Brace Expansion", "Tilde
// Expansion", "Pathname Expansion", QUOTING), written by hand. A program no table knows (`foo`)
// shows how a word is read by itself: its operand is a path only if it looks like one.
import { roles } from "./roles.js";

describe("quoting: a quoted or escaped glob character is literal", () => {
  it.each([
    ["foo *.txt", ["operand /workspace/*.txt"]],
    ["foo x?", ["operand /workspace/x?"]],
    ["foo x[ab]", ["operand /workspace/x[ab]"]],
    ["foo '*.txt'", []],
    ['foo "*.txt"', []],
    ["foo \\*.txt", []],
    ["foo 'x[ab]'", []],
  ])("%s", (cmd, expected) => {
    expect(roles(cmd).foo).toEqual(expected);
  });

  it("keeps a quoted or escaped blank inside one word", () => {
    expect(roles('rm /srv/"a b"').rm).toEqual(["delete /srv/a b"]);
    expect(roles("rm /srv/a\\ b").rm).toEqual(["delete /srv/a b"]);
    expect(roles("rm '/srv/a b' /srv/c").rm).toEqual(["delete /srv/a b", "delete /srv/c"]);
  });

  it("decodes ANSI-C quoting ($'…' with \\xHH)", () => {
    expect(roles("rm $'/srv/\\x61'").rm).toEqual(["delete /srv/a"]);
    expect(roles("foo $'/srv/\\x61'").foo).toEqual(["operand /srv/a"]);
  });

  it("reads a word after `--` as an operand even when it starts with a dash", () => {
    expect(roles("rm -- -x").rm).toEqual(["delete /workspace/-x"]);
  });
});

describe("brace expansion: one word per alternative, before the other expansions", () => {
  it.each([
    ["rm /srv/{a,b}", ["delete /srv/a", "delete /srv/b"]],
    ["rm /srv/{1..3}", ["delete /srv/1", "delete /srv/2", "delete /srv/3"]],
    [
      "rm /srv/{a,b}/{c,d}",
      ["delete /srv/a/c", "delete /srv/a/d", "delete /srv/b/c", "delete /srv/b/d"],
    ],
    ["rm '/srv/{a,b}'", ["delete /srv/{a,b}"]],
    ['rm "/srv/{a,b}"', ["delete /srv/{a,b}"]],
  ])("%s", (cmd, expected) => {
    expect(roles(cmd).rm).toEqual(expected);
  });

  it("gives each alternative its own reading (a path or a plain word)", () => {
    expect(roles("foo {1..2}/z").foo).toEqual(["operand /workspace/1/z", "operand /workspace/2/z"]);
    // x.txt, y.txt and a, a.bak: plain words without a slash, not paths
    expect(roles("foo {x,y}.txt").foo).toEqual([]);
    expect(roles("foo a{,.bak}").foo).toEqual([]);
  });
});

describe("tilde expansion and relative paths", () => {
  it.each([
    ["foo ~/x", "operand /root/x"],
    ["foo ~bob/x", "operand /home/bob/x"],
    ["foo ./x", "operand /workspace/x"],
    ["foo ../x", "operand /x"],
    ["foo /srv/x", "operand /srv/x"],
    ["foo srv/x", "operand /workspace/srv/x"],
  ])("%s", (cmd, expected) => {
    expect(roles(cmd).foo).toEqual([expected]);
  });

  it("does not take a plain word, a URL or a user@host for a path", () => {
    expect(roles("foo x").foo).toEqual([]);
    expect(roles("foo http://h/x").foo).toEqual([]);
    expect(roles("foo u@h:x").foo).toEqual([]);
  });

  it("changes relative paths after cd, and forgets the directory after `cd -`", () => {
    expect(roles("cd /srv && rm a").rm).toEqual(["delete /srv/a"]);
    expect(roles("cd /srv; cd d; rm a").rm).toEqual(["delete /srv/d/a"]);
    expect(roles("cd - && rm a").rm).toEqual(["delete a"]);
  });
});

describe("parameter expansion", () => {
  it("substitutes a variable set earlier on the line, quoted or not, braced or not", () => {
    for (const form of ["$D/x", "${D}/x", '"$D"/x', '"${D}/x"'])
      expect([form, roles(`D=/srv/d; rm ${form}`).rm]).toEqual([form, ["delete /srv/d/x"]]);
  });

  it("keeps a variable nobody set as unknown text", () => {
    expect(roles("rm $NOPE/x").rm).toEqual(["delete $NOPE/x"]);
  });

  it("takes command substitution's printed word as the word", () => {
    expect(roles("rm $(echo /srv/a)").rm).toEqual(["delete /srv/a"]);
    expect(roles("rm `echo /srv/a`").rm).toEqual(["delete /srv/a"]);
  });

  it("reads a glob inside a variable's value where the word itself is a glob", () => {
    // bash globs the value of an unquoted expansion; the literal-word case is what the gate
    // reads today (the expansion case is in docs/mutation/survivors.md, words.ts:67)
    expect(roles("X='*'; rm /srv/$X").rm).toEqual(["delete /srv/*"]);
    expect(roles("rm /srv/*").rm).toEqual(["delete /srv/*"]);
  });
});

// The shell reader's text helpers (src/facts/text.ts) on their own: look-alike characters mapped
// to ASCII, bash's brace expansion (bash(1), "Brace Expansion": lists, nested lists, ranges up
// and down, at most 64 words here), sed's `s` delimiters, env -S / xargs word splitting, echo -e's
// simple escapes and what printf(1) prints for %s %d %b %c %%, its format reused while arguments
// remain. Written by hand (issue 16: Stryker's survivors in this file).
import {
  expandBraces,
  normalizeLookalikes,
  printfText,
  simpleEscapes,
  splitSed,
  splitWords,
} from "../src/facts/text.js";

describe("normalizeLookalikes", () => {
  it.each([
    ["rm -rf /", "rm -rf /"],
    ["ｒｍ －ｒｆ", "rm -rf"],
    ["rm\u2014rf", "rm-rf"],
    ["rm\u2010rf", "rm-rf"],
    ["a\u2212b", "a-b"],
    ["a\uFE63b\uFF0Dc", "a-b-c"],
    ["a\u00A0b", "a b"],
    ["a\u2003b\u202Fc", "a b c"],
    ["x\u3000y", "x y"],
    ["a\u200Bb\u200Dc", "abc"],
    ["a\u2060b\uFEFF", "ab"],
  ])("%j → %j", (input, out) => {
    expect(normalizeLookalikes(input)).toBe(out);
  });
});

describe("expandBraces", () => {
  it.each([
    ["a{b,c}d", ["abd", "acd"]],
    ["{a,b}{c,d}", ["ac", "ad", "bc", "bd"]],
    ["x{1..3}", ["x1", "x2", "x3"]],
    ["x{3..1}", ["x3", "x2", "x1"]],
    ["{a..c}", ["a", "b", "c"]],
    ["{c..a}", ["c", "b", "a"]],
    ["{-1..1}", ["-1", "0", "1"]],
    ["{2..2}", ["2"]],
    ["a{b,{c,d}}e", ["abe", "ace", "ade"]],
    ["{,x}", ["", "x"]],
    ["pre{x,y}", ["prex", "prey"]],
    ["{1..2}{a,b}", ["1a", "1b", "2a", "2b"]],
    // not expansions: one word, no comma, an escaped or unbalanced brace, a mixed range
    ["{a}", ["{a}"]],
    ["{}", ["{}"]],
    ["\\{a,b}", ["\\{a,b}"]],
    ["{a,b", ["{a,b"]],
    ["a}b{", ["a}b{"]],
    ["{a..9}", ["{a..9}"]],
    ["plain", ["plain"]],
  ])("%s", (text, words) => {
    expect(expandBraces(text)).toEqual(words);
  });

  it("stops at 64 words", () => {
    const range = expandBraces("{1..100}");
    expect(range).toHaveLength(64);
    expect(range[0]).toBe("1");
    expect(range[63]).toBe("64");
    const down = expandBraces("{100..1}");
    expect(down).toHaveLength(64);
    expect(down[63]).toBe("37");
    const product = expandBraces("{a,b}{1..40}");
    expect(product).toHaveLength(64);
    expect(product[40]).toBe("b1");
    expect(product[63]).toBe("b24");
  });
});

describe("splitSed: the end of an `s` command's second part", () => {
  it.each([
    ["a/b/g", "/", 4],
    ["a\\/b/c/", "/", 7],
    ["a|b|", "|", 4],
    ["/b/", "/", 3],
    ["ab", "/", undefined],
    ["a/b", "/", undefined],
  ])("%j with %j", (s, d, end) => {
    expect(splitSed(s, d)).toBe(end);
  });
});

describe("splitWords", () => {
  it("quotes group words; the quotes go", () => {
    expect(splitWords("a \"b c\" 'd e' f  ").map((a) => a.value)).toEqual(["a", "b c", "d e", "f"]);
    expect(splitWords("''").map((a) => a.value)).toEqual([""]);
    expect(splitWords('""').map((a) => a.value)).toEqual([""]);
    expect(splitWords("   ")).toEqual([]);
    expect(splitWords("$X *")).toEqual([
      { value: "$X", dynamic: false, glob: false },
      { value: "*", dynamic: false, glob: false },
    ]);
  });
});

describe("simpleEscapes", () => {
  it.each([
    ["a\\nb", "a\nb"],
    ["a\\tb", "a\tb"],
    ["a\\\\b", "a\\b"],
    ['a\\"b', 'a"b'],
    ["a\\'b", "a'b"],
    ["a\\", "a\\"],
    ["plain", "plain"],
    ["\\n\\n", "\n\n"],
    ["a\\x41", undefined],
    ["\\101", undefined],
    ["\\e", undefined],
  ])("%j → %j", (s, out) => {
    expect(simpleEscapes(s)).toBe(out);
  });
});

describe("printfText", () => {
  it.each([
    ["%s-%s\\n", ["a", "b", "c"], "a-b\nc-\n"],
    ["%d", ["1", "2"], "12"],
    ["x", ["a"], "x"],
    ["%%s", ["a"], "%s"],
    ["%b", ["a\\nb"], "a\nb"],
    ["%c", ["abc"], "a"],
    ["%c", [], ""],
    ["%-5s|", ["a"], "a|"],
    ["%s", [], ""],
    ["a%sb%sc", ["1"], "a1bc"],
    ["%s\\n", [], "\n"],
    ["rm %s\\n", ["/a", "/b"], "rm /a\nrm /b\n"],
    // what it cannot tell: another conversion, an escape that encodes text
    ["%f", ["1"], undefined],
    ["%x", ["1"], undefined],
    ["\\x41", [], undefined],
    ["%b", ["\\x41"], undefined],
    ["a%", [], undefined],
  ])("printf %j %j", (format, args, out) => {
    expect(printfText(format, args)).toBe(out);
  });
});

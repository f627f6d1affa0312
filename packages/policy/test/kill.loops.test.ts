// Endless loops of background jobs (src/facts/extract/loops.ts: a condition that never changes —
// true, :, [ 1 ], (( 1 )), test 1; until false, ! true, [ ], (( 0 )); for ((;;)) — whose body
// starts a job with `&`) and the programs a glob command word can name
// (src/facts/extract/program-glob.ts: bash's pattern matching of *, ?, [set], [!set] against
// known programs, at most 12). Written by hand (issue 16: Stryker's survivors in these files).
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";
import { globPrograms } from "../src/facts/extract/program-glob.js";

const ctx = resolveContext({});
const bomb = (cmd: string): boolean =>
  extractFacts(cmd, ctx).commands.some((c) => c.tags.includes("fork-bomb"));

describe("endless loops that start background jobs", () => {
  it.each([
    "while true; do x & done",
    "while /bin/true; do x & done",
    "while /usr/bin/true; do x & done",
    "while :; do x & done",
    "while [ 1 ]; do x & done",
    "while [[ 1 ]]; do x & done",
    "while (( 1 )); do x & done",
    "while test 1; do x & done",
    "until false; do x & done",
    "until /bin/false; do x & done",
    "until ! true; do x & done",
    "until [ ]; do x & done",
    "until (( 0 )); do x & done",
    "while true; do x; y & done",
    "for ((;;)); do x & done",
    "for ((i=0;;i++)); do x & done",
  ])("%s", (cmd) => {
    expect(bomb(cmd)).toBe(true);
  });

  it.each([
    "while false; do x & done",
    "until true; do x & done",
    "until :; do x & done",
    "while [ 0 = 1 ]; do x & done",
    "while read l; do x & done",
    "while true; do x; done",
    "while true; do x &>/dev/null; done",
    "while true; do x && y; done",
    "for ((i=0; i<3; i++)); do x & done",
    "until false; do x; done",
  ])("not %s", (cmd) => {
    expect(bomb(cmd)).toBe(false);
  });
});

describe("globPrograms", () => {
  it.each([
    ["/usr/bin/r?", ["rm", "rg"]],
    ["r[m]", ["rm"]],
    ["[!a-q]m", ["rm"]],
    ["c?rl", ["curl"]],
    ["s[h]", ["sh"]],
    ["/x/b?sh", ["bash"]],
    ["pytho?", ["python"]],
    ["dd*", ["dd"]],
    ["rm", ["rm"]],
    // nothing to match, an unclosed or empty class, a literal dot
    ["/bin/", []],
    ["r[", []],
    ["r[]m", []],
    ["[r]m.x", []],
    ["r.", []],
    ["c++", []],
  ])("%s", (word, programs) => {
    expect(globPrograms(word)).toEqual(programs);
  });

  it("at most 12, the destructive ones first", () => {
    const all = globPrograms("*");
    expect(all).toHaveLength(12);
    expect(all[0]).toBe("rm");
    expect(globPrograms("/???/?m")[0]).toBe("rm");
  });
});

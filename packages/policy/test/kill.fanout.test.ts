// xargs and GNU parallel (src/facts/extract/fanout.ts): the command they run per input item or per
// batch, the replace string (xargs(1) -I, -i, --replace; parallel(1) {} and -I), the items from
// stdin, from `-a FILE` or after `:::`, parallel's remote -S, and a command-less parallel running
// each input line. Written by hand from the manuals (issue 16: Stryker's survivors in this file).
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";

// cwd /workspace, home /root
const ctx = resolveContext({});
const facts = (cmd: string) => extractFacts(cmd, ctx);
/** The commands `program` runs on the line, as their argv. */
const runs = (cmd: string, program = "rm"): string[][] =>
  facts(cmd)
    .commands.filter((c) => c.program === program)
    .map((c) => c.argv);
const two = 'printf "/tmp/a\\n/tmp/b\\n" | ';

describe("xargs", () => {
  it.each([
    // batched: as many items as fit on one command line
    [`${two}xargs rm`, [["/tmp/a", "/tmp/b"]]],
    [`${two}xargs -P 4 rm`, [["/tmp/a", "/tmp/b"]]],
    [`${two}xargs -- rm`, [["/tmp/a", "/tmp/b"]]],
    [`${two}xargs -s 100 rm -f`, [["-f", "/tmp/a", "/tmp/b"]]],
    ['printf "a b\\n" | xargs rm', [["a", "b"]]],
    // one per item
    [`${two}xargs -n 1 rm`, [["/tmp/a"], ["/tmp/b"]]],
    [`${two}xargs -n1 rm`, [["/tmp/a"], ["/tmp/b"]]],
    [`${two}xargs -L1 rm`, [["/tmp/a"], ["/tmp/b"]]],
    [`${two}xargs -l rm`, [["/tmp/a"], ["/tmp/b"]]],
    [`${two}xargs --max-args=1 rm`, [["/tmp/a"], ["/tmp/b"]]],
    [`${two}xargs --max-lines=1 rm`, [["/tmp/a"], ["/tmp/b"]]],
    // the replace string
    [`${two}xargs -I{} rm {}/x`, [["/tmp/a/x"], ["/tmp/b/x"]]],
    [
      `${two}xargs -I % rm %/x -f`,
      [
        ["/tmp/a/x", "-f"],
        ["/tmp/b/x", "-f"],
      ],
    ],
    [`${two}xargs -J % rm %/x`, [["/tmp/a/x"], ["/tmp/b/x"]]],
    [`${two}xargs -i rm {}/x`, [["/tmp/a/x"], ["/tmp/b/x"]]],
    [`${two}xargs -iX rm X/x`, [["/tmp/a/x"], ["/tmp/b/x"]]],
    [`${two}xargs -JX rm X/x`, [["/tmp/a/x"], ["/tmp/b/x"]]],
    [`${two}xargs --replace=Y rm Y/x`, [["/tmp/a/x"], ["/tmp/b/x"]]],
    [`${two}xargs --replace= rm {}/x`, [["/tmp/a/x"], ["/tmp/b/x"]]],
    [`${two}xargs --replace rm {}/x`, [["/tmp/a/x"], ["/tmp/b/x"]]],
    // a replace string the command does not use: the items are appended one by one
    [
      `${two}xargs -I{} rm -f`,
      [
        ["-f", "/tmp/a"],
        ["-f", "/tmp/b"],
      ],
    ],
  ])("%s", (cmd, argvs) => {
    expect(runs(cmd)).toEqual(argvs);
  });

  it("no command is echo; an unknown stdin is one unknown item", () => {
    expect(runs('printf "/tmp/a\\n" | xargs', "echo")).toEqual([["/tmp/a"]]);
    const rm = facts("cat f | xargs rm").commands.find((c) => c.program === "rm")!;
    expect(rm.argv).toEqual(["${input}"]);
    expect(rm.paths[0]!.classes).toEqual(["unknown"]);
    expect(rm.via).toEqual(["xargs"]);
    expect(rm.wrappers).toEqual(["xargs"]);
    expect(runs("xargs rm")).toEqual([["${input}"]]);
  });

  it("sh -c with no script runs the input as the script", () => {
    const line = facts('printf "rm /tmp/q\\n" | xargs sh -c').commands;
    expect(line.find((c) => c.program === "rm")!.argv).toEqual(["/tmp/q"]);
    expect(line.find((c) => c.program === "sh")!.argv).toEqual(["-c", "rm /tmp/q"]);
  });

  it("-a FILE: the lines of a file written on the line, none from /dev/null", () => {
    const list = "echo /tmp/c > /tmp/l; ";
    expect(runs(`${list}xargs -a /tmp/l rm`)).toEqual([["/tmp/c"]]);
    expect(runs(`${list}xargs --arg-file=/tmp/l rm`)).toEqual([["/tmp/c"]]);
    expect(runs(`${list}xargs --arg-file /tmp/l rm`)).toEqual([["/tmp/c"]]);
    expect(runs(`${list}xargs -a/tmp/l rm`)).toEqual([["/tmp/c"]]);
    expect(runs(`${list}cd /tmp; xargs -a l rm`)).toEqual([["/tmp/c"]]);
    expect(runs("xargs -a /tmp/unknown rm")).toEqual([["${input}"]]);
    expect(runs('printf "/tmp/a\\n" | xargs -a /dev/null rm')).toEqual([[]]);
    const sh = facts("xargs -a /dev/null sh").commands[0]!;
    expect(sh.tags).toEqual(["interactive-shell"]);
  });

  it("the command's own facts: no redirects of xargs's, its tags its own", () => {
    const rm = facts(`${two}xargs rm > /tmp/log`).commands.find((c) => c.program === "rm")!;
    expect(rm.redirects).toEqual([]);
    expect(rm.stdinFrom).toEqual([]);
  });
});

describe("parallel", () => {
  it.each([
    ["parallel rm ::: /tmp/a /tmp/b", [["/tmp/a"], ["/tmp/b"]]],
    ["parallel rm {}/x ::: /tmp/a", [["/tmp/a/x"]]],
    ["parallel -I @ rm @/x ::: /tmp/a", [["/tmp/a/x"]]],
    ["parallel -j 4 rm ::: /tmp/a", [["/tmp/a"]]],
    ["parallel --jobs 4 --timeout 5 rm ::: /tmp/a", [["/tmp/a"]]],
    ["parallel -- rm ::: /tmp/z", [["/tmp/z"]]],
    ["parallel rm :::+ /tmp/a", [["/tmp/a"]]],
    [`${two}parallel rm`, [["/tmp/a"], ["/tmp/b"]]],
    [`${two}parallel -j2 rm`, [["/tmp/a"], ["/tmp/b"]]],
    // a list file's items are unknown
    ["parallel rm :::: list", [["${input}"]]],
    ["cat f | parallel rm", [["${input}"]]],
  ])("%s", (cmd, argvs) => {
    expect(runs(cmd)).toEqual(argvs);
  });

  it("-S and --sshlogin run the command on another host", () => {
    for (const cmd of [
      "parallel -S h rm ::: /tmp/a",
      "parallel -Sh rm ::: /tmp/a",
      "parallel --sshlogin h rm ::: /tmp/a",
    ])
      expect([cmd, facts(cmd).commands.find((c) => c.program === "rm")!.remote]).toEqual([
        cmd,
        true,
      ]);
    expect(facts("parallel rm ::: /tmp/a").commands[0]!.remote).toBe(false);
  });

  it("without a command every input is a command line", () => {
    expect(runs('parallel ::: "rm /tmp/a" "rm /tmp/b"')).toEqual([["/tmp/a"], ["/tmp/b"]]);
    expect(runs('printf "rm /tmp/c\\n" | parallel')).toEqual([["/tmp/c"]]);
    const line = facts('printf "rm /tmp/c\\n" | parallel').commands;
    expect(line.find((c) => c.program === "rm")!.via).toEqual(["parallel"]);
    expect(facts("cat f | parallel").commands.at(-1)!.tags).toEqual(["stdin-script"]);
  });
});

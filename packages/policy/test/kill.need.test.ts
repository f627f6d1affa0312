// The rules' necessary conditions (src/rules/need.ts): which of a matcher's clauses is taken as
// the condition a command must meet before the rule is tried. Written for seed 22's surviving
// mutant `need.ts:51` (`m.paths ?? m.redirect ?? m.inputs` → `(m.paths ?? m.redirect) && m.inputs`,
// survivors.md): a path clause alone must give its classes, not "any command".
import { needOf } from "../src/rules/need.js";

describe("needOf takes one clause a matching command must meet", () => {
  it("a program clause: the lower-cased names", () => {
    expect(needOf({ program: ["Git", "hg"] })?.programs).toEqual(new Set(["git", "hg"]));
  });
  it.each([
    ["paths", { paths: { class: ["credential" as const] } }],
    ["redirect", { redirect: { class: ["credential" as const] } }],
    ["inputs", { inputs: { class: ["credential" as const] } }],
  ])("a %s clause alone: its classes", (_, m) => {
    expect(needOf(m)?.classes).toEqual(new Set(["credential"]));
  });
  it("paths before redirect before inputs when several are given", () => {
    expect(
      needOf({ paths: { class: ["system"] }, inputs: { class: ["credential"] } })?.classes,
    ).toEqual(new Set(["system"]));
  });
  it("any: every branch's condition; a branch with none makes the whole rule unconditioned", () => {
    const need = needOf({ any: [{ program: ["a"] }, { tags: ["upload"] }] });
    expect(need?.programs).toEqual(new Set(["a"]));
    expect(need?.tags).toEqual(new Set(["upload"]));
    expect(needOf({ any: [{ program: ["a"] }, { flags: ["-x"] }] })).toBeUndefined();
    expect(needOf({ flags: ["-x"] })).toBeUndefined();
  });
});

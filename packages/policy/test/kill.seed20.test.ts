// Tests for the survivors of the seed-20 sample (stryker/policy-sample.json at 31e3075, run
// 2026-12-05 17:20-18:30 UTC, docs/mutation/survivors.md "seed 20"): each case states the
// behaviour the surviving mutant changed.
import type { TxboxConfig } from "@txbox/core";
import { checkPolicyReferences } from "../src/config-check.js";
import { expandBraces } from "../src/facts/text.js";

describe("a configuration's unknown rule ids are named by their key path (config-check.ts)", () => {
  it("an override's id is named at policy.overrides[i].id, a disabled one at policy.disable[i]", () => {
    const config = {
      policy: {
        packs: [],
        disable: ["no.such-rule"],
        overrides: [{ id: "no.such-other", decision: "transact" }],
      },
      guests: [],
    } as unknown as TxboxConfig;
    const issues = checkPolicyReferences(config, "/nonexistent");
    expect(issues.map((i) => i.path)).toEqual([
      ["policy", "disable", 0],
      ["policy", "overrides", 0, "id"],
    ]);
    expect(issues[1]!.message).toContain("unknown rule id no.such-other");
  });
});

describe("a closing brace before any opening one is text (text.ts expandBraces)", () => {
  it("expands the pair after a stray }", () => {
    expect(expandBraces("a}b{c,d}")).toEqual(["a}bc", "a}bd"]);
    expect(expandBraces("}{x,y}")).toEqual(["}x", "}y"]);
  });
});

// The verdict's naming of what gave the decision (explain.ts: verdict) where core.explain.test.ts
// leaves it open: a knowledge entry whose effect the table allows (it vouches without a stated
// decision), and a denial with no alternative anywhere. Hand-written rules, no policy pack.
import { decide, explain } from "../src/explain.js";
import type { CompiledRule, Policy } from "../src/policy.js";
import type { CommandFacts } from "../src/types.js";

const rule = (id: string, program: string, over: Partial<CompiledRule> = {}): CompiledRule => ({
  id,
  decision: "transact",
  justification: `${id} why`,
  file: "t",
  test: (c: CommandFacts) => c.program === program,
  ...over,
});
const policy: Policy = {
  rules: [
    rule("r.ls", "ls", { decision: "allow" }),
    // an effect entry: its decision is the table's, `read` is allowed everywhere
    rule("r.peek", "peek", { effect: "read" }),
    rule("r.stop", "stop", { decision: "deny" }),
  ],
  packs: [],
  defaults: {},
  knowledge: { services: new Map(), metadataOnly: new Set(), extractors: new Set() },
};

describe("what an allowed line is allowed by", () => {
  it("names an entry whose effect the table allows when no stated rule vouches", () => {
    const e = explain(policy, "peek x");
    expect(e.matches).toEqual([
      { id: "r.peek", decision: "allow", effect: "read", justification: "r.peek why", command: 0 },
    ]);
    expect(e.effects).toEqual([]);
    expect(e.decision).toStrictEqual({
      decision: "allow",
      ruleIds: ["r.peek"],
      reasons: ["r.peek why"],
    });
  });

  it("names only the stated rules when there are some", () => {
    expect(decide(policy, "ls; peek x")).toStrictEqual({
      decision: "allow",
      ruleIds: ["r.ls"],
      reasons: ["r.ls why"],
    });
  });
});

describe("a denial's alternative", () => {
  it("is absent, not undefined, when neither the rule nor the table gives one", () => {
    const d = decide(policy, "stop");
    expect(d).toStrictEqual({ decision: "deny", ruleIds: ["r.stop"], reasons: ["r.stop why"] });
    expect(Object.keys(d)).not.toContain("alternative");
  });
});

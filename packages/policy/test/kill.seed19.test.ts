// Tests for the survivors of the seed-19 sample (stryker/policy-sample.json at 5041279, run
// 2026-12-05 15:49-17:40 UTC, docs/mutation/survivors.md "seed 19"): each case states the
// behaviour the surviving mutant changed, from the code's own contract.
import { codeSinks } from "../src/facts/code-sinks.js";
import { codeEffects } from "../src/facts/interpreters.js";
import { splitSed } from "../src/facts/text.js";
import { packSchema } from "../src/rules/schema.js";

describe("an open call's mode after the file name (code-sinks.ts)", () => {
  it("reads the mode after spaces before the comma: a write is not a read", () => {
    expect(codeSinks('open("/srv/f" , "w")').reads).toEqual([]);
    expect(codeSinks('open("/srv/f"  ,"a")').reads).toEqual([]);
    expect(codeSinks('open("/srv/f" , "r")').reads).toEqual(["/srv/f"]);
  });
});

describe("a method called exec is not a process call without child_process (interpreters.ts)", () => {
  it("regex.exec(…) runs nothing", () => {
    expect(codeEffects('re = /x/; re.exec("rm /srv/x")').shell).toEqual([]);
    expect(codeEffects('m = pat.exec("rm /srv/x")').shell).toEqual([]);
  });
});

describe("splitSed skips an escaped delimiter (text.ts)", () => {
  it("ends after the second unescaped delimiter", () => {
    expect(splitSed("/a\\/b/c/", "/")).toBe(6);
    expect(splitSed("|a\\|b|c|", "|")).toBe(6);
    expect(splitSed("/a/", "/")).toBe(3);
    expect(splitSed("/a\\/", "/")).toBeUndefined();
  });
});

describe("a pack's regex fields must compile (rules/schema.ts)", () => {
  const pack = (program_match: string) => ({
    name: "p",
    rules: [
      {
        id: "r.x",
        decision: "deny",
        justification: "x",
        alternative: "y",
        when: { program_match },
      },
    ],
  });
  it("an invalid regular expression is refused with its message", () => {
    const bad = packSchema.safeParse(pack("(unclosed"));
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toContain("not a valid regular expression");
    expect(packSchema.safeParse(pack("^rm$")).success).toBe(true);
  });
});

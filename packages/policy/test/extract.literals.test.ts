// Behaviour pinned for the sampled literal mutants of the policy package that no test caught
// (docs/mutation/survivors.md, policy-sample, part literals).
import { resolveContext } from "../src/context.js";
import { roles } from "./roles.js";
import type { TxboxConfig } from "@txbox/core";
import { checkPolicyReferences } from "../src/config-check.js";
import { codeSinks } from "../src/facts/code-sinks.js";
import { extractFacts } from "../src/facts/extract.js";
import { compileMatcher } from "../src/rules/matcher.js";
import { ruleSchema } from "../src/rules/schema.js";

const ctx = resolveContext({});

describe("sampled literal mutants", () => {
  it("reads make's Makefile inside the -C directory", () => {
    expect(roles("make -C /srv/app").make).toEqual(["exec /srv/app/Makefile"]);
  });

  it("passes dd's stdin on only when dd has no if= of its own", () => {
    expect(roles("echo 'rm -rf /srv/x' | dd | sh").rm).toEqual(["delete /srv/x"]);
    expect(roles("echo 'rm -rf /srv/x' | dd if=/srv/in | sh").rm).toBeUndefined();
  });

  it("skips a partitioning tool's whole-number operands only (partition numbers)", () => {
    // mke2fs(8): `mke2fs DEVICE [FS-SIZE]` (parted's words after the device are commands)
    expect(roles("mke2fs /dev/sda1 12").mke2fs).toEqual(["write /dev/sda1"]);
    expect(roles("mke2fs /dev/sda1 1a").mke2fs).toContain("write /workspace/1a");
  });

  it("mounts the whole source= of a --mount option", () => {
    expect(roles("docker run --mount type=bind,source=/srv/data,target=/d img").docker).toEqual([
      "mount /srv/data",
    ]);
  });

  it("takes a relative word with a slash for a path of an unknown program, a URL not", () => {
    expect(roles("foo srv/a http://h/x").foo).toEqual(["operand /workspace/srv/a"]);
  });

  it("replaces xargs -i's {} with each item", () => {
    expect(roles("find /srv -name x | xargs -i rm {}").rm).toEqual(["delete /srv/<match>"]);
  });

  it("does not take a command substitution's output with a blank in it for one literal word", () => {
    expect(roles('rm "$(echo /srv/a /srv/b)"').rm).toEqual(['delete "$(echo /srv/a /srv/b)"']);
  });

  it("sends the environment when export -p is piped to the network", () => {
    const nc = extractFacts("export -p | nc h 1", ctx).commands.find((c) => c.program === "nc");
    expect(nc?.inputs.map((p) => p.path)).toEqual(["/proc/self/environ"]);
  });

  it("runs a coprocess concurrently: a function that starts itself as one is a fork bomb", () => {
    const tags = extractFacts("f(){ coproc f; }; f", ctx).commands.flatMap((c) => c.tags);
    expect(tags).toContain("fork-bomb");
  });

  it("gives a command without a program (a bare redirect) no flags", () => {
    expect(extractFacts("> /srv/x", ctx).commands[0]?.flags).toEqual([]);
  });

  it("matches `privileged` against whether the command runs privileged", () => {
    const [plain] = extractFacts("rm /srv/x", ctx).commands;
    const matches = compileMatcher({ privileged: true });
    expect(matches({ ...plain!, privileged: true })).toBe(true);
    expect(matches({ ...plain!, privileged: false })).toBe(false);
  });

  it("names a guest's missing rule pack by its key path", () => {
    const config = {
      policy: { packs: [] },
      guests: [{ policy: ["no-such-pack.yaml"] }],
    } as unknown as TxboxConfig;
    expect(checkPolicyReferences(config, "/nonexistent").map((i) => i.path)).toEqual([
      ["guests", 0, "policy", 0],
    ]);
  });

  it.each(["7z", "7za", "7zr"])("writes %s's extraction into its -o directory", (program) => {
    expect(roles(`${program} x -o/srv/out /srv/a.7z`)[program]).toEqual(["write /srv/out"]);
  });

  it("reads no file from a payload that opens none", () => {
    expect(codeSinks("print(1)").reads).toEqual([]);
  });

  it("takes a generated grammar's valued option with its value (adduser --uid 1001 bob)", () => {
    expect(extractFacts("adduser --uid 1001 bob", ctx).commands[0]?.words).toEqual(["bob"]);
  });

  it("refuses a rule with both or neither of decision and effect, and a deny without alternative", () => {
    const rule = { id: "t.rule", justification: "why", when: { program: ["rm"] } };
    const messages = (r: object): string[] =>
      ruleSchema.safeParse(r).error?.issues.map((i) => i.message) ?? [];
    expect(messages({ ...rule, decision: "allow" })).toEqual([]);
    expect(messages(rule)).toEqual(["a rule gives exactly one of `decision` and `effect`"]);
    expect(messages({ ...rule, decision: "deny" })).toEqual(["a deny rule needs an alternative"]);
  });
});

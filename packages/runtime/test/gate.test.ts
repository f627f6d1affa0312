import { loadPolicy } from "@txbox/policy";
import { commandTextProblem, gate } from "../src/index.js";

describe("command text: refused before the gate when it is not what a shell would run", () => {
  test.each([
    ["ls -la", undefined],
    ["echo 'héllo wörld' > f", undefined],
    ["echo 😀 > f", undefined],
    ["printf 'a\\0b'", undefined], // an escaped NUL in the text is fine: the shell builds it
    ["echo a\u0000b > f", { rule: "input.nul", index: 6 }],
    ["\u0000", { rule: "input.nul", index: 0 }],
    ["cat \ufffd", { rule: "input.utf8", index: 4 }],
    ["echo \ud800 > f", { rule: "input.utf8", index: 5 }],
    ["echo \udc00", { rule: "input.utf8", index: 5 }],
    ["echo x\ud83d", { rule: "input.utf8", index: 6 }],
  ])("%j", (command, expected) => {
    const problem = commandTextProblem(command);
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatchObject(expected);
  });

  const policy = loadPolicy();

  test("the gate denies such text with the input rule, before the policy sees it", () => {
    const d = gate(policy, "cat /etc/hostname\u0000; rm -rf /", {});
    expect(d).toEqual({
      decision: "deny",
      ruleIds: ["input.nul"],
      reasons: [expect.stringContaining("NUL byte at offset 17")],
      alternative: expect.stringContaining("UTF-8"),
    });
  });

  test("valid text goes to the policy unchanged", () => {
    expect(gate(policy, "cat README.md", {}).decision).toBe("allow");
    expect(gate(policy, "echo x > f", { cwd: "/root/project" }).decision).not.toBe("deny");
  });
});

// The skip policy and the skipped-suites line: a run under CI must not pass by skipping.
import { missingOf, requireAll, tool } from "./support/requirements.js";
import { summaryLines } from "./support/skip-reporter.mjs";

describe("requireAll", () => {
  it.each([
    [{}, false],
    [{ CI: "" }, false],
    [{ CI: "0" }, false],
    [{ CI: "false" }, false],
    [{ CI: "true" }, true],
    [{ CI: "1" }, true],
    [{ TXBOX_REQUIRE_E2E: "1" }, true],
    [{ TXBOX_REQUIRE_E2E: "0" }, false],
  ] as const)("%j → %s", (env, expected) => {
    expect(requireAll(env)).toBe(expected);
  });
});

test("missingOf names what is absent, in order; a present tool is not named", () => {
  expect(
    missingOf([tool("sh"), tool("no-such-tool-txbox", "nothing"), { missing: "root (x)" }]),
  ).toEqual(["the tool no-such-tool-txbox (apt-get install nothing)", "root (x)"]);
});

test("the reporter's lines name skipped and blocked suites with their reasons", () => {
  const assertion = (status: string, title: string, ancestorTitles: string[], failure = "") => ({
    status,
    title,
    ancestorTitles,
    failureMessages: failure === "" ? [] : [failure],
  });
  const results = {
    testResults: [
      {
        testFilePath: "/r/a.test.ts",
        testResults: [assertion("pending", "t", ["A (skipped: needs root (x))"])],
      },
      { testFilePath: "/r/b.test.ts", testResults: [assertion("passed", "t", ["B"])] },
      {
        testFilePath: "/r/c.test.ts",
        testResults: [
          assertion(
            "failed",
            "can run here (CI or TXBOX_REQUIRE_E2E=1 forbids skipping)",
            ["C"],
            "C: cannot run here: needs root (y)",
          ),
        ],
      },
      { testFilePath: "/r/d.test.ts", testResults: [assertion("pending", "t", ["D"])] },
    ],
  };
  expect(summaryLines(results, "/r")).toEqual([
    "Skipped suites: 2 — needs root (x): a.test.ts; skipped in the test file (no reason given): d.test.ts",
    "Suites that could not run (not skipped under CI): 1 — needs root (y): c.test.ts",
  ]);
  expect(summaryLines({ testResults: [] }, "/r")).toEqual(["Skipped suites: none"]);
});

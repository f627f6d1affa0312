// What mutation testing covers: the pure cores, each with the unit tests that own it. One entry
// per target: the files Stryker mutates and the test files jest runs against each mutant (only
// fast, testbed-free suites: a mutant run must not need root or a network).
export const TARGETS = {
  core: {
    title: "core: config validation and redaction",
    root: "packages/core",
    tsconfig: "packages/core/tsconfig.json",
    mutate: [
      "packages/core/src/logger.ts",
      "packages/core/src/config.ts",
      "packages/core/src/load.ts",
    ],
    tests: ["packages/core/test/**/*.test.ts"],
  },
  tx: {
    title: "tx: state machine and journal",
    root: "packages/tx",
    tsconfig: "packages/tx/tsconfig.json",
    mutate: ["packages/tx/src/machine.ts", "packages/tx/src/journal.ts"],
    tests: ["packages/tx/test/machine*.test.ts", "packages/tx/test/journal*.test.ts"],
  },
  recovery: {
    title: "tx: recovery planning",
    root: "packages/tx",
    tsconfig: "packages/tx/tsconfig.json",
    mutate: ["packages/tx/src/engine/recover.ts"],
    tests: ["packages/tx/test/engine*.test.ts", "packages/tx/test/recover*.test.ts"],
  },
  net: {
    title: "net: network planner",
    root: "packages/net",
    tsconfig: "packages/net/tsconfig.json",
    mutate: ["packages/net/src/plan.ts"],
    tests: ["packages/net/test/plan*.test.ts", "packages/net/test/spec*.test.ts"],
  },
  policy: {
    title: "policy: decision and effect extraction",
    root: "packages/policy",
    tsconfig: "packages/policy/tsconfig.json",
    mutate: [
      "packages/policy/src/**/*.ts",
      "!packages/policy/src/bench/**",
      "!packages/policy/src/eval/**",
      "!packages/policy/src/corpus.ts",
      "!packages/policy/src/index.ts",
    ],
    tests: [
      "packages/policy/test/decide*.test.ts",
      "packages/policy/test/facts*.test.ts",
      "packages/policy/test/packs*.test.ts",
      "packages/policy/test/paths*.test.ts",
    ],
  },
};

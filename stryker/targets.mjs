// What mutation testing covers: the pure cores, each with the unit tests that own it. One entry
// per target: the package (jest's roots), the files Stryker mutates and the test files jest runs
// against each mutant (only fast, testbed-free suites: a mutant run must not need root or a
// network). Targets are small on purpose: the machine is shared, and a target is re-run alone.
// `ignoreStatic`: mutants in code that runs once at module load (constant tables, schemas) need
// every test file reloaded per mutant — most of the time for a minority of mutants; they are
// skipped (and not counted) where the target's behaviour is in functions, kept where a constant
// is the behaviour (redaction's key patterns, the state machine's table).
export const TARGETS = {
  redaction: {
    title: "core: log and output redaction",
    root: "packages/core",
    // The redaction half of the logger (patterns, redact, Errors, the winston format); not the
    // transports of createLogger.
    mutate: ["packages/core/src/logger.ts:1-76"],
    tests: ["packages/core/test/logger*.test.ts"],
  },
  config: {
    ignoreStatic: true,
    title: "core: config validation and loading",
    root: "packages/core",
    mutate: ["packages/core/src/config.ts", "packages/core/src/load.ts"],
    tests: ["packages/core/test/config*.test.ts", "packages/core/test/load*.test.ts"],
  },
  machine: {
    title: "tx: state machine",
    root: "packages/tx",
    mutate: ["packages/tx/src/machine.ts"],
    tests: ["packages/tx/test/machine*.test.ts"],
  },
  journal: {
    ignoreStatic: true,
    title: "tx: journal",
    root: "packages/tx",
    mutate: ["packages/tx/src/journal.ts"],
    tests: ["packages/tx/test/journal*.test.ts"],
  },
  recovery: {
    ignoreStatic: true,
    title: "tx: recovery planning",
    root: "packages/tx",
    mutate: ["packages/tx/src/engine/recover.ts"],
    tests: ["packages/tx/test/engine*.test.ts", "packages/tx/test/recover*.test.ts"],
  },
  net: {
    ignoreStatic: true,
    title: "net: network planner",
    root: "packages/net",
    mutate: ["packages/net/src/plan.ts"],
    tests: ["packages/net/test/plan*.test.ts", "packages/net/test/spec*.test.ts"],
  },
  firewall: {
    ignoreStatic: true,
    title: "net: the planner's firewall diff (ruleKey, formatRule, diffFirewall)",
    root: "packages/net",
    mutate: ["packages/net/src/plan.ts:144-181"],
    tests: ["packages/net/test/plan*.test.ts"],
  },
  policy: {
    ignoreStatic: true,
    // The decision: rules compiled from the packs, matched against a command's facts, strictest
    // wins. The extractor (facts/, ~3,500 lines) is a target of its own: hours on this machine.
    title: "policy: decision (rule matching, strictest wins)",
    root: "packages/policy",
    // policy.ts: verdict and decide (strictest match wins); pack loading is not the decision.
    mutate: ["packages/policy/src/policy.ts:256-310", "packages/policy/src/rules/matcher.ts"],
    // decide.test.ts drives every rule of the default pack through decide(); the packs' own
    // example checks (packs.test.ts) add little and double the time per mutant.
    tests: ["packages/policy/test/decide*.test.ts"],
  },
  effects: {
    ignoreStatic: true,
    title: "policy: effect extraction (facts from the shell AST)",
    root: "packages/policy",
    mutate: ["packages/policy/src/facts/**/*.ts"],
    tests: [
      "packages/policy/test/decide*.test.ts",
      "packages/policy/test/facts*.test.ts",
      "packages/policy/test/paths*.test.ts",
    ],
  },
};

// StrykerJS for one target of ./targets.mjs, chosen by TXBOX_MUTATE_TARGET (scripts/mutate sets
// it). The jest runner drives the workspace's own jest config in ESM mode (node's
// --experimental-vm-modules in the runner processes), restricted to the target's tests.
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TARGETS } from "./targets.mjs";

const name = process.env.TXBOX_MUTATE_TARGET ?? "";
const target = TARGETS[name];
if (target === undefined) {
  throw new Error(`TXBOX_MUTATE_TARGET must be one of ${Object.keys(TARGETS).join(", ")}`);
}
const part = process.env.TXBOX_MUTATE_PART ?? "";
if (part !== "" && target.parts?.[part] === undefined) {
  throw new Error(`target ${name} has no part ${part}`);
}
const out = part === "" ? `reports/mutation/${name}` : `reports/mutation/${name}/${part}`;
// A part is its `file:lines` ranges, or `{ mutate, tests }` when it needs other tests than the
// target's (each test file a mutant run loads costs its module setup once per mutant).
const partSpec = part === "" ? undefined : target.parts[part];
const mutate = partSpec === undefined ? target.mutate : (partSpec.mutate ?? partSpec);
const tests = partSpec?.tests ?? target.tests;

export default {
  packageManager: "pnpm",
  // Named from here: under pnpm, Stryker's own folder cannot see its sibling plugins.
  plugins: [
    import.meta.resolve("@stryker-mutator/jest-runner"),
    import.meta.resolve("@stryker-mutator/typescript-checker"),
    // A sampled target's ignorer: mutants nested in a sampled one are not run (sample.mjs).
    ...(target.sample ? [import.meta.resolve("./sample.mjs")] : []),
  ],
  ignorers: target.sample ? ["txbox-policy-sample"] : [],
  testRunner: "jest",
  testRunnerNodeArgs: ["--experimental-vm-modules", "--no-warnings=ExperimentalWarning"],
  jest: {
    projectType: "custom",
    configFile: "jest.config.mjs",
    // `roots` keeps jest's module map to the package: a third of the time per mutant.
    config: {
      roots: [`<rootDir>/${target.root}`],
      testMatch: tests.map((t) => `<rootDir>/${t}`),
      reporters: [],
    },
    enableFindRelatedTests: false,
  },
  checkers: ["typescript"],
  tsconfigFile: `${target.root}/tsconfig.json`,
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate,
  // A sampled target's part runs only its own mutators (stryker/sample.mjs).
  mutator: { excludedMutations: partSpec?.excludedMutations ?? [] },
  // The sandbox needs the sources, the built libraries of the other packages and the configs.
  ignorePatterns: ["/docs", "/testbed/test", "/reports", "/.stryker-tmp"],
  coverageAnalysis: "perTest",
  ignoreStatic: target.ignoreStatic === true,
  // The machine is shared (2 cores, several developers): two runners at most, one checker.
  concurrency: Number(process.env.TXBOX_MUTATE_CONCURRENCY ?? 2),
  // A mutant's tests time out after factor × their dry-run time + timeoutMS. Runs are niced on a
  // shared machine: when its load peaks, a short budget records mutants as Timeout that only
  // waited for a core (counted as detected: a false score) and restarts the test runner after
  // each, which costs more than the budget. A mutant that really loops costs the budget once.
  timeoutMS: Number(process.env.TXBOX_MUTATE_TIMEOUT_MS ?? 30000),
  timeoutFactor: 3,
  // The initial (coverage) run of a target with many test files takes minutes under load; Stryker
  // gives up on it after 5 by default.
  dryRunTimeoutMinutes: Number(process.env.TXBOX_MUTATE_DRY_RUN_MINUTES ?? 5),
  incremental: true,
  incrementalFile: `${out}/incremental.json`,
  reporters: ["clear-text", "progress-append-only", "json", "html"],
  clearTextReporter: { reportScoreTable: true, logTests: false, allowEmojis: false },
  jsonReporter: { fileName: `${out}/mutation.json` },
  htmlReporter: { fileName: `${out}/index.html` },
  // Outside the checkout, so that lint, format and jest runs there never see the sandbox.
  tempDirName: join(tmpdir(), "txbox-stryker", part === "" ? name : `${name}-${part}`),
  cleanTempDir: true,
};

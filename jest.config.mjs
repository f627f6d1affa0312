// One jest run for the whole workspace. Sources are TypeScript (ESM), transformed by swc;
// cross-package imports resolve to each package's built lib/ (bootstrap builds first).
const swc = [
  "@swc/jest",
  {
    jsc: { parser: { syntax: "typescript" }, target: "es2022" },
    module: { type: "es6" },
    sourceMaps: "inline",
  },
];

export default {
  testEnvironment: "node",
  extensionsToTreatAsEsm: [".ts"],
  transform: { "^.+\\.ts$": swc },
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  testMatch: [
    "<rootDir>/packages/*/test/**/*.test.ts",
    "<rootDir>/testbed/test/**/*.test.ts",
    "<rootDir>/test/**/*.test.ts",
  ],
  // A mutation-testing sandbox is a copy of the workspace: never a second source of modules.
  modulePathIgnorePatterns: ["<rootDir>/.stryker-tmp/"],
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/.stryker-tmp/"],
  testTimeout: 60000,
  // Jest adds its summary after custom reporters: the skipped-suites line comes just before it.
  reporters: ["default", "<rootDir>/test/support/skip-reporter.mjs"],
  verbose: false,
};

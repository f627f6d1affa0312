// Syntactic rules only: type-aware linting doubles the time of scripts/test on 2 cores, and tsc -b
// already enforces the type-level checks.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const SIZE = {
  function: { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true },
  file: { max: 500, skipBlankLines: true, skipComments: true },
};

/** Source files over STYLE.md's sizes on 2026-12-05: the longest function's and the file's lines. */
const OVER_LIMIT = {
  "packages/policy/src/explain.ts": { fn: 97 },
  "packages/policy/src/facts/extract/walk.ts": { fn: 83 },
  "packages/policy/src/facts/extract/words.ts": { fn: 83 },
};

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/lib/**", "**/coverage/**", ".txbox/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", Buffer: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      "no-control-regex": "off",
    },
  },
  {
    files: ["**/*.mjs", "**/*.cjs", "scripts/**"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  // STYLE.md's sizes: no function over ~80 lines, no file over ~500 (blank lines and comments not
  // counted). Source only: a test's describe block is a table of cases.
  {
    files: ["packages/*/src/**/*.ts", "testbed/src/**/*.ts"],
    rules: {
      "max-lines-per-function": ["error", SIZE.function],
      "max-lines": ["error", SIZE.file],
    },
  },
  // Older code over the limits, each capped at its size so that it can only shrink; to split when
  // next touched (argspec.ts: its tables by program family).
  ...Object.entries(OVER_LIMIT).map(([file, lines]) => ({
    files: [file],
    rules: {
      "max-lines-per-function": ["error", { ...SIZE.function, max: Math.max(80, lines.fn ?? 0) }],
      "max-lines": ["error", { ...SIZE.file, max: Math.max(500, lines.file ?? 0) }],
    },
  })),
);

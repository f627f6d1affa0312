// Syntactic rules only: type-aware linting doubles the time of scripts/test on 2 cores, and tsc -b
// already enforces the type-level checks.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

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
);

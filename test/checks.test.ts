// The repository's static checks, run as tests so that the test runner's summary — the last thing
// scripts/test prints and what CI reads — counts a type error, a lint error or a badly formatted
// file as a failure, and names it.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name: string): string => join(root, "node_modules", ".bin", name);

function check(cmd: string, args: string[]): { status: number | null; output: string } {
  const r = spawnSync(bin(cmd), args, { cwd: root, encoding: "utf8", timeout: 240_000 });
  return {
    status: r.status,
    output: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}`,
  };
}

describe("repository checks", () => {
  it.each([
    ["type check (tsc -b)", "tsc", ["-b"]],
    // Test files are not in the packages' builds (jest strips their types): checked on their own.
    ["type check of tests (tsc -p tsconfig.test.json)", "tsc", ["-p", "tsconfig.test.json"]],
    ["lint (eslint)", "eslint", ["."]],
    ["format (prettier --check)", "prettier", ["--check", ".", "--log-level", "warn"]],
  ] as const)(
    "%s passes",
    (_name, cmd, args) => {
      const { status, output } = check(cmd, [...args]);
      if (status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${status}:\n${output}`);
    },
    300_000,
  );
});

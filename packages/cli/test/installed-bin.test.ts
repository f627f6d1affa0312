// The installed command (node_modules/.bin/txbox), run as a user runs it. `txbox testbed …` runs
// the testbed's own entry point in a child process; through the installed command both paths are
// pnpm symlinks, and the child once printed nothing because its entry guard compared a symlink
// with a real path.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "../../..");
const txbox = join(repo, "node_modules/.bin/txbox");

test("txbox testbed --help reaches the testbed's own help through the installed command", () => {
  const cwd = mkdtempSync(join(tmpdir(), "txbox-tb-cli-"));
  const env = { ...process.env, TXBOX_TESTBED_BIN: "" };
  const r = spawnSync(txbox, ["testbed", "--help"], {
    cwd,
    env,
    encoding: "utf8",
    timeout: 30_000,
  });
  expect(r.status).toBe(0);
  for (const sub of ["up", "status", "down", "logs", "ssh"]) expect(r.stdout).toMatch(sub);
});

test("txbox testbed status outside any testbed says so and fails", () => {
  const cwd = mkdtempSync(join(tmpdir(), "txbox-tb-cli-"));
  const env = { ...process.env, TXBOX_TESTBED_BIN: "" };
  const r = spawnSync(txbox, ["testbed", "status"], {
    cwd,
    env,
    encoding: "utf8",
    timeout: 30_000,
  });
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain("no testbed here (no .txbox/testbed.json)");
  expect(r.stderr).toContain("txbox testbed up");
});

test("a reader that goes away early is not a crash (txbox … | head -1)", () => {
  const input = '{"cmd":"ls"}\n'.repeat(5000);
  const r = spawnSync("sh", ["-c", `"${txbox}" policy check --batch | head -1`], {
    input,
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(r.stdout.split("\n").filter(Boolean)).toHaveLength(1);
  expect(r.stderr).not.toMatch(/EPIPE|Unhandled|at .*\.js/);
});

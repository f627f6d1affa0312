// The benchmark's command-line entry (src/bench/cli.ts): with no argument it reads the corpus
// named by TXBOX_POLICY_CORPUS and prints the figures it measured there. The module runs at import
// (a script with top-level await), so this file imports it once, with its inputs set first.
import { jest } from "@jest/globals";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

let dir: string;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("measures the corpus TXBOX_POLICY_CORPUS names when no path is given", async () => {
  dir = mkdtempSync(join(tmpdir(), "txbox-bench-cli-"));
  const file = join(dir, "small.jsonl");
  writeFileSync(
    file,
    ['{"cmd":"ls -la","label":"allow"}', '{"cmd":"rm -rf /","label":"deny"}'].join("\n"),
  );
  const argv = process.argv;
  const env = process.env["TXBOX_POLICY_CORPUS"];
  const out: string[] = [];
  const write = jest.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });
  try {
    process.argv = [argv[0]!, "bench-cli"];
    process.env["TXBOX_POLICY_CORPUS"] = file;
    await import("../src/bench/cli.js");
  } finally {
    write.mockRestore();
    process.argv = argv;
    if (env === undefined) delete process.env["TXBOX_POLICY_CORPUS"];
    else process.env["TXBOX_POLICY_CORPUS"] = env;
  }
  const text = out.join("");
  expect(text).toContain(`corpus:            ${file} (2 commands)`);
  expect(text).toMatch(/throughput: +\d+ decisions\/s wall clock/);
});

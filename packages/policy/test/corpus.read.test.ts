import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readCorpus } from "../src/corpus.js";
import { PolicyPackError } from "../src/errors.js";

// The corpus reader (the bench's and the public corpus test's input) on small files of its own:
// corpus.test.ts reads the public corpus from beside the checkout.
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "txbox-corpus-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function corpus(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, lines.join("\n"));
  return file;
}

function readError(file: string): PolicyPackError {
  try {
    readCorpus(file);
  } catch (e) {
    if (e instanceof PolicyPackError) return e;
    throw e;
  }
  throw new Error("no error");
}

describe("readCorpus", () => {
  it("reads one entry a line, skipping blank lines, with only the fields given", () => {
    const file = corpus("ok.jsonl", [
      '{"cmd":"ls","label":"allow"}',
      "",
      '{"cmd":"rm -rf /","label":"deny","category":"destroy","source":"s","note":"n"}',
    ]);
    expect(readCorpus(file)).toEqual([
      { cmd: "ls", label: "allow" },
      { cmd: "rm -rf /", label: "deny", category: "destroy", source: "s", note: "n" },
    ]);
  });

  it("names the file and the 1-based line of a line that is not JSON", () => {
    const file = corpus("bad-json.jsonl", ['{"cmd":"ls","label":"allow"}', "{cmd: ls}"]);
    const e = readError(file);
    expect(e.message).toBe(`${file}:2: not JSON`);
    expect(e.details).toEqual({ file, line: 2 });
  });

  it("names the file and the line of an entry the schema refuses", () => {
    const file = corpus("bad-label.jsonl", ['{"cmd":"ls","label":"maybe"}']);
    const e = readError(file);
    expect(e.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:1: `));
    expect(e.details).toEqual({ file, line: 1 });
  });
});

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The option grammars generated from fish's completion files (issue 10, item 2) are data
 * produced by a script, never edited: regenerating them gives the committed file.
 */
const here = dirname(fileURLToPath(import.meta.url));
const script = join(here, "../scripts/gen-option-grammars.mjs");
const committed = join(here, "../knowledge/option-grammars.generated.json");
const fishDir = "/usr/share/fish/completions";

function findTldr(): string | undefined {
  for (let dir = here; dir !== dirname(dir); dir = dirname(dir)) {
    const f = join(dir, "shared/corpora/tldr-examples.jsonl");
    if (existsSync(f)) return f;
  }
  return undefined;
}

describe("generated option grammars", () => {
  const data = JSON.parse(readFileSync(committed, "utf8")) as {
    generated_by: string;
    programs: Record<string, { valued: string[] }>;
  };

  it("say which options take a value, from the completion files", () => {
    expect(data.generated_by).toBe("packages/policy/scripts/gen-option-grammars.mjs");
    // tar.fish: `-s f -l file -r`; `-s c -l create` takes none
    expect(data.programs["tar"]?.valued).toEqual(expect.arrayContaining(["-f", "--file", "-C"]));
    expect(data.programs["tar"]?.valued).not.toContain("-c");
    expect(Object.keys(data.programs).length).toBeGreaterThan(300);
  });

  const tldr = findTldr();
  const can = tldr !== undefined && existsSync(fishDir);
  (can ? it : it.skip)("are what the generator writes (fish completions and tldr present)", () => {
    const dir = mkdtempSync(join(tmpdir(), "grammars-"));
    try {
      const out = join(dir, "g.json");
      execFileSync(process.execPath, [script, tldr!, fishDir, out], { stdio: "pipe" });
      expect(JSON.parse(readFileSync(out, "utf8"))).toEqual(data);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// The README's table of error codes and the codes the code can raise are the same set, so the
// documentation users script against cannot drift from what txbox prints.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

/** Every `"E_…"` string literal, and every `[E_…]` printed inside a message, in the sources. */
function codesInSource(): Map<string, string> {
  const found = new Map<string, string>();
  const dirs = [
    ...readdirSync(join(root, "packages")).map((p) => join(root, "packages", p, "src")),
    join(root, "testbed", "src"),
  ];
  for (const dir of dirs) {
    let files: string[];
    try {
      files = sources(dir);
    } catch {
      continue;
    }
    for (const file of files)
      for (const m of readFileSync(file, "utf8").matchAll(/["[](E_[A-Z0-9_]+)["\]]/g))
        if (!found.has(m[1]!)) found.set(m[1]!, file.slice(root.length + 1));
  }
  return found;
}

/** The codes in the first column of the README's "Error codes" table. */
function codesInReadme(): string[] {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const start = readme.indexOf("### Error codes");
  expect(start).toBeGreaterThan(-1);
  const section = readme.slice(start, readme.indexOf("\n## ", start));
  return [...section.matchAll(/^\| `(E_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]!);
}

test("every code txbox can raise is in the README's table, and the table names no other", () => {
  const source = codesInSource();
  const readme = codesInReadme();
  const undocumented = [...source.keys()]
    .filter((c) => !readme.includes(c))
    .map((c) => `${c} (${source.get(c)})`);
  const stale = readme.filter((c) => !source.has(c));
  expect({ undocumented, stale }).toEqual({ undocumented: [], stale: [] });
  expect(new Set(readme).size).toBe(readme.length);
});

#!/usr/bin/env node
/**
 * Build step (`pnpm build` runs it after tsc): compile the shipped knowledge and rule packs from
 * YAML to JSON under `lib/compiled/`, so loading the policy does not run the YAML parser. A file
 * that does not parse, or whose data would not survive JSON, is left out: loading then parses
 * its YAML and reports the error as before.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { parseDocument } from "yaml";
import { compiledPath, packageRoot, sha256, type CompiledFile } from "./compiled.js";

const written: string[] = [];
const skipped: string[] = [];
for (const dir of ["knowledge", "packs"]) {
  for (const name of readdirSync(resolve(packageRoot, dir)).filter((n) => n.endsWith(".yaml"))) {
    const file = resolve(packageRoot, dir, name);
    const out = compiledPath(file)!;
    const text = readFileSync(file, "utf8");
    const doc = parseDocument(text, { prettyErrors: false });
    const data: unknown = doc.errors.length > 0 ? undefined : (doc.toJS() ?? {});
    if (data === undefined || !isDeepStrictEqual(JSON.parse(JSON.stringify(data)), data)) {
      skipped.push(`${dir}/${name}`);
      continue;
    }
    const compiled: CompiledFile = { sha256: sha256(text), data };
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(compiled));
    written.push(`${dir}/${name}`);
  }
}
if (skipped.length > 0)
  process.stderr.write(
    `policy: not compiled (loaded from YAML at run time): ${skipped.join(", ")}\n`,
  );
void written;

/**
 * Knowledge and packs compiled at build time: `pnpm build` parses every shipped YAML file once and
 * writes its plain data as JSON under `lib/compiled/`, keyed by a hash of the YAML text. Loading
 * then skips the YAML parser (most of the cold load) but still validates against the schema, so a
 * schema change takes effect without a rebuild of the data. A YAML file changed since the build
 * (hash mismatch), a file outside the package (a user's pack), or a run from the sources falls
 * back to parsing the YAML, with its line-numbered errors.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { parseDocument } from "yaml";
import { parseYaml } from "@txbox/core";
import type { z } from "zod";

/** The package root (works from `src/` and from the built `lib/`). */
export const packageRoot: string = fileURLToPath(new URL("../../", import.meta.url));
/** Where the build writes the compiled files (only the built `lib/` has one). */
export const compiledDir: string = fileURLToPath(new URL("../compiled/", import.meta.url));

/** What a compiled file holds: the hash of the YAML text it was made from, and its data. */
export interface CompiledFile {
  sha256: string;
  data: unknown;
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Path of the compiled JSON of a shipped YAML file, or undefined for a file outside the package. */
export function compiledPath(file: string, dir: string = compiledDir): string | undefined {
  const rel = relative(packageRoot, resolve(file));
  if (rel.startsWith("..") || rel.startsWith(sep) || !rel.endsWith(".yaml")) return undefined;
  return resolve(dir, rel.replace(/\.yaml$/, ".json"));
}

/**
 * Compile one shipped YAML file into `dir` (the build's step). False, and nothing written, when
 * it does not parse or its data would not survive JSON: loading then parses the YAML itself.
 */
export function compileFile(file: string, dir: string = compiledDir): boolean {
  const out = compiledPath(file, dir);
  if (out === undefined) return false;
  const text = readFileSync(file, "utf8");
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) return false;
  const data: unknown = doc.toJS() ?? {};
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(data)), data)) return false;
  const compiled: CompiledFile = { sha256: sha256(text), data };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(compiled));
  return true;
}

/** The compiled data of a YAML file when it was built from exactly this text. */
function compiledData(file: string, text: string, dir: string): unknown {
  const path = compiledPath(file, dir);
  if (path === undefined) return undefined;
  let compiled: CompiledFile;
  try {
    compiled = JSON.parse(readFileSync(path, "utf8")) as CompiledFile;
  } catch {
    return undefined;
  }
  return compiled.sha256 === sha256(text) ? compiled.data : undefined;
}

/** Parse and validate a shipped YAML file: from its compiled JSON when current, else the YAML. */
export function parseShippedYaml<S extends z.ZodType>(
  text: string,
  schema: S,
  file: string,
  dir: string = compiledDir,
): z.infer<S> {
  const data = compiledData(file, text, dir);
  if (data !== undefined) {
    const result = schema.safeParse(data);
    if (result.success) return result.data;
  }
  // Also the way to the YAML parser's own error, with its line and column.
  return parseYaml(text, schema, file);
}

/**
 * Knowledge and packs compiled at build time: `pnpm build` parses every shipped YAML file once and
 * writes its plain data as JSON under `lib/compiled/`, keyed by a hash of the YAML text. Loading
 * then skips the YAML parser (most of the cold load) but still validates against the schema, so a
 * schema change takes effect without a rebuild of the data. A YAML file changed since the build
 * (hash mismatch), a file outside the package (a user's pack), or a run from the sources falls
 * back to parsing the YAML, with its line-numbered errors.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
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
export function compiledPath(file: string): string | undefined {
  const rel = relative(packageRoot, resolve(file));
  if (rel.startsWith("..") || rel.startsWith(sep) || !rel.endsWith(".yaml")) return undefined;
  return resolve(compiledDir, rel.replace(/\.yaml$/, ".json"));
}

/** The compiled data of a YAML file when it was built from exactly this text. */
function compiledData(file: string, text: string): unknown {
  const path = compiledPath(file);
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
): z.infer<S> {
  const data = compiledData(file, text);
  if (data !== undefined) {
    const result = schema.safeParse(data);
    if (result.success) return result.data;
  }
  // Also the way to the YAML parser's own error, with its line and column.
  return parseYaml(text, schema, file);
}

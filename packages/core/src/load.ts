import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { isNode, LineCounter, parseDocument, type Document } from "yaml";
import type { z } from "zod";
import { configSchema, type TxboxConfig } from "./config.js";
import { ConfigError } from "./errors.js";

/** Where a problem in a YAML file is: the dotted key path and, when known, the line. */
export interface YamlIssue {
  key: string;
  line: number | undefined;
  message: string;
  value: unknown;
}

function keyPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? String(p) : `.${String(p)}`;
  }
  return out === "" ? "(root)" : out;
}

function lineOf(
  doc: Document,
  counter: LineCounter,
  path: readonly PropertyKey[],
): number | undefined {
  // Walk up until a node exists: a missing key is reported at its parent's line.
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  return undefined;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

function show(value: unknown): string {
  if (value === undefined) return "nothing";
  const s = JSON.stringify(value);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * Parse YAML text and validate it with a zod schema. Every problem names the file, line, key and
 * the value received, so the user can fix it without reading the schema.
 */
export function parseYaml<S extends z.ZodType>(text: string, schema: S, file: string): z.infer<S> {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    const line = err.linePos?.[0]?.line;
    throw new ConfigError(
      `${file}${line ? `:${line}` : ""}: YAML syntax error: ${err.message.split("\n")[0]}`,
      {
        details: { file, line },
      },
    );
  }
  const raw = doc.toJS() ?? {};
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issues: YamlIssue[] = result.error.issues.map((issue) => ({
    key: keyPath(issue.path),
    line: lineOf(doc, counter, issue.path),
    message: issue.message,
    value: valueAt(raw, issue.path),
  }));
  const lines = issues.map(
    (i) => `${file}${i.line ? `:${i.line}` : ""}: ${i.key}: ${i.message} (got ${show(i.value)})`,
  );
  throw new ConfigError(lines.join("\n"), {
    details: { file, issues },
    hint: "fix the keys named above; `txbox config schema` prints every key and its type",
  });
}

/** Read and validate a YAML file; a missing or unreadable file is a {@link ConfigError}. */
export function loadYamlFile<S extends z.ZodType>(file: string, schema: S): z.infer<S> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new ConfigError(
      `${file}: cannot read: ${(cause as NodeJS.ErrnoException).code ?? cause}`,
      {
        details: { file },
        cause,
      },
    );
  }
  return parseYaml(text, schema, file);
}

export interface LoadedConfig {
  config: TxboxConfig;
  /** The file it came from, or undefined when defaults were used. */
  file: string | undefined;
  /** Directory relative paths in the config are resolved against. */
  baseDir: string;
}

/**
 * Find and load `txbox.yaml`: an explicit path, else `$TXBOX_CONFIG`, else the nearest
 * `txbox.yaml` from `cwd` upwards; with none, the defaults.
 */
export function loadConfig(
  options: { file?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): LoadedConfig {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  let file = options.file ?? env.TXBOX_CONFIG;
  if (file === undefined) {
    for (let dir = cwd; ; dir = dirname(dir)) {
      const candidate = resolve(dir, "txbox.yaml");
      if (existsSync(candidate)) {
        file = candidate;
        break;
      }
      if (dirname(dir) === dir) break;
    }
  } else {
    file = resolve(cwd, file);
  }
  if (file === undefined) return { config: configSchema.parse({}), file: undefined, baseDir: cwd };
  return { config: loadYamlFile(file, configSchema), file, baseDir: dirname(file) };
}

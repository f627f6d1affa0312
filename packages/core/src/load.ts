import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { isMap, isNode, isScalar, LineCounter, parseDocument, type Document } from "yaml";
import type { z } from "zod";
import { configSchema, type TxboxConfig } from "./config.js";
import { checkConfig } from "./config-checks.js";
import { ConfigError } from "./errors.js";

/** Where a problem in a YAML file is: the dotted key path and, when known, line and column. */
export interface YamlIssue {
  key: string;
  line: number | undefined;
  column: number | undefined;
  message: string;
  value: unknown;
}

/** A problem found by a check beyond the schema (cross-field rules), before it is located. */
export interface PathIssue {
  path: readonly PropertyKey[];
  message: string;
}

export interface ParseYamlOptions<T> {
  /** Cross-field checks run on the validated value; their issues are located like schema ones. */
  check?: (value: T) => PathIssue[];
}

function keyPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? String(p) : `.${String(p)}`;
  }
  return out === "" ? "(root)" : out;
}

interface Position {
  line: number | undefined;
  column: number | undefined;
}

/**
 * Where `path` is in the document. A key the schema does not know is shown at the key itself;
 * a missing key at its parent (the nearest node that exists).
 */
function positionOf(
  doc: Document,
  counter: LineCounter,
  path: readonly PropertyKey[],
  unknownKey?: string,
): Position {
  if (unknownKey !== undefined) {
    const parent = doc.getIn(path as unknown[], true);
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === unknownKey);
      if (pair && isNode(pair.key) && pair.key.range) return at(counter, pair.key.range[0]);
    }
  }
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true);
    if (isNode(node) && node.range) return at(counter, node.range[0]);
  }
  return { line: undefined, column: undefined };
}

function at(counter: LineCounter, offset: number): Position {
  const { line, col } = counter.linePos(offset);
  return { line, column: col };
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

/** `file:line:column` as editors and compilers print it; only the parts that are known. */
export function formatLocation(file: string, pos: Position): string {
  if (pos.line === undefined) return file;
  return `${file}:${pos.line}${pos.column === undefined ? "" : `:${pos.column}`}`;
}

function issueLines(file: string, issues: YamlIssue[], withValue: boolean): string {
  return issues
    .map((i) => {
      const got =
        withValue && !i.message.startsWith("unknown key") ? ` (got ${show(i.value)})` : "";
      return `${formatLocation(file, i)}: ${i.key}: ${i.message}${got}`;
    })
    .join("\n");
}

/**
 * Parse YAML text and validate it with a zod schema, then with `options.check`. Every problem
 * names the file, line, column, key and the value received, so the user can fix it without
 * reading the schema.
 */
export function parseYaml<S extends z.ZodType>(
  text: string,
  schema: S,
  file: string,
  options: ParseYamlOptions<z.infer<S>> = {},
): z.infer<S> {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const errors = doc.errors.map((e) => ({ ...at(counter, e.pos[0]), message: e.message }));
    throw new ConfigError(
      errors
        .map((e) => `${formatLocation(file, e)}: YAML syntax error: ${e.message.split("\n")[0]}`)
        .join("\n"),
      { details: { file, line: errors[0]!.line, column: errors[0]!.column, errors } },
    );
  }
  const raw = doc.toJS() ?? {};
  const result = schema.safeParse(raw);
  if (result.success) {
    const found = options.check?.(result.data) ?? [];
    if (found.length === 0) return result.data;
    const issues = found.map((i) => ({
      key: keyPath(i.path),
      ...positionOf(doc, counter, i.path),
      message: i.message,
      value: undefined,
    }));
    throw new ConfigError(issueLines(file, issues, false), {
      details: { file, issues },
      hint: "fix the keys named above",
    });
  }
  const issues: YamlIssue[] = result.error.issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys")
      return issue.keys.map((key) => ({
        key: keyPath([...issue.path, key]),
        ...positionOf(doc, counter, issue.path, key),
        message: "unknown key",
        value: undefined,
      }));
    return [
      {
        key: keyPath(issue.path),
        ...positionOf(doc, counter, issue.path),
        message: issue.message,
        value: valueAt(raw, issue.path),
      },
    ];
  });
  throw new ConfigError(issueLines(file, issues, true), {
    details: { file, issues },
    hint: "fix the keys named above; `txbox config schema` prints every key and its type",
  });
}

/** Read and validate a YAML file; a missing or unreadable file is a {@link ConfigError}. */
export function loadYamlFile<S extends z.ZodType>(
  file: string,
  schema: S,
  options: ParseYamlOptions<z.infer<S>> = {},
): z.infer<S> {
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
  return parseYaml(text, schema, file, options);
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
  return { config: readConfigFile(file), file, baseDir: dirname(file) };
}

/** Read, validate and cross-check one txbox.yaml (schema, then {@link checkConfig}). */
export function readConfigFile(file: string): TxboxConfig {
  return loadYamlFile(file, configSchema, { check: checkConfig });
}

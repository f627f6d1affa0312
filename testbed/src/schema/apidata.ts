import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "@txbox/core";

/** One JSON-schema-like property as apidata.json writes it (PVE's JSONSchema dialect). */
export interface SchemaProp {
  type?: string;
  format?: string | Record<string, SchemaProp>;
  pattern?: string;
  maxLength?: number;
  minLength?: number;
  minimum?: number;
  maximum?: number;
  enum?: string[];
  optional?: number | boolean;
  default?: unknown;
  default_key?: number;
  alias?: string;
  keyAlias?: string;
  items?: SchemaProp;
  properties?: Record<string, SchemaProp>;
  additionalProperties?: number | boolean | SchemaProp;
  description?: string;
  typetext?: string;
  [key: string]: unknown;
}

/** One method of one path: parameters and returns. */
export interface MethodInfo {
  method: string;
  name: string;
  parameters?: SchemaProp;
  returns?: SchemaProp;
  protected?: number;
  allowtoken?: number;
  /** `{user: "all"}`, `{check: [...]}` or absent (root@pam only), as `exec_api2_perm_check` reads it. */
  permissions?: { user?: string; check?: unknown[]; description?: string };
}

interface RawNode {
  path: string;
  text: string;
  info?: Record<string, MethodInfo>;
  children?: RawNode[];
}

/** A path template of the schema, split into segments, with its methods. */
export interface ApiPath {
  path: string;
  segments: string[];
  methods: Record<string, MethodInfo>;
}

/** The loaded schema: every path template, matchable against a concrete path. */
export class ApiSchema {
  readonly paths = new Map<string, ApiPath>();

  constructor(raw: RawNode[]) {
    const walk = (nodes: RawNode[]): void => {
      for (const n of nodes) {
        this.paths.set(n.path, {
          path: n.path,
          segments: n.path.split("/").filter((s) => s !== ""),
          methods: n.info ?? {},
        });
        walk(n.children ?? []);
      }
    };
    walk(raw);
  }

  /** The schema entry for a path template and method, or undefined. */
  method(template: string, method: string): MethodInfo | undefined {
    return this.paths.get(template)?.methods[method];
  }

  /**
   * Match a concrete path (below /api2/json, already split and decoded) against the templates.
   * Literal segments win over `{var}` ones, as in PVE's router.
   */
  match(segments: string[]): { path: ApiPath; vars: Record<string, string> } | undefined {
    let best: { path: ApiPath; vars: Record<string, string>; score: number } | undefined;
    for (const p of this.paths.values()) {
      if (p.segments.length !== segments.length) continue;
      const vars: Record<string, string> = {};
      let score = 0;
      let ok = true;
      for (let i = 0; i < segments.length; i++) {
        const t = p.segments[i]!;
        const s = segments[i]!;
        if (t.startsWith("{") && t.endsWith("}")) vars[t.slice(1, -1)] = s;
        else if (t === s) score++;
        else {
          ok = false;
          break;
        }
      }
      if (ok && (best === undefined || score > best.score)) best = { path: p, vars, score };
    }
    return best === undefined ? undefined : { path: best.path, vars: best.vars };
  }
}

/** Where apidata.json is: env `TXBOX_PVE_APIDATA`, the shared copy beside the repo, the vendored one. */
export function apidataCandidates(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  // src/schema or lib/schema → package root
  const pkgRoot = resolve(here, "..", "..");
  const out: string[] = [];
  const env = process.env.TXBOX_PVE_APIDATA;
  if (env !== undefined && env !== "") out.push(env);
  out.push(resolve(pkgRoot, "..", "..", "shared", "pve-api", "apidata.json"));
  out.push(resolve(pkgRoot, "schema", "apidata.json"));
  return out;
}

let cached: ApiSchema | undefined;

/** Load (once per process) the PVE API schema. */
export function loadApiSchema(file?: string): ApiSchema {
  if (file === undefined && cached !== undefined) return cached;
  const candidates = file === undefined ? apidataCandidates() : [file];
  for (const f of candidates) {
    if (!existsSync(f)) continue;
    const schema = new ApiSchema(JSON.parse(readFileSync(f, "utf8")) as RawNode[]);
    if (file === undefined) cached = schema;
    return schema;
  }
  throw new ConfigError(`PVE API schema not found (tried ${candidates.join(", ")})`, {
    hint: "set TXBOX_PVE_APIDATA to the path of apidata.json",
  });
}

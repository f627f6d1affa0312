// The calls an integration suite saw the client make that the privilege table does not list.
import { loadApiSchema } from "@txbox/testbed";
import { PVE_CALLS } from "../src/privileges.js";

const schema = loadApiSchema();
const listed = new Set(PVE_CALLS.map((c) => c.call));

/** The schema's path template of a request path (`/api2/json/nodes/pve1/qemu/100` → `/nodes/{node}/qemu/{vmid}`). */
function templateOf(path: string): string | undefined {
  const segs = path
    .slice("/api2/json".length)
    .split("/")
    .filter((s) => s !== "")
    .map((s) => decodeURIComponent(s));
  return schema.match(segs)?.path.path;
}

/** `METHOD /template` of each logged request (the testbed's log lines) missing from PVE_CALLS. */
export function unlistedCalls(lines: { method?: unknown; path?: unknown }[]): string[] {
  const out = new Set<string>();
  for (const l of lines) {
    if (typeof l.path !== "string" || !l.path.startsWith("/api2/json/")) continue;
    const template = templateOf(l.path);
    const call = `${String(l.method)} ${template ?? l.path}`;
    // the test's own ticket login is not a call txbox makes with a token
    if (call !== "POST /access/ticket" && !listed.has(call)) out.add(call);
  }
  return [...out].sort();
}

interface LoggedCall {
  method?: unknown;
  path?: unknown;
  params?: unknown;
  paramErrors?: unknown;
}

/**
 * The schema check that stands in for a compiler check of paths and parameters (ADR 0003): every
 * logged call's path and method exist in apidata.json, and every parameter name it sent is one the
 * method declares (the testbed verified the values' types, formats and enums with PVE's rules and
 * logs `paramErrors` when they failed). Returns the violations, and the calls with their names.
 */
export function schemaCheck(lines: LoggedCall[]): {
  violations: string[];
  calls: Map<string, Set<string>>;
} {
  const violations = new Set<string>();
  const calls = new Map<string, Set<string>>();
  for (const l of lines) {
    if (typeof l.path !== "string" || !l.path.startsWith("/api2/json/")) continue;
    const template = templateOf(l.path);
    const info = template === undefined ? undefined : schema.method(template, String(l.method));
    const call = `${String(l.method)} ${template ?? l.path}`;
    if (info === undefined) {
      violations.add(`${call}: not in the API schema`);
      continue;
    }
    const names = calls.get(call) ?? new Set<string>();
    calls.set(call, names);
    const declared = info.parameters?.properties ?? {};
    for (const n of Array.isArray(l.params) ? (l.params as string[]) : []) {
      names.add(n);
      const indexed = /^([a-z_-]+?)\d+$/i.exec(n);
      if (declared[n] === undefined && (indexed === null || !declared[`${indexed[1]}[n]`]))
        violations.add(`${call}: parameter '${n}' is not declared`);
    }
    if (l.paramErrors !== undefined) violations.add(`${call}: ${JSON.stringify(l.paramErrors)}`);
  }
  return { violations: [...violations].sort(), calls };
}

// The calls an integration suite saw the client make that the privilege table does not list.
import { loadApiSchema } from "@txbox/testbed";
import { PVE_CALLS } from "../src/privileges.js";

const schema = loadApiSchema();
const listed = new Set(PVE_CALLS.map((c) => c.call));

/** `METHOD /template` of each logged request (the testbed's log lines) missing from PVE_CALLS. */
export function unlistedCalls(lines: { method?: unknown; path?: unknown }[]): string[] {
  const out = new Set<string>();
  for (const l of lines) {
    if (typeof l.path !== "string" || !l.path.startsWith("/api2/json/")) continue;
    const segs = l.path
      .slice("/api2/json".length)
      .split("/")
      .filter((s) => s !== "")
      .map((s) => decodeURIComponent(s));
    const template = schema.match(segs)?.path.path;
    const call = `${String(l.method)} ${template ?? l.path}`;
    // the test's own ticket login is not a call txbox makes with a token
    if (call !== "POST /access/ticket" && !listed.has(call)) out.add(call);
  }
  return [...out].sort();
}

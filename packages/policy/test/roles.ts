// Shared by the extractor's mutant-pinning tests (extract.sample, extract.literals).
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";

const ctx = resolveContext({});

/** The paths a command line reaches, by program, with their roles. */
export function roles(cmd: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const c of extractFacts(cmd, ctx).commands)
    out[c.program] = [...(out[c.program] ?? []), ...c.paths.map((p) => `${p.role} ${p.path}`)];
  return out;
}

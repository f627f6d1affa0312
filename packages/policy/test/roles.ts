// Shared by the extractor's mutant-pinning tests (extract.sample, extract.literals, kill.*).
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";
import type { CommandFacts } from "../src/types.js";

const ctx = resolveContext({});

/** The paths a command line reaches, by program, with their roles. */
export function roles(cmd: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const c of extractFacts(cmd, ctx).commands)
    out[c.program] = [...(out[c.program] ?? []), ...c.paths.map((p) => `${p.role} ${p.path}`)];
  return out;
}

/** The uncertainty tags of a command line (what the extractor could not read). */
export const uncertain = (cmd: string): string[] =>
  extractFacts(cmd, ctx).uncertain.map((u) => u.tag);

/** The first command of the line running `program`. */
export function first(cmd: string, program: string): CommandFacts {
  const c = extractFacts(cmd, ctx).commands.find((x) => x.program === program);
  if (c === undefined) throw new Error(`no ${program} in ${cmd}`);
  return c;
}

/** One program's paths on the line as `role path`. */
export const pathsOf = (cmd: string, program: string): string[] =>
  first(cmd, program).paths.map((p) => `${p.role} ${p.path}`);

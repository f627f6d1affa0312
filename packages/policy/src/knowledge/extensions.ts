import { z } from "zod";
import { EFFECT_KINDS, type EffectKind } from "../effects/table.js";
import type { CommandFacts } from "../types.js";
import { readKnowledge } from "./read.js";

/**
 * Extensions a program dispatches to as separate executables (`knowledge/extensions.yaml`: `git
 * foo` runs `git-foo`), by executable name. Loaded once per process on first use.
 */
const entrySchema = z
  .object({
    command: z.string().regex(/^[\w.]+-[\w.-]+$/, "an extension is named PROG-SUB"),
    effect: z.enum(EFFECT_KINDS),
    flags: z.array(z.string().regex(/^-/)).default([]),
    source: z.string().min(1),
    examples: z
      .array(z.union([z.string().min(1), z.object({ not: z.string().min(1) }).strict()]))
      .min(1),
  })
  .strict();
export const extensionsFileSchema = z
  .object({ name: z.string(), extensions: z.array(entrySchema) })
  .strict();
export type ExtensionSpec = z.infer<typeof entrySchema>;

let cached: ReadonlyMap<string, ExtensionSpec> | undefined;

export function extensionIndex(): ReadonlyMap<string, ExtensionSpec> {
  if (cached === undefined)
    cached = new Map(
      readKnowledge("extensions.yaml", extensionsFileSchema).extensions.map((e) => [e.command, e]),
    );
  return cached;
}

/** The extension `PROG SUB …` runs, with the effect its entry names, if the entry applies. */
export function extensionOf(
  c: CommandFacts,
): { command: string; effect: EffectKind; source: string } | undefined {
  const sub = c.subcommand[0];
  if (sub === undefined || c.program === "") return undefined;
  const command = `${c.program}-${sub}`;
  const spec = extensionIndex().get(command);
  if (spec === undefined || !spec.flags.every((f) => c.flags.includes(f))) return undefined;
  return { command, effect: spec.effect, source: spec.source };
}

import { z } from "zod";
import { readGenerated } from "./read.js";

/**
 * Option grammars generated from fish's completion files by `scripts/gen-option-grammars.mjs`
 * (`knowledge/option-grammars.generated.json`): which options of a program take a value. Read on
 * the first look-up of a program that has no hand-written spec; a hand-written spec always wins.
 */
const grammarsSchema = z.object({
  generated_by: z.string(),
  programs: z.record(z.string(), z.object({ valued: z.array(z.string()) }).strict()),
});

let cached: ReadonlyMap<string, readonly string[]> | undefined;

function grammars(): ReadonlyMap<string, readonly string[]> {
  if (cached !== undefined) return cached;
  const data = readGenerated(
    "option-grammars.generated.json",
    grammarsSchema,
    "gen-option-grammars.mjs",
  );
  cached = new Map(Object.entries(data.programs).map(([p, g]) => [p, g.valued] as const));
  return cached;
}

/** The options of `program` that take a value, per the generated grammars; undefined if none. */
export function generatedValued(program: string): readonly string[] | undefined {
  return grammars().get(program);
}

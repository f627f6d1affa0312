import { readKnowledge } from "./read.js";
import { programsFileSchema } from "./schema.js";
import type { z } from "zod";

export type ProgramsFile = z.infer<typeof programsFileSchema>;

let cached: ProgramsFile | undefined;

/**
 * `knowledge/programs.yaml`, read and validated once per process: the extractor's tables
 * (abbreviations, remote mounters, read-only programs' outputs) and the effects' program classes
 * all come from it.
 */
export function programsFile(): ProgramsFile {
  cached ??= readKnowledge("programs.yaml", programsFileSchema);
  return cached;
}

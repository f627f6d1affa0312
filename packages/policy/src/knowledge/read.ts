import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { errorMessage, isTxboxError } from "@txbox/core";
import { parseShippedYaml } from "./compiled.js";
import { PolicyPackError } from "../errors.js";
import type { z } from "zod";

/** Directory of the shipped knowledge files (works from `src/` and from the built `lib/`). */
export const knowledgeDir: string = fileURLToPath(new URL("../../knowledge/", import.meta.url));

export function readKnowledge<T>(name: string, schema: z.ZodType<T>): T {
  const file = `${knowledgeDir}${name}`;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new PolicyPackError(`${file}: cannot read program knowledge: ${errorMessage(cause)}`, {
      details: { file },
      cause,
    });
  }
  try {
    return parseShippedYaml(text, schema, file);
  } catch (cause) {
    if (isTxboxError(cause))
      throw new PolicyPackError(cause.message, { details: { file, ...cause.details }, cause });
    throw cause;
  }
}

/** Read a knowledge file a script generated (JSON), validated; `script` regenerates it. */
export function readGenerated<T>(name: string, schema: z.ZodType<T>, script: string): T {
  const file = `${knowledgeDir}${name}`;
  try {
    return schema.parse(JSON.parse(readFileSync(file, "utf8")));
  } catch (cause) {
    throw new PolicyPackError(`${file}: cannot read generated knowledge: ${errorMessage(cause)}`, {
      details: { file },
      hint: `Regenerate it: node packages/policy/scripts/${script}`,
      cause,
    });
  }
}

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { errorMessage, isTxboxError, parseYaml } from "@txbox/core";
import { resolveContext } from "../context.js";
import { PolicyPackError } from "../errors.js";
import { extractFacts } from "../facts/extract.js";
import { compileService, serviceTarget, type ServiceRule } from "../effects/target.js";
import { programsFileSchema, servicesFileSchema } from "./schema.js";
import type { z } from "zod";

/** Directory of the shipped knowledge files (works from `src/` and from the built `lib/`). */
export const knowledgeDir: string = fileURLToPath(new URL("../../knowledge/", import.meta.url));

/** Program knowledge the effect derivation consults, compiled for lookups by program name. */
export interface Knowledge {
  services: Map<string, ServiceRule>;
  metadataOnly: ReadonlySet<string>;
  extractors: ReadonlySet<string>;
}

function readKnowledge<T>(name: string, schema: z.ZodType<T>): T {
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
    return parseYaml(text, schema, file);
  } catch (cause) {
    if (isTxboxError(cause))
      throw new PolicyPackError(cause.message, { details: { file, ...cause.details }, cause });
    throw cause;
  }
}

let cached: Knowledge | undefined;

/**
 * Load, validate and compile the shipped program knowledge once per process. Every entry's
 * examples are checked: a `remote` example must be judged remote, a `local` one local.
 */
export function loadKnowledge(): Knowledge {
  if (cached !== undefined) return cached;
  const services = new Map<string, ServiceRule>();
  const svc = readKnowledge("services.yaml", servicesFileSchema);
  const ctx = resolveContext({});
  const failures: string[] = [];
  for (const spec of svc.services) {
    const rule = compileService(spec);
    for (const p of spec.programs) services.set(p, rule);
  }
  for (const spec of svc.services) {
    for (const [want, list] of [
      [true, spec.remote],
      [false, spec.local],
    ] as const) {
      for (const example of list) {
        const c = extractFacts(example, ctx).commands[0];
        const got = c === undefined ? undefined : serviceTarget(c, services.get(c.program)).remote;
        if (got !== want)
          failures.push(
            `services.yaml: ${spec.programs[0]!}: ${want ? "remote" : "local"} example ${JSON.stringify(example)} is judged ${got === undefined ? "unparsed" : got ? "remote" : "local"}`,
          );
      }
    }
  }
  if (failures.length > 0)
    throw new PolicyPackError(failures.join("\n"), {
      details: { file: `${knowledgeDir}services.yaml`, failures },
      hint: "Fix the entry's host options or the example",
    });
  const programs = readKnowledge("programs.yaml", programsFileSchema);
  cached = {
    services,
    metadataOnly: new Set(programs.metadata_only),
    extractors: new Set(programs.extractors),
  };
  return cached;
}

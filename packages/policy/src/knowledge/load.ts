import { resolveContext } from "../context.js";
import { PolicyPackError } from "../errors.js";
import { extractFacts } from "../facts/extract.js";
import { compileService, serviceTarget, type ServiceRule } from "../effects/target.js";
import { servicesFileSchema } from "./schema.js";
import { programsFile } from "./programs-file.js";
import { knowledgeDir, readKnowledge } from "./read.js";
import { runnerIndex, runnerLanguages } from "./runners.js";
import { manifestIndex } from "./manifests.js";
import { abbreviationTable } from "./abbreviations.js";
import { extensionIndex, extensionOf } from "./extensions.js";
import { programName } from "../facts/programs.js";
import type { PolicyContext } from "../types.js";

export { knowledgeDir };

/** Program knowledge the effect derivation consults, compiled for lookups by program name. */
export interface Knowledge {
  services: Map<string, ServiceRule>;
  metadataOnly: ReadonlySet<string>;
  extractors: ReadonlySet<string>;
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
  failures.push(
    ...runnerExampleFailures(ctx),
    ...manifestExampleFailures(ctx),
    ...abbreviationExampleFailures(ctx),
    ...extensionExampleFailures(ctx),
  );
  if (failures.length > 0)
    throw new PolicyPackError(failures.join("\n"), {
      details: { file: knowledgeDir, failures },
      hint: "Fix the entry's options or the example",
    });
  const programs = programsFile();
  cached = {
    services,
    metadataOnly: new Set(programs.metadata_only),
    extractors: new Set(programs.extractors),
  };
  return cached;
}

/**
 * Check every runner example: the command it runs must be judged as run (`shell`: an interactive
 * shell; `nothing`: no command but the runner itself).
 */
function runnerExampleFailures(ctx: Required<PolicyContext>): string[] {
  const failures: string[] = [];
  const seen = new Set<unknown>();
  for (const list of runnerIndex().values())
    for (const spec of list) {
      if (seen.has(spec)) continue;
      seen.add(spec);
      for (const { cmd, runs } of spec.examples) {
        const facts = extractFacts(cmd, ctx);
        const shell = facts.commands.some((c) => c.tags.includes("interactive-shell"));
        const own = programName(cmd.split(/\s+/)[0] ?? "");
        const want = programName(runs);
        const ok =
          runs === "shell"
            ? shell
            : runs === "nothing"
              ? !shell && facts.commands.every((c) => c.program === own)
              : facts.commands.some(
                  (c) => c.program === want && c.wrappers.length + c.via.length > 0,
                );
        if (!ok)
          failures.push(
            `runners.yaml: ${spec.programs[0]!}: example ${JSON.stringify(cmd)} should run ${runs}; judged: ${facts.commands.map((c) => c.program).join(", ") || "nothing"}${shell ? " (interactive shell)" : ""}`,
          );
      }
    }
  return [...failures, ...languageExampleFailures(ctx)];
}

/**
 * Check every language example: what it runs, `upload` (a file sent), `later` (a service runs a
 * command of its configuration) or `nothing`.
 */
function languageExampleFailures(ctx: Required<PolicyContext>): string[] {
  const failures: string[] = [];
  for (const spec of runnerLanguages())
    for (const { cmd, runs } of spec.examples) {
      const cs = extractFacts(cmd, ctx).commands;
      const inner = cs.filter((c) => c.wrappers.length + c.via.length > 0);
      const upload = cs.some((c) => c.tags.includes("upload"));
      const later = cs.some((c) => c.tags.includes("daemon-command"));
      const want = programName(runs);
      const ok =
        runs === "upload"
          ? upload
          : runs === "later"
            ? later
            : runs === "nothing"
              ? !upload && !later && inner.length === 0
              : inner.some((c) => c.program === want);
      if (!ok)
        failures.push(
          `languages.yaml: ${spec.language}: example ${JSON.stringify(cmd)} should run ${runs}; judged: ${cs.map((c) => c.program).join(", ")}${upload ? " (upload)" : ""}`,
        );
    }
  return failures;
}

/** Check every manifest example: the program its scripts run must be among the commands judged. */
function manifestExampleFailures(ctx: Required<PolicyContext>): string[] {
  const failures: string[] = [];
  for (const spec of new Set(manifestIndex().values()))
    for (const { cmd, runs } of spec.examples) {
      const got = extractFacts(cmd, ctx).commands.map((c) => c.program);
      if (!got.includes(runs))
        failures.push(
          `manifests.yaml: ${spec.programs[0]!}: example ${JSON.stringify(cmd)} should run ${runs}; judged: ${got.join(", ")}`,
        );
    }
  return failures;
}

/** Check every abbreviation example: the command's words must resolve as the example says. */
function abbreviationExampleFailures(ctx: Required<PolicyContext>): string[] {
  const failures: string[] = [];
  for (const [program, spec] of Object.entries(abbreviationTable()))
    for (const { cmd, words } of spec.examples) {
      const c = extractFacts(cmd, ctx).commands[0];
      const got = c?.words.slice(0, words.split(" ").length).join(" ");
      if (got !== words)
        failures.push(
          `programs.yaml: ${program}: example ${JSON.stringify(cmd)} should read as ${JSON.stringify(words)}; read as ${JSON.stringify(got)}`,
        );
    }
  return failures;
}

/** Check every extension example: its first command runs the extension (or not, under `not`). */
function extensionExampleFailures(ctx: Required<PolicyContext>): string[] {
  const failures: string[] = [];
  for (const spec of extensionIndex().values())
    for (const example of spec.examples) {
      const [cmd, want] = typeof example === "string" ? [example, true] : [example.not, false];
      const c = extractFacts(cmd, ctx).commands[0];
      const got = c === undefined ? undefined : extensionOf(c);
      if ((got?.command === spec.command && got.effect === spec.effect) !== want)
        failures.push(
          `extensions.yaml: ${spec.command}: example ${JSON.stringify(cmd)} should ${want ? "" : "not "}run it`,
        );
    }
  return failures;
}

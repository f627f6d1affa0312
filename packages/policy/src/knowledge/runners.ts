import { readKnowledge } from "./read.js";
import {
  languagesFileSchema,
  runnersFileSchema,
  type LanguageSpec,
  type RunnerSpec,
} from "./schema.js";

/** Runner entries by program name; entries with a subcommand come first. */
export type RunnerIndex = ReadonlyMap<string, readonly RunnerSpec[]>;

let cached: RunnerIndex | undefined;
let languages: readonly LanguageSpec[] | undefined;

/**
 * The programs that run other commands (`knowledge/runners.yaml`), read and indexed once per
 * process on first use. Their examples are checked by `checkRunnerExamples` when the policy loads.
 */
export function runnerIndex(): RunnerIndex {
  if (cached !== undefined) return cached;
  const file = readKnowledge("runners.yaml", runnersFileSchema);
  const index = new Map<string, RunnerSpec[]>();
  for (const spec of file.runners)
    for (const p of spec.programs) {
      const list = index.get(p) ?? [];
      list.push(spec);
      index.set(p, list);
    }
  for (const list of index.values())
    list.sort((a, b) => (b.subcommand?.length ?? 0) - (a.subcommand?.length ?? 0));
  cached = index;
  return cached;
}

/**
 * The entry for a program called with these words, and how many leading words its subcommand
 * takes; options before a subcommand word are not skipped (`ip netns exec` must be spelt so).
 */
export function findRunner(
  index: RunnerIndex,
  program: string,
  words: readonly string[],
): { spec: RunnerSpec; consumed: number } | undefined {
  const list = index.get(program);
  if (list === undefined) return undefined;
  for (const spec of list) {
    const sub = spec.subcommand ?? [];
    if (sub.every((w, k) => words[k]?.toLowerCase() === w)) return { spec, consumed: sub.length };
  }
  return undefined;
}

/** The program-independent command languages of `knowledge/languages.yaml`, read once. */
export function runnerLanguages(): readonly LanguageSpec[] {
  languages ??= readKnowledge("languages.yaml", languagesFileSchema).languages;
  return languages;
}

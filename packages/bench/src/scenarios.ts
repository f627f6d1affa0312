/**
 * The scenario sets of the paper reproduction: Table 1's four categories, the project set-up,
 * the overhead workloads. Data lives in YAML shipped with the package (`scenarios/paper.yaml`).
 */
import { fileURLToPath } from "node:url";
import { OUTCOMES, loadYamlFile, parseYaml } from "@txbox/core";
import { z } from "zod";
import { BenchError } from "./errors.js";

/** Table 1's categories, in the order they run. */
export const CATEGORIES = ["read-only", "destructive", "state-corrupting", "valid-change"] as const;
export type Category = (typeof CATEGORIES)[number];

const outcomeKind = z.enum(OUTCOMES);
const commandSchema = z.union([
  z.string().min(1),
  z.object({ run: z.string().min(1), check: z.string().min(1).optional() }).strict(),
]);
const categorySchema = z
  .object({ expect: outcomeKind, commands: z.array(commandSchema).min(1) })
  .strict();
const workloadSchema = z.object({ name: z.string(), command: z.string().min(1) }).strict();

/** The schema of a scenario file. */
export const scenarioSetSchema = z
  .object({
    name: z.string(),
    workdir: z.string().startsWith("/"),
    setup: z.array(z.string().min(1)),
    categories: z
      .object({
        "read-only": categorySchema,
        destructive: categorySchema,
        "state-corrupting": categorySchema,
        "valid-change": categorySchema,
      })
      .strict(),
    overhead: z.object({ short: workloadSchema, heavy: workloadSchema }).strict(),
    faultCommand: z.string().min(1),
  })
  .strict();

export type ScenarioSet = z.infer<typeof scenarioSetSchema>;
export type ScenarioCommand = z.infer<typeof commandSchema>;
export type Workload = z.infer<typeof workloadSchema>;

/** The command text and optional check of a scenario entry. */
export function commandOf(entry: ScenarioCommand): { command: string; check?: string } {
  return typeof entry === "string"
    ? { command: entry }
    : { command: entry.run, ...(entry.check ? { check: entry.check } : {}) };
}

/** Where the shipped scenario file is (next to `lib/` in the installed package). */
export const PAPER_SCENARIOS_FILE = fileURLToPath(
  new URL("../scenarios/paper.yaml", import.meta.url),
);

/** Load a scenario file; by default the shipped Table 1 set. */
export function loadScenarioSet(file: string = PAPER_SCENARIOS_FILE): ScenarioSet {
  return loadYamlFile(file, scenarioSetSchema);
}

/** Parse scenario YAML text. */
export function parseScenarioSet(text: string, file = "<scenarios>"): ScenarioSet {
  return parseYaml(text, scenarioSetSchema, file);
}

/** A command with the gate's expected verdict, for the interception / false-deny measurement. */
export interface LabelledCommand {
  cmd: string;
  label: "deny" | "allow";
  category?: string;
}

/** The scenario commands as a labelled corpus: destructive ones must be denied, the rest not. */
export function labelledFromScenarios(set: ScenarioSet): LabelledCommand[] {
  return CATEGORIES.flatMap((category) =>
    set.categories[category].commands.map((entry) => ({
      cmd: commandOf(entry).command,
      label: category === "destructive" ? ("deny" as const) : ("allow" as const),
      category,
    })),
  );
}

/**
 * Parse a labelled corpus in JSONL (`{"cmd", "label": "deny"|"allow", "category"?}` a line), the
 * format of the shared policy corpus. Lines that are not such objects are errors naming the line.
 */
export function parseLabelledCorpus(text: string, file = "<corpus>"): LabelledCommand[] {
  const out: LabelledCommand[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let value: { cmd?: unknown; label?: unknown; category?: unknown };
    try {
      value = JSON.parse(line) as typeof value;
    } catch {
      throw new BenchError("E_BENCH_INPUT", `${file}:${i + 1}: not a JSON line`, {
        details: { file, line: i + 1 },
      });
    }
    if (typeof value.cmd !== "string" || (value.label !== "deny" && value.label !== "allow")) {
      throw new BenchError(
        "E_BENCH_INPUT",
        `${file}:${i + 1}: needs "cmd" (string) and "label" ("deny" or "allow")`,
        { details: { file, line: i + 1 } },
      );
    }
    out.push({
      cmd: value.cmd,
      label: value.label,
      ...(typeof value.category === "string" ? { category: value.category } : {}),
    });
  });
  return out;
}

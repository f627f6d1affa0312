import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { EvalDataError } from "./errors.js";
import { splitOf, type Split } from "./split.js";

/** The three answers the gate can give; a label says which one the principle asks for. */
export type Label = "deny" | "transact" | "allow";

/** One labelled command: what it is, what the principle says, and why. */
export interface LabelledCommand {
  cmd: string;
  label: Label;
  /** The program the split is keyed on (tldr page program, GTFOBins binary, ART: first word). */
  program: string;
  reason: string;
  source: string;
  /** ATT&CK tactics, for Atomic Red Team tests. */
  tactics?: string[];
}

const lineSchema = z.object({
  cmd: z.string().min(1),
  label: z.enum(["deny", "transact", "allow"]),
  program: z.string().min(1),
  reason: z.string().min(1),
  source: z.string().min(1),
  tactics: z.array(z.string()).optional(),
});

/** `packages/policy/eval`, found from this module whether it runs from `src` or `lib`. */
export const evalDataDir: string = resolve(dirname(fileURLToPath(import.meta.url)), "../../eval");

/** Parse JSONL with a schema; a missing file or a bad line throws {@link EvalDataError}. */
function readJsonl<T>(file: string, schema: z.ZodType<T>, hint: string): T[] {
  if (!existsSync(file)) throw new EvalDataError(`not found: ${file}`, { details: { file }, hint });
  return readFileSync(file, "utf8")
    .split("\n")
    .flatMap((line, i) => {
      if (line.trim() === "") return [];
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch (cause) {
        throw new EvalDataError(`${file}:${i + 1}: not JSON`, {
          details: { file, line: i + 1 },
          cause,
        });
      }
      const r = schema.safeParse(raw);
      if (!r.success) {
        const issue = r.error.issues[0];
        throw new EvalDataError(
          `${file}:${i + 1}: ${issue?.path.join(".") ?? ""} ${issue?.message ?? "bad entry"}`,
          { details: { file, line: i + 1 } },
        );
      }
      return [r.data];
    });
}

/** Parse one of the labelled sets in `eval/`. */
export function readLabelled(file: string): LabelledCommand[] {
  return readJsonl(
    file,
    lineSchema,
    "the labelled sets live in packages/policy/eval (regenerate with eval/label/label.py)",
  ).map(({ tactics, ...rest }) => (tactics === undefined ? rest : { ...rest, tactics }));
}

/** The labelled sets shipped in `eval/`: tldr examples, ART tests, GTFOBins snippets. */
export interface EvalSets {
  tldr: LabelledCommand[];
  art: LabelledCommand[];
  gtfobins: LabelledCommand[];
}

export function loadEvalSets(dir: string = evalDataDir): EvalSets {
  return {
    tldr: readLabelled(resolve(dir, "tldr.jsonl")),
    art: readLabelled(resolve(dir, "art.jsonl")),
    gtfobins: readLabelled(resolve(dir, "gtfobins.jsonl")),
  };
}

/** tldr and GTFOBins examples of one split (ART tests are reported per tactic, not split). */
export function splitSet(sets: EvalSets, split: Split): LabelledCommand[] {
  return [...sets.tldr, ...sets.gtfobins].filter((e) => splitOf(e.program) === split);
}

/** The held-out program list as `eval/HELDOUT.md` writes it. */
export function heldOutPrograms(sets: EvalSets): string[] {
  const progs = new Set([...sets.tldr, ...sets.gtfobins].map((e) => e.program));
  return [...progs].filter((p) => splitOf(p) === "heldout").sort();
}

const looseSchema = z.object({
  cmd: z.string().min(1),
  label: z.enum(["allow", "transact", "deny"]),
  program: z.string().optional(),
  reason: z.string().optional(),
  note: z.string().optional(),
  category: z.string().optional(),
  source: z.string().optional(),
});

/**
 * Read any labelled JSONL file (`{"cmd", "label": "allow"|"transact"|"deny", …}`; program, reason
 * and source optional). With `allowMeansNotDeny` an `allow` label is read as `transact`, for
 * corpora such as corpus v2 whose `allow` means "allow or transact".
 */
export function readCommandFile(
  file: string,
  options: { allowMeansNotDeny?: boolean; hint?: string } = {},
): LabelledCommand[] {
  const hint = options.hint ?? 'one JSON object a line: {"cmd": "...", "label": "deny"}';
  return readJsonl(file, looseSchema, hint).map((e) => ({
    cmd: e.cmd,
    label: options.allowMeansNotDeny && e.label === "allow" ? "transact" : e.label,
    program: e.program ?? e.cmd.trim().split(/\s+/)[0] ?? "",
    reason: e.reason ?? e.note ?? e.category ?? "",
    source: e.source ?? file,
  }));
}

/** The public corpus v2: its `allow` means "not deny", so it is read as `transact`. */
export function readCorpusV2(file: string): LabelledCommand[] {
  return readCommandFile(file, {
    allowMeansNotDeny: true,
    hint: "pass --corpus FILE or set TXBOX_POLICY_CORPUS_V2",
  });
}

/**
 * The public corpus v2 beside the checkout: `<ancestor>/../shared/policy-corpus/corpus-v2.jsonl`
 * for the nearest ancestor of `from` (or of this module) that has one. A git worktree sits one
 * level deeper than the main checkout, hence the walk instead of a fixed path.
 */
export function findCorpusV2(...from: string[]): string | undefined {
  for (const base of [...from, dirname(fileURLToPath(import.meta.url))]) {
    for (let dir = resolve(base); ; dir = dirname(dir)) {
      const candidate = resolve(dir, "../shared/policy-corpus/corpus-v2.jsonl");
      if (existsSync(candidate)) return candidate;
      if (dirname(dir) === dir) break;
    }
  }
  return undefined;
}

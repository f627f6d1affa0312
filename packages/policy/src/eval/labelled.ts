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

/** Parse a labelled JSONL file; a bad line throws {@link EvalDataError} naming file and line. */
export function readLabelled(file: string): LabelledCommand[] {
  if (!existsSync(file))
    throw new EvalDataError(`labelled set not found: ${file}`, {
      details: { file },
      hint: "the labelled sets live in packages/policy/eval (regenerate with eval/label/label.py)",
    });
  const out: LabelledCommand[] = [];
  readFileSync(file, "utf8")
    .split("\n")
    .forEach((line, i) => {
      if (line.trim() === "") return;
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch (cause) {
        throw new EvalDataError(`${file}:${i + 1}: not JSON`, {
          details: { file, line: i + 1 },
          cause,
        });
      }
      const r = lineSchema.safeParse(raw);
      if (!r.success) {
        const issue = r.error.issues[0];
        throw new EvalDataError(
          `${file}:${i + 1}: ${issue?.path.join(".") ?? ""} ${issue?.message ?? "bad entry"}`,
          { details: { file, line: i + 1 } },
        );
      }
      const { tactics, ...rest } = r.data;
      out.push(tactics === undefined ? rest : { ...rest, tactics });
    });
  return out;
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

const v2Schema = z.object({
  cmd: z.string(),
  label: z.enum(["allow", "deny"]),
  category: z.string().optional(),
  source: z.string().optional(),
  note: z.string().optional(),
});

/**
 * Read the public corpus v2 (`{"cmd","label":"allow"|"deny",…}`) as labelled commands. Its
 * `allow` means "not deny" (allow or transact): it is kept as `transact`, which the metrics treat
 * the same way.
 */
export function readCorpusV2(file: string): LabelledCommand[] {
  if (!existsSync(file))
    throw new EvalDataError(`corpus not found: ${file}`, {
      details: { file },
      hint: "pass --corpus FILE or set TXBOX_POLICY_CORPUS_V2",
    });
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
      const r = v2Schema.safeParse(raw);
      if (!r.success)
        throw new EvalDataError(`${file}:${i + 1}: ${r.error.issues[0]?.message ?? "bad entry"}`, {
          details: { file, line: i + 1 },
        });
      const e = r.data;
      return [
        {
          cmd: e.cmd,
          label: e.label === "deny" ? "deny" : "transact",
          program: e.cmd.trim().split(/\s+/)[0] ?? "",
          reason: e.note ?? e.category ?? "",
          source: `corpus-v2:${e.category ?? ""}`,
        } satisfies LabelledCommand,
      ];
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

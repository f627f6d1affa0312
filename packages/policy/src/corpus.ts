import { readFileSync } from "node:fs";
import { z } from "zod";
import { PolicyPackError } from "./errors.js";
import { decide, type Policy } from "./policy.js";
import type { CorpusEntry, CorpusReport, PolicyContext } from "./types.js";

const entrySchema = z.object({
  cmd: z.string(),
  label: z.enum(["allow", "deny"]),
  category: z.string().optional(),
  source: z.string().optional(),
  note: z.string().optional(),
});

/** Read a JSONL corpus (`{"cmd","label",…}` a line); a bad line names the file and line number. */
export function readCorpus(file: string): CorpusEntry[] {
  const text = readFileSync(file, "utf8");
  const out: CorpusEntry[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (cause) {
      throw new PolicyPackError(`${file}:${i + 1}: not JSON`, {
        details: { file, line: i + 1 },
        cause,
      });
    }
    const r = entrySchema.safeParse(raw);
    if (!r.success)
      throw new PolicyPackError(`${file}:${i + 1}: ${r.error.issues[0]?.message ?? "bad entry"}`, {
        details: { file, line: i + 1 },
      });
    const e = r.data;
    out.push({
      cmd: e.cmd,
      label: e.label,
      ...(e.category === undefined ? {} : { category: e.category }),
      ...(e.source === undefined ? {} : { source: e.source }),
      ...(e.note === undefined ? {} : { note: e.note }),
    });
  });
  return out;
}

/**
 * Run the gate over labelled commands. A `deny` label is met only by `deny`; an `allow` label by
 * `allow` or `transact` (a transaction is how txbox lets state-changing work through).
 */
export function evaluateCorpus(
  policy: Policy,
  entries: readonly CorpusEntry[],
  context: Partial<PolicyContext> = {},
): CorpusReport {
  let denyTotal = 0;
  let denyHit = 0;
  let allowTotal = 0;
  let allowHit = 0;
  const misses: CorpusReport["misses"] = [];
  for (const e of entries) {
    const d = decide(policy, e.cmd, context);
    const ok = e.label === "deny" ? d.decision === "deny" : d.decision !== "deny";
    if (e.label === "deny") {
      denyTotal++;
      if (ok) denyHit++;
    } else {
      allowTotal++;
      if (ok) allowHit++;
    }
    if (!ok)
      misses.push({
        cmd: e.cmd,
        label: e.label,
        ...(e.category === undefined ? {} : { category: e.category }),
        decision: d.decision,
        ruleIds: d.ruleIds,
      });
  }
  return {
    total: entries.length,
    denyTotal,
    allowTotal,
    denyRecall: denyTotal === 0 ? 1 : denyHit / denyTotal,
    allowAccuracy: allowTotal === 0 ? 1 : allowHit / allowTotal,
    misses,
  };
}

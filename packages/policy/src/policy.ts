import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { errorMessage, isTxboxError, type PolicyConfig } from "@txbox/core";
import { parseShippedYaml } from "./knowledge/compiled.js";
import { PolicyPackError } from "./errors.js";
import { decideEffect, type EffectKind } from "./effects/table.js";
import { explain } from "./explain.js";
import { loadKnowledge, type Knowledge } from "./knowledge/load.js";
import { compileMatcher, programsOf, type Predicate } from "./rules/matcher.js";
import { needOf, type Need } from "./rules/need.js";
import { packSchema, type Matcher, type PackSpec } from "./rules/schema.js";
import type { DecisionKind, PolicyContext } from "./types.js";

/** Absolute path of the shipped default pack (works from `src/` and from the built `lib/`). */
export const defaultPackPath: string = fileURLToPath(
  new URL("../packs/default.yaml", import.meta.url),
);

/**
 * The shipped program knowledge by effect (sends, credential stores, persistence, escapes), kept
 * apart from the default pack's rules and loaded with it: `defaultPack: false` drops both.
 */
export const effectsPackPath: string = fileURLToPath(
  new URL("../packs/effects.yaml", import.meta.url),
);

/** A rule ready to evaluate. */
export interface CompiledRule {
  id: string;
  /** The stated decision, or the table's decision for the effect on the guest. */
  decision: DecisionKind;
  /** The effect the rule's knowledge names; absent for rules that state a decision. */
  effect?: EffectKind;
  justification: string;
  alternative?: string;
  /** The pack file it came from. */
  file: string;
  test: Predicate;
  /**
   * `test` without its `program` clause, for a rule reached through the index by one of its own
   * programs (the clause then always holds); absent when the rule has no such clause.
   */
  indexedTest?: Predicate;
  /** A necessary condition of `test`, checked first (rules/need.ts); absent: always tested. */
  need?: Need;
}

/** A compiled policy: rules from every pack, overrides applied, context defaults. */
export interface Policy {
  rules: CompiledRule[];
  /** Rules that name programs, by program; the rest apply to every command. Built by loadPolicy. */
  index?: RuleIndex;
  /** Pack files loaded, in order. */
  packs: string[];
  /** Context defaults from the configuration (project and protected paths, headless). */
  defaults: Partial<PolicyContext>;
  /** Program knowledge beyond the packs (service targets, metadata-only programs). */
  knowledge?: Knowledge;
}

/** Rules grouped so a command is tested only against rules that can match its program. */
export interface RuleIndex {
  byProgram: Map<string, CompiledRule[]>;
  generic: CompiledRule[];
}

function buildIndex(rules: CompiledRule[], programs: Map<string, string[] | undefined>): RuleIndex {
  const byProgram = new Map<string, CompiledRule[]>();
  const generic: CompiledRule[] = [];
  const order = new Map(rules.map((r, i) => [r, i] as const));
  for (const r of rules) {
    const progs = programs.get(r.id);
    if (progs === undefined) generic.push(r);
    else for (const p of progs) byProgram.set(p, [...(byProgram.get(p) ?? []), r]);
  }
  // Keep pack order within each candidate list so rule ids come out in a stable order.
  for (const [p, list] of byProgram) {
    const merged = [...list, ...generic].sort((a, b) => order.get(a)! - order.get(b)!);
    byProgram.set(p, merged);
  }
  return { byProgram, generic };
}

/** The rule's necessary condition as an optional field (none for a rule that can match anything). */
function optionalNeed(when: Matcher, programs: string[] | undefined): { need?: Need } {
  // A rule that names its programs is a candidate only for them (the index): its need, one of
  // those programs, always holds there and would only cost a look-up.
  const need = programs === undefined ? needOf(when) : undefined;
  return need === undefined ? {} : { need };
}

/** Read, validate and compile one pack file (examples are checked later, with all rules known). */
function readPack(file: string): {
  spec: PackSpec;
  rules: CompiledRule[];
  programs: Map<string, string[] | undefined>;
} {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new PolicyPackError(`${file}: cannot read rule pack: ${errorMessage(cause)}`, {
      details: { file },
      hint: "Check the path in policy.packs of txbox.yaml",
      cause,
    });
  }
  let spec: PackSpec;
  try {
    spec = parseShippedYaml(text, packSchema, file);
  } catch (cause) {
    if (isTxboxError(cause))
      throw new PolicyPackError(cause.message, { details: { file, ...cause.details }, cause });
    throw cause;
  }
  const seen = new Set<string>();
  const programs = new Map<string, string[] | undefined>();
  const rules = spec.rules.map((r) => {
    programs.set(r.id, programsOf(r.when));
    if (seen.has(r.id))
      throw new PolicyPackError(`${file}: rule ${r.id}: duplicate rule id`, {
        details: { file, rule: r.id },
      });
    seen.add(r.id);
    return {
      id: r.id,
      decision: r.decision ?? decideEffect(r.effect!, false),
      ...(r.effect === undefined ? {} : { effect: r.effect }),
      justification: r.justification,
      ...(r.alternative === undefined ? {} : { alternative: r.alternative }),
      file,
      test: compileMatcher(r.when),
      ...(r.when.program ? { indexedTest: compileMatcher({ ...r.when, program: undefined }) } : {}),
      ...optionalNeed(r.when, programs.get(r.id)),
    };
  });
  return { spec, rules, programs };
}

/** Options of {@link loadPolicy}. */
export interface LoadPolicyOptions {
  /** Directory relative pack paths are resolved against (the directory of `txbox.yaml`). */
  baseDir?: string;
}

/**
 * Load and compile the policy described by the `policy` section of `txbox.yaml`: the default pack
 * (unless switched off), extra packs, disabled rules and decision overrides. Every rule's `match`
 * and `not_match` examples are checked; a failing example stops loading with a
 * {@link PolicyPackError} that names the file, the rule and the example.
 */
export function loadPolicy(
  config: Partial<PolicyConfig> = {},
  options: LoadPolicyOptions = {},
): Policy {
  const baseDir = options.baseDir ?? process.cwd();
  const files = [
    ...(config.defaultPack === false ? [] : [defaultPackPath, effectsPackPath]),
    ...(config.packs ?? []).map((p) => (isAbsolute(p) ? p : resolve(baseDir, p))),
  ];
  const loaded = files.map((f) => ({ file: f, ...readPack(f) }));
  const byId = new Map<string, CompiledRule>();
  const programs = new Map<string, string[] | undefined>();
  for (const p of loaded) for (const r of p.rules) byId.set(r.id, r);
  for (const p of loaded) for (const [id, progs] of p.programs) programs.set(id, progs);
  const known = new Set(byId.keys());
  for (const id of [...(config.disable ?? []), ...(config.overrides ?? []).map((o) => o.id)]) {
    if (!known.has(id))
      throw new PolicyPackError(`policy: unknown rule id ${id} in disable/overrides`, {
        details: { rule: id, known: [...known].slice(0, 200) },
        hint: "Run `txbox policy explain` on a command to see rule ids",
      });
  }
  const disabled = new Set(config.disable ?? []);
  const overrides = new Map((config.overrides ?? []).map((o) => [o.id, o.decision] as const));
  const defaults: Partial<PolicyContext> = {
    ...(config.projectPaths ? { projectPaths: config.projectPaths } : {}),
    ...(config.protectedPaths ? { protectedPaths: config.protectedPaths } : {}),
    ...(config.headless === undefined ? {} : { headless: config.headless }),
  };
  // Examples are checked against each pack as written, before user overrides change decisions.
  const all: CompiledRule[] = [...byId.values()];
  const knowledge = loadKnowledge();
  const examplePolicy: Policy = {
    rules: all,
    index: buildIndex(all, programs),
    packs: files,
    defaults: {},
    knowledge,
  };
  for (const p of loaded) checkExamples(p.file, p.spec, examplePolicy);
  const rules = all
    .filter((r) => !disabled.has(r.id))
    .map((r) => {
      const d = overrides.get(r.id);
      if (d === undefined) return r;
      // An override states the decision: the rule no longer goes through the effect table.
      const { effect: _effect, ...rest } = r;
      return { ...rest, decision: d };
    });
  return { rules, index: buildIndex(rules, programs), packs: files, defaults, knowledge };
}

function checkExamples(file: string, spec: PackSpec, policy: Policy): void {
  const failures: { rule: string; example: string; expected: string; hit: boolean }[] = [];
  for (const rule of spec.rules) {
    for (const [kind, list] of [
      ["match", rule.match],
      ["not_match", rule.not_match],
    ] as const) {
      for (const example of list) {
        const ex = explain(policy, example, {});
        const hit = ex.matches.some((m) => m.id === rule.id);
        if (hit !== (kind === "match"))
          failures.push({ rule: rule.id, example, expected: kind, hit });
      }
    }
  }
  const first = failures[0];
  if (first === undefined) return;
  const lines = failures.map(
    (f) =>
      `${file}: rule ${f.rule}: ${f.expected} example ${JSON.stringify(f.example)} ${f.hit ? "matches" : "does not match"}`,
  );
  throw new PolicyPackError(lines.join("\n"), {
    details: { file, rule: first.rule, example: first.example, expected: first.expected, failures },
    hint: "Fix the rule's `when` or the example",
  });
}

export { explain, decide } from "./explain.js";

/**
 * @txbox/policy: the gate every agent command passes. Shell text is parsed with a real parser
 * (unbash), reduced to facts per simple command, and judged by declarative YAML rule packs.
 */
export {
  loadPolicy,
  decide,
  explain,
  defaultPackPath,
  effectsPackPath,
  type Policy,
  type CompiledRule,
  type LoadPolicyOptions,
} from "./policy.js";
export { evaluateCorpus, readCorpus } from "./corpus.js";
export { writtenPaths, scriptsToRead } from "./chain.js";
export type { DecideOptions } from "./explain.js";
export { checkPolicyReferences } from "./config-check.js";
export { PolicyPackError } from "./errors.js";
export { extractFacts } from "./facts/extract.js";
export { resolveContext, DEFAULT_PROJECT_PATHS, DEFAULT_HOME } from "./context.js";
export type {
  Decision,
  DecisionKind,
  PolicyContext,
  Explanation,
  CorpusEntry,
  CorpusReport,
  CorpusMiss,
  CommandFacts,
  CommandLineFacts,
  PathFact,
  PathClass,
  PathRole,
  RedirectFact,
  RuleMatch,
  Uncertainty,
} from "./types.js";
export type { Matcher } from "./rules/schema.js";

/**
 * @txbox/policy/eval: evaluation of the gate that cannot flatter itself. Labelled subsets of public
 * corpora, a split held out by program, metrics and a suite of label-preserving evasions. The gate
 * is passed in as a function, so the evaluation never reaches into its internals.
 */
export { HELDOUT_PERCENT, fnv1a32, splitOf, type Split } from "./split.js";
export {
  evalDataDir,
  findCorpusV2,
  heldOutPrograms,
  loadEvalSets,
  readCommandFile,
  readCorpusV2,
  readLabelled,
  splitSet,
  type EvalSets,
  type Label,
  type LabelledCommand,
} from "./labelled.js";
export {
  pct,
  scoreSet,
  scoreTactic,
  type DecideFn,
  type Miss,
  type SetFigures,
  type TacticFigures,
  type Verdict,
} from "./metrics.js";
export { MUTATIONS, mutate, sq, type Mutant } from "./mutate.js";
export {
  CONTROL_KINDS,
  scoreControl,
  scoreEvasions,
  type ControlFigures,
  type EvasionFigures,
  type EvasionMiss,
} from "./evasion.js";
export {
  ACCEPTANCE_TACTICS,
  SET_NAMES,
  evaluate,
  type EvalReport,
  type SetName,
  type SpeedFigures,
} from "./evaluate.js";
export { EvalDataError } from "./errors.js";

/**
 * @txbox/policy/eval: evaluation of the gate that cannot flatter itself. Labelled subsets of public
 * corpora, a split held out by program, metrics and a suite of label-preserving evasions.
 */
export { HELDOUT_PERCENT, fnv1a32, splitOf, type Split } from "./split.js";
export {
  evalDataDir,
  heldOutPrograms,
  loadEvalSets,
  readLabelled,
  splitSet,
  type EvalSets,
  type Label,
  type LabelledCommand,
} from "./labelled.js";
export { EvalDataError } from "./errors.js";

export { PAPER_FIGURES, type PaperFigures } from "./paper.js";
export { BenchError } from "./errors.js";
export { quantile, spread, rate, type Spread } from "./stats.js";
export type {
  BenchRunner,
  BenchOutcome,
  BenchOutcomeKind,
  BenchDecision,
  PlainResult,
  FaultInjector,
} from "./runner.js";
export {
  CATEGORIES,
  PAPER_SCENARIOS_FILE,
  scenarioSetSchema,
  loadScenarioSet,
  parseScenarioSet,
  labelledFromScenarios,
  parseLabelledCorpus,
  commandOf,
  type Category,
  type ScenarioSet,
  type ScenarioCommand,
  type Workload,
  type LabelledCommand,
} from "./scenarios.js";
export { runPaperBench, compareWithPaper } from "./harness.js";
export {
  SIZES,
  PHASES,
  type BenchSize,
  type BenchProgress,
  type ActualOutcome,
  type CommandResult,
  type ScenarioResult,
  type InterceptionResult,
  type FaultResult,
  type OverheadResult,
  type PhaseName,
  type ComparisonRow,
  type PaperBenchResult,
  type PaperBenchOptions,
} from "./bench-types.js";
export {
  overheadSvg,
  phasesSvg,
  phaseSegments,
  xmlEscape,
  formatMs,
  ticks,
  PHASE_COLORS,
  OTHER_COLOR,
} from "./svg.js";
export {
  renderMarkdown,
  renderConsoleTable,
  renderJson,
  writeReports,
  formatValue,
} from "./report.js";
export { formatProgress } from "./progress.js";
export { treeDigestCommand, treeDigestVia, shellQuote } from "./digest.js";

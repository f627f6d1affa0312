/**
 * Reports of a paper run: `report.md`, `report.json`, the SVG charts, and a console table beside
 * the paper's published figures. Rendering is pure; {@link writeReports} is the only effect.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PHASES, type ComparisonRow, type PaperBenchResult } from "./bench-types.js";
import type { Spread } from "./stats.js";
import { formatMs, overheadSvg, phasesSvg } from "./svg.js";

/** A comparison value for humans. */
export function formatValue(value: number | null, unit: "%" | "s"): string {
  if (value === null || !Number.isFinite(value)) return "—";
  return unit === "%" ? `${value.toFixed(1)} %` : `${value.toFixed(2)} s`;
}

function table(header: string[], rows: string[][]): string[] {
  const esc = (c: string): string => c.replace(/\|/g, "\\|").replace(/\n/g, " ");
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((row) => `| ${row.map(esc).join(" | ")} |`),
  ];
}

const spreadCells = (s: Spread): string[] => [
  String(s.n),
  formatMs(s.min),
  formatMs(s.p25),
  formatMs(s.median),
  formatMs(s.p75),
  formatMs(s.max),
];

function scenariosSection(result: PaperBenchResult): string[] {
  const out = ["## Table 1 scenarios", ""];
  if (result.scenarios.length === 0) return [...out, "Not run.", ""];
  out.push(
    ...table(
      ["Category", "Expected", "Passed", "Rate"],
      result.scenarios.map((s) => [
        s.category,
        s.expected,
        `${s.passed}/${s.total}`,
        formatValue(s.rate * 100, "%"),
      ]),
    ),
    "",
  );
  const failed = result.scenarios.flatMap((s) => s.commands.filter((c) => !c.passed));
  if (failed.length > 0) {
    out.push(
      "### Failures",
      "",
      ...table(
        ["Category", "Command", "Outcome", "Why"],
        failed.map((c) => [c.category, `\`${c.command}\``, c.actual, c.failure ?? ""]),
      ),
      "",
    );
  }
  return out;
}

function interceptionSection(result: PaperBenchResult): string[] {
  const out = ["## Interception on a labelled corpus", ""];
  const i = result.interception;
  if (i === null) return [...out, "Not run: no `decide` function was given.", ""];
  out.push(
    `Corpus: ${i.corpus}. Intercepted ${i.intercepted} of ${i.denyTotal} deny-labelled commands (${formatValue(i.interceptionRate * 100, "%")}); denied ${i.falseDenies} of ${i.allowTotal} allow-labelled ones (false-deny rate ${formatValue(i.falseDenyRate * 100, "%")}).`,
    "",
  );
  if (i.missed.length > 0)
    out.push("Let through:", "", ...i.missed.map((m) => `- \`${m.cmd}\` → ${m.decision}`), "");
  if (i.falselyDenied.length > 0)
    out.push("Falsely denied:", "", ...i.falselyDenied.map((m) => `- \`${m.cmd}\``), "");
  return out;
}

function faultsSection(result: PaperBenchResult): string[] {
  const out = ["## Rollback under injected faults", ""];
  const f = result.faults;
  if (f === null) return [...out, "Not run: no fault injector was given.", ""];
  return [
    ...out,
    `Command: \`${f.command}\`. Restored ${f.restored} of ${f.trials} trials (${formatValue(f.successRate * 100, "%")}).`,
    "",
    ...table(
      ["Fault", "Restored", "Outcomes", "Failures"],
      f.byKind.map((k) => [
        k.kind,
        `${k.restored}/${k.trials}`,
        k.outcomes.join(", "),
        k.failures.join("; "),
      ]),
    ),
    "",
  ];
}

function overheadSection(result: PaperBenchResult): string[] {
  const out = ["## Per-transaction overhead", ""];
  if (result.overhead.length === 0) return [...out, "Not run.", ""];
  for (const w of result.overhead) {
    out.push(
      `### ${w.name}`,
      "",
      `\`${w.command}\``,
      "",
      ...table(
        ["Side", "n", "min", "p25", "median", "p75", "max"],
        [
          ["plain", ...spreadCells(w.plain)],
          ["transaction", ...spreadCells(w.tx)],
        ],
      ),
      "",
      `Overhead (medians): ${Number.isFinite(w.overheadPct) ? `${w.overheadPct.toFixed(1)} %` : "n/a"}, ${formatMs(w.overheadMs)}.`,
      "",
      ...table(
        ["Phase", "n", "min", "p25", "median", "p75", "max"],
        PHASES.map((p) => [p, ...spreadCells(w.phases[p])]),
      ),
      "",
    );
    if (w.invalidRuns.length > 0) {
      out.push(
        `Discarded runs: ${w.invalidRuns.map((r) => `${r.side} (${r.detail})`).join("; ")}.`,
        "",
      );
    }
  }
  out.push("![Overhead distribution](overhead.svg)", "", "![Time per phase](phases.svg)", "");
  return out;
}

/** The Markdown report. Charts are referenced as `overhead.svg` and `phases.svg` beside it. */
export function renderMarkdown(result: PaperBenchResult): string {
  return [
    `# txbox reproduction of ${result.paper.citation}`,
    "",
    `Scenario set \`${result.scenarioSet}\`, size \`${result.size}\`, started ${result.startedAt}, took ${formatMs(result.durationMs)}.`,
    "",
    "## Beside the paper",
    "",
    ...table(
      ["Metric", "Paper", "txbox", "Note"],
      result.comparison.map((c) => [
        c.metric,
        formatValue(c.paper, c.unit),
        formatValue(c.measured, c.unit),
        c.note ?? "",
      ]),
    ),
    "",
    ...scenariosSection(result),
    ...interceptionSection(result),
    ...faultsSection(result),
    ...overheadSection(result),
  ].join("\n");
}

/** The comparison with the paper as an aligned plain-text table, for the console. */
export function renderConsoleTable(rows: ComparisonRow[]): string {
  const cells = [
    ["Metric", "Paper", "txbox", "Note"],
    ...rows.map((c) => [
      c.metric,
      formatValue(c.paper, c.unit),
      formatValue(c.measured, c.unit),
      c.note ?? "",
    ]),
  ];
  const widths = [0, 1, 2, 3].map((k) => Math.max(...cells.map((row) => row[k]!.length)));
  const line = (row: string[]): string =>
    row
      .map((c, k) => (k === 1 || k === 2 ? c.padStart(widths[k]!) : c.padEnd(widths[k]!)))
      .join("  ")
      .trimEnd();
  return (
    [
      line(cells[0]!),
      widths.map((w) => "-".repeat(w)).join("  "),
      ...cells.slice(1).map(line),
    ].join("\n") + "\n"
  );
}

/** The JSON report: the whole result; NaN (nothing measured) becomes null. */
export function renderJson(result: PaperBenchResult): string {
  return (
    JSON.stringify(
      result,
      (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v),
      2,
    ) + "\n"
  );
}

/** Write `report.md`, `report.json`, `overhead.svg` and `phases.svg` into `dir` (created). */
export function writeReports(dir: string, result: PaperBenchResult): { files: string[] } {
  mkdirSync(dir, { recursive: true });
  const files: [string, string][] = [
    ["report.md", renderMarkdown(result)],
    ["report.json", renderJson(result)],
    ["overhead.svg", overheadSvg(result.overhead)],
    ["phases.svg", phasesSvg(result.overhead)],
  ];
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  return { files: files.map(([name]) => join(dir, name)) };
}

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import {
  compareWithPaper,
  PHASES,
  type OverheadResult,
  type PaperBenchResult,
} from "../src/index.js";
import { PAPER_FIGURES } from "../src/paper.js";
import { renderConsoleTable, renderJson, renderMarkdown, writeReports } from "../src/report.js";
import { spread } from "../src/stats.js";
import { overheadSvg, phaseSegments, phasesSvg, ticks } from "../src/svg.js";

function workload(
  name: string,
  plainMs: number[],
  txMs: number[],
  phases: Partial<Record<string, number[]>>,
): OverheadResult {
  const p = spread(plainMs);
  const t = spread(txMs);
  return {
    name,
    command: `run ${name}`,
    plainMs,
    txMs,
    plain: p,
    tx: t,
    overheadPct: ((t.median - p.median) / p.median) * 100,
    overheadMs: t.median - p.median,
    phases: Object.fromEntries(
      PHASES.map((ph) => [ph, spread(phases[ph] ?? [])]),
    ) as OverheadResult["phases"],
    invalidRuns: [],
  };
}

const fixed = (): PaperBenchResult => {
  const base: Omit<PaperBenchResult, "comparison"> = {
    paper: PAPER_FIGURES,
    scenarioSet: "paper-table1",
    size: "ci",
    startedAt: "2026-01-01T00:00:00.000Z",
    durationMs: 1234,
    scenarios: [
      { category: "read-only", expected: "executed", total: 2, passed: 2, rate: 1, commands: [] },
      {
        category: "state-corrupting",
        expected: "rolled-back",
        total: 2,
        passed: 1,
        rate: 0.5,
        commands: [
          {
            category: "state-corrupting",
            command: "rm -rf src && false",
            expected: "rolled-back",
            actual: "rolled-back",
            passed: false,
            failure: "the project tree changed",
            treeUnchanged: false,
          },
          {
            category: "state-corrupting",
            command: "echo x | tee f; exit 3",
            expected: "rolled-back",
            actual: "rolled-back",
            passed: true,
          },
        ],
      },
    ],
    interception: {
      corpus: "c",
      denyTotal: 4,
      intercepted: 3,
      interceptionRate: 0.75,
      allowTotal: 10,
      falseDenies: 1,
      falseDenyRate: 0.1,
      missed: [{ cmd: "rm -rf ~", decision: "allow" }],
      falselyDenied: [{ cmd: "ls" }],
    },
    faults: null,
    overhead: [
      workload("short", [10, 12, 11, 13], [40, 42, 41, 60], {
        policy: [1, 1, 1, 1],
        snapshot: [30, 30, 31, 45],
        exec: [9, 10, 9, 12],
        verify: [0, 0, 0, 0],
      }),
      workload("heavy", [1000, 1100, 1050], [1300, 1250, 1400], {
        policy: [1, 1, 1],
        snapshot: [200, 210, 220],
        exec: [1000, 1050, 1100],
        commit: [5, 5, 6],
      }),
    ],
  };
  return { ...base, comparison: compareWithPaper(base) };
};

type Node = Record<string, unknown>;
function parseSvg(svg: string): Node[] {
  expect(XMLValidator.validate(svg)).toBe(true);
  const doc = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "",
    preserveOrder: true,
  }).parse(svg) as Node[];
  const all: Node[] = [];
  const walk = (nodes: Node[]): void => {
    for (const n of nodes) {
      for (const [k, v] of Object.entries(n)) {
        if (k === ":@" || k === "#text") continue;
        all.push({ tag: k, ...((n[":@"] as Node | undefined) ?? {}) });
        if (Array.isArray(v)) walk(v as Node[]);
      }
    }
  };
  walk(doc);
  return all;
}
const count = (nodes: Node[], tag: string, cls?: string) =>
  nodes.filter((n) => n.tag === tag && (cls === undefined || n.class === cls)).length;

describe("overheadSvg", () => {
  test("is well-formed XML with a box per series and a dot per sample", () => {
    const r = fixed();
    const nodes = parseSvg(overheadSvg(r.overhead));
    expect(count(nodes, "svg")).toBe(1);
    expect(count(nodes, "g", "panel")).toBe(2);
    expect(count(nodes, "rect", "box")).toBe(4);
    expect(count(nodes, "line", "median")).toBe(4);
    expect(count(nodes, "line", "whisker")).toBe(4);
    expect(count(nodes, "circle", "sample")).toBe(4 + 4 + 3 + 3);
  });

  test("draws the median where the data says", () => {
    const r = fixed();
    const svg = overheadSvg([r.overhead[0]!]);
    // Plain median 11.5 ms, tx median 41.5 ms; axis 0..60 over 540 px starting at x=190.
    const medians = parseSvg(svg)
      .filter((n) => n.class === "median")
      .map((n) => Number(n.x1));
    expect(medians).toEqual(
      [190 + (11.5 / 60) * 540, 190 + (41.5 / 60) * 540].map((v) => Math.round(v * 10) / 10),
    );
    expect(svg).toContain("short: +260.9 % (30.0 ms)");
  });

  test("an empty series says so instead of drawing", () => {
    const nodes = parseSvg(overheadSvg([workload("none", [], [5], {})]));
    expect(count(nodes, "text", "empty")).toBe(1);
    expect(count(nodes, "rect", "box")).toBe(1);
  });

  test("escapes names", () => {
    expect(() => parseSvg(overheadSvg([workload("a<b & 'c'", [1], [2], {})]))).not.toThrow();
  });
});

describe("phasesSvg", () => {
  test("one segment per phase with time, an other segment, a plain bar per workload, a legend", () => {
    const nodes = parseSvg(phasesSvg(fixed().overhead));
    expect(count(nodes, "rect", "segment")).toBe(4 + 5);
    expect(count(nodes, "rect", "plain")).toBe(2);
    expect(count(nodes, "rect", "legend")).toBe(PHASES.length + 1);
    expect(nodes.filter((n) => n.class === "segment").map((n) => n["data-phase"])).toEqual([
      "policy",
      "snapshot",
      "exec",
      "other",
      "policy",
      "snapshot",
      "exec",
      "commit",
      "other",
    ]);
  });

  test("the stacked bar adds up to the measured median of the transactional runs", () => {
    const [short, heavy] = fixed().overhead;
    for (const w of [short!, heavy!]) {
      const { segments, totalMs } = phaseSegments(w);
      expect(totalMs).toBe(w.tx.median);
      expect(segments.reduce((s, x) => s + x.shownMs, 0)).toBeCloseTo(w.tx.median, 6);
    }
    expect(phaseSegments(heavy!).segments.at(-1)).toEqual({ phase: "other", ms: 34, shownMs: 34 });
  });

  test("phase medians that add up to more than the total are scaled to it, and the title says so", () => {
    const w = workload("over", [10], [50, 50, 50], { snapshot: [40, 40, 40], exec: [20, 20, 20] });
    const { segments, scale } = phaseSegments(w);
    expect(scale).toBeCloseTo(50 / 60, 9);
    expect(segments.map((s) => s.phase)).toEqual(["snapshot", "exec"]);
    expect(segments.reduce((s, x) => s + x.shownMs, 0)).toBeCloseTo(50, 9);
    expect(phasesSvg([w])).toContain("scaled ×0.83 to the total");
  });

  test("value labels start inside the canvas with room for their text", () => {
    const svg = phasesSvg(fixed().overhead);
    const width = Number(/<svg[^>]* width="(\d+)"/.exec(svg)![1]);
    const xs = [...svg.matchAll(/<text class="value" x="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(xs.length).toBe(4);
    // "1.30 s" in a 12 px sans-serif face is under 50 px wide.
    for (const x of xs) expect(x + 50).toBeLessThanOrEqual(width);
  });
});

describe("ticks", () => {
  test("round steps covering the maximum", () => {
    expect(ticks(60)).toEqual([0, 20, 40, 60]);
    expect(ticks(1400)).toEqual([0, 500, 1000, 1500]);
    expect(ticks(0)).toEqual([0]);
  });
});

describe("renderMarkdown", () => {
  test("shows counted results beside the paper, failures and spreads", () => {
    const md = renderMarkdown(fixed());
    expect(md).toContain(
      "| State-corrupting commands rolled back (byte-identical) | 100.0 % | 50.0 % | 1/2 |",
    );
    expect(md).toContain("| Interception rate (labelled corpus) | 100.0 % | 75.0 % | 3/4 on c |");
    expect(md).toContain(
      "| Rollback success under injected faults | 100.0 % | — | not run (no fault injector) |",
    );
    expect(md).toContain(
      "| state-corrupting | `rm -rf src && false` | rolled-back | the project tree changed |",
    );
    expect(md).toContain("| plain | 4 | 10.0 ms | 10.8 ms | 11.5 ms | 12.3 ms | 13.0 ms |");
    expect(md).toContain("| transaction | 3 | 1.25 s | 1.27 s | 1.30 s | 1.35 s | 1.40 s |");
    expect(md).toContain("Overhead (medians): 23.8 %, 250 ms.");
    expect(md).toContain("Not run: no fault injector was given.");
    expect(md).toContain("- `rm -rf ~` → allow");
  });
});

describe("renderConsoleTable", () => {
  test("aligns columns and shows — for what was not measured", () => {
    const text = renderConsoleTable(fixed().comparison);
    const lines = text.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^Metric\s+Paper\s+txbox\s+Note$/);
    const faults = lines.find((l) => l.startsWith("Rollback success under injected faults"))!;
    expect(faults).toMatch(/100\.0 %\s+—\s+not run/);
    const col = lines[0]!.indexOf("Paper") + "Paper".length;
    // Right-aligned numbers end in the same column as their header.
    expect(lines.filter((l) => / %|s /.test(l)).every((l) => l.length >= col)).toBe(true);
  });
});

describe("renderJson and writeReports", () => {
  test("NaN becomes null, and all four files are written", () => {
    const r = fixed();
    r.overhead.push(workload("empty", [], [], {}));
    const json = JSON.parse(renderJson(r)) as {
      overhead: { overheadPct: unknown; plain: { median: unknown } }[];
    };
    expect(json.overhead[2]!.overheadPct).toBeNull();
    expect(json.overhead[2]!.plain.median).toBeNull();
    const dir = mkdtempSync(join(tmpdir(), "txbox-bench-"));
    try {
      const { files } = writeReports(join(dir, "out"), r);
      expect(files.map((f) => f.slice(dir.length + 1))).toEqual([
        "out/report.md",
        "out/report.json",
        "out/overhead.svg",
        "out/phases.svg",
      ]);
      expect(readFileSync(files[0]!, "utf8")).toContain("![Overhead distribution](overhead.svg)");
      parseSvg(readFileSync(files[3]!, "utf8"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

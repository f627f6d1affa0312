/**
 * Hand-written SVG charts of a benchmark run: the overhead distribution (box and strip plot,
 * one panel per workload) and the time per phase (stacked bars). Pure: data in, text out.
 */
import { PHASES, type OverheadResult, type PhaseName } from "./bench-types.js";
import type { Spread } from "./stats.js";

const WIDTH = 760;
const LEFT = 190;
const RIGHT = 30;
const PLOT = WIDTH - LEFT - RIGHT;
const FONT = `font-family="sans-serif" font-size="12"`;

/** Escape text for XML content and attribute values. */
export function xmlEscape(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** A duration for humans: `850 ms`, `1.24 s`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "n/a";
  if (Math.abs(ms) < 1000) return `${ms.toFixed(Math.abs(ms) < 100 ? 1 : 0)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

const r = (v: number): string => (Math.round(v * 10) / 10).toString();

/** Round tick values covering [0, max]. */
export function ticks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) out.push(Math.round(v * 1e6) / 1e6);
  if (out[out.length - 1]! < max) out.push(out[out.length - 1]! + step);
  return out;
}

function series(
  label: string,
  values: number[],
  s: Spread,
  y: number,
  x: (v: number) => number,
  color: string,
): string[] {
  const parts = [
    `<text class="label" x="${LEFT - 10}" y="${y + 4}" text-anchor="end" ${FONT}>${xmlEscape(label)}</text>`,
  ];
  if (s.n === 0) {
    parts.push(
      `<text class="empty" x="${LEFT + 4}" y="${y + 4}" ${FONT} fill="#a00">no valid runs</text>`,
    );
    return parts;
  }
  parts.push(
    `<line class="whisker" x1="${r(x(s.min))}" y1="${y}" x2="${r(x(s.max))}" y2="${y}" stroke="#555"/>`,
    `<rect class="box" x="${r(x(s.p25))}" y="${y - 9}" width="${r(Math.max(1, x(s.p75) - x(s.p25)))}" height="18" fill="${color}" fill-opacity="0.35" stroke="${color}"/>`,
    `<line class="median" x1="${r(x(s.median))}" y1="${y - 11}" x2="${r(x(s.median))}" y2="${y + 11}" stroke="#000" stroke-width="2"/>`,
  );
  values.forEach((v, i) => {
    // Deterministic jitter, so the same data always draws the same picture.
    const dy = ((i * 7) % 11) - 5;
    parts.push(
      `<circle class="sample" cx="${r(x(v))}" cy="${y + dy}" r="2.5" fill="${color}" fill-opacity="0.8"/>`,
    );
  });
  parts.push(
    `<text class="value" x="${WIDTH - RIGHT}" y="${y - 12}" text-anchor="end" ${FONT} fill="#333">median ${xmlEscape(formatMs(s.median))}</text>`,
  );
  return parts;
}

/**
 * Box and strip plot of plain vs transactional wall time, one panel per workload (each with its
 * own axis: a short command and a pip-sized one differ by orders of magnitude).
 */
export function overheadSvg(overhead: OverheadResult[]): string {
  const PANEL = 150;
  const height = 40 + overhead.length * PANEL;
  const body: string[] = [
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-family="sans-serif" font-size="15" font-weight="bold">Wall time per command: plain vs in a txbox transaction</text>`,
  ];
  overhead.forEach((w, k) => {
    const top = 40 + k * PANEL;
    const all = [...w.plainMs, ...w.txMs];
    const max = all.length > 0 ? Math.max(...all) : 1;
    const axis = ticks(max);
    const hi = axis[axis.length - 1]!;
    const x = (v: number): number => LEFT + (v / hi) * PLOT;
    const title = `${w.name}: ${Number.isFinite(w.overheadPct) ? `${w.overheadPct >= 0 ? "+" : ""}${w.overheadPct.toFixed(1)} % (${formatMs(w.overheadMs)})` : "overhead n/a"}`;
    body.push(`<g class="panel">`);
    body.push(
      `<text class="title" x="${LEFT}" y="${top + 14}" font-family="sans-serif" font-size="13" font-weight="bold">${xmlEscape(title)}</text>`,
    );
    body.push(...series("plain", w.plainMs, w.plain, top + 45, x, "#1f77b4"));
    body.push(...series("transaction", w.txMs, w.tx, top + 85, x, "#d62728"));
    const axisY = top + 112;
    body.push(
      `<line class="axis" x1="${LEFT}" y1="${axisY}" x2="${LEFT + PLOT}" y2="${axisY}" stroke="#000"/>`,
    );
    for (const t of axis) {
      body.push(
        `<line class="tick" x1="${r(x(t))}" y1="${axisY}" x2="${r(x(t))}" y2="${axisY + 5}" stroke="#000"/>`,
        `<text class="tick-label" x="${r(x(t))}" y="${axisY + 18}" text-anchor="middle" ${FONT}>${xmlEscape(formatMs(t))}</text>`,
      );
    }
    body.push(`</g>`);
  });
  return svgDocument(height, body);
}

/** Colours of the phases, in {@link PHASES} order. */
export const PHASE_COLORS: Record<PhaseName, string> = {
  policy: "#9467bd",
  snapshot: "#ff7f0e",
  exec: "#1f77b4",
  verify: "#2ca02c",
  commit: "#8c564b",
  rollback: "#d62728",
};

/** Colour of the part of a transaction's median wall time that no phase accounts for. */
export const OTHER_COLOR = "#bcbd22";
/** Room kept right of the longest bar for its value label, so labels stay inside the canvas. */
const VALUE_ROOM = 80;

/**
 * The segments of one workload's stacked bar. Phase medians are not additive, so the bar is held
 * to the measured median wall time of the transactional runs (the median overhead.svg shows):
 * what the phases leave unexplained is an `other` segment (process, SSH and journal work between
 * phases); where the phase medians add up to more than the measured median, they are scaled down
 * to it and the factor is reported.
 */
export function phaseSegments(w: OverheadResult): {
  segments: { phase: PhaseName | "other"; ms: number; shownMs: number }[];
  totalMs: number;
  scale: number;
} {
  const medians = PHASES.map((p) => ({ phase: p, ms: w.phases[p].median })).filter(
    ({ ms }) => Number.isFinite(ms) && ms > 0,
  );
  const sum = medians.reduce((s, m) => s + m.ms, 0);
  const measured = Number.isFinite(w.tx.median) && w.tx.median > 0 ? w.tx.median : sum;
  const scale = sum > measured ? measured / sum : 1;
  const segments: { phase: PhaseName | "other"; ms: number; shownMs: number }[] = medians.map(
    (m) => ({ ...m, shownMs: m.ms * scale }),
  );
  const other = measured - sum * scale;
  if (other > measured * 1e-3) segments.push({ phase: "other", ms: other, shownMs: other });
  return { segments, totalMs: measured, scale };
}

/**
 * Stacked bars of the median time per phase of the transactional runs, beside a bar of the plain
 * run's median, one pair per workload, each pair on its own scale. The stacked total is the
 * measured median wall time (see {@link phaseSegments}).
 */
export function phasesSvg(overhead: OverheadResult[]): string {
  const ROW = 90;
  const legendY = 40 + overhead.length * ROW + 10;
  const height = legendY + 30;
  const body: string[] = [
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-family="sans-serif" font-size="15" font-weight="bold">Time per phase (medians; bar = median wall time of a transaction)</text>`,
  ];
  overhead.forEach((w, k) => {
    const top = 40 + k * ROW;
    const { segments, totalMs, scale } = phaseSegments(w);
    const plain = Number.isFinite(w.plain.median) ? w.plain.median : 0;
    const hi = Math.max(totalMs, plain, 1e-9);
    const x = (v: number): number => (v / hi) * (PLOT - VALUE_ROOM);
    const title =
      scale < 1 ? `${w.name} (phase medians scaled ×${scale.toFixed(2)} to the total)` : w.name;
    body.push(`<g class="workload">`);
    body.push(
      `<text class="title" x="${LEFT}" y="${top + 10}" font-family="sans-serif" font-size="13" font-weight="bold">${xmlEscape(title)}</text>`,
    );
    body.push(
      `<text class="label" x="${LEFT - 10}" y="${top + 32}" text-anchor="end" ${FONT}>transaction</text>`,
    );
    let at = LEFT;
    for (const { phase, ms, shownMs } of segments) {
      const color = phase === "other" ? OTHER_COLOR : PHASE_COLORS[phase];
      body.push(
        `<rect class="segment" data-phase="${phase}" x="${r(at)}" y="${top + 20}" width="${r(Math.max(0.5, x(shownMs)))}" height="18" fill="${color}"><title>${phase}: ${xmlEscape(formatMs(ms))}</title></rect>`,
      );
      at += x(shownMs);
    }
    body.push(
      `<text class="value" x="${r(at + 6)}" y="${top + 33}" ${FONT}>${xmlEscape(formatMs(totalMs))}</text>`,
    );
    body.push(
      `<text class="label" x="${LEFT - 10}" y="${top + 58}" text-anchor="end" ${FONT}>plain</text>`,
    );
    if (plain > 0) {
      body.push(
        `<rect class="plain" x="${LEFT}" y="${top + 46}" width="${r(Math.max(0.5, x(plain)))}" height="18" fill="#7f7f7f"/>`,
      );
    }
    body.push(
      `<text class="value" x="${r(LEFT + x(plain) + 6)}" y="${top + 59}" ${FONT}>${xmlEscape(formatMs(plain))}</text>`,
    );
    body.push(`</g>`);
  });
  const legend: [string, string][] = [
    ...PHASES.map((p): [string, string] => [p, PHASE_COLORS[p]]),
    ["other", OTHER_COLOR],
  ];
  legend.forEach(([name, color], i) => {
    const lx = 20 + i * 100;
    body.push(
      `<rect class="legend" x="${lx}" y="${legendY}" width="12" height="12" fill="${color}"/>`,
      `<text class="legend-label" x="${lx + 16}" y="${legendY + 10}" ${FONT}>${name}</text>`,
    );
  });
  return svgDocument(height, body);
}

function svgDocument(height: number, body: string[]): string {
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}">`,
    `<rect class="background" x="0" y="0" width="${WIDTH}" height="${height}" fill="#fff"/>`,
    ...body,
    `</svg>`,
    "",
  ].join("\n");
}

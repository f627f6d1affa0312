import type { BenchProgress } from "./bench-types.js";

/**
 * One line of a text progress bar for the CLI: `[#####-----]  12/80  read-only: ls -la`.
 * Pure; the CLI decides where and how often to print it.
 */
export function formatProgress(p: BenchProgress, width = 30, maxLabel = 60): string {
  const fraction = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
  const filled = Math.round(fraction * width);
  const label = `${p.phase}: ${p.label}`.replace(/\s+/g, " ");
  const shown = label.length > maxLabel ? `${label.slice(0, maxLabel - 1)}…` : label;
  const digits = String(p.total).length;
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(p.done).padStart(digits)}/${p.total}  ${shown}`;
}

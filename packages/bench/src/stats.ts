/** Order statistics for benchmark samples. Pure. */

/** Spread of a sample set: quartiles by linear interpolation (type 7, as R and NumPy). */
export interface Spread {
  n: number;
  min: number;
  p25: number;
  median: number;
  p75: number;
  max: number;
  mean: number;
}

/** The q-quantile (0..1) of sorted values, by linear interpolation between closest ranks. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (pos - lo);
}

/** The spread of a sample set; an empty set gives NaN everywhere and `n: 0`. */
export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  return {
    n,
    min: n === 0 ? Number.NaN : sorted[0]!,
    p25: quantile(sorted, 0.25),
    median: quantile(sorted, 0.5),
    p75: quantile(sorted, 0.75),
    max: n === 0 ? Number.NaN : sorted[n - 1]!,
    mean: n === 0 ? Number.NaN : sorted.reduce((s, v) => s + v, 0) / n,
  };
}

/** passed / total, or NaN when there was nothing to count (never a made-up 100 %). */
export function rate(passed: number, total: number): number {
  return total === 0 ? Number.NaN : passed / total;
}

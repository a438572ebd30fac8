/**
 * The `p`-th percentile of `values` with linear interpolation between the closest ranks (NumPy's
 * default `method='linear'`): the sorted values at `floor(k)` and `ceil(k)`, `k = p/100 · (n − 1)`.
 * NaN values are skipped.
 */
export function percentile(values: ArrayLike<number>, p: number): number {
  const sorted = Float64Array.from(Array.prototype.filter.call(values, (v: number) => !Number.isNaN(v)) as number[]).sort();
  return percentileOfSorted(sorted, p);
}

/** As `percentile`, on values already sorted in increasing order. */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const k = (p / 100) * (n - 1);
  const below = Math.floor(k);
  const above = Math.min(n - 1, below + 1);
  const fraction = k - below;
  const a = sorted[below];
  const b = sorted[above];
  // NumPy's form: exact at both ends, monotone in between.
  return fraction < 0.5 ? a + (b - a) * fraction : b - (b - a) * (1 - fraction);
}

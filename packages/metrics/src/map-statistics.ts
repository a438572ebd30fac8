import { XaiError, type SaliencyMap } from '@xai/core';

/** `|v|` of every value, NaN counted as 0 (a map's holes carry no saliency). */
function magnitudes(map: Pick<SaliencyMap, 'data'>): Float64Array {
  if (map.data.length === 0) throw new XaiError('The saliency map is empty; sparseness and complexity need at least one value');
  return Float64Array.from(map.data, (v) => (Number.isNaN(v) ? 0 : Math.abs(v)));
}

/**
 * Sparseness (Chalasani et al. 2020): the Gini index of the map's `|values|`, sorted increasing,
 * `Σ_i (2i − n − 1) a_(i) / (n · Σ a)` for `i = 1 … n`. 0 for a uniform map, `(n − 1)/n` for a
 * single non-zero pixel; higher is sparser. An all-zero map counts as uniform (0).
 */
export function sparseness(map: Pick<SaliencyMap, 'data'>): number {
  const a = magnitudes(map).sort();
  const n = a.length;
  let weighted = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    weighted += (2 * (i + 1) - n - 1) * a[i];
    total += a[i];
  }
  return total > 0 ? weighted / (n * total) : 0;
}

/**
 * Complexity (Bhatt et al. 2020): the entropy (natural logarithm) of `|map| / Σ|map|`. 0 for a single
 * non-zero pixel, `ln n` for a uniform map; lower is simpler. An all-zero map counts as uniform.
 */
export function complexity(map: Pick<SaliencyMap, 'data'>): number {
  const a = magnitudes(map);
  let total = 0;
  for (const v of a) total += v;
  if (total === 0) return Math.log(a.length);
  let entropy = 0;
  for (const v of a) {
    if (v > 0) {
      const p = v / total;
      entropy -= p * Math.log(p);
    }
  }
  return entropy;
}

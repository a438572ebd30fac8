import { Random, XaiError } from '@xai/core';
import { kendallTau } from './correlation.js';

export interface BootstrapOptions {
  /** Resamples. Default 1000. */
  resamples?: number;
  /** Default 0.95. */
  level?: number;
  /** Default 0. */
  seed?: number;
}

/**
 * The percentile bootstrap interval of the mean: `resamples` resamples of the values with
 * replacement (indices from `Random(seed)`), the mean of each, and the `(1 − level)/2` and
 * `(1 + level)/2` quantiles of those means (linear interpolation). One value gives [v, v].
 */
export function bootstrapMeanInterval(values: readonly number[], options: BootstrapOptions = {}): [number, number] {
  const resamples = options.resamples ?? 1000;
  const level = options.level ?? 0.95;
  if (values.length === 0) throw new XaiError('A bootstrap interval needs at least one value');
  if (!Number.isInteger(resamples) || resamples < 1) throw new XaiError(`resamples must be a whole number ≥ 1, got ${resamples}`);
  if (!(level > 0 && level < 1)) throw new XaiError(`level must be in (0, 1), got ${level}`);
  const random = new Random(options.seed ?? 0);
  const n = values.length;
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[random.integer(n)];
    means[r] = sum / n;
  }
  means.sort();
  const at = (q: number) => {
    const k = q * (resamples - 1);
    const below = Math.floor(k);
    const above = Math.min(resamples - 1, below + 1);
    return means[below] + (means[above] - means[below]) * (k - below);
  };
  return [at((1 - level) / 2), at((1 + level) / 2)];
}

/**
 * Items ranked best first by their score (`better` says which direction wins); items without a
 * finite score are left out; ties keep the given order.
 */
export function rankBy(scores: Readonly<Record<string, number | null | undefined>>, better: 'higher' | 'lower'): string[] {
  const known = Object.entries(scores).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1]));
  return known
    .map(([name, value], i) => ({ name, value: better === 'higher' ? value : -value, i }))
    .sort((a, b) => b.value - a.value || a.i - b.i)
    .map((e) => e.name);
}

export interface RankingAgreement {
  /** The metrics compared, in order. */
  metrics: string[];
  /** `tau[i][j]`: Kendall's τ-b between metric i's and metric j's ranking; null with fewer than 2 common items or a constant ranking. */
  tau: (number | null)[][];
  /** Every pair once (i < j). */
  pairs: { a: string; b: string; tau: number | null; items: number }[];
}

/**
 * Kendall's τ-b between every pair of metrics' rankings of the same items (each score oriented
 * so that higher is better, over the items both metrics score). 1: the same order, −1: reversed.
 */
export function rankingAgreement(
  scores: Readonly<Record<string, Readonly<Record<string, number | null | undefined>>>>,
  better: Readonly<Record<string, 'higher' | 'lower'>>,
): RankingAgreement {
  const metrics = Object.keys(scores);
  const oriented = (metric: string, item: string) => {
    const v = scores[metric][item];
    return typeof v === 'number' && Number.isFinite(v) ? (better[metric] === 'lower' ? -v : v) : undefined;
  };
  const tau: (number | null)[][] = metrics.map(() => metrics.map(() => null));
  const pairs: RankingAgreement['pairs'] = [];
  for (let i = 0; i < metrics.length; i++) {
    for (let j = i; j < metrics.length; j++) {
      const items = [...new Set([...Object.keys(scores[metrics[i]]), ...Object.keys(scores[metrics[j]])])].filter(
        (item) => oriented(metrics[i], item) !== undefined && oriented(metrics[j], item) !== undefined,
      );
      const value = kendallTau(items.map((it) => oriented(metrics[i], it)!), items.map((it) => oriented(metrics[j], it)!));
      const t = Number.isNaN(value) ? null : value;
      tau[i][j] = t;
      tau[j][i] = t;
      if (i < j) pairs.push({ a: metrics[i], b: metrics[j], tau: t, items: items.length });
    }
  }
  return { metrics, tau, pairs };
}

import { describe, expect, it } from 'vitest';
import { bootstrapMeanInterval, kendallTau, rankBy, rankingAgreement } from '../src/index.js';

describe('rankings and their agreement', () => {
  it("computes Kendall's τ-b: 1 for the same order, −1 reversed, by hand with ties", () => {
    expect(kendallTau([1, 2, 3], [10, 20, 30])).toBe(1);
    expect(kendallTau([1, 2, 3], [3, 2, 1])).toBe(-1);
    expect(kendallTau([1, 2, 3], [1, 3, 2])).toBeCloseTo(1 / 3, 12);
    // (1,2,2) vs (1,2,3): C = 2, D = 0, a tied once: 2 / √(2·3).
    expect(kendallTau([1, 2, 2], [1, 2, 3])).toBeCloseTo(2 / Math.sqrt(6), 12);
    expect(Number.isNaN(kendallTau([1, 1], [1, 2]))).toBe(true);
  });

  it('ranks methods best first, respecting the direction of each metric', () => {
    expect(rankBy({ a: 0.2, b: 0.9, c: 0.5 }, 'higher')).toEqual(['b', 'c', 'a']);
    expect(rankBy({ a: 0.2, b: 0.9, c: 0.5, d: null }, 'lower')).toEqual(['a', 'c', 'b']);
  });

  it('orients lower-is-better metrics before comparing rankings', () => {
    const agreement = rankingAgreement(
      { insertion: { a: 0.9, b: 0.5, c: 0.1 }, deletion: { a: 0.1, b: 0.2, c: 0.3 }, complexity: { a: 3, b: 2, c: 1 } },
      { insertion: 'higher', deletion: 'lower', complexity: 'lower' },
    );
    expect(agreement.metrics).toEqual(['insertion', 'deletion', 'complexity']);
    expect(agreement.tau).toEqual([
      [1, 1, -1],
      [1, 1, -1],
      [-1, -1, 1],
    ]);
    expect(agreement.pairs).toEqual([
      { a: 'insertion', b: 'deletion', tau: 1, items: 3 },
      { a: 'insertion', b: 'complexity', tau: -1, items: 3 },
      { a: 'deletion', b: 'complexity', tau: -1, items: 3 },
    ]);
  });

  it('gives a seeded bootstrap interval of the mean that contains it and narrows with more data', () => {
    const values = Array.from({ length: 40 }, (_, i) => Math.sin(i) + 2);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const [lo, hi] = bootstrapMeanInterval(values, { seed: 1 });
    expect(lo).toBeLessThan(mean);
    expect(hi).toBeGreaterThan(mean);
    expect(bootstrapMeanInterval(values, { seed: 1 })).toEqual([lo, hi]);
    expect(bootstrapMeanInterval(values, { seed: 2 })).not.toEqual([lo, hi]);
    const more = Array.from({ length: 400 }, (_, i) => Math.sin(i) + 2);
    const [lo2, hi2] = bootstrapMeanInterval(more, { seed: 1 });
    expect(hi2 - lo2).toBeLessThan((hi - lo) / 2);
    // The standard error of the mean is sd/√n; a 95 % interval spans about 3.9 of them.
    const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
    expect((hi - lo) / (sd / Math.sqrt(values.length))).toBeGreaterThan(3.2);
    expect((hi - lo) / (sd / Math.sqrt(values.length))).toBeLessThan(4.6);
    expect(bootstrapMeanInterval([0.5])).toEqual([0.5, 0.5]);
  });
});

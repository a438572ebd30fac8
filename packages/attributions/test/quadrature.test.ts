import { describe, expect, it } from 'vitest';
import { INTEGRATION_RULES, gaussLegendre, minimumSteps, pathQuadrature } from '../src/index.js';

const close = (actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-15) => {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i]), `index ${i}`).toBeLessThanOrEqual(tolerance);
};

describe('Gauss–Legendre', () => {
  it('has the textbook nodes and weights for n = 1, 2, 3, 5', () => {
    close(gaussLegendre(1).nodes, [0]);
    close(gaussLegendre(1).weights, [2]);
    const r = 1 / Math.sqrt(3);
    close(gaussLegendre(2).nodes, [-r, r]);
    close(gaussLegendre(2).weights, [1, 1]);
    const s = Math.sqrt(3 / 5);
    close(gaussLegendre(3).nodes, [-s, 0, s]);
    close(gaussLegendre(3).weights, [5 / 9, 8 / 9, 5 / 9]);
    const a = Math.sqrt(5 - 2 * Math.sqrt(10 / 7)) / 3;
    const b = Math.sqrt(5 + 2 * Math.sqrt(10 / 7)) / 3;
    const wa = (322 + 13 * Math.sqrt(70)) / 900;
    const wb = (322 - 13 * Math.sqrt(70)) / 900;
    close(gaussLegendre(5).nodes, [-b, -a, 0, a, b]);
    close(gaussLegendre(5).weights, [wb, wa, 128 / 225, wa, wb]);
  });

  it("matches NumPy's leggauss(32) and leggauss(1024)", () => {
    const { nodes, weights } = gaussLegendre(32);
    close(nodes.subarray(0, 4), [-0.9972638618494816, -0.9856115115452684, -0.9647622555875064, -0.9349060759377397], 2e-16);
    close(weights.subarray(0, 4), [0.007018610009470506, 0.016274394730905743, 0.025392065309262024, 0.034273862913021765], 1e-15);
    // At n = 1024 NumPy's outermost weight is off by 1.2e-9 (relative; mpmath at 40 digits gives
    // 7.0700764101825898713e-6); ours is closer. Either is far below float32.
    const big = gaussLegendre(1024);
    close([big.nodes[0], big.nodes[511], big.weights[511]], [-0.9999972450545584, -0.0015332313560626385, 0.0030664603092438666], 1e-15);
    expect(Math.abs(big.weights[0] / 7.0700764013930704e-6 - 1)).toBeLessThan(2e-9);
    expect(Math.abs(big.weights[0] / 7.0700764101825898713e-6 - 1)).toBeLessThan(1e-11);
  });

  it('is ascending and symmetric, with weights that sum to 2', () => {
    for (const n of [1, 2, 3, 4, 7, 32, 33, 100, 1024]) {
      const { nodes, weights } = gaussLegendre(n);
      for (let i = 1; i < n; i++) expect(nodes[i]).toBeGreaterThan(nodes[i - 1]);
      for (let i = 0; i < n; i++) {
        expect(nodes[i] + nodes[n - 1 - i]).toBe(0);
        expect(weights[i]).toBe(weights[n - 1 - i]);
        expect(weights[i]).toBeGreaterThan(0);
      }
      expect(Math.abs(weights.reduce((s, w) => s + w, 0) - 2)).toBeLessThan(1e-13);
    }
  });

  it('integrates every polynomial of degree up to 2n − 1 exactly, and not degree 2n', () => {
    for (const n of [1, 2, 3, 5, 8, 16, 32]) {
      const { nodes, weights } = gaussLegendre(n);
      const integral = (k: number) => nodes.reduce((s, x, i) => s + weights[i] * x ** k, 0);
      for (let k = 0; k <= 2 * n - 1; k++) {
        const exact = k % 2 === 1 ? 0 : 2 / (k + 1);
        expect(Math.abs(integral(k) - exact), `n = ${n}, x^${k}`).toBeLessThan(1e-13);
      }
      // The error term shrinks fast with n; for small n it shows that 2n − 1 is the limit.
      if (n <= 5) expect(Math.abs(integral(2 * n) - 2 / (2 * n + 1)), `n = ${n}, x^${2 * n}`).toBeGreaterThan(1e-4);
    }
    // A mixed polynomial of degree 9 with n = 5: ∫₋₁¹ (3x⁹ − 2x⁸ + x⁵ + 4x² − 1) dx = −4/9 + 8/3 − 2.
    const { nodes, weights } = gaussLegendre(5);
    const p = (x: number) => 3 * x ** 9 - 2 * x ** 8 + x ** 5 + 4 * x ** 2 - 1;
    expect(Math.abs(nodes.reduce((s, x, i) => s + weights[i] * p(x), 0) - (-4 / 9 + 8 / 3 - 2))).toBeLessThan(1e-14);
  });

  it('refuses a point count that is not a whole number ≥ 1', () => {
    expect(() => gaussLegendre(0)).toThrow(/whole number of points ≥ 1, got 0/);
    expect(() => gaussLegendre(2.5)).toThrow(/got 2.5/);
  });
});

describe("the path rules, as Captum's approximation_methods", () => {
  it('maps Gauss–Legendre to [0, 1] by α = (t + 1)/2, w = w_t/2', () => {
    const { alphas, weights } = pathQuadrature('gausslegendre', 3);
    const s = Math.sqrt(3 / 5);
    close(alphas, [(1 - s) / 2, 0.5, (1 + s) / 2]);
    close(weights, [5 / 18, 4 / 9, 5 / 18]);
  });

  it('gives the Riemann samples and step sizes', () => {
    const rule = (name: (typeof INTEGRATION_RULES)[number]) => pathQuadrature(name, 4);
    close(rule('riemann-left').alphas, [0, 0.25, 0.5, 0.75]);
    close(rule('riemann-right').alphas, [0.25, 0.5, 0.75, 1]);
    close(rule('riemann-middle').alphas, [0.125, 0.375, 0.625, 0.875]);
    close(rule('riemann-trapezoid').alphas, [0, 1 / 3, 2 / 3, 1]);
    for (const name of ['riemann-left', 'riemann-right', 'riemann-middle'] as const) close(rule(name).weights, [0.25, 0.25, 0.25, 0.25]);
    // Captum's trapezoid: 1/n with both ends halved, so the weights sum to (n − 1)/n.
    close(rule('riemann-trapezoid').weights, [0.125, 0.25, 0.25, 0.125]);
  });

  it('has weights that sum to 1 (the trapezoid: (n − 1)/n) for every step count', () => {
    for (const name of INTEGRATION_RULES) {
      for (let n = minimumSteps(name); n <= 40; n++) {
        const { alphas, weights } = pathQuadrature(name, n);
        expect(alphas).toHaveLength(n);
        const sum = weights.reduce((s, w) => s + w, 0);
        expect(Math.abs(sum - (name === 'riemann-trapezoid' ? (n - 1) / n : 1))).toBeLessThan(1e-13);
        for (const a of alphas) expect(a >= 0 && a <= 1).toBe(true);
      }
    }
  });

  it('needs two steps for a Riemann rule and one for Gauss–Legendre', () => {
    expect(minimumSteps('gausslegendre')).toBe(1);
    expect(pathQuadrature('gausslegendre', 1)).toEqual({ alphas: Float64Array.from([0.5]), weights: Float64Array.from([1]) });
    for (const name of INTEGRATION_RULES.filter((r) => r !== 'gausslegendre')) {
      expect(minimumSteps(name)).toBe(2);
      expect(() => pathQuadrature(name, 1)).toThrow(new RegExp(`The ${name} rule needs a whole number of steps ≥ 2, got 1`));
    }
  });
});

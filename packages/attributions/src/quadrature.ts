import { XaiError } from '@xai/core';

/**
 * Integration rules for Integrated Gradients, as Captum defines them
 * (`captum.attr._utils.approximation_methods`): the path `α ∈ [0, 1]` is sampled at `alphas`,
 * and the gradient at each sample is weighted by the matching `weights` (Captum's step sizes).
 * Everything is float64.
 */
export const INTEGRATION_RULES = ['gausslegendre', 'riemann-left', 'riemann-right', 'riemann-middle', 'riemann-trapezoid'] as const;

export type IntegrationRule = (typeof INTEGRATION_RULES)[number];

export interface PathQuadrature {
  /** Where the path is sampled, in [0, 1], ascending. */
  alphas: Float64Array;
  /** The weight of each sample (Captum's `step_sizes`). */
  weights: Float64Array;
}

export interface GaussLegendre {
  /** The roots of the Legendre polynomial `P_n`, ascending, in (−1, 1). */
  nodes: Float64Array;
  /** The matching weights, summing to 2. */
  weights: Float64Array;
}

/** The smallest step count each rule accepts (Captum refuses one step for the Riemann rules). */
export function minimumSteps(rule: IntegrationRule): number {
  return rule === 'gausslegendre' ? 1 : 2;
}

/**
 * The n-point Gauss–Legendre rule on [−1, 1], as NumPy's `polynomial.legendre.leggauss(n)` gives
 * it (nodes ascending, symmetric, weights scaled to sum to 2). Computed by Newton's method on
 * `P_n`, evaluated by its three-term recurrence, from Tricomi's estimate of each root; exact for
 * polynomials of degree up to 2n − 1.
 */
export function gaussLegendre(n: number): GaussLegendre {
  if (!Number.isInteger(n) || n < 1) throw new XaiError(`Gauss–Legendre needs a whole number of points ≥ 1, got ${n}`);
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  const half = Math.floor(n / 2);
  // Roots come in ± pairs; find the positive ones (largest first) and mirror them.
  for (let i = 0; i < half; i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    for (let iteration = 0; iteration < 100; iteration++) {
      const { value, derivative } = legendre(n, x);
      const step = value / derivative;
      x -= step;
      if (Math.abs(step) <= 1e-16 * Math.max(1, Math.abs(x))) break;
    }
    const { derivative } = legendre(n, x);
    const w = 2 / ((1 - x * x) * derivative * derivative);
    nodes[n - 1 - i] = x;
    nodes[i] = -x;
    weights[n - 1 - i] = w;
    weights[i] = w;
  }
  if (n % 2 === 1) {
    // The middle root is 0: P_n'(0) follows from the recurrence.
    const { derivative } = legendre(n, 0);
    nodes[half] = 0;
    weights[half] = 2 / (derivative * derivative);
  }
  let total = 0;
  for (const w of weights) total += w;
  for (let i = 0; i < n; i++) weights[i] *= 2 / total;
  return { nodes, weights };
}

/** `P_n(x)` and `P_n'(x)` by the recurrence `(k + 1) P_{k+1} = (2k + 1) x P_k − k P_{k−1}`. */
function legendre(n: number, x: number): { value: number; derivative: number } {
  let previous = 1;
  let value = x;
  for (let k = 1; k < n; k++) {
    const next = ((2 * k + 1) * x * value - k * previous) / (k + 1);
    previous = value;
    value = next;
  }
  if (n === 0) return { value: 1, derivative: 0 };
  // P_n'(x) = n (x P_n − P_{n−1}) / (x² − 1); at x = 0 that is n P_{n−1}(0).
  const derivative = (n * (x * value - previous)) / (x * x - 1);
  return { value, derivative };
}

/** NumPy's `linspace(start, stop, n)` (n ≥ 2): `start + k · (stop − start) / (n − 1)`, the last exactly `stop`. */
function linspace(start: number, stop: number, n: number): Float64Array {
  const out = new Float64Array(n);
  const step = (stop - start) / (n - 1);
  for (let k = 0; k < n; k++) out[k] = start + k * step;
  out[n - 1] = stop;
  return out;
}

/**
 * The samples and weights of a rule with `steps` points, as Captum makes them:
 * - `gausslegendre`: `α = (t + 1) / 2`, `w = w_t / 2` from `leggauss(steps)`;
 * - `riemann-left`: `α = linspace(0, 1 − 1/n, n)`, `riemann-right`: `linspace(1/n, 1, n)`,
 *   `riemann-middle`: `linspace(1/(2n), 1 − 1/(2n), n)`, each weight `1/n`;
 * - `riemann-trapezoid`: `α = linspace(0, 1, n)`, weights `1/n` with the first and last halved —
 *   Captum's definition, whose weights sum to `(n − 1)/n`, not 1.
 * The Riemann rules need at least two steps (as in Captum).
 */
export function pathQuadrature(rule: IntegrationRule, steps: number): PathQuadrature {
  const min = minimumSteps(rule);
  if (!Number.isInteger(steps) || steps < min) {
    throw new XaiError(`The ${rule} rule needs a whole number of steps ≥ ${min}, got ${steps}`);
  }
  const n = steps;
  if (rule === 'gausslegendre') {
    const { nodes, weights } = gaussLegendre(n);
    return { alphas: nodes.map((t) => 0.5 * (1 + t)), weights: weights.map((w) => 0.5 * w) };
  }
  const weights = new Float64Array(n).fill(1 / n);
  switch (rule) {
    case 'riemann-left':
      return { alphas: linspace(0, 1 - 1 / n, n), weights };
    case 'riemann-right':
      return { alphas: linspace(1 / n, 1, n), weights };
    case 'riemann-middle':
      return { alphas: linspace(1 / (2 * n), 1 - 1 / (2 * n), n), weights };
    case 'riemann-trapezoid':
      weights[0] /= 2;
      weights[n - 1] /= 2;
      return { alphas: linspace(0, 1, n), weights };
    default:
      throw new XaiError(`Unknown integration rule "${String(rule)}"; accepted: ${INTEGRATION_RULES.join(', ')}`);
  }
}

/**
 * The first principal component of a feature map, in plain float64 JavaScript so that it is the
 * same on every backend and every run.
 */

export interface Projection {
  /** `X_c · v₁` per row (position), sign as the power iteration left it. */
  projection: Float64Array;
  /** The share of the total variance on the first axis, `λ₁ / Σλ` (0 for constant rows). */
  explained: number;
}

/** Iterations stop when the direction moves less than this (max-norm of the change). */
const TOLERANCE = 1e-12;
const MAX_ITERATIONS = 5000;

/**
 * The rows of `X` (`n × k`, row-major: rows are positions, columns channels), each column centred,
 * projected onto their first right singular vector `v₁`: `X_c · v₁`, what an SVD gives up to the
 * sign. NaN values count as 0. The eigenvector comes from power iteration on the smaller of the
 * Gram matrices (`X_cᵀX_c`, `k × k`, or `X_cX_cᵀ`, `n × n`) from a fixed start vector.
 */
export function firstComponentProjection(values: ArrayLike<number>, n: number, k: number): Projection {
  const x = new Float64Array(n * k);
  for (let i = 0; i < n * k; i++) x[i] = Number.isNaN(values[i]) ? 0 : values[i];
  for (let c = 0; c < k; c++) {
    let mean = 0;
    for (let r = 0; r < n; r++) mean += x[r * k + c];
    mean /= n;
    for (let r = 0; r < n; r++) x[r * k + c] -= mean;
  }
  let v: Float64Array; // unit vector along v₁, length k
  let trace = 0;
  let lambda: number;
  if (k <= n) {
    const gram = new Float64Array(k * k); // X_cᵀ X_c
    for (let r = 0; r < n; r++) {
      const row = r * k;
      for (let a = 0; a < k; a++) {
        const xa = x[row + a];
        if (xa === 0) continue;
        for (let b = a; b < k; b++) gram[a * k + b] += xa * x[row + b];
      }
    }
    mirror(gram, k);
    ({ vector: v, value: lambda } = topEigenvector(gram, k));
    for (let a = 0; a < k; a++) trace += gram[a * k + a];
  } else {
    const gram = new Float64Array(n * n); // X_c X_cᵀ
    for (let r = 0; r < n; r++)
      for (let s = r; s < n; s++) {
        let dot = 0;
        for (let c = 0; c < k; c++) dot += x[r * k + c] * x[s * k + c];
        gram[r * n + s] = dot;
      }
    mirror(gram, n);
    const top = topEigenvector(gram, n);
    lambda = top.value;
    for (let r = 0; r < n; r++) trace += gram[r * n + r];
    // v₁ = X_cᵀ u₁ / ‖X_cᵀ u₁‖.
    v = new Float64Array(k);
    for (let r = 0; r < n; r++) for (let c = 0; c < k; c++) v[c] += x[r * k + c] * top.vector[r];
    normalize(v);
  }
  const projection = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let dot = 0;
    for (let c = 0; c < k; c++) dot += x[r * k + c] * v[c];
    projection[r] = dot;
  }
  return { projection, explained: trace > 0 ? lambda / trace : 0 };
}

/**
 * pytorch-grad-cam's sign correction: the singular vector's sign is arbitrary, so the projection
 * is flipped when its most negative value is larger in magnitude than its most positive one.
 * Returns whether it flipped (in place).
 */
export function correctSign(projection: Float64Array): boolean {
  let max = -Infinity;
  let min = Infinity;
  for (const p of projection) {
    if (p > max) max = p;
    if (p < min) min = p;
  }
  if (Math.abs(max) >= Math.abs(min)) return false;
  for (let i = 0; i < projection.length; i++) projection[i] = -projection[i];
  return true;
}

/** Largest eigenpair of a symmetric positive semi-definite `m × m` matrix, by power iteration. */
function topEigenvector(matrix: Float64Array, m: number): { vector: Float64Array; value: number } {
  // A fixed, irregular start (a small LCG): never the same direction as a structured eigenvector.
  let state = 0x9e3779b9;
  let x = Float64Array.from({ length: m }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return 0.5 + state / 2 ** 32;
  });
  normalize(x);
  let y = new Float64Array(m);
  let value = 0;
  for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
    multiply(matrix, x, y, m);
    value = normalize(y);
    if (value === 0) return { vector: x, value: 0 };
    let change = 0;
    for (let i = 0; i < m; i++) change = Math.max(change, Math.abs(y[i] - x[i]));
    [x, y] = [y, x];
    if (change < TOLERANCE) break;
  }
  return { vector: x, value };
}

function multiply(matrix: Float64Array, x: Float64Array, out: Float64Array, m: number): void {
  for (let i = 0; i < m; i++) {
    let sum = 0;
    const row = i * m;
    for (let j = 0; j < m; j++) sum += matrix[row + j] * x[j];
    out[i] = sum;
  }
}

/** Scales to unit length in place; returns the former length. */
function normalize(v: Float64Array): number {
  let norm = 0;
  for (const e of v) norm += e * e;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] /= norm;
  return norm;
}

function mirror(upper: Float64Array, m: number): void {
  for (let a = 0; a < m; a++) for (let b = 0; b < a; b++) upper[a * m + b] = upper[b * m + a];
}

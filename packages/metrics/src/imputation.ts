import { XaiError, type Random } from '@xai/core';

/** The 8-neighbour stencil of noisy linear imputation: edges weigh 1/6, corners 1/12 (they sum to 1). */
const NEIGHBOURS: ReadonlyArray<readonly [dy: number, dx: number, weight: number]> = [
  [-1, -1, 1 / 12], [-1, 0, 1 / 6], [-1, 1, 1 / 12],
  [0, -1, 1 / 6], [0, 1, 1 / 6],
  [1, -1, 1 / 12], [1, 0, 1 / 6], [1, 1, 1 / 12],
];

export interface ImputationOptions {
  /** Standard deviation of the Gaussian noise added to the filled pixels. */
  noise: number;
  /** Draws the noise (removed pixels in row-major order, channels innermost); needed when noise > 0. */
  random?: Random;
  /** The solver stops when ‖r − A·x‖ ≤ tolerance · ‖r‖. */
  tolerance: number;
  /** Default 10 000. */
  maxIterations?: number;
}

export interface ImputationResult {
  /** The image with the removed pixels filled, NHWC `[H, W, C]` like the input. */
  image: Float32Array;
  /** Conjugate-gradient iterations used (the most over the channels). */
  iterations: number;
  /** The largest relative residual reached over the channels. */
  residual: number;
}

/**
 * Noisy linear imputation (Rong et al. 2022, ROAD): every removed pixel becomes the weighted mean
 * of its neighbours inside the image (the stencil's weights, divided by the sum of the weights of
 * the neighbours that exist), removed neighbours being unknowns too. That is a sparse symmetric
 * system `(D − W_uu) x = W_uk v` per channel, solved by Jacobi-preconditioned conjugate gradients
 * in float64; then `noise · N(0, 1)` is added to the filled values. `image` is one NHWC image
 * `[H, W, C]` (row-major, channels innermost); `removed[y·W + x]` is non-zero for removed pixels.
 */
export function noisyLinearImputation(
  image: Float32Array,
  height: number,
  width: number,
  channels: number,
  removed: Uint8Array,
  options: ImputationOptions,
): ImputationResult {
  if (image.length !== height * width * channels || removed.length !== height * width) {
    throw new XaiError(`Imputation needs an ${height}×${width}×${channels} image and an ${height}×${width} mask`);
  }
  if (options.noise > 0 && !options.random) throw new XaiError('Noisy imputation needs a seeded random source');
  const system = buildSystem(height, width, removed);
  const out = Float32Array.from(image);
  const unknowns = system.pixels.length;
  let iterations = 0;
  let residual = 0;
  if (unknowns > 0) {
    const rhs = new Float64Array(unknowns);
    for (let c = 0; c < channels; c++) {
      for (let u = 0; u < unknowns; u++) {
        let sum = 0;
        for (let k = system.knownStart[u]; k < system.knownStart[u + 1]; k++) sum += system.knownWeight[k] * image[system.knownPixel[k] * channels + c];
        rhs[u] = sum;
      }
      const solved = conjugateGradients(system, rhs, options.tolerance, options.maxIterations ?? 10_000);
      iterations = Math.max(iterations, solved.iterations);
      residual = Math.max(residual, solved.residual);
      for (let u = 0; u < unknowns; u++) out[system.pixels[u] * channels + c] = solved.x[u];
    }
    if (options.noise > 0) {
      for (let u = 0; u < unknowns; u++) {
        for (let c = 0; c < channels; c++) out[system.pixels[u] * channels + c] += options.noise * options.random!.normal();
      }
    }
  }
  return { image: out, iterations, residual };
}

/** The system in compressed rows: per unknown, its diagonal, its unknown neighbours and its known ones. */
interface System {
  /** The removed pixels (row-major), i.e. the unknowns in order. */
  pixels: Int32Array;
  /** The sum of the weights of the neighbours inside the image. */
  diagonal: Float64Array;
  unknownStart: Int32Array;
  unknownIndex: Int32Array;
  unknownWeight: Float64Array;
  knownStart: Int32Array;
  knownPixel: Int32Array;
  knownWeight: Float64Array;
}

function buildSystem(height: number, width: number, removed: Uint8Array): System {
  const index = new Int32Array(height * width).fill(-1);
  const pixelList: number[] = [];
  for (let i = 0; i < removed.length; i++) if (removed[i]) index[i] = pixelList.push(i) - 1;
  const n = pixelList.length;
  const diagonal = new Float64Array(n);
  const unknownStart = new Int32Array(n + 1);
  const knownStart = new Int32Array(n + 1);
  const unknownIndex: number[] = [];
  const unknownWeight: number[] = [];
  const knownPixel: number[] = [];
  const knownWeight: number[] = [];
  for (let u = 0; u < n; u++) {
    const y = Math.floor(pixelList[u] / width);
    const x = pixelList[u] % width;
    for (const [dy, dx, weight] of NEIGHBOURS) {
      const ny = y + dy;
      const nx = x + dx;
      if (ny < 0 || nx < 0 || ny >= height || nx >= width) continue;
      diagonal[u] += weight;
      const neighbour = ny * width + nx;
      if (index[neighbour] >= 0) {
        unknownIndex.push(index[neighbour]);
        unknownWeight.push(weight);
      } else {
        knownPixel.push(neighbour);
        knownWeight.push(weight);
      }
    }
    unknownStart[u + 1] = unknownIndex.length;
    knownStart[u + 1] = knownPixel.length;
  }
  return {
    pixels: Int32Array.from(pixelList),
    diagonal,
    unknownStart,
    unknownIndex: Int32Array.from(unknownIndex),
    unknownWeight: Float64Array.from(unknownWeight),
    knownStart,
    knownPixel: Int32Array.from(knownPixel),
    knownWeight: Float64Array.from(knownWeight),
  };
}

/**
 * Jacobi-preconditioned conjugate gradients on `(D − W) x = b`, stopping on the true residual
 * (recomputed, and the iteration restarted from it, when the recurrence claims convergence). The
 * matrix is symmetric and positive semi-definite; a group of removed pixels with no known
 * neighbour makes it singular, but its right-hand side is then 0 and the iterates stay 0 there.
 */
function conjugateGradients(system: System, b: Float64Array, tolerance: number, maxIterations: number): { x: Float64Array; iterations: number; residual: number } {
  const n = b.length;
  const x = new Float64Array(n);
  const r = Float64Array.from(b);
  const z = new Float64Array(n);
  const p = new Float64Array(n);
  const q = new Float64Array(n);
  const bNorm = Math.sqrt(dot(b, b));
  if (bNorm === 0) return { x, iterations: 0, residual: 0 };
  let iterations = 0;
  let residual = 1;
  restart: while (iterations < maxIterations) {
    for (let i = 0; i < n; i++) z[i] = r[i] / system.diagonal[i];
    p.set(z);
    let rz = dot(r, z);
    while (iterations < maxIterations) {
      multiply(system, p, q);
      const alpha = rz / dot(p, q);
      for (let i = 0; i < n; i++) {
        x[i] += alpha * p[i];
        r[i] -= alpha * q[i];
      }
      iterations++;
      if (Math.sqrt(dot(r, r)) <= tolerance * bNorm) {
        multiply(system, x, q);
        for (let i = 0; i < n; i++) r[i] = b[i] - q[i];
        residual = Math.sqrt(dot(r, r)) / bNorm;
        if (residual <= tolerance) break restart;
        continue restart;
      }
      for (let i = 0; i < n; i++) z[i] = r[i] / system.diagonal[i];
      const next = dot(r, z);
      const beta = next / rz;
      rz = next;
      for (let i = 0; i < n; i++) p[i] = z[i] + beta * p[i];
    }
  }
  if (!(residual <= tolerance)) {
    multiply(system, x, q);
    for (let i = 0; i < n; i++) r[i] = b[i] - q[i];
    residual = Math.sqrt(dot(r, r)) / bNorm;
    throw new XaiError(`Imputation did not converge: relative residual ${residual.toExponential(2)} after ${iterations} conjugate-gradient iterations (tolerance ${tolerance})`);
  }
  return { x, iterations, residual };
}

function multiply(system: System, v: Float64Array, out: Float64Array): void {
  for (let u = 0; u < v.length; u++) {
    let sum = system.diagonal[u] * v[u];
    for (let k = system.unknownStart[u]; k < system.unknownStart[u + 1]; k++) sum -= system.unknownWeight[k] * v[system.unknownIndex[k]];
    out[u] = sum;
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

import { resizeReference } from '@xai/testing';

/**
 * The CAM family written again with plain loops in float64, for checking the tensor code.
 * Feature maps are NHWC `[h][w][k]` flattened; maps are row-major `h × w`.
 */

export { resizeReference };

export interface Layer {
  h: number;
  w: number;
  k: number;
}

/** pytorch-grad-cam's `scale_cam_image` without the resize: `(m − min) / (max(m − min) + 1e-7)`. */
export function scaleReference(map: ArrayLike<number>): Float64Array {
  let min = Infinity;
  for (let i = 0; i < map.length; i++) min = Math.min(min, map[i]);
  const out = Float64Array.from(map, (v) => v - min);
  let max = -Infinity;
  for (const v of out) max = Math.max(max, v);
  return out.map((v) => v / (max + 1e-7));
}


/** ReLU → scale → resize per layer, then ReLU, mean over the layers, scale (pytorch-grad-cam). */
export function postProcessReference(raws: { map: ArrayLike<number>; h: number; w: number }[], H: number, W: number): Float64Array {
  const mean = new Float64Array(H * W);
  for (const { map, h, w } of raws) {
    const layer = resizeReference(scaleReference(Array.from(map, (v) => Math.max(v, 0))), h, w, H, W);
    layer.forEach((v, i) => (mean[i] += Math.max(v, 0) / raws.length));
  }
  return scaleReference(mean);
}

function perChannel(values: ArrayLike<number>, k: number, f: (v: number, i: number) => number): Float64Array {
  const out = new Float64Array(k);
  for (let i = 0; i < values.length; i++) out[i % k] += f(values[i], i);
  return out;
}

function weighted(a: ArrayLike<number>, weights: ArrayLike<number>, k: number): Float64Array {
  const out = new Float64Array(a.length / k);
  for (let i = 0; i < a.length; i++) out[Math.floor(i / k)] += weights[i % k] * a[i];
  return out;
}

function summed(a: ArrayLike<number>, k: number, f: (i: number) => number): Float64Array {
  const out = new Float64Array(a.length / k);
  for (let i = 0; i < a.length; i++) out[Math.floor(i / k)] += f(i);
  return out;
}

/** SPEC.md's raw maps of the gradient CAMs, by golden file stem. */
export const RAW_REFERENCES: Record<string, (a: ArrayLike<number>, g: ArrayLike<number>, k: number) => Float64Array> = {
  gradcam: (a, g, k) => weighted(a, perChannel(g, k, (v) => v / (g.length / k)), k),
  gradcam_pp: (a, g, k) => {
    const sumA = perChannel(a, k, (v) => v);
    const w = perChannel(g, k, (v, i) => {
      if (v === 0) return 0;
      const alpha = (v * v) / (2 * v * v + sumA[i % k] * v * v * v + 1e-6);
      return Math.max(v, 0) * alpha;
    });
    return weighted(a, w, k);
  },
  xgradcam: (a, g, k) => {
    const sumA = perChannel(a, k, (v) => v);
    return weighted(a, perChannel(g, k, (v, i) => (v * a[i]) / (sumA[i % k] + 1e-7)), k);
  },
  hirescam: (a, g, k) => summed(a, k, (i) => g[i] * a[i]),
  gradcam_elementwise: (a, g, k) => summed(a, k, (i) => Math.max(g[i] * a[i], 0)),
  layercam: (a, g, k) => summed(a, k, (i) => Math.max(g[i], 0) * a[i]),
};

/** `Σ_k w_k A_k` for given channel weights. */
export function weightedReference(a: ArrayLike<number>, weights: ArrayLike<number>, k: number): Float64Array {
  return weighted(a, weights, k);
}

/** Channel `c` of an NHWC `[h][w][k]` feature map, as an `h × w` map. */
export function channelOf(a: ArrayLike<number>, k: number, c: number): Float64Array {
  return Float64Array.from({ length: a.length / k }, (_, p) => a[p * k + c]);
}

/** Eigenvalues and eigenvectors of a symmetric matrix by cyclic Jacobi rotations (columns of `vectors`). */
export function jacobiEigen(matrix: Float64Array, m: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(m * m);
  for (let i = 0; i < m; i++) v[i * m + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < m; p++) for (let q = p + 1; q < m; q++) off += a[p * m + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < m; p++)
      for (let q = p + 1; q < m; q++) {
        const apq = a[p * m + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * m + q] - a[p * m + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < m; r++) {
          const arp = a[r * m + p];
          const arq = a[r * m + q];
          a[r * m + p] = c * arp - s * arq;
          a[r * m + q] = s * arp + c * arq;
        }
        for (let r = 0; r < m; r++) {
          const apr = a[p * m + r];
          const aqr = a[q * m + r];
          a[p * m + r] = c * apr - s * aqr;
          a[q * m + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < m; r++) {
          const vrp = v[r * m + p];
          const vrq = v[r * m + q];
          v[r * m + p] = c * vrp - s * vrq;
          v[r * m + q] = s * vrp + c * vrq;
        }
      }
  }
  return { values: Float64Array.from({ length: m }, (_, i) => a[i * m + i]), vectors: v };
}

/**
 * Eigen-CAM's raw map by Jacobi on `X_cᵀX_c` (independent of the power iteration): the centred
 * positions × channels matrix projected on the top eigenvector, sign-corrected.
 */
export function eigenReference(a: ArrayLike<number>, k: number): Float64Array {
  const n = a.length / k;
  const x = Float64Array.from(a);
  for (let c = 0; c < k; c++) {
    let mean = 0;
    for (let r = 0; r < n; r++) mean += x[r * k + c] / n;
    for (let r = 0; r < n; r++) x[r * k + c] -= mean;
  }
  const cov = new Float64Array(k * k);
  for (let r = 0; r < n; r++) for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) cov[i * k + j] += x[r * k + i] * x[r * k + j];
  const { values, vectors } = jacobiEigen(cov, k);
  let top = 0;
  for (let i = 1; i < k; i++) if (values[i] > values[top]) top = i;
  const p = Float64Array.from({ length: n }, (_, r) => {
    let dot = 0;
    for (let c = 0; c < k; c++) dot += x[r * k + c] * vectors[c * k + top];
    return dot;
  });
  const max = Math.max(...p);
  const min = Math.min(...p);
  return Math.abs(max) >= Math.abs(min) ? p : p.map((v) => -v);
}

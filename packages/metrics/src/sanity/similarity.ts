import type * as tf from '@tensorflow/tfjs-core';
import { XaiError, type Classifier, type LongWorkOptions, type SaliencyMap } from '@xai/core';
import { spearman } from '../correlation.js';

/** An H×W map as the similarity measures take it (a `SaliencyMap` fits). */
export interface MapGrid {
  data: ArrayLike<number>;
  height: number;
  width: number;
}

/**
 * How a sanity check gets a map: one method's map of class `classIndex` for `image` through
 * `model` (the original or a randomised copy). An app builds it from a prepared method.
 */
export type Explainer = (model: Classifier, image: tf.Tensor4D, classIndex: number, work: LongWorkOptions) => Promise<SaliencyMap>;

export interface Similarity {
  /** Spearman's rank correlation with the original map (NaN when either map is constant). */
  spearman: number;
  /** SSIM with the original map, both rescaled to [0, 1] (see `mapSsim`). */
  ssim: number;
}

/** SSIM's window side, skimage's `win_size` default. */
export const SSIM_WINDOW = 7;

export interface SsimOptions {
  /** The values' range L of `C1 = (K1·L)²`, `C2 = (K2·L)²` (default 1). */
  dataRange?: number;
}

/**
 * The structural similarity of two H×W grids exactly as skimage's `structural_similarity` with
 * its defaults (`win_size=7`, uniform window, `K1=0.01`, `K2=0.03`, `use_sample_covariance=True`):
 * local means, variances and covariance over every 7×7 window (the variances with the N−1
 * sample normalisation), the SSIM formula per window, and the mean over the windows that fit
 * inside the grid (skimage computes them at every pixel and crops the 3-pixel border, where
 * the windows would leave the grid). Values are taken as they are; see `mapSsim` for maps.
 */
export function ssim(a: MapGrid, b: MapGrid, options: SsimOptions = {}): number {
  const { height, width } = a;
  if (b.height !== height || b.width !== width) throw new XaiError(`SSIM needs two maps of one size, got ${height}×${width} and ${b.height}×${b.width}`);
  if (height < SSIM_WINDOW || width < SSIM_WINDOW) {
    throw new XaiError(`SSIM with a ${SSIM_WINDOW}×${SSIM_WINDOW} window needs maps of at least ${SSIM_WINDOW}×${SSIM_WINDOW}, got ${height}×${width}`);
  }
  const range = options.dataRange ?? 1;
  if (!(range > 0)) throw new XaiError(`SSIM's data range must be a positive number, got ${range}`);
  const x = Float64Array.from(a.data);
  const y = Float64Array.from(b.data);
  const sums = {
    x: summedArea(x, height, width),
    y: summedArea(y, height, width),
    xx: summedArea(x.map((v) => v * v), height, width),
    yy: summedArea(y.map((v) => v * v), height, width),
    xy: summedArea(x.map((v, i) => v * y[i]), height, width),
  };
  const n = SSIM_WINDOW * SSIM_WINDOW;
  const sample = n / (n - 1);
  const c1 = (0.01 * range) ** 2;
  const c2 = (0.03 * range) ** 2;
  let total = 0;
  let windows = 0;
  for (let top = 0; top + SSIM_WINDOW <= height; top++) {
    for (let left = 0; left + SSIM_WINDOW <= width; left++) {
      const mean = (s: Float64Array) => windowSum(s, width, top, left) / n;
      const ux = mean(sums.x);
      const uy = mean(sums.y);
      const vx = sample * (mean(sums.xx) - ux * ux);
      const vy = sample * (mean(sums.yy) - uy * uy);
      const vxy = sample * (mean(sums.xy) - ux * uy);
      total += ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
      windows++;
    }
  }
  return total / windows;
}

/**
 * SSIM of two saliency maps as the sanity checks compare them: each rescaled to [0, 1] (min → 0,
 * max → 1; a constant map → all 0), then `ssim` with data range 1. Maps have no common unit, so
 * only their shapes are compared.
 */
export function mapSsim(a: MapGrid, b: MapGrid): number {
  return ssim(unitRange(a), unitRange(b), { dataRange: 1 });
}

function unitRange(map: MapGrid): MapGrid {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < map.data.length; i++) {
    const v = map.data[i];
    if (Number.isNaN(v)) throw new XaiError(`Cannot compare a map with NaN values (index ${i})`);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max - min;
  const data = new Float64Array(map.data.length);
  if (span > 0) for (let i = 0; i < data.length; i++) data[i] = (map.data[i] - min) / span;
  return { data, height: map.height, width: map.width };
}

/** Summed-area table with a zero first row and column: `(H+1)×(W+1)`. */
function summedArea(values: Float64Array, height: number, width: number): Float64Array {
  const stride = width + 1;
  const out = new Float64Array((height + 1) * stride);
  for (let y = 0; y < height; y++) {
    let row = 0;
    for (let x = 0; x < width; x++) {
      row += values[y * width + x];
      out[(y + 1) * stride + x + 1] = out[y * stride + x + 1] + row;
    }
  }
  return out;
}

function windowSum(table: Float64Array, width: number, top: number, left: number): number {
  const stride = width + 1;
  const bottom = top + SSIM_WINDOW;
  const right = left + SSIM_WINDOW;
  return table[bottom * stride + right] - table[top * stride + right] - table[bottom * stride + left] + table[top * stride + left];
}

/** Spearman's correlation and SSIM of a map with the original. */
export function mapSimilarity(original: SaliencyMap, map: SaliencyMap): Similarity {
  if (original.height !== map.height || original.width !== map.width) {
    throw new XaiError(`The maps differ in size (${original.height}×${original.width} and ${map.height}×${map.width}); a sanity check compares maps of one size`);
  }
  return { spearman: spearman(original.data, map.data), ssim: mapSsim(original, map) };
}

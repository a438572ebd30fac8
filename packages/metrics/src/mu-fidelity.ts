import * as tf from '@tensorflow/tfjs-core';
import {
  checkImage,
  classIndex as checkClass,
  predictHostValues,
  Random,
  runOverlapped,
  XaiError,
  type Classifier,
  type LongWorkOptions,
  type SaliencyMap,
} from '@xai/core';
import { spearman } from './correlation.js';
import { checkMap } from './validate.js';

export interface MuFidelitySettings {
  /** Cells per side of the grid the subsets are drawn on. Default 9 (xplique's). */
  grid?: number;
  /** Probability that a cell is in a subset. Default 0.2. */
  subset?: number;
  /** Number of subsets. Default 200. */
  samples?: number;
  /** Seeds the subsets. Default 0. */
  seed?: number;
  /** The value removed pixels take, in the normalised input space. Default 0 (the mean colour). */
  baseline?: number;
}

export interface MuFidelityOptions extends MuFidelitySettings, LongWorkOptions {
  /** Default: the top class of the intact image. */
  classIndex?: number;
}

export interface MuFidelityResult {
  /** Spearman's correlation between the map's sum over each subset and the logit's drop; 0 when either is constant. */
  value: number;
  classIndex: number;
  classSource: 'top-class' | 'given';
  protocol: Required<MuFidelitySettings> & { score: 'logit'; upsampling: 'nearest' };
}

export function muFidelitySettings(settings: MuFidelitySettings = {}): Required<MuFidelitySettings> {
  const grid = settings.grid ?? 9;
  const subset = settings.subset ?? 0.2;
  const samples = settings.samples ?? 200;
  const seed = settings.seed ?? 0;
  const baseline = settings.baseline ?? 0;
  if (!Number.isInteger(grid) || grid < 1) throw new XaiError(`MuFidelity's grid must be a whole number of cells ≥ 1, got ${grid}`);
  if (!(subset > 0 && subset < 1)) throw new XaiError(`MuFidelity's subset probability must be a number in (0, 1), got ${subset}`);
  if (!Number.isInteger(samples) || samples < 2) throw new XaiError(`MuFidelity needs a whole number of samples ≥ 2 (a correlation needs two points), got ${samples}`);
  if (!Number.isFinite(baseline)) throw new XaiError(`MuFidelity's baseline must be a finite number, got ${baseline}`);
  new Random(seed); // checks the seed
  return { grid, subset, samples, seed, baseline };
}

/**
 * The subsets: `samples` g×g grids drawn from `Random(seed)` (sample by sample, cells row-major), a
 * cell in the subset when its uniform draw is below `subset`; upsampled to H×W by nearest neighbour
 * (pixel `(y, x)` takes cell `(⌊(y + ½)·g/H⌋, ⌊(x + ½)·g/W⌋)`). Row-major, 1 where removed.
 */
export function muFidelitySubsets(settings: Required<MuFidelitySettings>, height: number, width: number): Uint8Array[] {
  const { grid, subset, samples, seed } = settings;
  const random = new Random(seed);
  const rows = Int32Array.from({ length: height }, (_, y) => Math.min(grid - 1, Math.floor(((y + 0.5) * grid) / height)));
  const cols = Int32Array.from({ length: width }, (_, x) => Math.min(grid - 1, Math.floor(((x + 0.5) * grid) / width)));
  return Array.from({ length: samples }, () => {
    const cells = Uint8Array.from({ length: grid * grid }, () => (random.uniform() < subset ? 1 : 0));
    const mask = new Uint8Array(height * width);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) mask[y * width + x] = cells[rows[y] * grid + cols[x]];
    return mask;
  });
}

/**
 * MuFidelity (Bhatt et al. 2020, xplique's `MuFidelity`): over seeded random subsets of a grid,
 * Spearman's rank correlation between the map's sum over the subset and the drop of the class
 * logit `y_c` when the subset is set to the baseline. A faithful map scores near 1. `image` is one
 * preprocessed NHWC image `[1, H, W, C]`; the subsets go through the model in batches.
 */
export async function muFidelity(model: Classifier, image: tf.Tensor4D, map: SaliencyMap, options: MuFidelityOptions = {}): Promise<MuFidelityResult> {
  checkImage(model, image, 'MuFidelity', { unbatched: false });
  checkMap(model, map);
  const settings = muFidelitySettings(options);
  const givenClass = options.classIndex === undefined ? undefined : checkClass(model, options.classIndex);
  const { height, width, channels } = model.input;
  const subsets = muFidelitySubsets(settings, height, width);
  const pixels = (await image.data()) as Float32Array;
  const imageSize = height * width * channels;
  const numClasses = model.numClasses;
  const logits = new Float32Array((subsets.length + 1) * numClasses);
  await runOverlapped(
    subsets.length + 1,
    (range) => {
      const values = new Float32Array((range.end - range.start) * imageSize);
      for (let i = range.start; i < range.end; i++) {
        const offset = (i - range.start) * imageSize;
        values.set(pixels, offset);
        if (i === 0) continue;
        const removed = subsets[i - 1];
        for (let q = 0; q < removed.length; q++) {
          if (removed[q]) values.fill(settings.baseline, offset + q * channels, offset + (q + 1) * channels);
        }
      }
      return values;
    },
    (values, range) => predictHostValues(model, values, range.end - range.start),
    (values, range) => logits.set(values, range.start * numClasses),
    { batchSize: options.batchSize, signal: options.signal, onProgress: options.onProgress, stage: 'mu-fidelity' },
  );
  let classIndex = givenClass ?? 0;
  if (givenClass === undefined) for (let k = 1; k < numClasses; k++) if (logits[k] > logits[classIndex]) classIndex = k;
  const intact = logits[classIndex];
  const drops = subsets.map((_, s) => intact - logits[(s + 1) * numClasses + classIndex]);
  const sums = subsets.map((removed) => {
    let sum = 0;
    for (let q = 0; q < removed.length; q++) if (removed[q] && !Number.isNaN(map.data[q])) sum += map.data[q];
    return sum;
  });
  const correlation = spearman(sums, drops);
  return {
    value: Number.isNaN(correlation) ? 0 : correlation,
    classIndex,
    classSource: givenClass === undefined ? 'top-class' : 'given',
    protocol: { ...settings, score: 'logit', upsampling: 'nearest' },
  };
}

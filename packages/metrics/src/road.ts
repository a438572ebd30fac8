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
import { noisyLinearImputation } from './imputation.js';
import { percentile } from './percentile.js';
import { checkMap } from './validate.js';

export type RoadOrder = 'morf' | 'lerf';

export const DEFAULT_ROAD_PERCENTILES: readonly number[] = [10, 20, 30, 40, 50, 60, 70, 80, 90];
export const DEFAULT_ROAD_NOISE = 0.01;
/** The imputation's conjugate gradients stop at this relative residual. */
export const DEFAULT_ROAD_TOLERANCE = 1e-6;

export interface RoadSettings {
  /** Each in [1, 99]; sorted increasing. Default 10, 20, …, 90. */
  percentiles?: readonly number[];
  /** Standard deviation of the noise added to imputed pixels (normalised input units). Default 0.01. */
  noise?: number;
  /** Seeds the noise. Default 0. */
  seed?: number;
  /** Relative residual the imputation is solved to. Default 1e-6. */
  tolerance?: number;
}

export interface RoadOptions extends RoadSettings, LongWorkOptions {
  /** The class whose probability is tracked. Default: the top class of the intact image. */
  classIndex?: number;
}

export interface RoadResult {
  percentiles: number[];
  /** Per percentile: softmax_c(f(imputed)) − softmax_c(f(x)), the most relevant pixels removed (lower is better). */
  morf: number[];
  /** The same with the least relevant pixels removed (higher, i.e. nearer 0, is better). */
  lerf: number[];
  /** pytorch-grad-cam's ROADCombined: (mean(lerf) − mean(morf)) / 2; higher is better. */
  combined: number;
  classIndex: number;
  classSource: 'top-class' | 'given';
  /** softmax_c(f(x)). */
  intact: number;
  protocol: { percentiles: number[]; noise: number; seed: number; tolerance: number; imputation: 'noisy-linear'; score: 'softmax' };
}

/** Checked settings, defaults filled in. */
export function roadSettings(settings: RoadSettings = {}): Required<RoadSettings> & { percentiles: number[] } {
  const percentiles = [...(settings.percentiles ?? DEFAULT_ROAD_PERCENTILES)];
  if (percentiles.length === 0) throw new XaiError('ROAD needs at least one percentile (each from 1 to 99)');
  for (const p of percentiles) {
    if (typeof p !== 'number' || !(p >= 1 && p <= 99)) throw new XaiError(`ROAD percentiles must be numbers from 1 to 99, got ${String(p)}`);
  }
  percentiles.sort((a, b) => a - b);
  const repeated = percentiles.find((p, i) => i > 0 && p === percentiles[i - 1]);
  if (repeated !== undefined) throw new XaiError(`ROAD percentile ${repeated} is given twice; give each once`);
  const noise = settings.noise ?? DEFAULT_ROAD_NOISE;
  if (!(noise >= 0) || !Number.isFinite(noise)) throw new XaiError(`ROAD noise must be a finite number ≥ 0, got ${noise}`);
  const seed = settings.seed ?? 0;
  new Random(seed); // checks the seed
  const tolerance = settings.tolerance ?? DEFAULT_ROAD_TOLERANCE;
  if (!(tolerance > 0 && tolerance < 1)) throw new XaiError(`ROAD tolerance must be a number in (0, 1), got ${tolerance}`);
  return { percentiles, noise, seed, tolerance };
}

/**
 * Which pixels ROAD removes at percentile `p`: MoRF those whose map value is ≥ the map's `p`-th
 * percentile, LeRF the same on `1 − map` (pytorch-grad-cam's convention, in float32 like its
 * tensors). Returns a row-major H×W mask, 1 where removed.
 */
export function roadRemoved(map: ArrayLike<number>, p: number, order: RoadOrder): Uint8Array {
  const values = Float32Array.from(map as ArrayLike<number>);
  if (order === 'lerf') for (let i = 0; i < values.length; i++) values[i] = 1 - values[i];
  const threshold = percentile(values, p);
  return Uint8Array.from(values, (v) => (v >= threshold ? 1 : 0));
}

/**
 * The image ROAD scores at percentile `p`: `image` (one NHWC image `[H, W, C]`, row-major) with
 * the removed pixels filled by noisy linear imputation.
 */
export function roadImpute(
  image: Float32Array,
  size: { height: number; width: number; channels: number },
  map: ArrayLike<number>,
  p: number,
  order: RoadOrder,
  options: { noise: number; random?: Random; tolerance?: number },
): Float32Array {
  const removed = roadRemoved(map, p, order);
  return noisyLinearImputation(image, size.height, size.width, size.channels, removed, {
    noise: options.noise,
    random: options.random,
    tolerance: options.tolerance ?? DEFAULT_ROAD_TOLERANCE,
  }).image;
}

/**
 * ROAD (Rong et al. 2022, "Remove and Debias"), as pytorch-grad-cam runs it: for each percentile,
 * the most (MoRF) and least (LeRF) relevant pixels are removed and filled by noisy linear
 * imputation, and the class probability's change is recorded. The intact image and the 2·P
 * imputed ones go through the model in batches. `image` is one preprocessed NHWC image
 * `[1, H, W, C]`. The noise is drawn from one stream seeded by `seed`: MoRF at each percentile in
 * increasing order, then LeRF.
 */
export async function road(model: Classifier, image: tf.Tensor4D, map: SaliencyMap, options: RoadOptions = {}): Promise<RoadResult> {
  checkImage(model, image, 'ROAD', { unbatched: false });
  checkMap(model, map);
  const settings = roadSettings(options);
  const givenClass = options.classIndex === undefined ? undefined : checkClass(model, options.classIndex);
  const { height, width, channels } = model.input;
  const imageSize = height * width * channels;
  const pixels = (await image.data()) as Float32Array;
  const random = new Random(settings.seed);
  const plan: Array<{ order: RoadOrder; p: number } | undefined> = [
    undefined,
    ...settings.percentiles.map((p) => ({ order: 'morf' as const, p })),
    ...settings.percentiles.map((p) => ({ order: 'lerf' as const, p })),
  ];
  const numClasses = model.numClasses;
  const probabilities = new Float32Array(plan.length * numClasses);
  // The imputations (the costly part at large sizes) of the next batch run while the engine scores this one.
  await runOverlapped(
    plan.length,
    (range) => {
      const values = new Float32Array((range.end - range.start) * imageSize);
      for (let i = range.start; i < range.end; i++) {
        const step = plan[i];
        const imputed = step ? roadImpute(pixels, { height, width, channels }, map.data, step.p, step.order, { ...settings, random }) : pixels;
        values.set(imputed, (i - range.start) * imageSize);
      }
      return values;
    },
    (values, range) => predictHostValues(model, values, range.end - range.start, { softmax: true }),
    (values, range) => probabilities.set(values, range.start * numClasses),
    { batchSize: options.batchSize, signal: options.signal, onProgress: options.onProgress, stage: 'road' },
  );
  const classIndex = givenClass ?? argMax(probabilities.subarray(0, numClasses));
  const intact = probabilities[classIndex];
  const change = (i: number) => probabilities[i * numClasses + classIndex] - intact;
  const count = settings.percentiles.length;
  const morf = Array.from({ length: count }, (_, k) => change(1 + k));
  const lerf = Array.from({ length: count }, (_, k) => change(1 + count + k));
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  return {
    percentiles: settings.percentiles,
    morf,
    lerf,
    combined: (mean(lerf) - mean(morf)) / 2,
    classIndex,
    classSource: givenClass === undefined ? 'top-class' : 'given',
    intact,
    protocol: { ...settings, imputation: 'noisy-linear', score: 'softmax' },
  };
}

function argMax(row: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < row.length; k++) if (row[k] > row[best]) best = k;
  return best;
}

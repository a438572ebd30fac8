import * as tf from '@tensorflow/tfjs-core';
import {
  XaiError,
  checkBatchSize,
  checkImage,
  DEFAULT_BATCH_SIZE,
  hostBatchLayout,
  predictHost,
  relaid,
  runOverlapped,
  runPipelined,
  saliencyMap,
  topClasses,
  type Classifier,
  type Layout,
  type LongWorkOptions,
  type SaliencyMap,
} from '@xai/core';
import { resolveClasses, type ClassSelection } from './classes.js';
import { maskSourceFor, type MaskOptions } from './mask-options.js';
import type { MaskSource, MaskStream } from './masks/source.js';
import { MIN_MASKS_TO_STOP, NoiseEstimate, type NoiseTerms } from './stability.js';

/** What the model's output is turned into before weighting the masks. */
export type ScoreKind = 'prob' | 'logit';

export interface RiseOptions extends MaskOptions, LongWorkOptions {
  /** `prob` (softmax, the RISE paper, default) or `logit` (raw logits, as the reference notebooks). */
  scores?: ScoreKind;
  /** Classes to explain; the top class of the intact image by default. */
  classes?: ClassSelection;
  /**
   * A stopping rule: after each batch, stop once the map's relative noise ε (see
   * `NoiseEstimate.relativeNoise`) is below this, never before 100 masks; `n` stays the ceiling. Needs
   * drawn masks in the `per-mask` order, which it chooses unless `maskOrder` says otherwise.
   */
  untilStable?: number;
}

interface Accumulated {
  sums: Float32Array;
  mean: number;
  masksUsed: number;
  relativeError?: number;
}

/**
 * RISE saliency of one preprocessed NHWC image `[1, H, W, C]`: the masked copies `x ⊙ M_i` are
 * scored batch by batch and `S_k = Σ_i f_k(x ⊙ M_i) · M_i / (N · mean)` accumulated, so memory
 * depends on the batch size, never on N. One map per requested class.
 */
export async function rise(model: Classifier, image: tf.Tensor, options: RiseOptions = {}): Promise<SaliencyMap[]> {
  const scores = options.scores ?? 'prob';
  if (scores !== 'prob' && scores !== 'logit') {
    throw new XaiError(`scores: unknown kind ${JSON.stringify(scores)}; accepted: 'prob', 'logit'`);
  }
  const untilStable = checkUntilStable(options);
  const source = maskSourceFor(model.input, untilStable === undefined ? options : { ...options, maskOrder: 'per-mask' });
  checkBatchSize(options.batchSize ?? DEFAULT_BATCH_SIZE);
  const input = checkImage(model, image, 'RISE');
  let classes: number[], result: Accumulated;
  try {
    classes = await resolveClasses(model, input, options.classes);
    const watched = untilStable === undefined ? [] : await watchedRows(model, input, classes, options.classes);
    result = await accumulate(model, input, source, classes, scores, { untilStable, watched }, options);
  } finally {
    if (input !== image) input.dispose();
  }

  const { sums, mean, masksUsed, relativeError } = result;
  const pixels = source.height * source.width;
  const divisor = masksUsed * mean;
  const method = source.kind === 'binary' ? 'rise' : `rise-${source.kind}`;
  const stopping = untilStable === undefined ? {} : { untilStable, relativeError };
  const params = { ...source.params, masks: source.kind, scores, normalizingMean: mean, masksUsed, ...stopping };
  return classes.map((classIndex, row) => {
    const data = new Float32Array(pixels);
    for (let i = 0; i < pixels; i++) data[i] = sums[row * pixels + i] / divisor;
    return saliencyMap({
      data,
      height: source.height,
      width: source.width,
      classIndex,
      className: model.classNames?.[classIndex],
      method,
      params,
    });
  });
}

/**
 * Streams the masks through the model: `Σ_i f(x ⊙ M_i) · M_i` for the chosen classes, the next
 * batch's masks drawn and applied while the engine scores the current one. With a stopping rule
 * it also sums `f² · M²`, and ends after the first batch whose error estimate is below it.
 */
async function accumulate(
  model: Classifier,
  image: tf.Tensor4D,
  source: MaskSource,
  classes: number[],
  scores: ScoreKind,
  { untilStable, watched }: { untilStable?: number; watched: number[] },
  options: LongWorkOptions,
): Promise<Accumulated> {
  const { height, width } = source;
  const channels = image.shape[3];
  const pixels = height * width;
  const layout = hostBatchLayout(model);
  const imageValues = (await image.data()) as Float32Array;
  // Laid out as the batches will be, so masking reads it in order.
  const laidOutImage = layout === 'NCHW' ? relaid(imageValues, 1, { height, width, channels }, 'NHWC') : imageValues;
  const stream: MaskStream = source.open();
  const classIndices = tf.tensor1d(classes, 'int32');
  let total = tf.zeros([classes.length, pixels]);
  const noise = untilStable === undefined ? undefined : new NoiseEstimate(watched.length, pixels);
  const watchedIndices = tf.tensor1d(watched, 'int32');
  let relativeError: number | undefined;
  try {
    // The stopping rule's next batch needs the directions the previous one left: one at a time.
    const run = noise ? runPipelined : runOverlapped;
    const masksUsed = await run(
      source.count,
      ({ start, end }) => {
        const maskValues = stream.next(end - start);
        return { maskValues, maskedValues: maskImage(laidOutImage, maskValues, channels, layout) };
      },
      async ({ maskValues, maskedValues }, { start, end, index }) => {
        // Disposes what it makes (runOverlapped gives steps no tensor scope).
        const count = end - start;
        const logits = await predictHost(model, maskedValues, count, layout);
        try {
          await checkFinite(logits, index, start, end);
          const [weights, masks] = tf.tidy(() => [
            tf.gather(scores === 'prob' ? tf.softmax(logits) : logits, classIndices, 1) as tf.Tensor2D,
            tf.tensor2d(maskValues, [count, pixels]),
          ]);
          try {
            const part = tf.matMul(weights, masks, true, false);
            if (!noise) return { part };
            const watchedWeights = tf.gather(weights, watchedIndices, 1);
            try {
              return { part, terms: await noiseTerms(watchedWeights, masks, noise.directions()) };
            } finally {
              watchedWeights.dispose();
            }
          } finally {
            tf.dispose([weights, masks]);
          }
        } finally {
          logits.dispose();
        }
      },
      async ({ part, terms }, { end }) => {
        const next = tf.add(total, part);
        total.dispose();
        total = next;
        if (!terms) return;
        noise!.add(terms);
        const watchedSums = tf.gather(total, watchedIndices, 0);
        relativeError = noise!.relativeNoise((await watchedSums.data()) as Float32Array, end);
        watchedSums.dispose();
        if (end >= MIN_MASKS_TO_STOP && relativeError < untilStable!) return 'stop';
      },
      { ...options, stage: 'rise' },
    );
    return { sums: (await total.data()) as Float32Array, mean: stream.normalizingMean(masksUsed), masksUsed, relativeError };
  } finally {
    total.dispose();
    classIndices.dispose();
    watchedIndices.dispose();
  }
}

/** One batch's terms of the noise estimate (see `NoiseEstimate`), for the watched maps' scores `weights`. */
async function noiseTerms(weights: tf.Tensor2D, masks: tf.Tensor2D, directions: Float32Array | undefined): Promise<NoiseTerms> {
  const parts = tf.tidy(() => {
    const squaredWeights = tf.square(weights);
    const means = tf.mean(masks, 1, true);
    return [
      tf.matMul(squaredWeights, tf.square(masks), true, false),
      tf.matMul(weights, means, true, false),
      tf.matMul(squaredWeights, tf.square(means), true, false),
      ...(directions ? [tf.matMul(masks, tf.tensor2d(directions, [masks.shape[1], directions.length / masks.shape[1]]))] : []),
    ];
  });
  try {
    const [squares, levels, levelSquares, projections] = (await Promise.all(parts.map((t) => t.data()))) as Float32Array[];
    return { squares, levels, levelSquares, weights: (await weights.data()) as Float32Array, projections };
  } finally {
    tf.dispose(parts);
  }
}

/**
 * The maps the stopping rule follows: the intact image's top class when it is among those made
 * (the map people look at; a near-zero probability's map is mostly noise and would never settle),
 * else every map made.
 */
async function watchedRows(model: Classifier, image: tf.Tensor4D, classes: number[], selection: ClassSelection | undefined): Promise<number[]> {
  // Top-k selections list the top class first; otherwise it takes one more pass to know it.
  const topFirst = classes.length === 1 || selection === undefined || selection === 'top' || (typeof selection === 'object' && 'top' in selection);
  const [top] = topFirst ? classes : await topClasses(model, image, 1);
  const row = classes.indexOf(top);
  return row >= 0 ? [row] : classes.map((_, i) => i);
}

function checkUntilStable(options: RiseOptions): number | undefined {
  const epsilon = options.untilStable;
  if (epsilon === undefined) return undefined;
  if (typeof epsilon !== 'number' || !(epsilon > 0 && epsilon <= 1)) {
    throw new XaiError(`untilStable: the relative noise ε to stop at (see NoiseEstimate) must be a number in (0, 1], got ${String(epsilon)}`);
  }
  if (typeof options.masks === 'object' && options.masks !== null) {
    throw new XaiError('untilStable needs drawn masks (binary or gaussian): a given mask set fixes N and the normalising mean');
  }
  if (options.maskOrder === 'reference') {
    throw new XaiError(
      "untilStable needs maskOrder 'per-mask': in the reference order every mask depends on N, so a run stopped early would not equal a run of that many masks",
    );
  }
  return epsilon;
}

/**
 * `x ⊙ M_i` for each mask of `masks` (`[count, H·W]`), laid out as `layout`, as `image` is. Done
 * in JS: on the wasm backend a broadcasting multiply costs about as much as a convolution layer.
 */
function maskImage(image: Float32Array, masks: Float32Array, channels: number, layout: Layout): Float32Array {
  const out = new Float32Array(masks.length * channels);
  const pixels = image.length / channels;
  for (let start = 0, o = 0; start < masks.length; start += pixels) {
    if (layout === 'NCHW') {
      for (let c = 0; c < channels; c++) {
        const plane = c * pixels;
        for (let p = 0; p < pixels; p++, o++) out[o] = image[plane + p] * masks[start + p];
      }
    } else {
      for (let p = 0, v = 0; p < pixels; p++) {
        const weight = masks[start + p];
        for (let c = 0; c < channels; c++, v++, o++) out[o] = image[v] * weight;
      }
    }
  }
  return out;
}

async function checkFinite(logits: tf.Tensor, batch: number, start: number, end: number): Promise<void> {
  const values = await logits.data();
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new XaiError(
      `The model returned ${values[bad]} among its scores for batch ${batch} (masks ${start}–${end - 1}); ` +
        'RISE needs finite logits',
    );
  }
}

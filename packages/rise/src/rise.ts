import * as tf from '@tensorflow/tfjs-core';
import {
  XaiError,
  checkBatchSize,
  checkImage,
  DEFAULT_BATCH_SIZE,
  runBatched,
  saliencyMap,
  type Classifier,
  type LongWorkOptions,
  type SaliencyMap,
} from '@xai/core';
import { resolveClasses, type ClassSelection } from './classes.js';
import { maskSourceFor, type MaskOptions } from './mask-options.js';
import type { MaskSource, MaskStream } from './masks/source.js';

/** What the model's output is turned into before weighting the masks. */
export type ScoreKind = 'prob' | 'logit';

export interface RiseOptions extends MaskOptions, LongWorkOptions {
  /** `prob` (softmax, the RISE paper, default) or `logit` (raw logits, as the reference notebooks). */
  scores?: ScoreKind;
  /** Classes to explain; the top class of the intact image by default. */
  classes?: ClassSelection;
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
  const source = maskSourceFor(model.input, options);
  checkBatchSize(options.batchSize ?? DEFAULT_BATCH_SIZE);
  const input = checkImage(model, image, 'RISE');
  let classes: number[], sums: Float32Array, mean: number;
  try {
    classes = await resolveClasses(model, input, options.classes);
    ({ sums, mean } = await accumulate(model, input, source, classes, scores, options));
  } finally {
    if (input !== image) input.dispose();
  }

  const pixels = source.height * source.width;
  const divisor = source.count * mean;
  const method = source.kind === 'binary' ? 'rise' : `rise-${source.kind}`;
  const params = { ...source.params, masks: source.kind, scores, normalizingMean: mean };
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

/** Streams the masks through the model: `Σ_i f(x ⊙ M_i) · M_i` for the chosen classes. */
async function accumulate(
  model: Classifier,
  image: tf.Tensor4D,
  source: MaskSource,
  classes: number[],
  scores: ScoreKind,
  options: LongWorkOptions,
): Promise<{ sums: Float32Array; mean: number }> {
  const { height, width } = source;
  const channels = image.shape[3];
  const pixels = height * width;
  const imageValues = (await image.data()) as Float32Array;
  const stream: MaskStream = source.open();
  const classIndices = tf.tensor1d(classes, 'int32');
  let total = tf.zeros([classes.length, pixels]);
  try {
    await runBatched(
      source.count,
      async ({ start, end, index }) => {
        const count = end - start;
        const maskValues = stream.next(count);
        const masked = tf.tensor4d(maskImage(imageValues, maskValues, channels), [count, height, width, channels]);
        const logits = await model.predict(masked);
        await checkFinite(logits, index, start, end);
        const weights = tf.gather(scores === 'prob' ? tf.softmax(logits) : logits, classIndices, 1);
        return tf.matMul(weights, tf.tensor2d(maskValues, [count, pixels]), true, false);
      },
      (part) => {
        const next = tf.add(total, part);
        total.dispose();
        total = next;
      },
      { ...options, stage: 'rise' },
    );
    return { sums: (await total.data()) as Float32Array, mean: stream.normalizingMean() };
  } finally {
    total.dispose();
    classIndices.dispose();
  }
}

/**
 * `x ⊙ M_i` for a batch of masks, each broadcast over the channels. Done in JS: on the wasm
 * backend a broadcasting multiply costs about as much as a convolution layer.
 */
function maskImage(image: Float32Array, masks: Float32Array, channels: number): Float32Array {
  const out = new Float32Array(masks.length * channels);
  const pixels = image.length / channels;
  for (let start = 0, o = 0; start < masks.length; start += pixels) {
    for (let p = 0, v = 0; p < pixels; p++) {
      const weight = masks[start + p];
      for (let c = 0; c < channels; c++, v++, o++) out[o] = image[v] * weight;
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

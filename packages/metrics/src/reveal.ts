import * as tf from '@tensorflow/tfjs-core';
import { predictHostValues, runOverlapped, type BatchOptions, type Classifier } from '@xai/core';

/** Class probabilities along a revealing sequence: row i is `softmax(f(image_i))`, `numClasses` wide. */
export interface RevealScores {
  probabilities: Float32Array;
  numClasses: number;
  /** n + 1. */
  points: number;
}

/**
 * Scores `image_i` for `i = 0 … n`, `n = ceil(H·W / step)`: `start` with its first `min(i·step, H·W)`
 * pixels of `order` (all channels) taken from `end`. Many steps go through the model in one batch.
 * The batch is assembled on the host, each image from the previous one by copying `step` pixels:
 * exact (every value is start's or end's, bit for bit), linear in the batch size, and much cheaper
 * than broadcasting element-wise ops on the wasm backend; the next batch is assembled while the
 * engine scores the current one. Memory is bounded by the batch size.
 */
export async function scoreRevealing(
  model: Classifier,
  start: tf.Tensor4D,
  end: tf.Tensor4D,
  order: Int32Array,
  step: number,
  options: BatchOptions,
): Promise<RevealScores> {
  const [, height, width, channels] = start.shape;
  const imageSize = height * width * channels;
  const points = Math.ceil(order.length / step) + 1;
  const numClasses = model.numClasses;
  const probabilities = new Float32Array(points * numClasses);
  const endValues = (await end.data()) as Float32Array;
  const current = Float32Array.from((await start.data()) as Float32Array);
  let revealed = 0;
  const revealNextStep = () => {
    const until = Math.min(revealed + step, order.length);
    for (; revealed < until; revealed++) {
      const offset = order[revealed] * channels;
      for (let c = 0; c < channels; c++) current[offset + c] = endValues[offset + c];
    }
  };
  await runOverlapped(
    points,
    (range) => {
      const count = range.end - range.start;
      const values = new Float32Array(count * imageSize);
      for (let b = 0; b < count; b++) {
        values.set(current, b * imageSize);
        revealNextStep();
      }
      return values;
    },
    (values, range) => predictHostValues(model, values, range.end - range.start, { softmax: true }),
    (values, range) => probabilities.set(values, range.start * numClasses),
    options,
  );
  return { probabilities, numClasses, points };
}

/** Column `classIndex` of the scores: the curve. */
export function classCurve(scores: RevealScores, classIndex: number): number[] {
  return Array.from({ length: scores.points }, (_, i) => scores.probabilities[i * scores.numClasses + classIndex]);
}

/** Arg-max of row `row` (the first on ties). */
export function topClass(scores: RevealScores, row: number): number {
  const offset = row * scores.numClasses;
  let best = 0;
  for (let k = 1; k < scores.numClasses; k++) {
    if (scores.probabilities[offset + k] > scores.probabilities[offset + best]) best = k;
  }
  return best;
}

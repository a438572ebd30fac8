import * as tf from '@tensorflow/tfjs-core';
import { PREPROCESSING_PRESETS, type Classifier } from '@xai/core';

/**
 * A closed-form classifier for tests: `logits = flatten(x) · weights + bias`, with `weights`
 * `[H·W·C, K]` in NHWC order. `seen` records every batch it was given (as plain arrays) when asked.
 */
export function linearClassifier(
  size: { height: number; width: number; channels: number },
  weights: Float32Array,
  bias: number[],
  options: { record?: boolean } = {},
): Classifier & { seen: Float32Array[][]; calls: number } {
  const features = size.height * size.width * size.channels;
  const numClasses = bias.length;
  if (weights.length !== features * numClasses) throw new Error('weights must be [H·W·C, K]');
  const w = tf.keep(tf.tensor2d(weights, [features, numClasses]));
  const b = tf.keep(tf.tensor1d(bias));
  const model = {
    input: { ...size, layout: 'NHWC' as const },
    numClasses,
    preprocessing: PREPROCESSING_PRESETS.unit,
    engine: 'test:linear',
    seen: [] as Float32Array[][],
    calls: 0,
    async predict(batch: tf.Tensor4D): Promise<tf.Tensor2D> {
      model.calls++;
      if (options.record) {
        const values = await batch.data();
        const per = features;
        model.seen.push(Array.from({ length: batch.shape[0] }, (_, i) => Float32Array.from(values.subarray(i * per, (i + 1) * per))));
      }
      return tf.tidy(() => tf.add(tf.matMul(tf.reshape(batch, [batch.shape[0], features]), w), b) as tf.Tensor2D);
    },
    dispose() {
      w.dispose();
      b.dispose();
    },
  };
  return model;
}

/**
 * The oracle for analytic tests: two classes on an H×W×1 input; class 0's logit is `gain` times the
 * mean of the decisive pixels, class 1's is 0. Only the decisive pixels matter.
 */
export function oracleClassifier(height: number, width: number, decisive: (y: number, x: number) => boolean, gain = 8) {
  const count = countWhere(height, width, decisive);
  const weights = new Float32Array(height * width * 2);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) if (decisive(y, x)) weights[(y * width + x) * 2] = gain / count;
  return linearClassifier({ height, width, channels: 1 }, weights, [0, 0]);
}

function countWhere(height: number, width: number, test: (y: number, x: number) => boolean): number {
  let n = 0;
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (test(y, x)) n++;
  return n;
}

/** A deterministic pseudo-random sequence in [−1, 1) for test data. */
export function testValues(length: number, seed = 1): Float32Array {
  let state = seed >>> 0 || 1;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  });
}

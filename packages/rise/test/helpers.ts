import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { parseNpy, preprocessingPreset, type Classifier, type NpyArray } from '@xai/core';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** A `.npy` file under packages/rise/test/fixtures. */
export function readRiseFixture(...parts: string[]): NpyArray {
  const path = join(fixtures, ...parts);
  return parseNpy(new Uint8Array(readFileSync(path)), path);
}

/**
 * A test classifier whose logits are a fixed function of the NHWC batch (given as tfjs ops).
 * `calls` counts the images it scored.
 */
export function functionClassifier(
  size: { height: number; width: number; channels: number; numClasses: number },
  logits: (batch: tf.Tensor4D) => tf.Tensor2D,
): Classifier & { calls: number } {
  return {
    input: { height: size.height, width: size.width, channels: size.channels, layout: 'NHWC' },
    numClasses: size.numClasses,
    classNames: Array.from({ length: size.numClasses }, (_, i) => `class ${i}`),
    preprocessing: preprocessingPreset('unit'),
    engine: 'test',
    calls: 0,
    async predict(batch) {
      this.calls += batch.shape[0];
      return tf.tidy(() => logits(batch));
    },
    dispose() {},
  };
}

/** Logits `x·W` for a fixed weight matrix `W` of shape `[H·W·C, K]` (given row-major). */
export function linearClassifier(
  size: { height: number; width: number; channels: number; numClasses: number },
  weights: Float32Array,
): Classifier & { calls: number } {
  const features = size.height * size.width * size.channels;
  return functionClassifier(size, (batch) =>
    tf.matMul(tf.reshape(batch, [batch.shape[0], features]), tf.tensor2d(weights, [features, size.numClasses])),
  );
}

/** Deterministic pseudo-random values in [−1, 1) for test inputs (not the RISE generator). */
export function testValues(length: number, seed: number): Float32Array {
  const out = new Float32Array(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = ((state >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

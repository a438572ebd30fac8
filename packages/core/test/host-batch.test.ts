import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Classifier, Layout } from '../src/classifier.js';
import { hostBatchLayout, maskedBatch, predictHost, predictMasked } from '../src/host-batch.js';
import { poolClassifier } from '../src/pool/pooled.js';
import { PREPROCESSING_PRESETS } from '../src/preprocess.js';
import { useBackend } from './helpers.js';

const [H, W, C] = [2, 3, 2];
/** Image b's value at (y, x, colour c) is 100·b + 10·c + (y·W + x): where a value lands shows in it. */
const coded = (rows: number, layout: Layout) => {
  const out: number[] = [];
  for (let b = 0; b < rows; b++) {
    if (layout === 'NHWC') for (let p = 0; p < H * W; p++) for (let c = 0; c < C; c++) out.push(100 * b + 10 * c + p);
    else for (let c = 0; c < C; c++) for (let p = 0; p < H * W; p++) out.push(100 * b + 10 * c + p);
  }
  return Float32Array.from(out);
};

/** A model that keeps what it was given: NHWC batches through `predict`, host values through `predictValues` (when `takes` says in which layout). */
function recorder(takes?: Layout) {
  const seen: { predict: number[][]; predictValues: number[][] } = { predict: [], predictValues: [] };
  const logits = (rows: number) => tf.zeros([rows, 2]) as tf.Tensor2D;
  const model: Classifier = {
    input: { height: H, width: W, channels: C, layout: takes ?? 'NCHW' },
    numClasses: 2,
    preprocessing: PREPROCESSING_PRESETS.unit,
    engine: 'test',
    predict: async (batch) => {
      seen.predict.push(Array.from(await batch.data()));
      return logits(batch.shape[0]);
    },
    ...(takes ? { predictValues: async (values: Float32Array, rows: number) => (seen.predictValues.push(Array.from(values)), logits(rows)) } : {}),
    dispose: () => {},
  };
  return { model, seen };
}

describe('host batches', () => {
  beforeAll(() => useBackend('cpu'));

  it('the host layout is the model’s own when it takes host values, NHWC otherwise', () => {
    expect(hostBatchLayout(recorder('NCHW').model)).toBe('NCHW');
    expect(hostBatchLayout(recorder('NHWC').model)).toBe('NHWC');
    expect(hostBatchLayout(recorder().model)).toBe('NHWC');
  });

  it.each([
    ['NHWC values, a model taking NCHW', 'NHWC', 'NCHW'],
    ['NCHW values, a model taking NCHW', 'NCHW', 'NCHW'],
    ['NCHW values, a model taking NHWC', 'NCHW', 'NHWC'],
  ] as const)('predictHost: %s gets them in its layout', async (_name, given, takes) => {
    const { model, seen } = recorder(takes);
    tf.dispose(await predictHost(model, coded(2, given), 2, given));
    expect(seen).toEqual({ predict: [], predictValues: [Array.from(coded(2, takes))] });
  });

  it.each(['NHWC', 'NCHW'] as const)('predictHost: without predictValues, %s values reach predict as an NHWC tensor, disposed after', async (given) => {
    const { model, seen } = recorder();
    const before = tf.memory().numTensors;
    tf.dispose(await predictHost(model, coded(3, given), 3, given));
    expect(tf.memory().numTensors).toBe(before);
    expect(seen).toEqual({ predict: [Array.from(coded(3, 'NHWC'))], predictValues: [] });
  });

  it('maskedBatch is x ⊙ M in the host layout, and predictMasked hands it over', async () => {
    const image = tf.tensor4d(coded(1, 'NHWC'), [1, H, W, C]);
    const masks = tf.tensor4d([0, 1, 2, 3, 4, 5, 1, 1, 1, 0, 0, 0], [2, H, W, 1]);
    const expected = tf.mul(image, masks);
    const nhwc = Array.from(await expected.data());
    for (const takes of ['NCHW', 'NHWC'] as const) {
      const { model, seen } = recorder(takes);
      const batch = maskedBatch(model, image, masks);
      tf.dispose(await predictMasked(model, batch));
      const laidOut = takes === 'NCHW' ? tf.transpose(expected, [0, 3, 1, 2]) : expected;
      expect(seen.predictValues).toEqual([Array.from(await laidOut.data())]);
      tf.dispose([batch, laidOut]);
    }
    const { model, seen } = recorder();
    const batch = maskedBatch(model, image, masks);
    tf.dispose(await predictMasked(model, batch));
    expect(seen.predict).toEqual([nhwc]);
    tf.dispose([batch, image, masks, expected]);
  });

  it('a pooled model never exposes the model’s own predictValues: every pass goes through the pool', () => {
    expect(poolClassifier(recorder('NCHW').model, { workers: 1 }).predictValues).toBeUndefined();
    expect(poolClassifier(recorder('NHWC').model, { workers: 1 }).predictValues).toBeUndefined();
  });
});

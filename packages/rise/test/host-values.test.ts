import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeak, linearClassifier, normalArray, uniformArray, useBackend, withHostValues } from '@xai/testing';
import { rise } from '../src/index.js';

const size = { height: 12, width: 10, channels: 3 };
const features = size.height * size.width * size.channels;
const bytes = (data: Float32Array) => Buffer.from(data.buffer, data.byteOffset, data.byteLength);

describe('RISE on a model that takes host values (predictValues)', () => {
  beforeAll(() => useBackend('cpu'));

  // A linear model over every value: masked values in the wrong place or layout change the logits.
  const weights = normalArray(features * 4, 11);

  it.each(['NCHW', 'NHWC'] as const)('%s: the masked batches go to predictValues, and the maps equal those through predict byte for byte', async (layout) => {
    const image = tf.tensor4d(uniformArray(features, 2, 0, 1), [1, size.height, size.width, size.channels]);
    const options = { n: 70, s: 3, seed: 4, batchSize: 16, classes: 'all' as const, scores: 'logit' as const };
    const plain = await rise(linearClassifier(size, weights), image, options);
    const host = withHostValues(linearClassifier(size, weights), layout);
    const maps = await expectNoLeak(() => rise(host.model, image, options));
    expect(host.calls).toEqual({ predict: 0, predictValues: 5 });
    expect(maps.map((m) => bytes(m.data).equals(bytes(plain[maps.indexOf(m)].data)))).toEqual([true, true, true, true]);
    image.dispose();
  });
});

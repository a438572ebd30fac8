import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saliencyMap, type Classifier } from '@xai/core';
import { expectNoLeak, linearClassifier, normalArray, uniformArray, useBackend, withHostValues } from '@xai/testing';
import { deletion, insertion, muFidelity, road } from '../src/index.js';

const size = { height: 10, width: 12, channels: 3 };
const features = size.height * size.width * size.channels;

describe('metrics on a model that takes host values (predictValues)', () => {
  // Linear over every value (with class-dependent weights): values in the wrong place change the scores.
  const weights = normalArray(features * 3, 21);
  const model = () => linearClassifier(size, weights);
  const map = saliencyMap({ data: uniformArray(size.height * size.width, 22, 0, 1), height: size.height, width: size.width, classIndex: 1, method: 'test', params: {} });
  let image: tf.Tensor4D;

  beforeAll(async () => {
    await useBackend('cpu');
    image = tf.tensor4d(uniformArray(features, 23, 0, 1), [1, size.height, size.width, size.channels]);
  });
  afterAll(() => image.dispose());

  const runs: [string, (m: Classifier) => Promise<unknown>][] = [
    ['insertion', (m) => insertion(m, image, map, { step: 9, batchSize: 4 })],
    ['deletion', (m) => deletion(m, image, map, { step: 9, batchSize: 4 })],
    ['ROAD', (m) => road(m, image, map, { batchSize: 3 })],
    ['MuFidelity', (m) => muFidelity(m, image, map, { grid: 3, samples: 12, batchSize: 5, seed: 2 })],
  ];

  it.each(runs)('%s: every batch goes to predictValues in NCHW, and the result equals the one through predict', async (_name, run) => {
    const plain = await run(model());
    const host = withHostValues(model(), 'NCHW');
    const result = await expectNoLeak(() => run(host.model));
    expect(host.calls.predictValues).toBeGreaterThan(0);
    expect(host.calls.predict).toBe(0);
    expect(result).toEqual(plain);
  });
});

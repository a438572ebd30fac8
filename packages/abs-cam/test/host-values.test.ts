import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { SpatialLinearClassifier, expectNoLeak, uniformArray, useBackend, withHostValues } from '@xai/testing';
import { absCamFinal } from '../src/index.js';

describe('Abs-CAM Final on a model that takes host values (predictValues)', () => {
  beforeAll(() => useBackend('cpu'));

  it.each(['NCHW', 'NHWC'] as const)('%s: the masked passes go to predictValues, and the map equals the one through predict', async (layout) => {
    const plainModel = new SpatialLinearClassifier();
    const image = tf.tensor4d(uniformArray(plainModel.size * plainModel.size * plainModel.channels, 41), [1, plainModel.size, plainModel.size, plainModel.channels]);
    const plain = await absCamFinal(plainModel, image, { target: 1, batchSize: 3 });
    const host = withHostValues(new SpatialLinearClassifier(), layout);
    const map = await expectNoLeak(() => absCamFinal(host.model, image, { target: 1, batchSize: 3 }));
    expect(host.calls.predictValues).toBeGreaterThan(0);
    expect(host.calls.predict).toBe(0);
    expect(Array.from(map.data)).toEqual(Array.from(plain.data));
    image.dispose();
  });
});

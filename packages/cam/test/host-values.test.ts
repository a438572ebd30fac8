import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { explainWith } from '@xai/core';
import { SpatialLinearClassifier, expectNoLeak, uniformArray, useBackend, withHostValues } from '@xai/testing';
import { scoreCam } from '../src/index.js';

describe('Score-CAM on a model that takes host values (predictValues)', () => {
  beforeAll(() => useBackend('cpu'));

  it.each(['NCHW', 'NHWC'] as const)('%s: the masked passes go to predictValues, and the maps equal those through predict', async (layout) => {
    const plainModel = new SpatialLinearClassifier();
    const image = tf.tensor4d(uniformArray(plainModel.size * plainModel.size * plainModel.channels, 31), [1, plainModel.size, plainModel.size, plainModel.channels]);
    const options = { targets: 'all' as const, layer: 'features', batchSize: 3 };
    const plain = await explainWith(scoreCam, plainModel, image, options);
    const host = withHostValues(new SpatialLinearClassifier(), layout);
    const maps = await expectNoLeak(() => explainWith(scoreCam, host.model, image, options));
    expect(host.calls.predictValues).toBeGreaterThan(0);
    expect(host.calls.predict).toBe(0);
    expect(maps.map((m) => Array.from(m.data))).toEqual(plain.map((m) => Array.from(m.data)));
    image.dispose();
  });
});

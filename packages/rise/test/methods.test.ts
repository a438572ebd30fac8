import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { MethodRegistry, XaiError, explainWith, prepareMethod, type ProgressEvent } from '@xai/core';
import { TEST_BACKENDS, expectNoLeak, expectRejectsWithoutLeak, linearClassifier, uniformArray, useBackend } from '@xai/testing';
import { RISE_METHODS, gaussianMasks, rise, riseBinary, riseGaussian, riseWithMasks } from '../src/index.js';

const size = { height: 12, width: 12, channels: 3 };
const features = size.height * size.width * size.channels;
const numClasses = 3;

describe.each(TEST_BACKENDS)('RISE as method descriptors, on %s', (backend) => {
  const weights = uniformArray(features * numClasses, 31);
  let image: tf.Tensor4D;

  beforeEach(async () => {
    await useBackend(backend);
    image = tf.tensor4d(uniformArray(features, 32, 0, 1), [1, size.height, size.width, size.channels]);
  });
  afterEach(() => image.dispose());

  it('explainWith(riseBinary) gives the maps rise() gives, and records method, parameters and targets', async () => {
    const model = linearClassifier(size, weights);
    const params = { n: 20, s: 4, p1: 0.3, seed: 2 };
    const [map] = await expectNoLeak(() => explainWith(riseBinary, model, image, { params, targets: 1, batchSize: 8 }));
    const [direct] = await expectNoLeak(() => rise(model, image, { ...params, classes: 1, batchSize: 8 }));
    expect(Array.from(map.data)).toEqual(Array.from(direct.data));
    expect(map.method).toBe('rise');
    expect(map.classIndex).toBe(1);
    expect(map.className).toBe('class-1');
    expect(map.params).toMatchObject({
      ...params, masks: 'binary', scores: 'prob', engine: 'test:linear', batchSize: 8, targetChosenBy: 'caller',
    });
  });

  it('takes parameters as text, fills in defaults, and explains the top class by default', async () => {
    const model = linearClassifier(size, weights);
    const [map] = await expectNoLeak(() => explainWith(riseGaussian, model, image, { params: { n: '16', s: '3', scores: 'logit' } }));
    const [direct] = await expectNoLeak(() => rise(model, image, { masks: 'gaussian', n: 16, s: 3, seed: 0, scores: 'logit' }));
    expect(map.method).toBe('rise-gaussian');
    expect(map.classIndex).toBe(direct.classIndex);
    expect(Array.from(map.data)).toEqual(Array.from(direct.data));
    expect(map.params).toMatchObject({ n: 16, s: 3, seed: 0, scores: 'logit', masks: 'gaussian', targetChosenBy: 'top' });
  });

  it('maps every class from one pass over the masks, with progress', async () => {
    const model = linearClassifier(size, weights);
    const events: ProgressEvent[] = [];
    const maps = await expectNoLeak(() =>
      explainWith(riseBinary, model, image, { params: { n: 10, s: 4 }, targets: 'all', batchSize: 4, onProgress: (e) => events.push(e) }),
    );
    expect(riseBinary.everyClassAtOnce).toBe(true);
    expect(maps.map((m) => m.classIndex)).toEqual([0, 1, 2]);
    expect(model.imagesScored).toBe(10);
    expect(events.map((e) => e.done)).toEqual([4, 8, 10]);
  });

  it('riseWithMasks uses the given masks and takes only the scores parameter', async () => {
    const model = linearClassifier(size, weights);
    const masks = gaussianMasks({ n: 9, s: 4, seed: 5, height: size.height, width: size.width });
    const method = riseWithMasks(masks);
    expect(method.id).toBe('rise-gaussian');
    expect(method.params.map((p) => p.name)).toEqual(['scores']);
    const [map] = await expectNoLeak(() => explainWith(method, model, image, { targets: 2 }));
    const [direct] = await expectNoLeak(() => rise(model, image, { masks, classes: 2 }));
    expect(Array.from(map.data)).toEqual(Array.from(direct.data));
    const refused = await expectRejectsWithoutLeak(() => explainWith(method, model, image, { params: { n: 5 } }));
    expect(refused.message).toMatch(/unknown parameter n; accepted: scores/);
  });

  it('refuses bad parameters, a layer and unknown classes before running the model', async () => {
    const model = linearClassifier(size, weights);
    const cases: [() => Promise<unknown>, RegExp][] = [
      [() => explainWith(riseGaussian, model, image, { params: { p1: 0.5 } }), /rise-gaussian: unknown parameter p1; accepted: n, s, seed, scores/],
      [() => explainWith(riseBinary, model, image, { params: { n: 0 } }), /rise: n must be a whole number from 1 to 1000000, got 0/],
      [() => explainWith(riseBinary, model, image, { params: { p1: '0' } }), /p1 must be a number in \(0, 1\], got "0"/],
      [() => explainWith(riseBinary, model, image, { params: { scores: 'raw' } }), /scores must be one of prob, logit/],
      [() => explainWith(riseBinary, model, image, { layer: 'conv1' }), /RISE works on the input and takes no layer; got layer conv1/],
      [() => explainWith(riseBinary, model, image, { targets: 'dog' }), /Unknown class name "dog"/],
      [() => explainWith(riseBinary, model, image, { targets: 3 }), /Class index 3 is out of range; the model has 3 classes/],
    ];
    for (const [run, message] of cases) {
      const error = await expectRejectsWithoutLeak(run);
      expect(error).toBeInstanceOf(XaiError);
      expect(error.message).toMatch(message);
    }
    expect(model.imagesScored).toBe(0);
  });
});

describe('RISE_METHODS', () => {
  it('registers both kinds, black-box and layer-free, with no conflicting parameters', () => {
    const registry = new MethodRegistry(RISE_METHODS);
    expect(registry.ids()).toEqual(['rise', 'rise-gaussian']);
    for (const method of RISE_METHODS) expect([method.box, method.layers]).toEqual(['black', 'none']);
    const model = linearClassifier(size, uniformArray(features * numClasses, 1));
    expect(prepareMethod(riseBinary, model, { params: { n: '7' } }).params).toEqual({ n: 7, s: 8, p1: 0.5, seed: 0, scores: 'prob', untilStable: 0, maskOrder: 'auto' });
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { LayersClassifier, type Classifier, type SaliencyMap } from '@xai/core';
import { loadOnnxModel } from '@xai/onnx';
import {
  TEST_BACKENDS,
  buildTinyChelseaLayersModel,
  fixturePath,
  goldenCase,
  nchwToNhwc,
  readFixtureFloat32,
  readFixtureNpy,
  relativeError,
  useBackend,
} from '@xai/testing';
import { masksFromNpy, rise } from '../src/index.js';

// The golden tiny-chelsea case through its ONNX file (run by tfjs ops on the backend under test)
// and through a tfjs LayersModel built from its state_dict.
const MODELS: Record<string, () => Promise<Classifier>> = {
  onnx: () => loadOnnxModel(fixturePath('tiny-chelsea', 'model.onnx'), { engine: 'tfjs', preprocessing: 'imagenet' }),
  'tfjs layers': async () => new LayersClassifier(buildTinyChelseaLayersModel(), { preprocessing: 'imagenet' }),
};
const cases = TEST_BACKENDS.flatMap((backend) => Object.keys(MODELS).map((model) => [backend, model] as const));
const golden = goldenCase();
const { N, s, p1 } = golden.rise;

function joined(maps: SaliencyMap[]): Float32Array {
  const out = new Float32Array(maps.length * maps[0].data.length);
  maps.forEach((map, i) => out.set(map.data, i * map.data.length));
  return out;
}

describe.each(cases)('golden tiny-chelsea RISE on %s, %s model', (backend, source) => {
  let model: Classifier;
  let image: tf.Tensor4D;
  let before = 0;

  beforeEach(async () => {
    await useBackend(backend);
    model = await MODELS[source]();
    const input = readFixtureFloat32('tiny-chelsea', 'input.npy');
    const nhwc = nchwToNhwc(input.data, input.shape);
    image = tf.tensor4d(nhwc.data, nhwc.shape as [number, number, number, number]);
    // A model may cache tensors it owns on its first run; count only what RISE leaves behind.
    (await model.predict(image)).dispose();
    before = tf.memory().numTensors;
  });
  afterEach(() => {
    const after = tf.memory().numTensors;
    image.dispose();
    model.dispose();
    expect(after).toBe(before);
  });

  it('uses a model that reproduces logits.npy', async () => {
    const logits = await model.predict(image);
    const values = await logits.data();
    logits.dispose();
    expect(relativeError(values, readFixtureFloat32('tiny-chelsea', 'logits.npy').data)).toBeLessThan(1e-4);
  });

  it.each([
    ['rise_orig.npy', 'masks_orig.npy', 'logit'],
    ['rise_orig_softmax.npy', 'masks_orig.npy', 'prob'],
    ['rise_gauss.npy', 'masks_gauss.npy', 'logit'],
  ] as const)('reproduces %s from %s with %s scores', async (expectedFile, masksFile, scores) => {
    const gaussian = masksFile === 'masks_gauss.npy';
    const masks = masksFromNpy(readFixtureNpy('tiny-chelsea', masksFile), {
      kind: gaussian ? 'gaussian' : 'binary',
      p1: gaussian ? undefined : p1,
      name: masksFile,
    });
    const maps = await rise(model, image, { masks, scores, classes: 'all', batchSize: 50 });
    const expected = readFixtureFloat32('tiny-chelsea', expectedFile);
    expect(expected.shape).toEqual([golden.n_classes, ...golden.input_size]);
    expect(relativeError(joined(maps), expected.data)).toBeLessThan(1e-4);
  });

  it("reproduces rise_orig.npy from generated masks: seed 0 draws the reference's masks", async () => {
    const maps = await rise(model, image, { n: N, s, p1, seed: 0, scores: 'logit', classes: 'all', batchSize: 64 });
    const expected = readFixtureFloat32('tiny-chelsea', 'rise_orig.npy');
    expect(relativeError(joined(maps), expected.data)).toBeLessThan(1e-4);
  });
});

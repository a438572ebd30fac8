import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { explainWith, type MethodDescriptor } from '@xai/core';
import {
  SpatialLinearClassifier, TEST_BACKENDS, expectNoLeak, maxAbsDiff, uniformArray, useBackend, type SpatialLinearClassifierOptions,
} from '@xai/testing';
import { ablationCam, gradCam, gradCamElementwise, gradCamPlusPlus, hiResCam, layerCam, scoreCam, xGradCam } from '../src/index.js';
import { RAW_REFERENCES, channelOf, postProcessReference, resizeReference, weightedReference } from './helpers/reference.js';

const GRADIENT_CAMS: [string, MethodDescriptor][] = [
  ['gradcam', gradCam],
  ['gradcam_pp', gradCamPlusPlus],
  ['xgradcam', xGradCam],
  ['hirescam', hiResCam],
  ['gradcam_elementwise', gradCamElementwise],
  ['layercam', layerCam],
];

const VARIANTS: { name: string; options: SpatialLinearClassifierOptions }[] = [
  { name: 'linear features (both signs)', options: {} },
  // Zero spatial weights make G = 0 at those cells (Grad-CAM++'s `a = 0` case).
  { name: 'ReLU features, G = 0 at some cells', options: { relu: true, spatial: new SpatialLinearClassifier().P.map((p, i) => (i % 5 === 0 ? 0 : p)) } },
];

function imageFor(model: SpatialLinearClassifier, seed = 5): { tensor: tf.Tensor4D; values: Float32Array } {
  const values = uniformArray(model.size * model.size * model.channels, seed, -1, 1);
  return { tensor: tf.tensor4d(values, [1, model.size, model.size, model.channels]), values };
}

async function explainOne(method: MethodDescriptor, model: SpatialLinearClassifier, image: tf.Tensor4D, classIndex: number, batchSize = 4) {
  const maps = await expectNoLeak(() => explainWith(method, model, image, { targets: classIndex, layer: 'features', batchSize }));
  expect(maps).toHaveLength(1);
  return maps[0];
}

describe.each(TEST_BACKENDS)('CAM formulas against closed-form gradients, %s', (backend) => {
  beforeAll(() => useBackend(backend));

  describe.each(VARIANTS)('$name', ({ options }) => {
    it.each(GRADIENT_CAMS)('%s matches the float64 reference for every class', async (stem, method) => {
      const model = new SpatialLinearClassifier(options);
      const { tensor, values } = imageFor(model);
      const a = model.featuresReference(values);
      for (let c = 0; c < model.numClasses; c++) {
        const map = await explainOne(method, model, tensor, c);
        const raw = RAW_REFERENCES[stem](a, model.gradientReference(c), model.featureChannels);
        const expected = postProcessReference([{ map: raw, h: model.size / 2, w: model.size / 2 }], model.size, model.size);
        expect(maxAbsDiff(map.data, expected), `class ${c}`).toBeLessThanOrEqual(1e-5);
      }
      tensor.dispose();
    });

    it('Score-CAM matches the reference (aligned-corner masks, raw logits, softmax)', async () => {
      const model = new SpatialLinearClassifier(options);
      const { tensor, values } = imageFor(model);
      const a = model.featuresReference(values);
      const { featureChannels: K, size, channels: C } = model;
      const h = size / 2;
      for (let c = 0; c < model.numClasses; c++) {
        const map = await explainOne(scoreCam, model, tensor, c);
        const scores = Array.from({ length: K }, (_, k) => {
          const up = resizeReference(channelOf(a, K, k), h, h, size, size, true);
          const min = Math.min(...up);
          const max = Math.max(...up);
          const mask = up.map((v) => (v - min) / (max - min + 1e-8));
          return model.logitsReference(values.map((v, i) => v * mask[Math.floor(i / C)]))[c];
        });
        const top = Math.max(...scores);
        const exp = scores.map((s) => Math.exp(s - top));
        const weights = exp.map((e) => e / exp.reduce((x, y) => x + y, 0));
        const expected = postProcessReference([{ map: weightedReference(a, weights, K), h, w: h }], size, size);
        expect(maxAbsDiff(map.data, expected), `class ${c}`).toBeLessThanOrEqual(1e-5);
      }
      tensor.dispose();
    });

    it('Ablation-CAM matches the reference and records the ablated value', async () => {
      const model = new SpatialLinearClassifier(options);
      const { tensor, values } = imageFor(model);
      const a = model.featuresReference(values);
      const { featureChannels: K, size } = model;
      const h = size / 2;
      const min = Math.min(...(await tf.tidy(() => tf.min(tf.tensor(Float32Array.from(a)))).data()));
      const value = options.relu ? 0 : min - 1e7;
      if (options.relu) expect(min).toBe(0);
      else expect(min).toBeLessThan(0);
      const y = model.headReference(a);
      for (let c = 0; c < model.numClasses; c++) {
        const map = await explainOne(ablationCam, model, tensor, c);
        expect(map.params.ablationValue).toBeCloseTo(value, options.relu ? 10 : 0);
        const weights = Array.from({ length: K }, (_, k) => {
          const ablated = a.map((v, i) => (i % K === k ? value : v));
          return (y[c] - model.headReference(ablated)[c]) / y[c];
        });
        const expected = postProcessReference([{ map: weightedReference(a, weights, K), h, w: h }], size, size);
        expect(maxAbsDiff(map.data, expected), `class ${c}`).toBeLessThanOrEqual(1e-4);
      }
      tensor.dispose();
    });
  });

  it('HiResCAM equals Grad-CAM when the gradient is constant over space', async () => {
    const model = new SpatialLinearClassifier({ spatial: new Float32Array(16).fill(0.7) });
    const { tensor } = imageFor(model, 9);
    const grads = model.gradientReference(1);
    for (let k = 0; k < model.featureChannels; k++) expect(new Set(channelOf(grads, model.featureChannels, k)).size).toBe(1);
    const hires = await explainOne(hiResCam, model, tensor, 1);
    const grad = await explainOne(gradCam, model, tensor, 1);
    tensor.dispose();
    expect(maxAbsDiff(hires.data, grad.data)).toBeLessThanOrEqual(1e-6);
    expect(Math.max(...grad.data)).toBeCloseTo(1, 5);
  });

  it('Grad-CAM on the linear model weights each channel by mean(P) · U_kc', async () => {
    const model = new SpatialLinearClassifier();
    const { tensor, values } = imageFor(model, 3);
    const c = 2;
    const meanP = model.P.reduce((s, p) => s + p, 0) / model.P.length;
    const weights = Array.from({ length: model.featureChannels }, (_, k) => meanP * model.U[k * model.numClasses + c]);
    const raw = weightedReference(model.featuresReference(values), weights, model.featureChannels);
    const map = await explainOne(gradCam, model, tensor, c);
    tensor.dispose();
    expect(maxAbsDiff(map.data, postProcessReference([{ map: raw, h: model.size / 2, w: model.size / 2 }], model.size, model.size))).toBeLessThanOrEqual(1e-5);
  });
});

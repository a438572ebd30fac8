import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainWith, selectBackend, type TfjsClassifier } from '@xai/core';
import { saliency } from '@xai/attributions';
import { modelParameterRandomisation, randomLogitTest, type Explainer, type RandomisationResult } from '@xai/metrics';
import { demoSample, imagesToBatch } from '../src/index.js';
import { loadDemoModel } from '../src/node/index.js';

const explainer = (method: typeof saliency): Explainer => async (model, image, classIndex, work) =>
  (await explainWith(method, model, image, { ...work, targets: classIndex }))[0];

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe('sanity checks on the demo model', () => {
  let model: TfjsClassifier;
  let image: tf.Tensor4D;
  let before: Float32Array;
  let saliencyRun: RandomisationResult;
  beforeAll(async () => {
    await selectBackend({ prefer: 'wasm' });
    model = await loadDemoModel();
    image = imagesToBatch([demoSample('star-1').image]);
    const logits = await model.predict(image);
    before = (await logits.data()) as Float32Array;
    logits.dispose();
  });
  afterAll(() => {
    image.dispose();
    model.dispose();
  });

  it('MPRT with Saliency: seeded, no tensor left, and the similarity falls as the cascade goes down', async () => {
    const tensors = tf.memory().numTensors;
    saliencyRun = await modelParameterRandomisation(model, image, explainer(saliency), { seed: 0 });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(saliencyRun.classIndex).toBe(3); // star
    expect(saliencyRun.steps.map((s) => s.layer).slice(0, 4)).toEqual(['logits', 'stage3_proj_bn', 'stage3_bn2', 'stage3_proj']);
    expect(saliencyRun.steps).toHaveLength(19);
    const spearman = saliencyRun.steps.map((s) => s.spearman);
    const ssim = saliencyRun.steps.map((s) => s.ssim);
    // Re-initialised from the output to the stem, the gradient map forgets the trained network.
    expect(mean(spearman.slice(-4))).toBeLessThan(mean(spearman.slice(0, 4)) - 0.2);
    expect(mean(ssim.slice(-4))).toBeLessThan(mean(ssim.slice(0, 4)) - 0.1);
    expect(spearman[spearman.length - 1]).toBeLessThan(0.5);
  });

  it('the same seed gives the same maps and numbers; the model predicts the same bytes after', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const again = await modelParameterRandomisation(model, image, explainer(saliency), { seed: 0, layers: 5 });
    expect(again.steps.map((s) => [s.layer, s.spearman, s.ssim])).toEqual(saliencyRun.steps.slice(0, 5).map((s) => [s.layer, s.spearman, s.ssim]));
    again.steps.forEach((s, k) => expect(s.map.data).toEqual(saliencyRun.steps[k].map.data));
    const logits = await model.predict(image);
    expect((await logits.data()) as Float32Array).toEqual(before);
    logits.dispose();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('random logit: the Saliency map of another class differs from the star\'s', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const result = await randomLogitTest(model, image, explainer(saliency), { seed: 0 });
    expect(result.classIndex).toBe(3);
    expect(result.otherClass).not.toBe(3);
    expect(result.spearman).toBeLessThan(0.95);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { saliencyMap, type Classifier, type ProgressEvent } from '@xai/core';
import { expectNoLeak, linearClassifier, twinNetwork, uniformArray, useBackend } from '@xai/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { mapSimilarity, type Explainer } from '../src/sanity/similarity.js';
import { cascadeLayers, modelParameterRandomisation } from '../src/sanity/randomisation.js';
import { otherClassOf, randomLogitTest } from '../src/sanity/random-logit.js';

/** |∂y_c/∂x| summed over channels: the Saliency map, by hand. */
const gradientMap: Explainer = async (model, image, classIndex) => {
  const gradients = await model.inputGradients!(image, classIndex);
  const summed = tf.tidy(() => tf.sum(tf.abs(gradients), 3));
  const data = (await summed.data()) as Float32Array;
  tf.dispose([gradients, summed]);
  return saliencyMap({ data, height: image.shape[1], width: image.shape[2], classIndex, method: 'saliency', params: {} });
};

async function logitBytes(model: Classifier, image: tf.Tensor4D): Promise<number[]> {
  const out = await model.predict(image);
  const data = Array.from(await out.data());
  out.dispose();
  return data;
}

const twin = twinNetwork();

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`model parameter randomisation on ${backend}`, () => {
    beforeAll(() => useBackend(backend));

    for (const kind of ['layers', 'graph'] as const) {
      it(`${kind} model: cascades from the output, seeded, leaving the model as it was`, async () => {
        const model = kind === 'layers' ? twin.layersClassifier() : await twin.graphClassifier();
        const image = tf.tensor4d(uniformArray(8 * 8 * 3, 4, 0, 1), [1, 8, 8, 3]);
        const before = await logitBytes(model, image);
        const names = kind === 'layers' ? ['logits', 'conv2', 'conv1'] : ['logits', 'block/conv2', 'block/conv1'];
        expect(cascadeLayers(model)).toEqual(names);
        const events: ProgressEvent[] = [];
        const run = () => modelParameterRandomisation(model, image, gradientMap, { seed: 3, onProgress: (e) => events.push(e) });
        const first = await expectNoLeak(run);
        expect(first.steps.map((s) => s.layer)).toEqual(names);
        expect(first.steps.map((s) => s.layers)).toEqual([names.slice(0, 1), names.slice(0, 2), names]);
        expect(events.map((e) => `${e.done}/${e.total}`)).toEqual(['1/4', '2/4', '3/4', '4/4']);
        for (const step of first.steps) {
          expect(step).toMatchObject(mapSimilarity(first.original, step.map));
          expect(step.spearman).toBeLessThan(0.999);
        }
        const second = await expectNoLeak(run);
        expect(second.steps.map((s) => [s.spearman, s.ssim, Array.from(s.map.data)])).toEqual(first.steps.map((s) => [s.spearman, s.ssim, Array.from(s.map.data)]));
        const other = await modelParameterRandomisation(model, image, gradientMap, { seed: 4, layers: 1 });
        expect(other.steps[0].map.data).not.toEqual(first.steps[0].map.data);
        expect(await logitBytes(model, image)).toEqual(before);
        image.dispose();
        model.dispose();
      });
    }

    it('refuses a model that cannot re-initialise, a cascade out of range, and stops when aborted', async () => {
      const blackBox = linearClassifier({ height: 8, width: 8, channels: 3 }, uniformArray(8 * 8 * 3 * 2, 1));
      const image = tf.tensor4d(uniformArray(8 * 8 * 3, 4, 0, 1), [1, 8, 8, 3]);
      await expect(modelParameterRandomisation(blackBox, image, gradientMap)).rejects.toThrow(/re-initialises weights; this model \(engine .*\) cannot/);
      const model = twin.layersClassifier();
      expect(() => cascadeLayers(model, 4)).toThrow('The cascade takes 1 to 3 layers (the model\'s layers with weights), got 4');
      expect(() => cascadeLayers(model, 0)).toThrow(/takes 1 to 3 layers.*got 0/);
      const controller = new AbortController();
      const aborting = modelParameterRandomisation(model, image, gradientMap, {
        signal: controller.signal,
        onProgress: (e) => e.done === 2 && controller.abort(),
      });
      await expect(aborting).rejects.toMatchObject({ name: 'AbortError' });
      image.dispose();
      model.dispose();
      blackBox.dispose();
    });
  });
}

describe('random logit', () => {
  beforeAll(() => useBackend('cpu'));

  it('draws another class from the seed, uniformly among the rest', () => {
    const counts = [0, 0, 0, 0, 0];
    for (let seed = 0; seed < 2000; seed++) counts[otherClassOf(2, 5, seed)]++;
    expect(counts[2]).toBe(0);
    for (const c of [0, 1, 3, 4]) expect(Math.abs(counts[c] - 500)).toBeLessThan(80);
    expect(otherClassOf(2, 5, 7)).toBe(otherClassOf(2, 5, 7));
  });

  it('compares the map of the class with that of the other: maps |w_c| of a linear model', async () => {
    // Class 1's weights are −3 × class 0's, so their |w| maps have the same shape; class 2's are unrelated.
    const size = { height: 8, width: 8, channels: 1 };
    const w0 = uniformArray(64, 5);
    const w2 = uniformArray(64, 6);
    const weights = new Float32Array(64 * 3);
    for (let p = 0; p < 64; p++) weights.set([w0[p], -3 * w0[p], w2[p]], p * 3);
    const model = linearClassifier(size, weights);
    const byWeights: Explainer = async (_m, _x, c) =>
      saliencyMap({ data: Float32Array.from({ length: 64 }, (_, p) => Math.abs(weights[p * 3 + c])), height: 8, width: 8, classIndex: c, method: 'w', params: {} });
    const image = tf.zeros([1, 8, 8, 1]) as tf.Tensor4D;
    const tensorsBefore = tf.memory().numTensors;
    const seedFor = (other: number) => [...Array(50).keys()].find((s) => otherClassOf(0, 3, s) === other)!;
    const same = await randomLogitTest(model, image, byWeights, { classIndex: 0, seed: seedFor(1) });
    expect([same.otherClass, same.spearman, same.ssim]).toEqual([1, expect.closeTo(1, 10), expect.closeTo(1, 10)]);
    const unrelated = await randomLogitTest(model, image, byWeights, { classIndex: 0, seed: seedFor(2) });
    expect(unrelated.otherClass).toBe(2);
    expect(unrelated.spearman).toBeLessThan(0.5);
    expect(unrelated.ssim).toBeLessThan(0.5);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    image.dispose();
    model.dispose();
  });
});

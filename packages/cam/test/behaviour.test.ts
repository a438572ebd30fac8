import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LayersClassifier, MethodRegistry, XaiError, explainWith, type MethodDescriptor, type ProgressEvent, type WhiteBoxClassifier,
} from '@xai/core';
import {
  SpatialLinearClassifier, buildTinyChelseaLayersModel, expectNoLeak, expectRejectsWithoutLeak, maxAbsDiff, readFixtureFloat32, uniformArray, useBackend,
} from '@xai/testing';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import {
  CAM_METHODS, ablationCam, eigenCam, gradCam, gradCamElementwise, gradCamPlusPlus, guidedGradCam, hiResCam, layerCam, scoreCam, xGradCam,
} from '../src/index.js';
import { RAW_REFERENCES, postProcessReference, weightedReference } from './helpers/reference.js';
import { tinyChelseaImage } from './helpers/tiny-chelsea.js';

beforeAll(() => useBackend('wasm'));

function linearImage(model: SpatialLinearClassifier): tf.Tensor4D {
  return tf.tensor4d(uniformArray(model.size * model.size * model.channels, 7), [1, model.size, model.size, model.channels]);
}

describe('descriptors', () => {
  it('lists the ten CAMs in order, with their ids and labels', () => {
    expect(CAM_METHODS.map((m) => [m.id, m.label])).toEqual([
      ['grad-cam', 'Grad-CAM'],
      ['guided-grad-cam', 'Guided Grad-CAM'],
      ['grad-cam-pp', 'Grad-CAM++'],
      ['xgrad-cam', 'XGrad-CAM'],
      ['hires-cam', 'HiResCAM'],
      ['grad-cam-elementwise', 'Grad-CAM (element-wise)'],
      ['layer-cam', 'Layer-CAM'],
      ['score-cam', 'Score-CAM'],
      ['ablation-cam', 'Ablation-CAM'],
      ['eigen-cam', 'Eigen-CAM'],
    ]);
    expect(CAM_METHODS).toEqual([gradCam, guidedGradCam, gradCamPlusPlus, xGradCam, hiResCam, gradCamElementwise, layerCam, scoreCam, ablationCam, eigenCam]);
  });

  it('are white-box, work at one or more layers, take no parameters of their own, and cite their paper', () => {
    for (const m of CAM_METHODS) {
      expect(m).toMatchObject({ box: 'white', layers: 'many', params: [] });
      expect(m.paper.title.length).toBeGreaterThan(10);
      expect(m.paper.url).toMatch(/^https:\/\//);
      expect(m.paper.year).toBeGreaterThanOrEqual(2017);
    }
    expect(gradCam.paper).toMatchObject({ authors: expect.stringMatching(/^Selvaraju/), year: 2017 });
    expect(guidedGradCam.paper).toEqual(gradCam.paper);
    expect(gradCamPlusPlus.paper).toMatchObject({ authors: expect.stringMatching(/^Chattopadhyay/), year: 2018 });
    expect(xGradCam.paper).toMatchObject({ authors: expect.stringMatching(/^Fu/), year: 2020 });
    expect(hiResCam.paper).toMatchObject({ authors: 'Draelos, Carin', year: 2020 });
    expect(layerCam.paper).toMatchObject({ authors: expect.stringMatching(/^Jiang/), year: 2021 });
    expect(scoreCam.paper).toMatchObject({ authors: expect.stringMatching(/^Wang/), year: 2020 });
    expect(ablationCam.paper).toMatchObject({ authors: 'Desai, Ramaswamy', year: 2020 });
    expect(eigenCam.paper).toMatchObject({ authors: 'Muhammad, Yeasin', year: 2020 });
  });

  it('register in a MethodRegistry', () => {
    const registry = new MethodRegistry(CAM_METHODS);
    expect(registry.ids()).toHaveLength(10);
    expect(registry.label('grad-cam-pp')).toBe('Grad-CAM++');
  });

  it('refuse unknown parameters, a black-box model and a layer that is not a feature map, before any pass', async () => {
    const model = new SpatialLinearClassifier();
    const image = linearImage(model);
    const refused = (run: () => Promise<unknown>) => expectRejectsWithoutLeak(run).then((e) => e.message);
    expect(await refused(() => explainWith(gradCam, model, image, { params: { alpha: 1 } }))).toMatch(/unknown parameter alpha; accepted: none/);
    expect(await refused(() => explainWith(gradCam, model, image, { layer: 'weighted-sum' }))).toMatch(/not a feature map/);
    expect(await refused(() => explainWith(gradCam, model, image, { layer: 'featurez' }))).toMatch(/Unknown layer "featurez"/);
    const blackBox = { input: model.input, numClasses: 3, preprocessing: model.preprocessing, engine: 'test', predict: model.predict.bind(model), dispose() {} };
    expect(await refused(() => explainWith(scoreCam, blackBox, image))).toMatch(/Score-CAM needs a model that gives layer activations/);
    expect(model.gradientCalls).toBe(0);
    image.dispose();
  });
});

/** Guided Grad-CAM needs `inputGradients`, which the spatial-linear test model has not (tested on tiny-chelsea below). */
const LAYER_ONLY = CAM_METHODS.filter((m) => m !== guidedGradCam);

describe('targets', () => {
  it.each(LAYER_ONLY.map((m) => [m.id, m] as [string, MethodDescriptor]))('%s gives one map per target, each as alone', async (_id, method) => {
    const model = new SpatialLinearClassifier();
    const image = linearImage(model);
    const maps = await expectNoLeak(() => explainWith(method, model, image, { targets: [2, 'class-0'], layer: 'features', batchSize: 4 }));
    expect(maps.map((m) => [m.classIndex, m.className, m.method])).toEqual([
      [2, 'class-2', method.id],
      [0, 'class-0', method.id],
    ]);
    for (const map of maps) {
      const [alone] = await expectNoLeak(() => explainWith(method, model, image, { targets: map.classIndex, layer: 'features', batchSize: 4 }));
      expect(maxAbsDiff(map.data, alone.data)).toBeLessThanOrEqual(1e-6);
      expect(map.params).toMatchObject({ layer: 'features', layerShape: [4, 4, 6], targetChosenBy: 'caller', engine: 'test:spatial-linear', batchSize: 4 });
    }
    image.dispose();
  });

  it('the top class by default', async () => {
    const model = new SpatialLinearClassifier();
    const image = linearImage(model);
    const logits = await model.predict(image);
    const top = Array.from(await logits.data()).reduce((best, v, i, all) => (v > all[best] ? i : best), 0);
    logits.dispose();
    const [map] = await expectNoLeak(() => explainWith(gradCam, model, image));
    image.dispose();
    expect(map.classIndex).toBe(top);
    expect(map.params).toMatchObject({ targetChosenBy: 'top', layer: 'features', layerChosenBy: 'default' });
  });

  it('Score-CAM and Ablation-CAM make their channel passes once for all targets', async () => {
    const model = new SpatialLinearClassifier();
    const image = linearImage(model);
    await expectNoLeak(() => explainWith(scoreCam, model, image, { targets: 'all', layer: 'features', batchSize: 4 }));
    await expectNoLeak(() => explainWith(ablationCam, model, image, { targets: 'all', layer: 'features', batchSize: 4 }));
    image.dispose();
    expect(model.predictCalls).toBe(2); // 6 channels in batches of 4
    expect(model.forwardFromCalls).toBe(2);
    expect(model.gradientCalls).toBe(2); // one per method: the activations do not depend on the class
  });
});

describe('Ablation-CAM needs forwardFrom', () => {
  it('refuses a model without it, saying what it needs, leaking nothing', async () => {
    const model = new SpatialLinearClassifier({ forwardFrom: false });
    const image = linearImage(model);
    const error = await expectRejectsWithoutLeak(() => explainWith(ablationCam, model, image, { targets: 0, layer: 'features' }));
    image.dispose();
    expect(error).toBeInstanceOf(XaiError);
    expect(error.message).toMatch(/Ablation-CAM .* needs a model with forwardFrom/);
    expect(error.message).toContain('engine test:spatial-linear');
    expect(model.gradientCalls).toBe(0);
  });
});

describe.each([
  ['score-cam', scoreCam],
  ['ablation-cam', ablationCam],
] as const)('%s: progress and cancellation', (stage, method) => {
  it('reports progress per batch of channels', async () => {
    const model = new SpatialLinearClassifier({ featureChannels: 10 });
    const image = linearImage(model);
    const events: ProgressEvent[] = [];
    await expectNoLeak(() => explainWith(method, model, image, { targets: 1, layer: 'features', batchSize: 4, onProgress: (e) => events.push(e) }));
    image.dispose();
    expect(events).toEqual([
      { stage, done: 4, total: 10 },
      { stage, done: 8, total: 10 },
      { stage, done: 10, total: 10 },
    ]);
  });

  it('stops with an AbortError when the signal fires, leaking no tensor', async () => {
    const model = new SpatialLinearClassifier({ featureChannels: 10 });
    const image = linearImage(model);
    const controller = new AbortController();
    const error = await expectRejectsWithoutLeak(() =>
      explainWith(method, model, image, { targets: 1, layer: 'features', batchSize: 4, signal: controller.signal, onProgress: () => controller.abort() }),
    );
    expect(error.name).toBe('AbortError');
    // Two batches run at once: the one already running when the signal fired finishes, no later one starts.
    expect(model.predictCalls + model.forwardFromCalls).toBe(2);
    const aborted = await expectRejectsWithoutLeak(() => explainWith(method, model, image, { targets: 1, layer: 'features', signal: AbortSignal.abort() }));
    expect(aborted.name).toBe('AbortError');
    image.dispose();
    expect(model.gradientCalls).toBe(1);
  });
});

describe('Guided Grad-CAM needs inputGradients', () => {
  it('refuses a model without it in prepareMethod, saying what it needs, leaking nothing and making no pass', async () => {
    const model = new SpatialLinearClassifier();
    const image = linearImage(model);
    const error = await expectRejectsWithoutLeak(() => explainWith(guidedGradCam, model, image, { targets: 0, layer: 'features' }));
    image.dispose();
    expect(error).toBeInstanceOf(XaiError);
    expect(error.message).toMatch(/Guided Grad-CAM needs the gradient of a class logit with respect to the input/);
    expect(error.message).toContain('engine test:spatial-linear');
    expect(model.gradientCalls + model.predictCalls).toBe(0);
  });
});

describe('tiny-chelsea (LayersModel)', () => {
  let tfModel: LayersModel;
  let model: WhiteBoxClassifier;
  let image: tf.Tensor4D;
  beforeAll(async () => {
    await useBackend('wasm');
    tfModel = buildTinyChelseaLayersModel();
    model = new LayersClassifier(tfModel);
    image = tinyChelseaImage();
  });
  afterAll(() => {
    image.dispose();
    model.dispose();
  });

  async function pass(layer: string, classIndex: number) {
    const out = await model.activationsAndGradient(image, model.resolveLayer(layer), classIndex);
    const [, h, w, k] = out.activations.shape;
    const data = async (t: tf.Tensor) => Float32Array.from(await t.data());
    const result = { a: await data(out.activations), g: await data(out.gradient), y: await data(out.logits), h, w, k };
    tf.dispose([out.activations, out.gradient, out.logits]);
    return result;
  }

  it.each(['gradcam', 'layercam', 'gradcam_pp'])(
    '%s at [layer3, layer4] is the mean of the per-layer post-processed maps, renormalised',
    async (stem) => {
      const method = { gradcam: gradCam, layercam: layerCam, gradcam_pp: gradCamPlusPlus }[stem]!;
      const layers = ['layer3', 'layer4'];
      const raws = [];
      for (const layer of layers) {
        const { a, g, h, w, k } = await pass(layer, 1);
        raws.push({ map: RAW_REFERENCES[stem](a, g, k), h, w });
      }
      const [map] = await expectNoLeak(() => explainWith(method, model, image, { targets: 1, layer: layers }));
      expect(map.params).toMatchObject({ layer: 'layer3,layer4', layerShape: [[4, 4, 32], [2, 2, 64]] });
      expect(maxAbsDiff(map.data, postProcessReference(raws, 64, 64))).toBeLessThanOrEqual(1e-5);
      // Differs from either layer alone.
      for (const layer of layers) {
        const [alone] = await expectNoLeak(() => explainWith(method, model, image, { targets: 1, layer }));
        expect(maxAbsDiff(map.data, alone.data)).toBeGreaterThan(0.01);
      }
    },
  );

  it('Score-CAM over two layers counts progress over both layers\' channels, one pass per distinct channel', async () => {
    const distinct: number[] = [];
    for (const name of ['layer3', 'layer4']) {
      const pass = await model.activationsAndGradient(image, model.resolveLayer(name), 1);
      const [, h, w, k] = pass.activations.shape;
      const channels = tf.transpose(pass.activations, [3, 1, 2, 0]);
      const values = await channels.data();
      distinct.push(new Set(Array.from({ length: k }, (_, c) => values.slice(c * h * w, (c + 1) * h * w).join())).size);
      tf.dispose([channels, pass.activations, pass.gradient, pass.logits]);
    }
    // layer4 of this model has dead channels: equal activations make equal masks.
    expect(distinct[0]).toBe(32);
    expect(distinct[1]).toBeLessThan(64);
    const events: ProgressEvent[] = [];
    const maps = await expectNoLeak(() =>
      explainWith(scoreCam, model, image, { targets: [1, 2], layer: ['layer3', 'layer4'], batchSize: 32, onProgress: (e) => events.push(e) }),
    );
    expect(maps).toHaveLength(2);
    for (const map of maps) expect(map.params.passes).toEqual(distinct);
    const done = events.map((e) => e.done);
    expect(done).toHaveLength(1 + Math.ceil(distinct[1] / 32));
    expect(done[0]).toBe(32);
    expect(done.at(-1)).toBe(96);
    expect(done.every((d, i) => i === 0 || d > done[i - 1])).toBe(true);
    expect(events.every((e) => e.total === 96 && e.stage === 'score-cam')).toBe(true);
  });

  it('Ablation-CAM at layer4 (followed by a linear head) gives w_k = fc[c, k] · mean(A_k) / y_c, every class', async () => {
    const fc = tfModel.getLayer('fc').getWeights()[0].dataSync(); // [64, 4]
    const maps = await expectNoLeak(() => explainWith(ablationCam, model, image, { targets: 'all', layer: 'layer4' }));
    let nonZero = 0;
    for (const map of maps) {
      const c = map.classIndex;
      const { a, y, h, w, k } = await pass('layer4', c);
      const mean = Array.from({ length: k }, (_, ch) => a.filter((_, i) => i % k === ch).reduce((s, v) => s + v, 0) / (h * w));
      const weights = mean.map((m, ch) => (fc[ch * 4 + c] * m) / y[c]);
      const expected = postProcessReference([{ map: weightedReference(a, weights, k), h, w }], 64, 64);
      expect(maxAbsDiff(map.data, expected), `class ${c}`).toBeLessThanOrEqual(1e-4);
      expect(map.params.ablationValue).toBe(0); // layer4 is a ReLU output
      if (Math.max(...map.data) > 0) nonZero++;
    }
    // For class 1 the raw map is negative everywhere, so its map (and the golden) is all zeros.
    expect(Math.max(...maps[1].data)).toBe(0);
    expect(nonZero).toBeGreaterThan(0);
  });

  it('uses the default layer (layer4) when none is named', async () => {
    const [map] = await expectNoLeak(() => explainWith(gradCam, model, image, { targets: 1 }));
    expect(map.params).toMatchObject({ layer: 'layer4', layerChosenBy: 'default' });
    const golden = readFixtureFloat32('tiny-chelsea', 'baselines', 'gradcam_layer4.npy').data;
    expect(maxAbsDiff(map.data, golden)).toBeLessThanOrEqual(1e-4);
  });

  describe('Guided Grad-CAM', () => {
    async function guided(classIndex: number): Promise<Float32Array> {
      const g = await model.inputGradients!(image, classIndex, { rule: 'guided' });
      const data = Float32Array.from(await g.data());
      g.dispose();
      return data;
    }

    it('is Guided Backprop times the Grad-CAM map broadcast over the channels, one map per target, each as alone', async () => {
      const events: ProgressEvent[] = [];
      const maps = await expectNoLeak(() =>
        explainWith(guidedGradCam, model, image, { targets: [2, 1, 0], layer: ['layer3', 'layer4'], batchSize: 2, onProgress: (e) => events.push(e) }),
      );
      expect(maps.map((m) => [m.classIndex, m.method])).toEqual([[2, 'guided-grad-cam'], [1, 'guided-grad-cam'], [0, 'guided-grad-cam']]);
      expect(events).toEqual([{ stage: 'guided-grad-cam', done: 2, total: 3 }, { stage: 'guided-grad-cam', done: 3, total: 3 }]);
      for (const map of maps) {
        expect(map.params).toMatchObject({ layer: 'layer3,layer4', targetChosenBy: 'caller', batchSize: 2 });
        const [cam] = await expectNoLeak(() => explainWith(gradCam, model, image, { targets: map.classIndex, layer: ['layer3', 'layer4'] }));
        const gb = await guided(map.classIndex);
        const expected = gb.map((v, i) => v * cam.data[Math.floor(i / 3)]);
        expect(map.attribution?.channels).toBe(3);
        expect(maxAbsDiff(map.attribution!.data, expected), `class ${map.classIndex}`).toBeLessThanOrEqual(1e-6);
        const sums = cam.data.map((_, p) => Math.abs(expected[3 * p]) + Math.abs(expected[3 * p + 1]) + Math.abs(expected[3 * p + 2]));
        expect(maxAbsDiff(map.data, sums)).toBeLessThanOrEqual(1e-6);
        const [alone] = await expectNoLeak(() => explainWith(guidedGradCam, model, image, { targets: map.classIndex, layer: ['layer3', 'layer4'] }));
        expect(maxAbsDiff(map.attribution!.data, alone.attribution!.data)).toBeLessThanOrEqual(1e-6);
      }
    });

    it('stops with an AbortError when the signal fires, leaking no tensor', async () => {
      const aborted = await expectRejectsWithoutLeak(() => explainWith(guidedGradCam, model, image, { targets: 1, signal: AbortSignal.abort() }));
      expect(aborted.name).toBe('AbortError');
    });
  });
});

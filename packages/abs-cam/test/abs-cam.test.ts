import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { AbortError, MethodRegistry, XaiError, explainWith, normalizedMap, type Classifier, type ProgressEvent } from '@xai/core';
import {
  SpatialLinearClassifier,
  TEST_BACKENDS,
  expectNoLeak,
  expectRejectsWithoutLeak,
  maxAbs,
  maxAbsDiff,
  uniformArray,
  useBackend,
} from '@xai/testing';
import { ABS_CAM_METHODS, absCam, absCamFinal, absCamFinalMethod, absCamInit, absCamInitMethod } from '../src/index.js';
import { finalReference, initReference } from './helpers/reference.js';

function setup() {
  const model = new SpatialLinearClassifier();
  const values = uniformArray(model.size * model.size * model.channels, 21);
  const image = tf.tensor4d(values, [1, model.size, model.size, model.channels]);
  const layer = { h: model.size / 2, w: model.size / 2, k: model.featureChannels };
  const size = { H: model.size, W: model.size, C: model.channels };
  const topClass = argMax(model.logitsReference(values));
  return { model, values, image, layer, size, topClass };
}

function argMax(values: number[]): number {
  return values.indexOf(Math.max(...values));
}

describe.each(TEST_BACKENDS)('Abs-CAM on a white-box model with known gradients, %s', (backend) => {
  it('Init equals SPEC.md computed with plain loops, for the top class by default', async () => {
    await useBackend(backend);
    const { model, values, image, layer, size, topClass } = setup();
    const map = await expectNoLeak(() => absCamInit(model, image));
    image.dispose();
    const expected = initReference(model.featuresReference(values), model.gradientReference(topClass), layer, size);
    expect(map.classIndex).toBe(topClass);
    expect(map.className).toBe(`class-${topClass}`);
    expect([map.height, map.width]).toEqual([8, 8]);
    expect(map.method).toBe('abs-cam-init');
    expect(map.params).toMatchObject({ layer: 'features', layerShape: [4, 4, 6], layerChosenBy: 'default', targetChosenBy: 'top' });
    expect(map.params.engine).toBe('test:spatial-linear');
    expect(maxAbsDiff(map.data, expected)).toBeLessThanOrEqual(1e-4);
    expect(Math.min(...map.data)).toBe(0);
    expect(Math.max(...map.data)).toBeCloseTo(1, 5);
  });

  it('Final equals SPEC.md computed with plain loops, at its raw scale, for every class', async () => {
    await useBackend(backend);
    const { model, values, image, layer, size } = setup();
    for (let c = 0; c < model.numClasses; c++) {
      const map = await expectNoLeak(() => absCamFinal(model, image, { target: c, batchSize: 4 }));
      const expected = finalReference(
        model.featuresReference(values),
        model.gradientReference(c),
        layer,
        size,
        values,
        c,
        (masked) => model.logitsReference(masked),
      );
      expect(map.method).toBe('abs-cam-final');
      expect(map.params).toMatchObject({ layer: 'features', target: c, targetChosenBy: 'caller', batchSize: 4 });
      expect(maxAbsDiff(map.data, expected)).toBeLessThanOrEqual(1e-4 * maxAbs(expected));
      const shown = normalizedMap(map);
      expect(Math.max(...shown)).toBeCloseTo(1, 6);
    }
    image.dispose();
  });

  it('Final does not depend on the batch size, and runs one forward pass per channel', async () => {
    await useBackend(backend);
    const { model, image } = setup();
    let first: Float32Array | undefined;
    for (const batchSize of [1, 4, 6, 32]) {
      const callsBefore = model.predictCalls;
      const map = await expectNoLeak(() => absCamFinal(model, image, { target: 1, batchSize }));
      expect(model.predictCalls - callsBefore).toBe(Math.ceil(model.featureChannels / batchSize));
      first ??= map.data;
      expect(maxAbsDiff(map.data, first)).toBeLessThanOrEqual(1e-5 * maxAbs(first));
    }
    image.dispose();
  });

  it('Final scores the masked input of dead channels once (all-zero masks), and still equals SPEC.md', async () => {
    await useBackend(backend);
    const base = new SpatialLinearClassifier();
    // Columns 1 and 3 of the channel mixing are zero: those feature maps, and so their masks, are all zero.
    const mixing = Float32Array.from(base.V, (v, i) => (i % base.featureChannels === 1 || i % base.featureChannels === 3 ? 0 : v));
    const model = new SpatialLinearClassifier({ mixing });
    const values = uniformArray(model.size * model.size * model.channels, 21);
    const image = tf.tensor4d(values, [1, model.size, model.size, model.channels]);
    const layer = { h: model.size / 2, w: model.size / 2, k: model.featureChannels };
    const map = await expectNoLeak(() => absCamFinal(model, image, { target: 2, batchSize: 1 }));
    image.dispose();
    expect(model.predictCalls).toBe(5);
    expect(map.params.maskedPasses).toBe(5);
    const expected = finalReference(
      model.featuresReference(values),
      model.gradientReference(2),
      layer,
      { H: model.size, W: model.size, C: model.channels },
      values,
      2,
      (masked) => model.logitsReference(masked),
    );
    expect(maxAbsDiff(map.data, expected)).toBeLessThanOrEqual(1e-4 * maxAbs(expected));
  });

  it('reports progress per batch of masked passes', async () => {
    await useBackend(backend);
    const { model, image } = setup();
    const events: ProgressEvent[] = [];
    await expectNoLeak(() => absCamFinal(model, image, { batchSize: 4, onProgress: (e) => events.push(e) }));
    image.dispose();
    expect(events).toEqual([
      { stage: 'abs-cam-final', done: 4, total: 6 },
      { stage: 'abs-cam-final', done: 6, total: 6 },
    ]);
  });

  it('stops with an AbortError, leaking nothing, when the signal fires mid-way or before', async () => {
    await useBackend(backend);
    const { model, image } = setup();
    const controller = new AbortController();
    const error = await expectRejectsWithoutLeak(() =>
      absCamFinal(model, image, { batchSize: 2, signal: controller.signal, onProgress: () => controller.abort() }),
    );
    expect(error.name).toBe('AbortError'); // the signal's own reason (a DOMException) or core's AbortError
    const early = await expectRejectsWithoutLeak(() =>
      absCamInit(model, image, { signal: AbortSignal.abort(new AbortError('stopped by the user')) }),
    );
    expect(early).toBeInstanceOf(AbortError);
    expect(early.message).toBe('stopped by the user');
    image.dispose();
  });

  it('takes the class by name, accepts a 3-D image, and dispatches on variant', async () => {
    await useBackend(backend);
    const { model, image } = setup();
    const byIndex = await expectNoLeak(() => absCamInit(model, image, { target: 2 }));
    const byName = await expectNoLeak(() => absCamInit(model, image, { target: 'class-2' }));
    const squeezed = tf.squeeze(image, [0]);
    const threeD = await expectNoLeak(() => absCam(model, squeezed, { variant: 'init', target: 2 }));
    expect(byName.classIndex).toBe(2);
    expect(maxAbsDiff(byName.data, byIndex.data)).toBe(0);
    expect(maxAbsDiff(threeD.data, byIndex.data)).toBe(0);
    const final = await expectNoLeak(() => absCam(model, image, { variant: 'final', target: 2 }));
    const direct = await expectNoLeak(() => absCamFinal(model, image, { target: 2 }));
    expect(maxAbsDiff(final.data, direct.data)).toBe(0);
    tf.dispose([image, squeezed]);
  });
});

describe('Abs-CAM rejects bad input with clear errors, before any pass through the model', () => {
  async function rejection(work: (model: SpatialLinearClassifier, image: tf.Tensor4D) => Promise<unknown>) {
    await useBackend('cpu');
    const { model, image } = setup();
    const error = await expectRejectsWithoutLeak(() => work(model, image));
    image.dispose();
    expect(error).toBeInstanceOf(XaiError);
    expect([model.predictCalls, model.gradientCalls]).toEqual([0, 0]);
    return error.message;
  }

  it('an unknown layer: names the default layer and how many layers there are, not the whole model', async () => {
    const message = await rejection((m, x) => absCamInit(m, x, { layer: 'layer9' }));
    expect(message).toContain('Unknown layer "layer9".');
    expect(message).toContain('The default layer is features.');
    expect(message).toContain('The model has 3 layers');
    expect(message).not.toContain('logits');
  });

  it('a misspelt layer: names the closest layers', async () => {
    const message = await rejection((m, x) => absCamFinal(m, x, { layer: 'featurs' }));
    expect(message).toContain('Unknown layer "featurs". Closest: features.');
  });

  it('a layer whose output is not 4-D', async () => {
    const message = await rejection((m, x) => absCamFinal(m, x, { layer: 'weighted-sum' }));
    expect(message).toContain('"weighted-sum" has output shape [6], not a feature map [height, width, channels]');
    expect(message).toContain('Abs-CAM (Final) weights the channels of a 4-D layer output');
    expect(message).toContain('Feature-map layers: features');
  });

  it.each([3, -1, 1.5])('class index %s out of range', async (target) => {
    const message = await rejection((m, x) => absCamInit(m, x, { target }));
    expect(message).toContain(`Class index ${target} is out of range`);
    expect(message).toContain('3 classes (0 … 2)');
  });

  it('an unknown class name lists the names', async () => {
    const message = await rejection((m, x) => absCamInit(m, x, { target: 'cat' }));
    expect(message).toContain('Unknown class name "cat"');
    expect(message).toContain('"class-0", "class-1", "class-2"');
  });

  it('a model without gradients', async () => {
    const message = await rejection((m, x) => {
      const blackBox: Classifier = {
        input: m.input,
        numClasses: m.numClasses,
        preprocessing: m.preprocessing,
        engine: 'onnxruntime-node',
        predict: (batch) => m.predict(batch),
        dispose: () => {},
      };
      return absCamFinal(blackBox, x);
    });
    expect(message).toContain('Abs-CAM (Final) needs a model that gives layer activations and gradients');
    expect(message).toContain('onnxruntime-node');
  });

  it('an image of the wrong size, layout or type, or not a tensor', async () => {
    const message = await rejection((m) => {
      const nchw = tf.zeros([1, 3, 8, 8]);
      return absCamInit(m, nchw).finally(() => nchw.dispose());
    });
    expect(message).toContain('[1, 8, 8, 3]');
    expect(message).toContain('got [1, 3, 8, 8]');
    const integers = await rejection((m) => {
      const image = tf.zeros([1, 8, 8, 3], 'int32');
      return absCamFinal(m, image).finally(() => image.dispose());
    });
    expect(integers).toContain('needs a float32 image');
    expect(integers).toContain('got int32');
    const plain = await rejection((m) => absCamInit(m, new Float32Array(8 * 8 * 3) as never));
    expect(plain).toContain('explains one image given as a tensor [1, 8, 8, 3]');
  });

  it('a bad batch size or variant', async () => {
    expect(await rejection((m, x) => absCamFinal(m, x, { batchSize: 0 }))).toContain('batchSize must be a whole number ≥ 1');
    const variant = await rejection((m, x) => absCam(m, x, { variant: 'middle' as 'init' }));
    expect(variant).toContain('accepted: "init", "final"');
  });
});

describe.each(TEST_BACKENDS)('Abs-CAM as method descriptors, %s', (backend) => {
  it('maps several classes at once, each equal to a single run, and records the target', async () => {
    await useBackend(backend);
    const { model, image, topClass } = setup();
    for (const [method, single] of [[absCamInitMethod, absCamInit], [absCamFinalMethod, absCamFinal]] as const) {
      const maps = await expectNoLeak(() => explainWith(method, model, image, { targets: [2, 'class-0'], batchSize: 4 }));
      expect(maps.map((m) => [m.classIndex, m.className, m.method])).toEqual([
        [2, 'class-2', method.id],
        [0, 'class-0', method.id],
      ]);
      for (const map of maps) {
        const alone = await expectNoLeak(() => single(model, image, { target: map.classIndex, batchSize: 4 }));
        expect(maxAbsDiff(map.data, alone.data)).toBe(0);
        expect(map.params).toMatchObject({ target: map.classIndex, targetChosenBy: 'caller', layer: 'features' });
      }
    }
    const top = await expectNoLeak(() => explainWith(absCamInitMethod, model, image, { targets: { top: 2 } }));
    expect(top.map((m) => m.params.targetChosenBy)).toEqual(['top', 'top']);
    expect(top[0].classIndex).toBe(topClass);
    image.dispose();
  });

  it('registers as two white-box, one-layer methods, and refuses a second layer', async () => {
    await useBackend(backend);
    const registry = new MethodRegistry(ABS_CAM_METHODS);
    expect(registry.ids()).toEqual(['abs-cam-init', 'abs-cam-final']);
    for (const method of ABS_CAM_METHODS) expect([method.box, method.layers, method.params]).toEqual(['white', 'one', []]);
    const { model, image } = setup();
    const error = await expectRejectsWithoutLeak(() =>
      explainWith(absCamFinalMethod, model, image, { layer: ['features', 'features'] }),
    );
    expect(error.message).toContain('Abs-CAM (Final) works at one layer; got 2');
    const params = await expectRejectsWithoutLeak(() => explainWith(absCamInitMethod, model, image, { params: { k: 1 } }));
    expect(params.message).toContain('abs-cam-init: unknown parameter k; accepted: none');
    image.dispose();
  });
});

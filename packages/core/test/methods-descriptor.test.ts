import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Classifier, WhiteBoxClassifier } from '../src/classifier.js';
import { AbortError, XaiError } from '../src/errors.js';
import { camFromLayers } from '../src/methods/cam.js';
import { explainWith, prepareMethod, runPrepared, type MethodContext, type MethodDescriptor } from '../src/methods/descriptor.js';
import type { Params } from '../src/methods/params.js';
import { LayersClassifier } from '../src/models/layers-classifier.js';
import { UnknownLayerError } from '../src/models/layer-search.js';
import { saliencyMap, type SaliencyMap } from '../src/saliency.js';
import { useBackend } from './helpers.js';
import { residualModel, seedWeights } from './models.js';

const PAPER = { title: 'A tiny method', authors: 'Tests', year: 2026, url: 'https://example.org/tiny' };

/** The mean channel of each layer's activations, through the CAM post-processing: a white-box method. */
async function channelMeanMaps(model: Classifier, image: tf.Tensor4D, params: Params, context: MethodContext, id: string): Promise<SaliencyMap[]> {
  const white = model as WhiteBoxClassifier;
  const { height, width } = model.input;
  const maps: SaliencyMap[] = [];
  for (const target of context.targets) {
    const raws: tf.Tensor[] = [];
    for (const layer of context.layers) {
      const g = await white.activationsAndGradient(image, layer, target.index);
      raws.push(tf.mul(tf.mean(g.activations, 3, true), params.gain as number));
      tf.dispose([g.activations, g.gradient, g.logits]);
    }
    const cam = camFromLayers(raws, [height, width]);
    maps.push(saliencyMap({
      data: (await cam.data()) as Float32Array, height, width, classIndex: target.index, className: target.name, method: id, params: { own: 'yes' },
    }));
    tf.dispose([...raws, cam]);
  }
  return maps;
}

const oneLayer: MethodDescriptor = {
  id: 'tiny-cam',
  label: 'Tiny-CAM',
  paper: PAPER,
  box: 'white',
  layers: 'one',
  params: [
    { name: 'gain', type: 'number', default: 1, min: 0, exclusiveMin: true, help: 'scales the map' },
    { name: 'smooth', type: 'boolean', default: false, help: 'unused' },
  ],
  run: (model, image, params, context) => channelMeanMaps(model, image, params, context, 'tiny-cam'),
};

const manyLayers: MethodDescriptor = { ...oneLayer, id: 'tiny-multi-cam', label: 'Tiny-Multi-CAM', layers: 'many', run: (m, i, p, c) => channelMeanMaps(m, i, p, c, 'tiny-multi-cam') };

/** The target's logit everywhere: a black-box method that takes no layer. */
const blackBox: MethodDescriptor = {
  id: 'tiny-constant',
  label: 'Tiny-Constant',
  paper: PAPER,
  box: 'black',
  layers: 'none',
  params: [{ name: 'size', type: 'int', default: 2, min: 1, help: 'unused' }],
  async run(model, image, _params, context) {
    const logits = await model.predict(image);
    const values = await logits.data();
    logits.dispose();
    const { height, width } = model.input;
    return context.targets.map((t) =>
      saliencyMap({ data: new Float32Array(height * width).fill(values[t.index]), height, width, classIndex: t.index, method: 'tiny-constant', params: {} }),
    );
  },
};

/** A model that can only predict. */
function predictOnly(inner: Classifier): Classifier {
  return {
    input: inner.input, numClasses: inner.numClasses, classNames: inner.classNames, preprocessing: inner.preprocessing,
    engine: 'onnxruntime-node', predict: (b) => inner.predict(b), dispose: () => undefined,
  };
}

describe('method descriptors', () => {
  let model: LayersClassifier;
  let image: tf.Tensor4D;
  beforeAll(async () => {
    await useBackend('cpu');
    const layers = residualModel();
    await seedWeights(layers, 21);
    model = new LayersClassifier(layers, { classNames: ['a', 'b', 'c'] });
    image = tf.randomNormal([1, 8, 8, 3], 0, 1, 'float32', 22) as tf.Tensor4D;
  });
  afterAll(() => {
    image.dispose();
    model.dispose();
  });

  /** Spies on the model and the method, so that a test can say nothing ran. */
  function spied(method: MethodDescriptor) {
    const run = vi.fn(method.run);
    const predict = vi.spyOn(model, 'predict');
    const gradients = vi.spyOn(model, 'activationsAndGradient');
    const calls = () => run.mock.calls.length + predict.mock.calls.length + gradients.mock.calls.length;
    const restore = () => {
      predict.mockRestore();
      gradients.mockRestore();
    };
    return { method: { ...method, run }, calls, restore };
  }

  describe('prepareMethod refuses, before anything runs', () => {
    it('a white-box method on a model that can only predict', () => {
      expect(() => prepareMethod(oneLayer, predictOnly(model))).toThrow(
        new XaiError(
          'Tiny-CAM needs a model that gives layer activations and gradients (a tfjs LayersModel or GraphModel, ' +
            'or an ONNX model the tfjs graph can run); this model (engine onnxruntime-node) can only predict. ' +
            'Black-box methods (which need only predictions) work on it.',
        ),
      );
      // A black-box method is fine there.
      expect(prepareMethod(blackBox, predictOnly(model)).layers).toEqual([]);
    });

    it('a white-box method on a black box names why, and the offered methods that work (by their kind)', () => {
      const why = { ...predictOnly(model), whiteBoxUnavailable: 'the tfjs graph does not implement the operator Celu' };
      expect(() => prepareMethod(oneLayer, why, { offered: [oneLayer, blackBox] })).toThrow(
        new XaiError(
          'Tiny-CAM needs a model that gives layer activations and gradients (a tfjs LayersModel or GraphModel, ' +
            'or an ONNX model the tfjs graph can run); the tfjs graph does not implement the operator Celu. ' +
            `Methods that work on it (black-box): ${blackBox.id}.`,
        ),
      );
    });

    it('a layer given to a method that takes none, and several to a one-layer method', () => {
      expect(() => prepareMethod(blackBox, model, { layer: 'stem' })).toThrow(new XaiError('Tiny-Constant works on the input and takes no layer; got layer stem'));
      expect(() => prepareMethod(blackBox, model, { layer: ['stem', 'gap'] })).toThrow(/takes no layer; got layer stem, gap/);
      expect(() => prepareMethod(oneLayer, model, { layer: ['stem', 'block_in'] })).toThrow(
        new XaiError('Tiny-CAM works at one layer; got 2: stem, block_in'),
      );
      // One layer given as a list is one layer.
      expect(prepareMethod(oneLayer, model, { layer: ['stem'] }).layers.map((l) => l.name)).toEqual(['stem']);
      expect(prepareMethod(manyLayers, model, { layer: ['stem', 'block_in'] }).layers.map((l) => l.name)).toEqual(['stem', 'block_in']);
    });

    it("parameters that do not fit the model, by the method's check, which gets them parsed", () => {
      const seen: Params[] = [];
      const sized: MethodDescriptor = {
        ...blackBox,
        check(m, params) {
          seen.push(params);
          if ((params.size as number) > m.input.height) throw new XaiError(`size ${params.size} is larger than the image (${m.input.height})`);
        },
      };
      expect(() => prepareMethod(sized, model, { params: { size: '9' } })).toThrow(new XaiError('size 9 is larger than the image (8)'));
      expect(prepareMethod(sized, model, { params: { size: 8 } }).params).toEqual({ size: 8 });
      expect(seen).toEqual([{ size: 9 }, { size: 8 }]);
    });

    it('an unknown layer, with an UnknownLayerError, before the image is even looked at', async () => {
      const { method, calls, restore } = spied(oneLayer);
      const notAnImage = tf.zeros([2, 3]);
      const before = tf.memory().numTensors;
      const error = await explainWith(method, model, notAnImage, { layer: 'block_ot' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnknownLayerError);
      expect((error as Error).message).toMatch(/^Unknown layer "block_ot"\. Closest: block_out, block_in\. The default layer is block_out\. The model has 7 layers/);
      await expect(explainWith(manyLayers, model, notAnImage, { layer: ['stem', 'nope'] })).rejects.toThrow(UnknownLayerError);
      expect(calls()).toBe(0);
      expect(tf.memory().numTensors).toBe(before);
      notAnImage.dispose();
      restore();
    });

    it('a layer that is not a feature map, unknown parameters, bad values, targets and batch sizes', async () => {
      const { method, calls, restore } = spied(oneLayer);
      const before = tf.memory().numTensors;
      await expect(explainWith(method, model, image, { layer: 'gap' })).rejects.toThrow(
        /^Layer "gap" has output shape \[4\], not a feature map \[height, width, channels\]; Tiny-CAM weights the channels/,
      );
      await expect(explainWith(method, model, image, { params: { gian: 2 } })).rejects.toThrow('tiny-cam: unknown parameter gian; accepted: gain, smooth');
      await expect(explainWith(method, model, image, { params: { gain: '0' } })).rejects.toThrow('tiny-cam: gain must be a number > 0, got "0"');
      await expect(explainWith(method, model, image, { targets: 'd' })).rejects.toThrow(/Unknown class name "d"; class names accepted: one of: "a", "b", "c"/);
      await expect(explainWith(method, model, image, { targets: 3 })).rejects.toThrow(/Class index 3 is out of range/);
      await expect(explainWith(method, model, image, { targets: { top: 4 } })).rejects.toThrow(/top must be a whole number from 1 to 3/);
      await expect(explainWith(method, model, image, { batchSize: 0 })).rejects.toThrow('batchSize must be a whole number ≥ 1, got 0');
      expect(calls()).toBe(0);
      expect(tf.memory().numTensors).toBe(before);
      restore();
    });
  });

  it('prepareMethod resolves the default layer, the parameters and named targets', () => {
    const prepared = prepareMethod(oneLayer, model, { targets: ['c', 0], params: { smooth: 'true' } });
    expect(prepared.layers).toEqual([{ name: 'block_out', output: 'block_out', shape: [8, 8, 4], spatial: true, kind: 'Add' }]);
    expect(prepared.layerChosenBy).toBe('default');
    expect(prepared.params).toEqual({ gain: 1, smooth: true });
    expect(prepared.named).toEqual([
      { index: 2, name: 'c', chosenBy: 'caller' },
      { index: 0, name: 'a', chosenBy: 'caller' },
    ]);
    expect(prepared.batchSize).toBe(32);
    expect(prepareMethod(oneLayer, model).named).toBeUndefined();
    expect(prepareMethod(oneLayer, model, { layer: 'stem' }).layerChosenBy).toBe('caller');
  });

  it('explainWith records the method, parameters, layer, engine and how the target was chosen', async () => {
    const before = tf.memory().numTensors;
    const { method, calls, restore } = spied(oneLayer);
    const maps = await explainWith(method, model, image, { params: { gain: '2.5' }, layer: 'block_in', targets: [2, 'a'], batchSize: 8 });
    expect(maps.map((m) => [m.classIndex, m.className, m.method])).toEqual([[2, 'c', 'tiny-cam'], [0, 'a', 'tiny-cam']]);
    for (const map of maps) {
      expect(map.params).toEqual({
        gain: 2.5, smooth: false, layer: 'block_in', layerShape: [8, 8, 4], layerChosenBy: 'caller', engine: `tfjs:cpu`, batchSize: 8,
        targetChosenBy: 'caller', own: 'yes',
      });
      expect([map.height, map.width]).toEqual([8, 8]);
    }
    // The run was handed what was resolved.
    const context = method.run.mock.calls[0][3];
    expect(context.layers.map((l) => l.name)).toEqual(['block_in']);
    expect(context.targets.map((t) => t.index)).toEqual([2, 0]);
    expect(context.batchSize).toBe(8);
    expect(method.run.mock.calls[0][2]).toEqual({ gain: 2.5, smooth: false });
    expect(calls()).toBe(1 + 2); // run, and one gradient pass per target: no forward pass for named targets

    // The same map computed directly: the descriptor's run is what explainWith ran.
    const g = await model.activationsAndGradient(image, model.resolveLayer('block_in'), 2);
    const direct = tf.tidy(() => camFromLayers([tf.mul(tf.mean(g.activations, 3, true), 2.5)], [8, 8]));
    expect(Array.from(maps[0].data)).toEqual(Array.from(await direct.data()));
    tf.dispose([g.activations, g.gradient, g.logits, direct]);
    restore();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('explainWith defaults: the top class and the default layer, said so in the maps', async () => {
    const before = tf.memory().numTensors;
    const logits = await model.predict(image);
    const best = tf.argMax(logits, 1);
    const top = (await best.data())[0];
    tf.dispose([logits, best]);
    const [map] = await explainWith(oneLayer, model, image);
    expect(map.classIndex).toBe(top);
    expect(map.params).toMatchObject({ layer: 'block_out', layerShape: [8, 8, 4], layerChosenBy: 'default', targetChosenBy: 'top', batchSize: 32, engine: 'tfjs:cpu' });
    const top2 = await explainWith(oneLayer, model, image, { targets: { top: 2 } });
    expect(top2.map((m) => m.params.targetChosenBy)).toEqual(['top', 'top']);
    expect(top2[0].classIndex).toBe(top);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('explainWith records several layers, and none for a method that takes none', async () => {
    const before = tf.memory().numTensors;
    const [multi] = await explainWith(manyLayers, model, image, { layer: ['stem', 'block_in'], targets: 1 });
    expect(multi.params).toMatchObject({ layer: 'stem,block_in', layerShape: [[8, 8, 4], [8, 8, 4]], layerChosenBy: 'caller' });
    const maps = await explainWith(blackBox, predictOnly(model), image, { targets: 'all', params: { size: '3' } });
    expect(maps.map((m) => m.classIndex)).toEqual([0, 1, 2]);
    expect(maps[0].params).toEqual({ size: 3, engine: 'onnxruntime-node', batchSize: 32, targetChosenBy: 'caller' });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('runPrepared checks the image and the abort signal before the method runs', async () => {
    const { method, calls, restore } = spied(oneLayer);
    const prepared = prepareMethod(method, model, { targets: 0 });
    const before = tf.memory().numTensors;
    const wrong = tf.zeros([1, 6, 6, 3]);
    await expect(runPrepared(prepared, model, wrong)).rejects.toThrow(/^Tiny-CAM explains one image of shape \[1, 8, 8, 3\]/);
    const controller = new AbortController();
    controller.abort();
    await expect(runPrepared(prepared, model, image, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    const other = new AbortController();
    other.abort('stop');
    await expect(runPrepared(prepared, model, image, { signal: other.signal })).rejects.toBeInstanceOf(AbortError);
    expect(calls()).toBe(0);
    // [H, W, C] is taken as one image.
    const hwc = tf.reshape(image, [8, 8, 3]);
    const maps = await runPrepared(prepared, model, hwc);
    expect(maps).toHaveLength(1);
    tf.dispose([wrong, hwc]);
    expect(tf.memory().numTensors).toBe(before);
    restore();
  });
});

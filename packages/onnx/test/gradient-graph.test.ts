// Gradients on onnxruntime (issue 25): the gradient graph, run by onnxruntime-node, against the
// goldens (Captum, pytorch-grad-cam) and against the tfjs graph on the cpu backend for every
// family fixture (CNNs at opsets 11–17, ViT, Swin, ConvNeXt).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { defaultFeatureLayer, XaiError } from '@xai/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { buildGradientGraph } from '../src/gradient/build.js';
import { OrtGradients } from '../src/gradient/engine.js';
import { onnx } from '../src/proto.js';
import { loadOnnxModel, type OnnxClassifier } from '../src/node/index.js';
import { FIXTURES, GOLDEN, TOKENS, nchwToNhwc, readNpy, relativeError, seeded, toNchw, tokenManifest, useBackend, whiteBox } from './helpers.js';

const CLASS = 1; // baselines.json class_index
const TOP = JSON.parse(readFileSync(join(GOLDEN, 'case.json'), 'utf8')).top_class as number;

/** A seeded batch of images, NHWC, values in [−2, 2]. */
function batch(rows: number, h: number, w: number, seed: number): tf.Tensor4D {
  const rand = seeded(seed);
  return tf.tensor4d(Float32Array.from({ length: rows * h * w * 3 }, () => rand() * 4 - 2), [rows, h, w, 3]);
}

describe('gradient graph on onnxruntime: tiny-chelsea goldens', () => {
  let model: OnnxClassifier;
  let x: tf.Tensor4D;
  beforeAll(async () => {
    await useBackend('cpu');
    model = await whiteBox(loadOnnxModel(join(GOLDEN, 'model.onnx'), { engine: 'onnxruntime', preprocessing: 'imagenet' }));
    x = nchwToNhwc(readNpy(join(GOLDEN, 'input.npy')));
  });
  afterAll(() => {
    x.dispose();
    model.dispose();
  });

  it('says onnxruntime computes the gradients', () => {
    expect(model.gradientEngine).toBe('onnxruntime-node (gradient graph)');
  });

  it.each([
    ['gradient', 'saliency.npy', true],
    ['guided', 'guided_backprop.npy', false],
  ] as const)("rule %s is Captum's %s", async (rule, file, abs) => {
    const reference = readNpy(join(GOLDEN, 'baselines', file));
    const before = tf.memory().numTensors;
    const g = await model.inputGradients(x, CLASS, { rule });
    expect(g.shape).toEqual([1, 64, 64, 3]);
    const values = await toNchw(g);
    const error = relativeError(abs ? values.map(Math.abs) : values, reference.data);
    console.log(`onnxruntime ${rule}: max error ${error.toExponential(2)} × max|ref|`);
    expect(error).toBeLessThan(1e-4);
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(['layer3', 'layer4'])('activations and gradient at %s are PyTorch’s', async (name) => {
    const before = tf.memory().numTensors;
    const pass = await model.activationsAndGradient(x, model.resolveLayer(name), TOP);
    const nhwc = (file: string) => nchwToNhwc(readNpy(join(GOLDEN, file)));
    const [a, g] = [nhwc(`activations_${name}.npy`), nhwc(`gradients_${name}.npy`)];
    expect(relativeError(await pass.activations.data(), await a.data())).toBeLessThan(1e-4);
    expect(relativeError(await pass.gradient.data(), await g.data())).toBeLessThan(1e-4);
    expect(relativeError(await pass.logits.data(), readNpy(join(GOLDEN, 'logits.npy')).data)).toBeLessThan(1e-5);
    tf.dispose([pass.activations, pass.gradient, pass.logits, a, g]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a batch of 3 images with classes [0, 2, 1] is one run that equals three single ones', async () => {
    const images = tf.tidy(() => tf.concat([x, tf.reverse(x, 2), tf.mul(x, 0.5)]) as tf.Tensor4D);
    const before = tf.memory().numTensors;
    const all = await model.inputGradients(images, [0, 2, 1], { rule: 'guided' });
    for (const [b, c] of [0, 2, 1].entries()) {
      const image = tf.slice(images, [b, 0, 0, 0], [1, 64, 64, 3]) as tf.Tensor4D;
      const one = await model.inputGradients(image, c, { rule: 'guided' });
      const row = tf.slice(all, [b, 0, 0, 0], [1, 64, 64, 3]);
      expect(relativeError(await row.data(), await one.data())).toBeLessThan(1e-5);
      tf.dispose([image, one, row]);
    }
    all.dispose();
    expect(tf.memory().numTensors).toBe(before);
    images.dispose();
  });

  it('layerGradients: two layers × three classes in one run equal single activationsAndGradient calls', async () => {
    const layers = ['layer3', 'layer4'].map((name) => model.resolveLayer(name));
    const classes = [2, 0, 3];
    const before = tf.memory().numTensors;
    const passes = await model.layerGradients!(x, layers, classes);
    expect(passes.map((row) => row.length)).toEqual([3, 3]);
    for (const [l, layer] of layers.entries()) {
      for (const [r, c] of classes.entries()) {
        const one = await model.activationsAndGradient(x, layer, c);
        const got = passes[l][r];
        expect(got.gradient.shape).toEqual(one.gradient.shape);
        expect(relativeError(await got.gradient.data(), await one.gradient.data())).toBeLessThan(1e-5);
        expect(relativeError(await got.activations.data(), await one.activations.data())).toBeLessThan(1e-6);
        expect(relativeError(await got.logits.data(), await one.logits.data())).toBeLessThan(1e-6);
        tf.dispose([one.activations, one.gradient, one.logits]);
      }
    }
    tf.dispose(passes.flat().flatMap((p) => [p.activations, p.gradient, p.logits]));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses an unknown rule and a class out of range before running, naming what is accepted', async () => {
    await expect(model.inputGradients(x, 0, { rule: 'lrp' as never })).rejects.toThrow('unknown backward rule "lrp"; accepted: gradient, guided');
    await expect(model.inputGradients(x, 4)).rejects.toThrow('class index 4 is out of range: the model has 4 classes (0–3)');
  });
});

describe('gradient graph on onnxruntime equals the tfjs graph on cpu', () => {
  beforeAll(() => useBackend('cpu'));
  const families = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as { name: string; file: string; input_size: [number, number] }[];
  const cases = [
    ...families.map((e) => [e.name, join(FIXTURES, e.file), e.input_size] as const),
    ...tokenManifest().filter((e) => e.name !== 'celu-cnn').map((e) => [e.name, join(TOKENS, e.file), e.input_size] as const),
  ];

  it.each(cases)('%s: input gradients (plain and guided) and the default layer’s gradient', async (_name, path, [h, w]) => {
    const start = tf.memory().numTensors;
    const reference = await whiteBox(loadOnnxModel(path, { engine: 'tfjs', workers: 1 }));
    const fast = await whiteBox(loadOnnxModel(path, { engine: 'onnxruntime' }));
    const x = batch(2, h, w, h + w);
    for (const rule of ['gradient', 'guided'] as const) {
      const [a, b] = [await reference.inputGradients(x, [3, 1], { rule }), await fast.inputGradients(x, [3, 1], { rule })];
      expect(relativeError(await b.data(), await a.data()), rule).toBeLessThan(1e-4);
      tf.dispose([a, b]);
    }
    const one = tf.slice(x, [0, 0, 0, 0], [1, h, w, 3]) as tf.Tensor4D;
    const layer = defaultFeatureLayer(reference);
    const [p, q] = [await reference.activationsAndGradient(one, reference.resolveLayer(layer), 2), await fast.activationsAndGradient(one, fast.resolveLayer(layer), 2)];
    expect(relativeError(await q.activations.data(), await p.activations.data())).toBeLessThan(1e-4);
    expect(relativeError(await q.gradient.data(), await p.gradient.data())).toBeLessThan(1e-4);
    tf.dispose([p.activations, p.gradient, p.logits, q.activations, q.gradient, q.logits, one, x]);
    reference.dispose();
    fast.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('gradient graph on onnxruntime: model contracts', () => {
  beforeAll(() => useBackend('cpu'));

  it.each(['fixed-batch-1', 'fixed-batch-2', 'dynamic-batch', 'conv-head'])('%s: 3 images run in the model’s batches and equal the tfjs graph', async (name) => {
    const path = join(FIXTURES, 'contract', `${name}.onnx`);
    const reference = await whiteBox(loadOnnxModel(path, { engine: 'tfjs', workers: 1 }));
    const fast = await whiteBox(loadOnnxModel(path, { engine: 'onnxruntime' }));
    const x = batch(3, 32, 32, 7);
    const before = tf.memory().numTensors;
    const [a, b] = [await reference.inputGradients(x, [4, 0, 2]), await fast.inputGradients(x, [4, 0, 2])];
    expect(b.shape).toEqual([3, 32, 32, 3]);
    expect(relativeError(await b.data(), await a.data())).toBeLessThan(1e-4);
    const one = tf.slice(x, [1, 0, 0, 0], [1, 32, 32, 3]) as tf.Tensor4D;
    const layer = defaultFeatureLayer(reference);
    const [p, q] = [await reference.activationsAndGradient(one, reference.resolveLayer(layer), 3), await fast.activationsAndGradient(one, fast.resolveLayer(layer), 3)];
    expect(relativeError(await q.gradient.data(), await p.gradient.data())).toBeLessThan(1e-4);
    tf.dispose([a, b, one, p.activations, p.gradient, p.logits, q.activations, q.gradient, q.logits]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    reference.dispose();
    fast.dispose();
  });
});

describe('gradient runs that do not fit', () => {
  it('a batch onnxruntime cannot allocate runs again in halves, to the same gradients', async () => {
    await useBackend('cpu');
    const model = await whiteBox(loadOnnxModel(join(GOLDEN, 'model.onnx'), { engine: 'tfjs' }));
    const records = (model as unknown as { shapes(): Map<string, { shape: number[] }> }).shapes();
    const forward = { bytes: new Uint8Array(readFileSync(join(GOLDEN, 'model.onnx'))), name: 'm', inputName: 'input', outputName: 'logits', shapeOf: (n: string) => records.get(n)?.shape };
    const sizes: number[] = [];
    const open = (limit: number) => async (graph: { bytes: Uint8Array }) => {
      const session = await ort.InferenceSession.create(graph.bytes);
      return {
        engine: 'test',
        run: () => Promise.reject(new Error('unused')),
        runFeeds: async (feeds: Record<string, { data: Float32Array; dims: number[] }>, fetch: readonly string[]) => {
          const rows = feeds.input.dims[0];
          sizes.push(rows);
          if (rows > limit) throw new Error(`onnxruntime failed to run the model: Failed to allocate memory for requested buffer of size ${rows * 1e9}`);
          const out = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.dims)])), [...fetch]);
          return Object.fromEntries(fetch.map((name) => [name, { data: out[name].data as Float32Array, dims: [...out[name].dims] }]));
        },
        dispose: () => session.release(),
      };
    };
    const rows = 5;
    const images = Float32Array.from({ length: rows * 3 * 64 * 64 }, seeded(3));
    const seeds = new Float32Array(rows * 4).map((_, i) => (i % 4 === (Math.floor(i / 4) % 4) ? 1 : 0));
    const request = { input: true, layers: [{ label: 'layer4', value: model.resolveLayer('layer4').output }] };
    const whole = await new OrtGradients(forward, open(rows), 'test', 4).run(request, images, [1, 3, 64, 64], seeds, rows);
    sizes.length = 0;
    const split = await new OrtGradients(forward, open(2), 'test', 4).run(request, images, [1, 3, 64, 64], seeds, rows);
    expect(sizes).toEqual([5, 3, 2, 1, 2]);
    expect(split.input!.dims).toEqual([5, 3, 64, 64]);
    expect(relativeError(split.input!.data, whole.input!.data)).toBeLessThan(1e-6);
    expect(relativeError(split.gradients.layer4.data, whole.gradients.layer4.data)).toBeLessThan(1e-6);
    expect(relativeError(split.logits, whole.logits)).toBeLessThan(1e-6);
    // Other errors are not retried.
    const broken = new OrtGradients(forward, async () => ({ engine: 'test', run: () => Promise.reject(new Error('unused')), runFeeds: () => Promise.reject(new Error('Invalid rank')), dispose: async () => undefined }), 'test', 4);
    await expect(broken.run(request, images, [1, 3, 64, 64], seeds, rows)).rejects.toThrow('Invalid rank');
    model.dispose();
  });
});

describe('gradient graph files', () => {
  it('run by onnxruntime alone: several layers and the input in one run, seeds weighting the logits', async () => {
    await useBackend('cpu');
    const model = await whiteBox(loadOnnxModel(join(GOLDEN, 'model.onnx'), { engine: 'tfjs' }));
    const layers = ['layer3', 'layer4'].map((name) => ({ label: name, value: model.resolveLayer(name).output }));
    const graph = model.gradientGraph({ layers, input: true });
    expect(graph.names).toMatchObject({ image: 'input', seed: 'seed', logits: 'logits', inputGradient: 'gradient:input' });
    expect(graph.names.gradients).toEqual({ layer3: 'gradient:layer3', layer4: 'gradient:layer4' });
    // Only standard operators, at opset 17.
    const decoded = onnx.ModelProto.decode(graph.bytes);
    expect(decoded.opsetImport.map((o) => [o.domain ?? '', Number(o.version)])).toEqual([['', 17]]);
    expect(decoded.graph!.node!.every((n) => !n.domain)).toBe(true);
    const session = await ort.InferenceSession.create(graph.bytes);
    const input = readNpy(join(GOLDEN, 'input.npy'));
    // A seed that weights two logits: the gradient of 2·y_1 − y_3.
    const seed = new Float32Array([0, 2, 0, -1]);
    const out = await session.run({ input: new ort.Tensor('float32', input.data, input.shape), seed: new ort.Tensor('float32', seed, [1, 4]) });
    const x = nchwToNhwc(input);
    const g1 = await model.inputGradients(x, 1);
    const g3 = await model.inputGradients(x, 3);
    const expected = await toNchw(tf.tidy(() => tf.sub(tf.mul(g1, 2), g3)) as tf.Tensor4D);
    expect(relativeError(out['gradient:input'].data as Float32Array, expected)).toBeLessThan(1e-4);
    expect(relativeError(out.logits.data as Float32Array, readNpy(join(GOLDEN, 'logits.npy')).data)).toBeLessThan(1e-5);
    expect(out['activations:layer4'].dims).toEqual([1, 64, 2, 2]);
    tf.dispose([x, g1, g3]);
    model.dispose();
  });

  it('names the node and operator it cannot go back through', async () => {
    await useBackend('cpu');
    const model = await whiteBox(loadOnnxModel(join(GOLDEN, 'model.onnx'), { engine: 'tfjs' }));
    const bytes = new Uint8Array(readFileSync(join(GOLDEN, 'model.onnx')));
    const proto = onnx.ModelProto.decode(bytes);
    const relu = proto.graph!.node!.find((n) => n.opType === 'Relu')!;
    relu.opType = 'Celu';
    const mutated = onnx.ModelProto.encode(proto).finish();
    const records = (model as unknown as { shapes(): Map<string, { shape: number[] }> }).shapes();
    const forward = { bytes: mutated, name: 'm', inputName: 'input', outputName: 'logits', shapeOf: (n: string) => records.get(n)?.shape };
    expect(() => buildGradientGraph(forward, { input: true })).toThrow(XaiError);
    expect(() => buildGradientGraph(forward, { input: true })).toThrow(`the gradient graph cannot go back through the Celu node "${relu.name}": Celu has no backward recipe`);
    // Only what lies between the requested values and the logits is differentiated.
    expect(() => buildGradientGraph(forward, { layers: [{ label: 'layer4', value: model.resolveLayer('layer4').output }] })).not.toThrow();
    expect(() => buildGradientGraph(forward, {})).toThrow('a gradient graph needs at least one layer or the input');
    model.dispose();
  });
});

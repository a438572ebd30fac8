import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphClassifier, LayersClassifier, explainWith, type MethodDescriptor } from '@xai/core';
import { TEST_BACKENDS, expectNoLeak, maxAbs, maxAbsDiff, normalArray, uniformArray, useBackend } from '@xai/testing';
import { ATTRIBUTION_METHODS } from '../src/index.js';

/**
 * "Every method works on LayersModels, GraphModels and ONNX models", for the pixel attributions:
 * one small network written twice, as a hand-made TF graph (what tfjs-converter stores) and as a
 * tfjs-layers functional model with the same weights (the network of @xai/cam's
 * graph-model.test.ts), so every attribution through the one must equal that through the other,
 * Guided Backprop's ReLU (a graph `Relu` node, a Keras `ReLU` layer) included. (The ONNX path is
 * covered by golden.test.ts.)
 *
 *   x [8, 8, 3] → conv1 3×3 stride 2 'same' → ReLU → conv2 3×3 'same' → add with the ReLU (the
 *     skip) → mean over H, W → matmul → logits [3]
 */

const SIZE = 8;
const CHANNELS = 3;
const K = 6;
const CLASSES = 3;
const TARGETS = [0, 2];

const W1_SHAPE = [3, 3, CHANNELS, K];
const W2_SHAPE = [3, 3, K, K];
const DENSE_SHAPE = [K, CLASSES];
const W1 = normalArray(3 * 3 * CHANNELS * K, 31, 0, 0.4);
const W2 = normalArray(3 * 3 * K * K, 32, 0, 0.4);
const DENSE = normalArray(K * CLASSES, 33, 0, 0.6);

const b64 = (s: string) => Buffer.from(s).toString('base64');
const float = { type: 'DT_FLOAT' };

function graphArtifacts(): tf.io.ModelArtifacts {
  const conv = (name: string, input: string, filter: string, stride: number) => ({
    name,
    op: 'Conv2D',
    input: [input, filter],
    attr: {
      T: float,
      strides: { list: { i: ['1', String(stride), String(stride), '1'] } },
      dilations: { list: { i: ['1', '1', '1', '1'] } },
      padding: { s: b64('SAME') },
      data_format: { s: b64('NHWC') },
    },
  });
  const weights: { name: string; shape: number[]; data: Float32Array | Int32Array }[] = [
    { name: 'block/w1', shape: W1_SHAPE, data: W1 },
    { name: 'block/w2', shape: W2_SHAPE, data: W2 },
    { name: 'head/axes', shape: [2], data: Int32Array.from([1, 2]) },
    { name: 'head/dense', shape: DENSE_SHAPE, data: DENSE },
  ];
  const dtype = (data: Float32Array | Int32Array) => (data instanceof Int32Array ? 'int32' : 'float32');
  const dims = (...sizes: number[]) => ({ dim: sizes.map((size) => ({ size: String(size) })) });
  const node = [
    { name: 'x', op: 'Placeholder', attr: { dtype: float, shape: { shape: dims(-1, SIZE, SIZE, CHANNELS) } } },
    ...weights.map(({ name, data }) => ({
      name,
      op: 'Const',
      attr: { dtype: { type: data instanceof Int32Array ? 'DT_INT32' : 'DT_FLOAT' }, value: { tensor: {} } },
    })),
    conv('block/conv1', 'x', 'block/w1', 2),
    { name: 'block/relu', op: 'Relu', input: ['block/conv1'], attr: { T: float } },
    conv('block/conv2', 'block/relu', 'block/w2', 1),
    { name: 'block/add', op: 'AddV2', input: ['block/relu', 'block/conv2'], attr: { T: float } },
    { name: 'head/mean', op: 'Mean', input: ['block/add', 'head/axes'], attr: { T: float, keep_dims: { b: false } } },
    { name: 'logits', op: 'MatMul', input: ['head/mean', 'head/dense'], attr: { T: float, transpose_a: { b: false }, transpose_b: { b: false } } },
  ];
  const bytes = new Uint8Array(weights.reduce((n, w) => n + w.data.byteLength, 0));
  let offset = 0;
  for (const { data } of weights) {
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
    offset += data.byteLength;
  }
  return {
    format: 'graph-model',
    modelTopology: { node, versions: { producer: 1 } },
    weightSpecs: weights.map(({ name, shape, data }) => ({ name, shape, dtype: dtype(data) })),
    weightData: bytes.buffer,
    signature: {
      inputs: { x: { name: 'x:0', dtype: 'DT_FLOAT', tensorShape: dims(-1, SIZE, SIZE, CHANNELS) } },
      outputs: { logits: { name: 'logits:0', dtype: 'DT_FLOAT', tensorShape: dims(-1, CLASSES) } },
    },
  } as unknown as tf.io.ModelArtifacts;
}

async function graphClassifier(): Promise<GraphClassifier> {
  const model = await loadGraphModel(tf.io.fromMemory(graphArtifacts()));
  return new GraphClassifier(model, { preprocessing: 'unit' });
}

function layersClassifier(): LayersClassifier {
  type Sym = tfl.SymbolicTensor;
  const x = tfl.input({ shape: [SIZE, SIZE, CHANNELS], name: 'x' });
  const conv1 = tfl.layers.conv2d({ filters: K, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'conv1' });
  const conv2 = tfl.layers.conv2d({ filters: K, kernelSize: 3, padding: 'same', useBias: false, name: 'conv2' });
  const dense = tfl.layers.dense({ units: CLASSES, useBias: false, name: 'logits' });
  const relu = tfl.layers.reLU({ name: 'relu' }).apply(conv1.apply(x)) as Sym;
  const add = tfl.layers.add({ name: 'add' }).apply([relu, conv2.apply(relu) as Sym]) as Sym;
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(add) as Sym;
  const model = tfl.model({ inputs: x, outputs: dense.apply(pooled) as Sym, name: 'graph_twin' });
  // Keras kernels are HWIO and [in, out], as the graph's Const weights.
  tf.tidy(() => {
    conv1.setWeights([tf.tensor4d(W1, W1_SHAPE as [number, number, number, number])]);
    conv2.setWeights([tf.tensor4d(W2, W2_SHAPE as [number, number, number, number])]);
    dense.setWeights([tf.tensor2d(DENSE, DENSE_SHAPE as [number, number])]);
  });
  return new LayersClassifier(model, { preprocessing: 'unit' });
}

/** Small parameters where the defaults do not fit an 8×8 image or would be slow. */
const PARAMS: Record<string, Record<string, unknown>> = {
  'integrated-gradients': { steps: 16 },
  smoothgrad: { samples: 4, noise: 0.1, seed: 7, base: 'saliency' },
  occlusion: { window: 4, stride: 2 },
};

const METHODS: [string, MethodDescriptor][] = ATTRIBUTION_METHODS.map((m) => [m.id, m]);
const TOLERANCE = 1e-5;

it('covers the six attributions', () => {
  expect(METHODS.map(([id]) => id)).toEqual(['saliency', 'input-x-gradient', 'integrated-gradients', 'guided-backprop', 'smoothgrad', 'occlusion']);
});

describe.each(TEST_BACKENDS)('the same network as a GraphModel and a LayersModel, %s', (backend) => {
  let graph: GraphClassifier;
  let layers: LayersClassifier;
  let image: tf.Tensor4D;
  beforeAll(async () => {
    await useBackend(backend);
    graph = await graphClassifier();
    layers = layersClassifier();
    image = tf.tensor4d(uniformArray(SIZE * SIZE * CHANNELS, 41, -1, 1), [1, SIZE, SIZE, CHANNELS]);
  });
  afterAll(() => {
    image?.dispose();
    graph?.dispose();
    layers?.dispose();
  });

  it('has the same logits and input gradients, plain and guided, and guided differs from plain', async () => {
    expect(graph.engine).toBe(`tfjs:${backend}`);
    await expectNoLeak(async () => {
      const [gl, ll] = [await graph.predict(image), await layers.predict(image)];
      expect(maxAbsDiff(await gl.data(), await ll.data())).toBeLessThanOrEqual(1e-5);
      tf.dispose([gl, ll]);
      const batch = tf.tidy(() => tf.concat([image, tf.neg(image)]) as tf.Tensor4D);
      for (const guided of [false, true]) {
        const gg = await graph.inputGradients(batch, TARGETS, { guided });
        const lg = await layers.inputGradients(batch, TARGETS, { guided });
        const expected = await lg.data();
        expect(gg.shape).toEqual([2, SIZE, SIZE, CHANNELS]);
        expect(maxAbsDiff(await gg.data(), expected), `guided ${guided}`).toBeLessThanOrEqual(TOLERANCE * Math.max(1, maxAbs(expected)));
        tf.dispose([gg, lg]);
      }
      const plain = await layers.inputGradients(image, 0);
      const guided = await layers.inputGradients(image, 0, { guided: true });
      expect(maxAbsDiff(await plain.data(), await guided.data())).toBeGreaterThan(1e-3);
      tf.dispose([plain, guided, batch]);
    });
  });

  it.each(METHODS)('%s gives the same attributions through both, for two classes', async (id, method) => {
    const options = { targets: TARGETS, batchSize: 4, params: PARAMS[id] ?? {} };
    const fromGraph = await expectNoLeak(() => explainWith(method, graph, image, options));
    const fromLayers = await expectNoLeak(() => explainWith(method, layers, image, options));
    expect(fromGraph.map((m) => [m.classIndex, m.method, m.params.engine])).toEqual(TARGETS.map((c) => [c, method.id, `tfjs:${backend}`]));
    expect(fromLayers.map((m) => [m.classIndex, m.method])).toEqual(TARGETS.map((c) => [c, method.id]));
    fromGraph.forEach((map, t) => {
      const other = fromLayers[t];
      expect([map.height, map.width, map.attribution?.channels]).toEqual([SIZE, SIZE, CHANNELS]);
      const signed = other.attribution!.data;
      const scale = Math.max(1, maxAbs(signed));
      expect(maxAbsDiff(map.attribution!.data, signed), `class ${map.classIndex} attribution`).toBeLessThanOrEqual(TOLERANCE * scale);
      expect(maxAbsDiff(map.data, other.data), `class ${map.classIndex} map`).toBeLessThanOrEqual(TOLERANCE * Math.max(1, maxAbs(other.data)));
      // Not constant: an attribution the same everywhere would agree trivially.
      expect(Math.max(...signed) - Math.min(...signed), `class ${map.classIndex} spread`).toBeGreaterThan(0.1 * maxAbs(signed));
      expect(maxAbs(signed)).toBeGreaterThan(0);
    });
    // The two classes' attributions differ.
    expect(maxAbsDiff(fromLayers[0].attribution!.data, fromLayers[1].attribution!.data)).toBeGreaterThan(1e-3);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { beforeAll, describe, expect, it } from 'vitest';
import { GraphClassifier } from '../src/models/graph-classifier.js';
import { defaultFeatureLayer, UnknownLayerError } from '../src/models/layer-search.js';
import { Random } from '../src/random.js';
import { maxRelativeDiff, row, useBackend, withChannelsZeroed, zeroedLinearHead, concatBytes } from './helpers.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const float = { type: 'DT_FLOAT' };

function seeded(shape: number[], seed: number): Float32Array {
  const r = new Random(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.normal() * 0.4);
}

const WEIGHTS = {
  'block/w1': [3, 3, 3, 4],
  'block/w2': [3, 3, 4, 4],
  'head/axes': [2],
  'head/dense': [4, 3],
};

/**
 * A hand-written TF graph (as tfjs-converter stores it): x → conv → relu ("block/relu") →
 * conv → add with the relu (skip) → mean over H, W → matmul → logits.
 */
interface GraphVariant {
  /** The input's batch axis: '-1' (dynamic) or a fixed size. */
  batch?: string;
  /** The node given as the output, and the shape its signature declares. */
  output?: string;
  outputDims?: string[];
}

function graphArtifacts(variant: GraphVariant = {}): tf.io.ModelArtifacts {
  const batch = variant.batch ?? '-1';
  const output = variant.output ?? 'logits';
  const outputDims = variant.outputDims ?? ['-1', '3'];
  // "head/score": one number per image (the logits · w, squeezed to [batch]).
  const weights: Record<string, number[]> = output === 'head/score' ? { ...WEIGHTS, 'head/to_one': [3, 1] } : WEIGHTS;
  const conv = (name: string, input: string, filter: string) => ({
    name,
    op: 'Conv2D',
    input: [input, filter],
    attr: { T: float, strides: { list: { i: ['1', '1', '1', '1'] } }, dilations: { list: { i: ['1', '1', '1', '1'] } }, padding: { s: b64('SAME') }, data_format: { s: b64('NHWC') } },
  });
  const node = [
    { name: 'x', op: 'Placeholder', attr: { dtype: float, shape: { shape: { dim: [{ size: batch }, { size: '6' }, { size: '6' }, { size: '3' }] } } } },
    ...Object.keys(weights).map((name) => ({
      name,
      op: 'Const',
      attr: { dtype: name === 'head/axes' ? { type: 'DT_INT32' } : float, value: { tensor: { dtype: 'DT_FLOAT' } } },
    })),
    conv('block/conv1', 'x', 'block/w1'),
    { name: 'block/relu', op: 'Relu', input: ['block/conv1'], attr: { T: float } },
    conv('block/conv2', 'block/relu', 'block/w2'),
    { name: 'block/add', op: 'AddV2', input: ['block/relu', 'block/conv2'], attr: { T: float } },
    { name: 'head/mean', op: 'Mean', input: ['block/add', 'head/axes'], attr: { T: float, keep_dims: { b: false } } },
    { name: 'logits', op: 'MatMul', input: ['head/mean', 'head/dense'], attr: { T: float, transpose_a: { b: false }, transpose_b: { b: false } } },
    ...(output === 'head/score'
      ? [
          { name: 'head/one', op: 'MatMul', input: ['logits', 'head/to_one'], attr: { T: float, transpose_a: { b: false }, transpose_b: { b: false } } },
          { name: 'head/score', op: 'Squeeze', input: ['head/one'], attr: { T: float, squeeze_dims: { list: { i: ['1'] } } } },
        ]
      : []),
  ];
  const specs: tf.io.WeightsManifestEntry[] = Object.entries(weights).map(([name, shape]) => ({
    name,
    shape,
    dtype: name === 'head/axes' ? 'int32' : 'float32',
  }));
  const data = Object.entries(weights).map(([name, shape], i) =>
    name === 'head/axes' ? Int32Array.from([1, 2]) : seeded(shape, 20 + i),
  );
  const bytes = concatBytes(data);
  return {
    format: 'graph-model',
    modelTopology: { node, versions: { producer: 1 } },
    weightSpecs: specs,
    weightData: bytes.buffer,
    signature: {
      inputs: { x: { name: 'x:0', dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: batch }, { size: '6' }, { size: '6' }, { size: '3' }] } } },
      outputs: { [output]: { name: `${output}:0`, dtype: 'DT_FLOAT', tensorShape: { dim: outputDims.map((size) => ({ size })) } } },
    },
  } as unknown as tf.io.ModelArtifacts;
}

function handWritten(x: tf.Tensor4D) {
  const w = Object.fromEntries(Object.entries(WEIGHTS).map(([n, s], i) => [n, tf.tensor(seeded(s, 20 + i), s)]));
  const relu = tf.relu(tf.conv2d(x, w['block/w1'] as tf.Tensor4D, 1, 'same'));
  const tail = (a: tf.Tensor) =>
    tf.matMul(tf.mean(tf.add(a, tf.conv2d(a as tf.Tensor4D, w['block/w2'] as tf.Tensor4D, 1, 'same')), [1, 2]), w['head/dense']);
  return { relu, tail };
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`GraphClassifier on ${backend}`, () => {
    beforeAll(() => useBackend(backend));

    it('predicts, lists layers and gives gradients at a node that a skip connection bypasses', async () => {
      const artifacts = graphArtifacts();
      const classifier = new GraphClassifier(await loadGraphModel({ load: async () => artifacts }), { preprocessing: 'unit' });
      expect(classifier.input).toEqual({ height: 6, width: 6, channels: 3, layout: 'NHWC' });
      expect(classifier.numClasses).toBe(3);
      const layers = classifier.layers();
      expect(layers.filter((l) => l.camTarget).map((l) => l.name)).toEqual(['block/conv1', 'block/relu', 'block/conv2', 'block/add']);
      expect(layers.every((l) => l.output === l.name)).toBe(true);
      expect(defaultFeatureLayer(classifier)).toBe('block/add');

      const image = tf.randomNormal([1, 6, 6, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
      const before = tf.memory().numTensors;
      const result = await classifier.activationsAndGradient(image, classifier.resolveLayer('block/relu'), 2);
      const expected = tf.tidy(() => {
        const { relu, tail } = handWritten(image);
        const grad = tf.grad((a) => tf.squeeze(tf.slice(tail(a), [0, 2], [1, 1])))(relu);
        return { relu, grad, logits: tail(relu) };
      });
      expect(maxRelativeDiff(await result.activations.data(), await expected.relu.data())).toBeLessThan(1e-5);
      expect(maxRelativeDiff(await result.gradient.data(), await expected.grad.data())).toBeLessThan(1e-5);
      expect(maxRelativeDiff(await result.logits.data(), await expected.logits.data())).toBeLessThan(1e-5);
      tf.dispose([result.activations, result.gradient, result.logits, expected.relu, expected.grad, expected.logits]);
      expect(tf.memory().numTensors).toBe(before);

      // A scope names the last node under it.
      const scope = classifier.resolveLayer('block');
      expect(scope).toEqual({ name: 'block', output: 'block/add', shape: [6, 6, 4], spatial: true, kind: 'AddV2' });
      const scoped = await classifier.activationsAndGradient(image, scope, 0);
      expect(scoped.activations.shape).toEqual([1, 6, 6, 4]);
      tf.dispose([scoped.activations, scoped.gradient, scoped.logits]);
      expect(() => classifier.resolveLayer('layer9')).toThrow(UnknownLayerError);
      expect(() => classifier.resolveLayer('block/reul')).toThrow(/Unknown layer "block\/reul". Closest: block\/relu\b.* The default layer is block\/add\. The model has \d+ layers/);
      image.dispose();
      classifier.dispose();
    });

    it('runs the network from a node, batched, with the skip taken from the image', async () => {
      const artifacts = graphArtifacts();
      const classifier = new GraphClassifier(await loadGraphModel({ load: async () => artifacts }), { preprocessing: 'unit' });
      const image = tf.randomNormal([1, 6, 6, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
      const dense = tf.tensor2d(seeded(WEIGHTS['head/dense'], 23), [4, 3]);
      const before = tf.memory().numTensors;
      const predicted = await classifier.predict(image);
      const intact = await predicted.data();

      // block/conv2: the skip carries block/relu around it; logits = mean(relu + C) · W, linear in C.
      const conv2 = classifier.resolveLayer('block/conv2');
      const g = await classifier.activationsAndGradient(image, conv2, 0);
      const tiled = tf.tile(g.activations, [3, 1, 1, 1]) as tf.Tensor4D;
      const same = await classifier.forwardFrom(image, conv2, tiled);
      expect(same.shape).toEqual([3, 3]);
      const sameData = await same.data();
      for (let r = 0; r < 3; r++) expect(maxRelativeDiff(row(sameData, r, 3), intact)).toBeLessThan(1e-5);
      const zeroed = withChannelsZeroed(g.activations, [[2], [], [0, 3]]);
      const changed = await classifier.forwardFrom(image, conv2, zeroed);
      const data = await changed.data();
      expect(maxRelativeDiff(row(data, 0, 3), zeroedLinearHead(intact, g.activations, dense, 2))).toBeLessThan(1e-5);
      expect(maxRelativeDiff(row(data, 1, 3), intact)).toBeLessThan(1e-5);
      const both = zeroedLinearHead(zeroedLinearHead(intact, g.activations, dense, 0), g.activations, dense, 3);
      expect(maxRelativeDiff(row(data, 2, 3), both)).toBeLessThan(1e-5);
      expect(zeroed.isDisposed).toBe(false);

      // block/relu feeds the skip and conv2: the tail written by hand.
      const relu = classifier.resolveLayer('block/relu');
      const h = await classifier.activationsAndGradient(image, relu, 0);
      const zeroedRelu = withChannelsZeroed(h.activations, [[], [1, 2]]);
      const fromRelu = await classifier.forwardFrom(image, relu, zeroedRelu);
      const byHand = tf.tidy(() => handWritten(image).tail(zeroedRelu));
      expect(maxRelativeDiff(await fromRelu.data(), await byHand.data())).toBeLessThan(1e-5);

      // A scope is an alias of its last node: the same output, the same result.
      const scope = classifier.resolveLayer('block');
      const add = classifier.resolveLayer('block/add');
      expect(scope.output).toBe(add.output);
      const s = await classifier.activationsAndGradient(image, scope, 0);
      const sz = withChannelsZeroed(s.activations, [[1]]);
      const [byScope, byNode] = [await classifier.forwardFrom(image, scope, sz), await classifier.forwardFrom(image, add, sz)];
      expect(Array.from(await byScope.data())).toEqual(Array.from(await byNode.data()));
      expect(maxRelativeDiff(await byScope.data(), zeroedLinearHead(intact, s.activations, dense, 1))).toBeLessThan(1e-5);

      tf.dispose([predicted, g.activations, g.gradient, g.logits, tiled, same, zeroed, changed]);
      tf.dispose([h.activations, h.gradient, h.logits, zeroedRelu, fromRelu, byHand]);
      tf.dispose([s.activations, s.gradient, s.logits, sz, byScope, byNode]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([image, dense]);
      classifier.dispose();
    });
  });
}

describe('GraphClassifier: the output contract and fixed batch sizes', () => {
  beforeAll(() => useBackend('wasm'));
  const load = async (variant: GraphVariant) => {
    const artifacts = graphArtifacts(variant);
    return new GraphClassifier(await loadGraphModel({ load: async () => artifacts }), { preprocessing: 'unit', source: 'graph/model.json' });
  };

  it('refuses a per-pixel output, naming the output, the shape measured and what is accepted', async () => {
    // tfjs-converter knows no output shapes (only a node's own "shape" attribute): one run on a zero image measures it.
    await expect(load({ output: 'block/add', outputDims: ['-1', '6', '6', '4'] })).rejects.toThrow(
      '"graph/model.json": the output "block/add" has shape [1, 6, 6, 4]; ' +
        "a classifier's output must be [batch, classes], or [batch, classes, 1, 1] (axes of size 1 after the batch are dropped). " +
        "This looks like a per-pixel or per-box output (segmentation, detection), not an image classifier's",
    );
    await expect(load({ batch: '2', output: 'block/add' })).rejects.toThrow(/"block\/add" has shape \[2, 6, 6, 4\]; a classifier's output must be/);
    await expect(load({ output: 'head/score', outputDims: ['-1'] })).rejects.toThrow(
      '"graph/model.json": the output "head/score" has shape [1]; ' +
        "a classifier's output must be [batch, classes], or [batch, classes, 1, 1] (axes of size 1 after the batch are dropped). " +
        'This is one value per image, not one logit per class',
    );
  });

  it.each(['1', '2'])('a graph with a fixed batch of %s runs any batch in batches of that size', async (size) => {
    const dynamic = await load({});
    const fixed = await load({ batch: size });
    expect(fixed.fixedBatch).toBe(Number(size));
    expect(fixed.engine).toBe(`tfjs:wasm (fixed batch ${size})`);
    expect(dynamic.engine).toBe('tfjs:wasm');
    expect(fixed.numClasses).toBe(3);
    const batch = tf.randomNormal([5, 6, 6, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
    const image = tf.slice(batch, [1, 0, 0, 0], [1, 6, 6, 3]) as tf.Tensor4D;
    // The graph itself refuses this batch (what predict hit before); the dynamic graph is the reference.
    expect(() => tf.tidy(() => fixed.model.execute(batch, 'logits'))).toThrow(new RegExp(`must be \\[${size},6,6,3\\], but was \\[5,6,6,3\\]`));
    const before = tf.memory().numTensors;
    const [a, b] = [await fixed.predict(batch), await dynamic.predict(batch)];
    expect(a.shape).toEqual([5, 3]);
    expect(maxRelativeDiff(await a.data(), await b.data())).toBeLessThan(1e-6);
    const relu = fixed.resolveLayer('block/relu');
    expect(relu.shape).toEqual([6, 6, 4]);
    const g = await fixed.activationsAndGradient(image, relu, 2);
    const h = await dynamic.activationsAndGradient(image, dynamic.resolveLayer('block/relu'), 2);
    expect(g.activations.shape).toEqual([1, 6, 6, 4]);
    expect(g.gradient.shape).toEqual([1, 6, 6, 4]);
    expect(g.logits.shape).toEqual([1, 3]);
    expect(maxRelativeDiff(await g.gradient.data(), await h.gradient.data())).toBeLessThan(1e-5);
    expect(maxRelativeDiff(await g.logits.data(), await h.logits.data())).toBeLessThan(1e-6);
    const ablated = withChannelsZeroed(g.activations, [[0], [], [1, 2]]);
    const [c, d] = [await fixed.forwardFrom(image, relu, ablated), await dynamic.forwardFrom(image, dynamic.resolveLayer('block/relu'), ablated)];
    expect(c.shape).toEqual([3, 3]);
    expect(maxRelativeDiff(await c.data(), await d.data())).toBeLessThan(1e-5);
    tf.dispose([a, b, g.activations, g.gradient, g.logits, h.activations, h.gradient, h.logits, ablated, c, d]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([batch, image]);
    fixed.dispose();
    dynamic.dispose();
  });
});

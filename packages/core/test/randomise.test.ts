import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { beforeAll, describe, expect, it } from 'vitest';
import { GraphClassifier } from '../src/models/graph-classifier.js';
import { LayersClassifier } from '../src/models/layers-classifier.js';
import { shuffledWeights } from '../src/models/randomise.js';
import { Random } from '../src/random.js';
import { useBackend, concatBytes } from './helpers.js';
import { nestedModel, residualModel, seedWeights } from './models.js';

function seeded(count: number, seed: number): Float32Array {
  const r = new Random(seed);
  return Float32Array.from({ length: count }, () => r.normal() * 0.4);
}

const W1 = seeded(3 * 3 * 3 * 4, 5);
const DENSE = seeded(4 * 3, 6);

/** x [6, 6, 3] → Conv2D (conv, weights w1 [3,3,3,4]) → Relu → Mean over H, W → MatMul (logits, dense [4,3]). */
function graphArtifacts(): tf.io.ModelArtifacts {
  const float = { type: 'DT_FLOAT' };
  const dims = { dim: [{ size: '-1' }, { size: '6' }, { size: '6' }, { size: '3' }] };
  const node = [
    { name: 'x', op: 'Placeholder', attr: { dtype: float, shape: { shape: dims } } },
    { name: 'w1', op: 'Const', attr: { dtype: float, value: { tensor: {} } } },
    { name: 'axes', op: 'Const', attr: { dtype: { type: 'DT_INT32' }, value: { tensor: {} } } },
    { name: 'dense', op: 'Const', attr: { dtype: float, value: { tensor: {} } } },
    {
      name: 'conv',
      op: 'Conv2D',
      input: ['x', 'w1'],
      attr: { T: float, strides: { list: { i: ['1', '1', '1', '1'] } }, dilations: { list: { i: ['1', '1', '1', '1'] } }, padding: { s: btoa('SAME') }, data_format: { s: btoa('NHWC') } },
    },
    { name: 'relu', op: 'Relu', input: ['conv'], attr: { T: float } },
    { name: 'mean', op: 'Mean', input: ['relu', 'axes:0'], attr: { T: float, keep_dims: { b: false } } },
    { name: 'logits', op: 'MatMul', input: ['mean', 'dense'], attr: { T: float, transpose_a: { b: false }, transpose_b: { b: false } } },
  ];
  const data = [W1, Int32Array.from([1, 2]), DENSE];
  const bytes = concatBytes(data);
  return {
    format: 'graph-model',
    modelTopology: { node, versions: { producer: 1 } },
    weightSpecs: [
      { name: 'w1', shape: [3, 3, 3, 4], dtype: 'float32' },
      { name: 'axes', shape: [2], dtype: 'int32' },
      { name: 'dense', shape: [4, 3], dtype: 'float32' },
    ],
    weightData: bytes.buffer,
    signature: {
      inputs: { x: { name: 'x:0', dtype: 'DT_FLOAT', tensorShape: dims } },
      outputs: { logits: { name: 'logits:0', dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: '-1' }, { size: '3' }] } } },
    },
  } as unknown as tf.io.ModelArtifacts;
}

function byHand(x: tf.Tensor4D, w1: Float32Array, dense: Float32Array): tf.Tensor {
  return tf.tidy(() => tf.matMul(tf.mean(tf.relu(tf.conv2d(x, tf.tensor4d(w1, [3, 3, 3, 4]), 1, 'same')), [1, 2]), tf.tensor2d(dense, [4, 3])));
}

async function logitsOf(model: { predict(x: tf.Tensor4D): Promise<tf.Tensor2D> }, x: tf.Tensor4D): Promise<Float32Array> {
  const out = await model.predict(x);
  const data = (await out.data()) as Float32Array;
  out.dispose();
  return data;
}

function sorted(values: ArrayLike<number>): number[] {
  return Array.from(values).sort((a, b) => a - b);
}

describe('shuffledWeights', () => {
  it('moves every value to a seeded place: the same values, another order, the same for the same key', () => {
    const values = seeded(200, 1);
    const a = shuffledWeights(values, 3, 'conv', 0);
    expect(sorted(a)).toEqual(sorted(values));
    expect(Array.from(a)).not.toEqual(Array.from(values));
    expect(Array.from(shuffledWeights(values, 3, 'conv', 0))).toEqual(Array.from(a));
    expect(Array.from(shuffledWeights(values, 4, 'conv', 0))).not.toEqual(Array.from(a));
    expect(Array.from(shuffledWeights(values, 3, 'conv2', 0))).not.toEqual(Array.from(a));
    expect(Array.from(shuffledWeights(values, 3, 'conv', 1))).not.toEqual(Array.from(a));
  });
});

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`randomisedCopy on ${backend}`, () => {
    beforeAll(() => useBackend(backend));

    it('LayersModel: re-initialises only the named layers of a copy; the original predicts the same bytes', async () => {
      const model = residualModel();
      await seedWeights(model, 11);
      const classifier = new LayersClassifier(model, { preprocessing: 'imagenet', classNames: ['a', 'b', 'c'] });
      expect(classifier.parameterLayers()).toEqual(['stem', 'inner_conv', 'logits']);
      const x = tf.tensor4d(seeded(8 * 8 * 3, 2), [1, 8, 8, 3]);
      const before = await logitsOf(classifier, x);
      const tensors = tf.memory().numTensors;
      const copy = await classifier.randomisedCopy(['logits', 'inner_conv'], { seed: 7 });
      expect(copy.preprocessing).toEqual(classifier.preprocessing);
      expect(copy.classNames).toEqual(['a', 'b', 'c']);
      const weights = (m: tfl.LayersModel, name: string) => m.getLayer(name).getWeights().map((w) => w.dataSync() as Float32Array);
      for (const name of ['logits', 'inner_conv']) {
        weights(model, name).forEach((w, i) => expect(Array.from(weights(copy.model, name)[i])).toEqual(Array.from(shuffledWeights(w, 7, name, i))));
      }
      weights(model, 'stem').forEach((w, i) => expect(Array.from(weights(copy.model, 'stem')[i])).toEqual(Array.from(w)));
      expect(Array.from(await logitsOf(copy, x))).not.toEqual(Array.from(before));
      copy.dispose();
      expect(tf.memory().numTensors).toBe(tensors);
      expect(Array.from(await logitsOf(classifier, x))).toEqual(Array.from(before));
      x.dispose();
      classifier.dispose();
    });

    it('LayersModel: a nested model is listed by its layers, and an unknown name is refused with the list', async () => {
      const classifier = new LayersClassifier(nestedModel());
      expect(classifier.parameterLayers()).toEqual(['features/conv_a', 'features/conv_b', 'logits']);
      const copy = await classifier.randomisedCopy(['features/conv_b'], { seed: 1 });
      const original = (classifier.model.getLayer('features') as tfl.LayersModel).getLayer('conv_b').getWeights()[0].dataSync() as Float32Array;
      const changed = (copy.model.getLayer('features') as tfl.LayersModel).getLayer('conv_b').getWeights()[0].dataSync() as Float32Array;
      expect(Array.from(changed)).toEqual(Array.from(shuffledWeights(original, 1, 'features/conv_b', 0)));
      copy.dispose();
      await expect(classifier.randomisedCopy(['conv_b'], { seed: 1 })).rejects.toThrow(
        /Cannot re-initialise "conv_b": not a layer with weights; the layers with weights are features\/conv_a, features\/conv_b, logits/,
      );
      classifier.dispose();
    });

    it('GraphModel: the copy computes the network with the node\'s weight constants shuffled', async () => {
      const classifier = new GraphClassifier(await loadGraphModel({ load: async () => graphArtifacts() }), { preprocessing: 'unit' });
      // `mean` reads an int32 constant, `relu` none: neither holds weights.
      expect(classifier.parameterLayers()).toEqual(['conv', 'logits']);
      const x = tf.tensor4d(seeded(6 * 6 * 3, 3), [1, 6, 6, 3]);
      const before = await logitsOf(classifier, x);
      const tensors = tf.memory().numTensors;
      const copy = await classifier.randomisedCopy(['conv'], { seed: 9 });
      const expected = byHand(x, shuffledWeights(W1, 9, 'conv', 0), DENSE);
      const got = await logitsOf(copy, x);
      const want = (await expected.data()) as Float32Array;
      expected.dispose();
      got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
      expect(Array.from(got)).not.toEqual(Array.from(before));
      copy.dispose();
      expect(tf.memory().numTensors).toBe(tensors);
      expect(Array.from(await logitsOf(classifier, x))).toEqual(Array.from(before));
      await expect(classifier.randomisedCopy(['relu'], { seed: 1 })).rejects.toThrow(/"relu": not a layer with weights; the layers with weights are conv, logits/);
      x.dispose();
      classifier.dispose();
    });
  });
}

// Input gradients (issue 14) on LayersModels and GraphModels: ∂y_c/∂x, batched, and Guided
// Backprop's gradient (every ReLU's backward replaced, the registration put back afterwards).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GUIDED_RELU_GRADIENT, withGuidedRelu } from '../src/backend/guided-relu.js';
import { XaiError } from '../src/errors.js';
import { GraphClassifier } from '../src/models/graph-classifier.js';
import { LayersClassifier } from '../src/models/layers-classifier.js';
import { npyToFloat32 } from '../src/npy.js';
import { Random } from '../src/random.js';
import { maxRelativeDiff, readFixtureNpy, useBackend } from './helpers.js';
import { seedWeights } from './models.js';
// The golden network as a LayersModel; core cannot depend on @xai/testing (which depends on core), so by path.
import { buildTinyChelseaLayersModel } from '../../testing/src/tiny-chelsea.js';

const GOLDEN_TOL = 1e-4;
const CLASS = 1; // baselines.json class_index

async function expectClose(a: tf.Tensor, b: tf.Tensor, tol = 1e-5): Promise<void> {
  expect(a.shape).toEqual(b.shape);
  expect(maxRelativeDiff(await a.data(), await b.data())).toBeLessThan(tol);
}

/** A value of `a` and `b` differ by more than `tol` (relative): the two gradients are not the same. */
async function expectDifferent(a: tf.Tensor, b: tf.Tensor, tol = 0.01): Promise<void> {
  expect(maxRelativeDiff(await a.data(), await b.data())).toBeGreaterThan(tol);
}

function seeded(shape: number[], seed: number, scale = 0.5): Float32Array {
  const r = new Random(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.normal() * scale);
}

/** NCHW `[1, C, H, W]` fixture values as an NHWC tensor. */
function nhwcFixture(...parts: string[]): tf.Tensor4D {
  const a = readFixtureNpy(...parts);
  return tf.tidy(() => tf.transpose(tf.tensor4d(npyToFloat32(a), a.shape as [number, number, number, number]), [0, 2, 3, 1]));
}

async function nchwValues(x: tf.Tensor4D): Promise<Float32Array> {
  const t = tf.transpose(x, [0, 3, 1, 2]);
  const data = (await t.data()) as Float32Array;
  t.dispose();
  return data;
}

// ---------------------------------------------------------------------------------------------
// Hand-written GraphModels (as tfjs-converter stores them).

const b64 = (s: string) => Buffer.from(s).toString('base64');
const float = { type: 'DT_FLOAT' };
const strings = (...s: string[]) => ({ list: { s: s.map(b64) } });
const ints = (...i: number[]) => ({ list: { i: i.map(String) } });

interface Weight {
  shape: number[];
  data: Float32Array | Int32Array;
}

type TfNode = { name: string; op: string; input?: string[]; attr?: Record<string, unknown> };

function graphModel(input: { batch: string; shape: number[] }, nodes: TfNode[], weights: Record<string, Weight>, output: string, classes: number) {
  const dims = [input.batch, ...input.shape.map(String)].map((size) => ({ size }));
  const node: TfNode[] = [
    { name: 'x', op: 'Placeholder', attr: { dtype: float, shape: { shape: { dim: dims } } } },
    ...Object.entries(weights).map(([name, w]) => ({
      name,
      op: 'Const',
      attr: { dtype: w.data instanceof Int32Array ? { type: 'DT_INT32' } : float, value: { tensor: { dtype: 'DT_FLOAT' } } },
    })),
    ...nodes,
  ];
  const entries = Object.entries(weights);
  const bytes = new Uint8Array(entries.reduce((n, [, w]) => n + w.data.byteLength, 0));
  let offset = 0;
  for (const [, w] of entries) {
    bytes.set(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength), offset);
    offset += w.data.byteLength;
  }
  const artifacts = {
    format: 'graph-model',
    modelTopology: { node, versions: { producer: 1 } },
    weightSpecs: entries.map(([name, w]) => ({ name, shape: w.shape, dtype: w.data instanceof Int32Array ? 'int32' : 'float32' })),
    weightData: bytes.buffer,
    signature: {
      inputs: { x: { name: 'x:0', dtype: 'DT_FLOAT', tensorShape: { dim: dims } } },
      outputs: { [output]: { name: `${output}:0`, dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: '-1' }, { size: String(classes) }] } } },
    },
  } as unknown as tf.io.ModelArtifacts;
  return loadGraphModel({ load: async () => artifacts });
}

const matMul = (name: string, a: string, b: string): TfNode => ({
  name,
  op: 'MatMul',
  input: [a, b],
  attr: { T: float, transpose_a: { b: false }, transpose_b: { b: false } },
});
const fusedMatMulRelu = (name: string, a: string, b: string, bias: string): TfNode => ({
  name,
  op: '_FusedMatMul',
  input: [a, b, bias],
  attr: { T: float, transpose_a: { b: false }, transpose_b: { b: false }, fused_ops: strings('BiasAdd', 'Relu'), num_args: { i: '1' } },
});
const convAttrs = { T: float, strides: ints(1, 1, 1, 1), dilations: ints(1, 1, 1, 1), padding: { s: b64('SAME') }, data_format: { s: b64('NHWC') } };

/**
 * The dense graph: x [B, 2, 2, 3] → reshape [B, 12] → _FusedMatMul(W1, b1, BiasAdd + Relu) →
 * MatMul W2 → BiasAdd b2 → Relu → MatMul W3 → logits [B, 3]; its gradient written out by hand.
 */
const DENSE = { W1: [12, 5], b1: [5], W2: [5, 4], b2: [4], W3: [4, 3] } as const;

function denseWeights(): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(DENSE).map(([name, shape], i) => [name, seeded([...shape], 40 + i)]));
}

function denseGraph(batch: string) {
  const w = denseWeights();
  const weights: Record<string, Weight> = {
    shape: { shape: [2], data: Int32Array.from([-1, 12]) },
    ...Object.fromEntries(Object.entries(DENSE).map(([name, shape]) => [name, { shape: [...shape], data: w[name] }])),
  };
  const nodes: TfNode[] = [
    { name: 'flat', op: 'Reshape', input: ['x', 'shape'], attr: { T: float } },
    fusedMatMulRelu('fc1', 'flat', 'W1', 'b1'),
    matMul('fc2', 'fc1', 'W2'),
    { name: 'fc2/bias', op: 'BiasAdd', input: ['fc2', 'b2'], attr: { T: float, data_format: { s: b64('NHWC') } } },
    { name: 'fc2/relu', op: 'Relu', input: ['fc2/bias'], attr: { T: float } },
    matMul('logits', 'fc2/relu', 'W3'),
  ];
  return graphModel({ batch, shape: [2, 2, 3] }, nodes, weights, 'logits', 3);
}

/** ∂ logit_c / ∂x of the dense graph for one flattened image, by hand (guided: Guided Backprop's rule at both ReLUs). */
function denseGradientByHand(x: ArrayLike<number>, c: number, guided: boolean): number[] {
  const w = denseWeights();
  const affine = (input: ArrayLike<number>, m: Float32Array, rows: number, cols: number, bias?: Float32Array) =>
    Array.from({ length: cols }, (_, j) => {
      let s = bias ? bias[j] : 0;
      for (let i = 0; i < rows; i++) s += input[i] * m[i * cols + j];
      return s;
    });
  // back(g, m) = m · g: the gradient through a matrix [rows, cols] to its input.
  const back = (g: number[], m: Float32Array, rows: number, cols: number) =>
    Array.from({ length: rows }, (_, i) => g.reduce((s, gj, j) => s + gj * m[i * cols + j], 0));
  const reluBack = (g: number[], pre: number[]) => g.map((v, i) => (pre[i] > 0 ? (guided ? Math.max(v, 0) : v) : 0));
  const h1 = affine(x, w.W1, 12, 5, w.b1);
  const a1 = h1.map((v) => Math.max(v, 0));
  const h2 = affine(a1, w.W2, 5, 4, w.b2);
  const g3 = Array.from({ length: 4 }, (_, i) => w.W3[i * 3 + c]);
  const g2 = reluBack(g3, h2);
  const g1 = reluBack(back(g2, w.W2, 5, 4), h1);
  return back(g1, w.W1, 12, 5);
}

/**
 * The conv graph: x [B, 6, 6, 3] → _FusedConv2D(w1, b1, BiasAdd + Relu) ("c1") → Conv2D w2 →
 * BiasAdd b2 → Relu ("r2") → AddV2(r2, c1) → Mean over H, W → _FusedMatMul(wd, bd, BiasAdd +
 * Relu) → MatMul wo → logits [B, 3]; and the same network as a LayersModel.
 */
const CONV = { w1: [3, 3, 3, 4], b1: [4], w2: [3, 3, 4, 4], b2: [4], wd: [4, 5], bd: [5], wo: [5, 3] } as const;

function convWeights(): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(CONV).map(([name, shape], i) => [name, seeded([...shape], 60 + i)]));
}

function convGraph(batch: string) {
  const w = convWeights();
  const weights: Record<string, Weight> = {
    axes: { shape: [2], data: Int32Array.from([1, 2]) },
    ...Object.fromEntries(Object.entries(CONV).map(([name, shape]) => [name, { shape: [...shape], data: w[name] }])),
  };
  const nodes: TfNode[] = [
    { name: 'c1', op: '_FusedConv2D', input: ['x', 'w1', 'b1'], attr: { ...convAttrs, fused_ops: strings('BiasAdd', 'Relu'), num_args: { i: '1' } } },
    { name: 'c2', op: 'Conv2D', input: ['c1', 'w2'], attr: convAttrs },
    { name: 'c2/bias', op: 'BiasAdd', input: ['c2', 'b2'], attr: { T: float, data_format: { s: b64('NHWC') } } },
    { name: 'r2', op: 'Relu', input: ['c2/bias'], attr: { T: float } },
    { name: 'sum', op: 'AddV2', input: ['r2', 'c1'], attr: { T: float } },
    { name: 'mean', op: 'Mean', input: ['sum', 'axes'], attr: { T: float, keep_dims: { b: false } } },
    fusedMatMulRelu('fc', 'mean', 'wd', 'bd'),
    matMul('logits', 'fc', 'wo'),
  ];
  return graphModel({ batch, shape: [6, 6, 3] }, nodes, weights, 'logits', 3);
}

function convLayersModel(): tfl.LayersModel {
  const w = convWeights();
  const t = (name: keyof typeof CONV) => tf.tensor(w[name], [...CONV[name]]);
  const input = tfl.input({ shape: [6, 6, 3] });
  const c1 = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' });
  const c2 = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' });
  const fc = tfl.layers.dense({ units: 5, activation: 'relu' });
  const out = tfl.layers.dense({ units: 3, useBias: false });
  const a = c1.apply(input) as tfl.SymbolicTensor;
  const r2 = tfl.layers.reLU().apply(c2.apply(a)) as tfl.SymbolicTensor;
  const sum = tfl.layers.add().apply([r2, a]) as tfl.SymbolicTensor;
  const logits = out.apply(fc.apply(tfl.layers.globalAveragePooling2d({}).apply(sum))) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: logits });
  tf.tidy(() => {
    c1.setWeights([t('w1'), t('b1')]);
    c2.setWeights([t('w2'), t('b2')]);
    fc.setWeights([t('wd'), t('bd')]);
    out.setWeights([t('wo')]);
  });
  return model;
}

// ---------------------------------------------------------------------------------------------
// Keras models with activation: 'relu' inside Dense / Conv2D, and the same with ReLU layers.

function kerasModel(separate: boolean): tfl.LayersModel {
  const act = separate ? undefined : 'relu';
  const relu = (x: tfl.SymbolicTensor, i: number) =>
    separate ? ((i % 2 ? tfl.layers.reLU() : tfl.layers.activation({ activation: 'relu' })).apply(x) as tfl.SymbolicTensor) : x;
  const input = tfl.input({ shape: [8, 8, 3] });
  let x = tfl.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: act, name: 'conv_a' }).apply(input) as tfl.SymbolicTensor;
  x = relu(x, 0);
  x = tfl.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: act, name: 'conv_b' }).apply(x) as tfl.SymbolicTensor;
  x = relu(x, 1);
  x = tfl.layers.flatten().apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dense({ units: 8, activation: act, name: 'dense_a' }).apply(x) as tfl.SymbolicTensor;
  x = relu(x, 2);
  const logits = tfl.layers.dense({ units: 4, name: 'logits' }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logits });
}

// ---------------------------------------------------------------------------------------------

describe('withGuidedRelu', () => {
  beforeAll(() => useBackend('cpu'));

  it('replaces the Relu gradient while it runs and puts the original back, also after a throw', async () => {
    const { ensureGradients } = await import('../src/backend/register-gradients.js');
    await ensureGradients();
    const original = tf.getGradient('Relu');
    expect(original).toBeDefined();
    const before = tf.memory().numTensors;
    const x = tf.tensor1d([-2, -1, 1, 2, 3]);
    const dy = tf.tensor1d([1, -1, -1, 2, -3]);
    const f = (t: tf.Tensor) => tf.sum(tf.mul(tf.relu(t), dy));
    const guided = withGuidedRelu(() => {
      expect(tf.getGradient('Relu')).toBe(GUIDED_RELU_GRADIENT);
      return tf.grad(f)(x);
    });
    expect(Array.from(await guided.data(), (v) => v + 0)).toEqual([0, 0, 0, 2, 0]);
    expect(tf.getGradient('Relu')).toBe(original);
    const plain = tf.grad(f)(x);
    expect(Array.from(await plain.data(), (v) => v + 0)).toEqual([0, 0, -1, 2, -3]);
    expect(() =>
      withGuidedRelu(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(tf.getGradient('Relu')).toBe(original);
    // Asynchronous work is refused (the registration would not cover it), and still undone.
    expect(() => withGuidedRelu(() => Promise.resolve(1))).toThrow(XaiError);
    expect(tf.getGradient('Relu')).toBe(original);
    tf.dispose([x, dy, guided, plain]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaves no Relu gradient when there was none', async () => {
    const original = tf.getGradient('Relu')!;
    tf.unregisterGradient('Relu');
    try {
      withGuidedRelu(() => expect(tf.getGradient('Relu')).toBe(GUIDED_RELU_GRADIENT));
      expect(tf.getGradient('Relu')).toBeUndefined();
    } finally {
      tf.registerGradient(original);
    }
  });
});

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`LayersClassifier input gradients on ${backend}`, () => {
    let model: LayersClassifier;
    let x: tf.Tensor4D;
    beforeAll(async () => {
      await useBackend(backend);
      model = new LayersClassifier(buildTinyChelseaLayersModel());
      x = nhwcFixture('tiny-chelsea', 'input.npy');
    });
    afterAll(() => {
      x.dispose();
      model.dispose();
    });

    it("|∂y_c/∂x| through the tiny-chelsea LayersModel is Captum's Saliency", async () => {
      const reference = npyToFloat32(readFixtureNpy('tiny-chelsea', 'baselines', 'saliency.npy'));
      const before = tf.memory().numTensors;
      const g = await model.inputGradients(x, CLASS);
      expect(g.shape).toEqual([1, 64, 64, 3]);
      const abs = tf.abs(g);
      const error = maxRelativeDiff(await nchwValues(abs), reference);
      console.log(`layers ${backend} saliency: max error ${error.toExponential(2)} × max|ref|`);
      expect(error).toBeLessThan(GOLDEN_TOL);
      tf.dispose([g, abs]);
      expect(tf.memory().numTensors).toBe(before);
    });

    it("the guided gradient is Captum's GuidedBackprop", async () => {
      const reference = npyToFloat32(readFixtureNpy('tiny-chelsea', 'baselines', 'guided_backprop.npy'));
      const before = tf.memory().numTensors;
      const g = await model.inputGradients(x, CLASS, { rule: 'guided' });
      const error = maxRelativeDiff(await nchwValues(g), reference);
      console.log(`layers ${backend} guided backprop: max error ${error.toExponential(2)} × max|ref|`);
      expect(error).toBeLessThan(GOLDEN_TOL);
      tf.dispose(g);
      expect(tf.memory().numTensors).toBe(before);
    });

    it.each([false, true])('a batch of 3 images with classes [0, 2, 1] equals three single calls (guided: %s)', async (guided) => {
      const batch = tf.tidy(() => tf.concat([x, tf.reverse(x, 2), tf.add(tf.mul(x, 0.5), tf.randomNormal(x.shape, 0, 0.3, 'float32', 3))]) as tf.Tensor4D);
      const classes = [0, 2, 1];
      const before = tf.memory().numTensors;
      const all = await model.inputGradients(batch, classes, { rule: guided ? 'guided' : 'gradient' });
      expect(all.shape).toEqual([3, 64, 64, 3]);
      for (let b = 0; b < 3; b++) {
        const image = tf.slice(batch, [b, 0, 0, 0], [1, 64, 64, 3]) as tf.Tensor4D;
        const one = await model.inputGradients(image, classes[b], { rule: guided ? 'guided' : 'gradient' });
        const row = tf.slice(all, [b, 0, 0, 0], [1, 64, 64, 3]);
        await expectClose(row, one);
        tf.dispose([image, one, row]);
      }
      tf.dispose(all);
      expect(tf.memory().numTensors).toBe(before);
      batch.dispose();
    });

    it('puts the Relu gradient back after a guided call, and after one that throws', async () => {
      const original = tf.getGradient('Relu');
      const before = tf.memory().numTensors;
      const plainBefore = await model.inputGradients(x, 3);
      const guided = await model.inputGradients(x, 3, { rule: 'guided' });
      await expectDifferent(guided, plainBefore);
      expect(tf.getGradient('Relu')).toBe(original);
      const plainAfter = await model.inputGradients(x, 3);
      await expectClose(plainAfter, plainBefore, 1e-7);

      // The forward pass throws inside the guided section, after the ReLUs ran.
      const keras = model.model;
      const apply = keras.apply;
      keras.apply = function (this: tfl.LayersModel, ...args: Parameters<typeof apply>) {
        apply.apply(this, args);
        throw new Error('boom');
      } as typeof apply;
      try {
        await expect(model.inputGradients(x, 3, { rule: 'guided' })).rejects.toThrow('boom');
      } finally {
        keras.apply = apply;
      }
      expect(tf.getGradient('Relu')).toBe(original);
      const plainLast = await model.inputGradients(x, 3);
      await expectClose(plainLast, plainBefore, 1e-7);
      tf.dispose([plainBefore, guided, plainAfter, plainLast]);
      expect(tf.memory().numTensors).toBe(before);
    });

    it('refuses bad classes and batches', async () => {
      const before = tf.memory().numTensors;
      await expect(model.inputGradients(x, -1)).rejects.toThrow(new XaiError('class index -1 is out of range: the model has 4 classes (0–3)'));
      await expect(model.inputGradients(x, [1, 2])).rejects.toThrow('inputGradients got 2 classes for a batch of 1 images; give one class, or one per image');
      const wrong = tf.zeros([1, 64, 64, 1]) as tf.Tensor4D;
      await expect(model.inputGradients(wrong, 0)).rejects.toThrow('inputGradients takes preprocessed NHWC input [B, 64, 64, 3], got [1, 64, 64, 1]');
      wrong.dispose();
      const empty = tf.zeros([0, 64, 64, 3]) as tf.Tensor4D;
      const none = await model.inputGradients(empty, []);
      expect(none.shape).toEqual([0, 64, 64, 3]);
      tf.dispose([empty, none]);
      expect(tf.memory().numTensors).toBe(before);
    });

    it("guides activation: 'relu' inside Conv2D and Dense (fused kernels) exactly as separate ReLU layers", async () => {
      const inside = kerasModel(false);
      await seedWeights(inside, 7);
      const separate = kerasModel(true);
      separate.setWeights(inside.getWeights());
      const a = new LayersClassifier(inside);
      const b = new LayersClassifier(separate);
      const images = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 8) as tf.Tensor4D;
      const before = tf.memory().numTensors;
      for (const classes of [[1, 3], [0, 2]]) {
        const [ga, gb] = [await a.inputGradients(images, classes, { rule: 'guided' }), await b.inputGradients(images, classes, { rule: 'guided' })];
        const [pa, pb] = [await a.inputGradients(images, classes), await b.inputGradients(images, classes)];
        await expectClose(ga, gb);
        await expectClose(pa, pb);
        await expectDifferent(ga, pa);
        tf.dispose([ga, gb, pa, pb]);
      }
      expect(tf.memory().numTensors).toBe(before);
      images.dispose();
      a.dispose();
      b.dispose();
    });
  });

  describe(`GraphClassifier input gradients on ${backend}`, () => {
    beforeAll(() => useBackend(backend));

    it.each(['-1', '2'])('a dense graph (Relu, _FusedMatMul + Relu; batch %s) gives the gradient written by hand, plain and guided', async (batchDim) => {
      const classifier = new GraphClassifier(await denseGraph(batchDim));
      const images = tf.randomNormal([3, 2, 2, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
      const pixels = await images.data();
      const classes = [2, 0, 1];
      tf.dispose(await classifier.inputGradients(images, classes)); // a first run may cache constants
      const before = tf.memory().numTensors;
      for (const guided of [false, true]) {
        const g = await classifier.inputGradients(images, classes, { rule: guided ? 'guided' : 'gradient' });
        expect(g.shape).toEqual([3, 2, 2, 3]);
        const byHand = classes.flatMap((c, b) => denseGradientByHand(pixels.subarray(b * 12, (b + 1) * 12), c, guided));
        expect(maxRelativeDiff(await g.data(), byHand)).toBeLessThan(1e-5);
        tf.dispose(g);
      }
      const plain = classes.flatMap((c, b) => denseGradientByHand(pixels.subarray(b * 12, (b + 1) * 12), c, false));
      const guided = classes.flatMap((c, b) => denseGradientByHand(pixels.subarray(b * 12, (b + 1) * 12), c, true));
      expect(maxRelativeDiff(guided, plain)).toBeGreaterThan(0.01); // the case tells the two apart
      expect(tf.memory().numTensors).toBe(before);
      images.dispose();
      classifier.dispose();
    });

    it.each(['-1', '2'])('a conv graph (_FusedConv2D + Relu, Relu, skip; batch %s) equals the LayersModel of the same weights, plain and guided', async (batchDim) => {
      const graph = new GraphClassifier(await convGraph(batchDim));
      const layers = new LayersClassifier(convLayersModel());
      const images = tf.randomNormal([3, 6, 6, 3], 0, 1, 'float32', 6) as tf.Tensor4D;
      const classes = [1, 2, 0];
      tf.dispose(await graph.inputGradients(images, classes));
      const before = tf.memory().numTensors;
      const [logitsG, logitsL] = [await graph.predict(images), await layers.predict(images)];
      await expectClose(logitsG, logitsL);
      const results: tf.Tensor[] = [];
      for (const guided of [false, true]) {
        const [g, l] = [await graph.inputGradients(images, classes, { rule: guided ? 'guided' : 'gradient' }), await layers.inputGradients(images, classes, { rule: guided ? 'guided' : 'gradient' })];
        expect(g.shape).toEqual([3, 6, 6, 3]);
        await expectClose(g, l);
        results.push(g, l);
      }
      await expectDifferent(results[2], results[0]);
      tf.dispose([logitsG, logitsL, ...results]);
      expect(tf.memory().numTensors).toBe(before);
      images.dispose();
      graph.dispose();
      layers.dispose();
    });
  });
}


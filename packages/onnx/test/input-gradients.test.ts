// Input gradients (issue 14): ∂y_c/∂x and Guided Backprop's gradient through the tfjs graph of an
// ONNX model, against Captum's Saliency and GuidedBackprop (baselines/*.npy, 1×3×64×64 NCHW).
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { XaiError } from '@xai/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxModel, type OnnxClassifier } from '../src/node/index.js';
import { BACKENDS, FIXTURES, GOLDEN, nchwToNhwc, readNpy, relativeError, toNchw, useBackend, whiteBox } from './helpers.js';

const TOL = 1e-4;
const CLASS = 1; // baselines.json class_index

/** Every tensor of `a` and `b`, as arrays, within `tol` of each other (relative to max |b|). */
async function close(a: tf.Tensor, b: tf.Tensor, tol = 1e-5): Promise<void> {
  expect(a.shape).toEqual(b.shape);
  expect(relativeError(await a.data(), await b.data())).toBeLessThan(tol);
}

describe.each(BACKENDS)('ONNX input gradients on %s', (backend) => {
  let model: OnnxClassifier;
  let x: tf.Tensor4D;
  beforeAll(async () => {
    await useBackend(backend);
    model = await loadOnnxModel(join(GOLDEN, 'model.onnx'), { engine: 'tfjs', preprocessing: 'imagenet' });
    x = nchwToNhwc(readNpy(join(GOLDEN, 'input.npy')));
    // A first gradient may cache constants on the graph: made here, not inside a measured test.
    tf.dispose(await model.inputGradients(x, CLASS));
  });
  afterAll(() => {
    x.dispose();
    model.dispose();
  });

  it("|∂y_c/∂x| is Captum's Saliency", async () => {
    const reference = readNpy(join(GOLDEN, 'baselines', 'saliency.npy'));
    expect(reference.shape).toEqual([1, 3, 64, 64]);
    const before = tf.memory().numTensors;
    const g = await model.inputGradients(x, CLASS);
    expect(g.shape).toEqual([1, 64, 64, 3]);
    const abs = tf.abs(g);
    const error = relativeError(await toNchw(abs), reference.data);
    console.log(`onnx ${backend} saliency: max error ${error.toExponential(2)} × max|ref|`);
    expect(error).toBeLessThan(TOL);
    tf.dispose([g, abs]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("the guided gradient is Captum's GuidedBackprop", async () => {
    const reference = readNpy(join(GOLDEN, 'baselines', 'guided_backprop.npy'));
    const before = tf.memory().numTensors;
    const g = await model.inputGradients(x, CLASS, { rule: 'guided' });
    const error = relativeError(await toNchw(g), reference.data);
    console.log(`onnx ${backend} guided backprop: max error ${error.toExponential(2)} × max|ref|`);
    expect(error).toBeLessThan(TOL);
    // Not the plain gradient (the model has ReLUs whose backward Guided Backprop changes).
    const plain = await model.inputGradients(x, CLASS);
    expect(relativeError(await g.data(), await plain.data())).toBeGreaterThan(0.01);
    tf.dispose([g, plain]);
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
      await close(row, one);
      tf.dispose([image, one, row]);
    }
    // One class for every row.
    const same = await model.inputGradients(batch, 2, { rule: guided ? 'guided' : 'gradient' });
    const listed = await model.inputGradients(batch, [2, 2, 2], { rule: guided ? 'guided' : 'gradient' });
    await close(same, listed, 1e-7);
    tf.dispose([all, same, listed]);
    expect(tf.memory().numTensors).toBe(before);
    batch.dispose();
  });

  it('computes no weight gradient: no filter backprop, no fused kernel with its every-input gradient', async () => {
    const before = tf.memory().numTensors;
    const layer = model.resolveLayer('layer4');
    const profile = await tf.profile(async () => {
      tf.dispose(await model.inputGradients(x, CLASS));
      const { activations, gradient, logits } = await model.activationsAndGradient(x, layer, CLASS);
      tf.dispose([activations, gradient, logits]);
    });
    const kernels = new Set(profile.kernels.map((k) => k.name));
    expect(kernels.has('Conv2DBackpropInput')).toBe(true);
    expect([...kernels].filter((k) => /BackpropFilter|^Fused/.test(k))).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('puts the Relu gradient back after a guided call, and after one that throws', async () => {
    const original = tf.getGradient('Relu');
    const before = tf.memory().numTensors;
    const plainBefore = await model.inputGradients(x, 3);
    tf.dispose(await model.inputGradients(x, 3, { rule: 'guided' }));
    expect(tf.getGradient('Relu')).toBe(original);
    const plainAfter = await model.inputGradients(x, 3);
    await close(plainAfter, plainBefore, 1e-7);

    // The forward pass throws inside the guided section.
    const graph = (model as unknown as { graph: { run: (...args: unknown[]) => unknown } }).graph;
    const run = graph.run;
    graph.run = function (this: unknown, ...args: unknown[]) {
      run.apply(this, args);
      throw new Error('boom');
    };
    try {
      await expect(model.inputGradients(x, 3, { rule: 'guided' })).rejects.toThrow(/boom/);
    } finally {
      graph.run = run;
    }
    expect(tf.getGradient('Relu')).toBe(original);
    const plainLast = await model.inputGradients(x, 3);
    await close(plainLast, plainBefore, 1e-7);
    tf.dispose([plainBefore, plainAfter, plainLast]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses bad classes and batches before computing anything', async () => {
    const before = tf.memory().numTensors;
    await expect(model.inputGradients(x, 4)).rejects.toThrow(new XaiError('class index 4 is out of range: the model has 4 classes (0–3)'));
    await expect(model.inputGradients(x, [0, 1])).rejects.toThrow('inputGradients got 2 classes for a batch of 1 images; give one class, or one per image');
    await expect(model.inputGradients(x, 1.5)).rejects.toThrow(XaiError);
    const small = tf.zeros([1, 32, 32, 3]) as tf.Tensor4D;
    await expect(model.inputGradients(small, 0)).rejects.toThrow('inputGradients takes preprocessed NHWC input [B, 64, 64, 3], got [1, 32, 32, 3]');
    small.dispose();
    expect(tf.getGradient('Relu')).toBeDefined();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe.each([1, 2])('ONNX input gradients with a fixed batch of %s', (size) => {
  const models: Record<string, OnnxClassifier> = {};
  const contract = (name: string) => join(FIXTURES, 'contract', `${name}.onnx`);
  beforeAll(async () => {
    await useBackend('wasm');
    // onnxruntime runs predict; gradients come from the tfjs graph all the same.
    models.fixed = await whiteBox(loadOnnxModel(contract(`fixed-batch-${size}`), { engine: 'onnxruntime' }));
    models.dynamic = await loadOnnxModel(contract('dynamic-batch'), { engine: 'tfjs' });
  });
  afterAll(() => Object.values(models).forEach((m) => m.dispose()));

  it.each([false, true])('equals the dynamic-batch export for batches of 1, 3 and the fixed size (guided: %s)', async (guided) => {
    const x = tf.randomNormal([3, 32, 32, 3], 0, 1, 'float32', 21) as tf.Tensor4D;
    tf.dispose(await models.fixed.inputGradients(x, [0, 4, 2], { rule: guided ? 'guided' : 'gradient' })); // cached constants
    tf.dispose(await models.dynamic.inputGradients(x, [0, 4, 2], { rule: guided ? 'guided' : 'gradient' }));
    const before = tf.memory().numTensors;
    for (const n of [1, 3, size]) {
      const xs = tf.slice(x, [0, 0, 0, 0], [n, 32, 32, 3]) as tf.Tensor4D;
      const classes = [0, 4, 2].slice(0, n);
      const a = await models.fixed.inputGradients(xs, classes, { rule: guided ? 'guided' : 'gradient' });
      const b = await models.dynamic.inputGradients(xs, classes, { rule: guided ? 'guided' : 'gradient' });
      expect(a.shape).toEqual([n, 32, 32, 3]);
      await close(a, b);
      tf.dispose([xs, a, b]);
    }
    // The model has Relu nodes: the guided gradient is not the plain one.
    const [g, p] = [await models.fixed.inputGradients(x, 1, { rule: 'guided' }), await models.fixed.inputGradients(x, 1)];
    expect(relativeError(await g.data(), await p.data())).toBeGreaterThan(0.01);
    tf.dispose([g, p]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});

import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { defaultFeatureLayer } from '@xai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxModel } from '../src/node/index.js';
import type { OnnxClassifier } from '../src/classifier.js';
import { BACKENDS, TOKENS, nchwToNhwc, readNpy, relativeError, useBackend } from './helpers.js';

async function firstImage(name: string): Promise<tf.Tensor4D> {
  const x = nchwToNhwc(readNpy(join(TOKENS, `${name}.input.npy`)));
  const one = tf.slice(x, [0, 0, 0, 0], [1, ...x.shape.slice(1)]) as tf.Tensor4D;
  x.dispose();
  return one;
}

/**
 * Central differences of the class logit at `cells` of the layer's feature map, run on from the
 * layer with `forwardFrom` (a path independent of tf.grad), against the gradient.
 */
async function finiteDifferences(model: OnnxClassifier, image: tf.Tensor4D, layer: string, classIndex: number, cells: number) {
  const handle = model.resolveLayer(layer);
  const { activations, gradient, logits } = await model.activationsAndGradient(image, handle, classIndex);
  const g = await gradient.data();
  const a = await activations.data();
  // The largest gradients and a spread of others.
  const order = Array.from(g.keys()).sort((i, j) => Math.abs(g[j]) - Math.abs(g[i]));
  const picks = [...order.slice(0, cells / 2), ...Array.from({ length: cells / 2 }, (_, k) => order[Math.floor(((k + 1) * order.length) / (cells / 2 + 1))])];
  const eps = 1e-2;
  const batch = new Float32Array(a.length * (2 * picks.length + 1));
  picks.forEach((cell, k) => {
    batch.set(a, 2 * k * a.length);
    batch.set(a, (2 * k + 1) * a.length);
    batch[2 * k * a.length + cell] += eps;
    batch[(2 * k + 1) * a.length + cell] -= eps;
  });
  batch.set(a, 2 * picks.length * a.length);
  const shifted = tf.tensor4d(batch, [2 * picks.length + 1, ...activations.shape.slice(1)] as [number, number, number, number]);
  const out = await model.forwardFrom(image, handle, shifted);
  const y = await out.data();
  const k = model.numClasses;
  const fd = picks.map((_, i) => (y[2 * i * k + classIndex] - y[(2 * i + 1) * k + classIndex]) / (2 * eps));
  const unchanged = y.slice(2 * picks.length * k, (2 * picks.length + 1) * k);
  const result = { fd, grad: picks.map((c) => g[c]), scale: Math.max(...g.map(Math.abs)), unchanged, logits: await logits.data(), shape: activations.shape };
  tf.dispose([activations, gradient, logits, shifted, out]);
  return result;
}

describe.each(BACKENDS)('token layers on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('ViT: [1, T, D] layers are g×g×D maps without the class token; the default is the last block’s ln_1', async () => {
    const start = tf.memory().numTensors;
    const model = await loadOnnxModel(join(TOKENS, 'vit-opset17.onnx'), { engine: 'tfjs' });
    const layers = model.layers();
    const ln1 = layers.find((l) => l.name === 'encoder.layers.encoder_layer_1.ln_1')!;
    expect(ln1).toMatchObject({ shape: [17, 32], camTarget: true, kind: 'LayerNormalization', tokenGrid: { grid: [4, 4], classToken: true, from: 'tokens' } });
    expect(model.resolveLayer(ln1.name)).toMatchObject({ shape: [4, 4, 32], spatial: true });
    // After the last attention only the class token reaches the head: no gradient at the patches.
    for (const name of ['encoder.layers.encoder_layer_1.mlp', 'encoder.layers.encoder_layer_1', 'encoder.ln']) {
      expect(layers.find((l) => l.name === name)?.camTarget, name).toBe(false);
    }
    expect(layers.find((l) => l.name === 'encoder.layers.encoder_layer_0')?.camTarget).toBe(true);
    expect(defaultFeatureLayer(model)).toBe('encoder.layers.encoder_layer_1.ln_1');
    // Patch tokens without a class token (right after the patch embedding) are used as they are.
    expect(layers.find((l) => l.name === '/Transpose_output_0')?.tokenGrid).toEqual({ grid: [4, 4], classToken: false, from: 'tokens' });

    // The map is tokens 1… laid out row-major: token 1 + i·g + j is cell (i, j).
    const image = await firstImage('vit-opset17');
    const { activations, gradient, logits } = await model.activationsAndGradient(image, model.resolveLayer(ln1.name), 0);
    expect(activations.shape).toEqual([1, 4, 4, 32]);
    // The patch embedding's NCHW output and its tokens (flatten(2).transpose(1, 2)) give one map.
    const conv = await model.activationsAndGradient(image, model.resolveLayer('conv_proj'), 0);
    const tokens = await model.activationsAndGradient(image, model.resolveLayer('/Transpose_output_0'), 0);
    expect(tokens.activations.shape).toEqual([1, 4, 4, 32]);
    expect(await tokens.activations.data()).toEqual(await conv.activations.data());
    expect(relativeError(await tokens.gradient.data(), await conv.gradient.data())).toBeLessThan(1e-5);
    tf.dispose([activations, gradient, logits, conv.activations, conv.gradient, conv.logits, tokens.activations, tokens.gradient, tokens.logits, image]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it.each([
    ['vit-opset17', 'encoder.layers.encoder_layer_1.ln_1'],
    ['vit-opset14', 'encoder.layers.encoder_layer_0'],
    ['swin', 'features.1'],
    ['convnext', 'features.1.0.block.2'],
  ])('%s at %s: the gradient equals central differences of the logit', async (name, layer) => {
    const start = tf.memory().numTensors;
    const model = await loadOnnxModel(join(TOKENS, `${name}.onnx`), { engine: 'tfjs' });
    const image = await firstImage(name);
    const r = await finiteDifferences(model, image, layer, 3, 12);
    // Running on from the unchanged map gives the model's own logits (the class token is kept).
    expect(relativeError(r.unchanged, r.logits)).toBeLessThan(1e-5);
    for (let i = 0; i < r.fd.length; i++) expect(Math.abs(r.fd[i] - r.grad[i]), `cell ${i}`).toBeLessThan(2e-3 * r.scale + 1e-4);
    expect(r.scale).toBeGreaterThan(0);
    image.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});

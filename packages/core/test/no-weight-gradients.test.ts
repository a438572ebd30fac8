import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { withoutWeightGradients } from '../src/backend/no-weight-gradients.js';
import { Random } from '../src/random.js';
import { useBackend } from './helpers.js';

function values(size: number, seed: number): Float32Array {
  const r = new Random(seed);
  return Float32Array.from({ length: size }, () => r.normal());
}

/** Gradients of a fused conv (bias, no activation: tfjs keeps it fused under gradients) and a depthwise one. */
function gradients(): { input: Float32Array; filter: Float32Array; depthwise: Float32Array } {
  const x = tf.tensor4d(values(2 * 7 * 6 * 3, 1), [2, 7, 6, 3]);
  const filter = tf.tensor4d(values(3 * 3 * 3 * 4, 2), [3, 3, 3, 4]);
  const dw = tf.tensor4d(values(3 * 3 * 4 * 2, 3), [3, 3, 4, 2]);
  const bias = tf.tensor1d(values(4, 4));
  const [gx, gf, gd] = tf.grads((a, f, d) =>
    tf.sum(tf.depthwiseConv2d(tf.fused.conv2d({ x: a as tf.Tensor4D, filter: f as tf.Tensor4D, strides: 2, pad: 'same', bias }), d as tf.Tensor4D, 1, 'same')),
  )([x, filter, dw]);
  const out = { input: gx.dataSync() as Float32Array, filter: gf.dataSync() as Float32Array, depthwise: gd.dataSync() as Float32Array };
  tf.dispose([x, filter, dw, bias, gx, gf, gd]);
  return out;
}

describe.each(['wasm', 'cpu'] as const)('withoutWeightGradients (%s)', (backend) => {
  it('keeps the input gradient, answers zeros for the weights inside, and puts the kernels back after', async () => {
    await useBackend(backend);
    const before = tf.memory().numTensors;
    const plain = gradients();
    expect(plain.filter.some((v) => v !== 0) && plain.depthwise.some((v) => v !== 0)).toBe(true);
    const inside = withoutWeightGradients(gradients);
    expect(inside.input).toEqual(plain.input);
    expect(inside.filter.every((v) => v === 0)).toBe(true);
    expect(inside.depthwise.every((v) => v === 0)).toBe(true);
    expect(gradients()).toEqual(plain);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('puts the kernels back when the work throws, and refuses asynchronous work', async () => {
    await useBackend(backend);
    const plain = gradients();
    expect(() => withoutWeightGradients(() => { throw new Error('boom'); })).toThrow('boom');
    expect(() => withoutWeightGradients(async () => 1)).toThrow(/synchronous work only/);
    expect(gradients()).toEqual(plain);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { registerGradientKernels } from '../src/backend/kernels/register.js';
import { Random } from '../src/random.js';
import { maxRelativeDiff, useBackend } from './helpers.js';

/** Seeded weights so both backends see the same network. */
function values(shape: number[], seed: number): Float32Array {
  const r = new Random(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.normal() * 0.5);
}

interface NetWeights {
  w1: tf.Tensor4D;
  dw: tf.Tensor4D;
  w2: tf.Tensor4D;
  w3: tf.Tensor4D;
  table: tf.Tensor2D;
}

/**
 * A small conv net touching every gradient kernel: strided and padded convolutions (filter and
 * input gradients), a strided depthwise convolution with a channel multiplier, a skip connection,
 * and a gather (whose gradient is an UnsortedSegmentSum).
 */
function net(x: tf.Tensor4D, w: NetWeights): tf.Scalar {
  const a = tf.relu(tf.conv2d(x, w.w1, 2, 'same'));
  const b = tf.relu(tf.depthwiseConv2d(a, w.dw, [2, 2], 'same'));
  const c = tf.conv2d(b, w.w2, 1, 'valid');
  const d = tf.add(tf.conv2d(b, w.w3, 1, "same"), b);
  const pooled = tf.mean(tf.add(d, tf.pad(c, [[0, 0], [1, 1], [1, 1], [0, 0]])), [1, 2]);
  const picked = tf.gather(w.table, tf.tensor1d([2, 0, 2, 1], 'int32'));
  return tf.sum(tf.mul(tf.sum(pooled), tf.sum(picked)));
}

async function gradientsOn(backend: 'wasm' | 'cpu'): Promise<Float32Array[]> {
  await useBackend(backend);
  const before = tf.memory().numTensors;
  const x = tf.tensor4d(values([2, 9, 9, 3], 1), [2, 9, 9, 3]);
  const w: NetWeights = {
    w1: tf.tensor4d(values([3, 3, 3, 4], 2), [3, 3, 3, 4]),
    dw: tf.tensor4d(values([3, 3, 4, 2], 3), [3, 3, 4, 2]),
    w2: tf.tensor4d(values([3, 3, 8, 8], 4), [3, 3, 8, 8]),
    w3: tf.tensor4d(values([1, 1, 8, 8], 5), [1, 1, 8, 8]),
    table: tf.tensor2d(values([3, 5], 6), [3, 5]),
  };
  const grads = tf.grads((x, w1, dw, w2, w3, table) =>
    net(x as tf.Tensor4D, {
      w1: w1 as tf.Tensor4D,
      dw: dw as tf.Tensor4D,
      w2: w2 as tf.Tensor4D,
      w3: w3 as tf.Tensor4D,
      table: table as tf.Tensor2D,
    }),
  )([x, w.w1, w.dw, w.w2, w.w3, w.table]);
  const out = await Promise.all(grads.map((g) => g.data() as Promise<Float32Array>));
  tf.dispose([...grads, x, ...Object.values(w)]);
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

describe('gradient kernels registered for wasm', () => {
  it('give the cpu backend’s gradients of a conv net to 1e-5 relative', async () => {
    const cpu = await gradientsOn('cpu');
    const wasm = await gradientsOn('wasm');
    const names = ['input', 'conv filter', 'depthwise filter', 'valid conv filter', '1×1 filter', 'gather table'];
    cpu.forEach((expected, i) => {
      expect(expected.some((v) => v !== 0), `${names[i]} gradient is not all zero`).toBe(true);
      expect(maxRelativeDiff(wasm[i], expected), names[i]).toBeLessThan(1e-5);
    });
  });

  it('match direct kernel results for Conv2DBackpropFilter with strides and padding', async () => {
    await useBackend('wasm');
    const before = tf.memory().numTensors;
    const x = tf.tensor4d(values([1, 7, 6, 2], 11), [1, 7, 6, 2]);
    const dy = tf.tensor4d(values([1, 4, 3, 3], 12), [1, 4, 3, 3]);
    const attrs = { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 2, 3] };
    const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs) as tf.Tensor;
    const wasm = await dw.data();
    dw.dispose();
    // The definition, written out: dW[r,c,i,o] = Σ x[oy·2 + r − pad, ox·2 + c − pad, i] · dy[oy, ox, o]
    const xs = await x.data();
    const dys = await dy.data();
    const expected = new Float32Array(3 * 3 * 2 * 3);
    const padTop = 1; // 'same': output 4×3, total padding 2 rows and 1 column, the extra at the end
    const padLeft = 0;
    for (let r = 0; r < 3; r++)
      for (let c = 0; c < 3; c++)
        for (let i = 0; i < 2; i++)
          for (let o = 0; o < 3; o++) {
            let s = 0;
            for (let oy = 0; oy < 4; oy++)
              for (let ox = 0; ox < 3; ox++) {
                const y = oy * 2 + r - padTop;
                const xx = ox * 2 + c - padLeft;
                if (y < 0 || y >= 7 || xx < 0 || xx >= 6) continue;
                s += xs[(y * 6 + xx) * 2 + i] * dys[(oy * 3 + ox) * 3 + o];
              }
            expected[((r * 3 + c) * 2 + i) * 3 + o] = s;
          }
    expect(maxRelativeDiff(wasm as Float32Array, expected)).toBeLessThan(1e-5);
    tf.dispose([x, dy]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('registers wasm’s faster Conv2DBackpropInput once, and report it', async () => {
    await useBackend('wasm');
    const kernel = tf.getKernel('Conv2DBackpropInput', 'wasm');
    expect(kernel).toBeDefined();
    expect(registerGradientKernels('wasm')).toEqual([]);
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc).toBe(kernel!.kernelFunc);
    expect(registerGradientKernels('cpu')).toEqual([]);
  });

  // [input NHWC, filter, strides, pad, dimRoundingMode?, dataFormat]
  const CASES: [number[], number[], number | [number, number], unknown, string | undefined, 'NHWC' | 'NCHW'][] = [
    [[2, 9, 9, 3], [3, 3, 3, 4], 1, 'same', undefined, 'NHWC'],
    [[1, 8, 7, 2], [3, 3, 2, 5], 2, 'same', undefined, 'NHWC'],
    [[1, 9, 10, 3], [3, 3, 3, 2], 2, 'valid', undefined, 'NHWC'],
    [[1, 11, 11, 4], [7, 7, 4, 3], 2, 3, undefined, 'NHWC'],
    [[1, 10, 9, 2], [3, 2, 2, 3], [2, 1], 'same', undefined, 'NHWC'],
    [[2, 7, 7, 3], [1, 1, 3, 6], 2, 'valid', undefined, 'NHWC'],
    [[1, 13, 12, 2], [5, 5, 2, 2], 3, 'same', undefined, 'NHWC'],
    [[1, 8, 8, 3], [3, 3, 3, 2], 2, [[0, 0], [1, 2], [0, 1], [0, 0]], undefined, 'NHWC'],
    [[1, 9, 9, 2], [2, 2, 2, 3], 2, 1, 'ceil', 'NHWC'],
    [[1, 9, 8, 3], [3, 3, 3, 4], 2, 'same', undefined, 'NCHW'],
  ];

  it.each(CASES)('Conv2DBackpropInput on wasm equals the cpu backend’s (input %j, filter %j, strides %j, pad %j, %s, %s)', async (input, filterShape, strides, pad, dimRoundingMode, dataFormat) => {
    const run = async (backend: 'wasm' | 'cpu') => {
      await useBackend(backend);
      const before = tf.memory().numTensors;
      const info = tf.backend_util.computeConv2DInfo(input as [number, number, number, number], filterShape as [number, number, number, number],
        strides, 1, pad as 'same', dimRoundingMode as 'ceil' | undefined);
      const outShape = [input[0], info.outHeight, info.outWidth, filterShape[3]];
      const dyNhwc = tf.tensor4d(values(outShape, 21), outShape as [number, number, number, number]);
      const dy = dataFormat === 'NCHW' ? tf.transpose(dyNhwc, [0, 3, 1, 2]) : dyNhwc;
      const filter = tf.tensor4d(values(filterShape, 22), filterShape as [number, number, number, number]);
      const inputShape = dataFormat === 'NCHW' ? [input[0], input[3], input[1], input[2]] : input;
      const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { strides, pad, dimRoundingMode, dataFormat, inputShape } as unknown as tf.NamedAttrMap) as tf.Tensor;
      expect(dx.shape).toEqual(inputShape);
      const out = (await dx.data()) as Float32Array;
      tf.dispose([dx, dy, dyNhwc, filter]);
      expect(tf.memory().numTensors).toBe(before);
      return out;
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    expect(cpu.some((v) => v !== 0)).toBe(true);
    expect(maxRelativeDiff(wasm, cpu)).toBeLessThan(1e-5);
  });
});

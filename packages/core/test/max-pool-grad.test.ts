// MaxPoolGrad with ties (issue 25): each window's gradient goes to its first maximal element in
// row-major order, padding never wins (PyTorch's rule, and tfjs-backend-cpu's). tfjs-backend-wasm's
// own kernel sends ties to the last maximal element and loses windows whose maximum is ≤ 0.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerGradientKernels } from '../src/backend/kernels/register.js';
import { Random } from '../src/random.js';
import { useBackend } from './helpers.js';

type Shape = [number, number, number, number];

/** Values drawn from {−1, 0, 1, 2} (so that most windows tie), or from a normal distribution. */
function values(shape: number[], seed: number, kind: 'ties' | 'normal' | 'zeros' | 'negative'): Float32Array {
  const r = new Random(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: size }, () => {
    if (kind === 'zeros') return 0;
    if (kind === 'negative') return -1 - Math.floor(r.uniform() * 2);
    return kind === 'ties' ? Math.floor(r.uniform() * 4) - 1 : r.normal();
  });
}

/**
 * The definition written out: the window of output (oy, ox) covers rows oy·s − top … + k − 1 and
 * columns likewise; its dy goes to the first element inside the input, in row-major order, whose
 * value is the window's maximum.
 */
function firstMaximaGradient(x: Float32Array, dy: Float32Array, shape: Shape, info: tf.backend_util.Conv2DInfo): Float32Array {
  const [batch, height, width, channels] = shape;
  const dx = new Float32Array(x.length);
  const at = (n: number, y: number, xx: number, c: number) => ((n * height + y) * width + xx) * channels + c;
  for (let n = 0; n < batch; n++)
    for (let oy = 0; oy < info.outHeight; oy++)
      for (let ox = 0; ox < info.outWidth; ox++)
        for (let c = 0; c < channels; c++) {
          let best = -1;
          for (let r = 0; r < info.filterHeight; r++)
            for (let q = 0; q < info.filterWidth; q++) {
              const y = oy * info.strideHeight - info.padInfo.top + r;
              const xx = ox * info.strideWidth - info.padInfo.left + q;
              if (y < 0 || y >= height || xx < 0 || xx >= width) continue;
              if (best < 0 || x[at(n, y, xx, c)] > x[best]) best = at(n, y, xx, c);
            }
          if (best >= 0) dx[best] += dy[((n * info.outHeight + oy) * info.outWidth + ox) * channels + c];
        }
  return dx;
}

// [input NHWC, filter, strides, pad, dimRoundingMode]
const CASES: [Shape, [number, number], number | [number, number], 'same' | 'valid' | number, 'ceil' | undefined][] = [
  [[2, 8, 8, 3], [3, 3], 2, 1, undefined], // torchvision ResNet's stem pool
  [[1, 9, 7, 2], [3, 3], 2, 'same', undefined],
  [[1, 8, 9, 4], [2, 2], 2, 'valid', undefined],
  [[1, 7, 7, 2], [3, 3], 1, 1, undefined],
  [[1, 10, 8, 3], [3, 2], [2, 1], 'same', undefined],
  [[1, 9, 9, 2], [3, 3], 2, 0, 'ceil'],
];

async function gradientOf(backend: 'wasm' | 'cpu', x: Float32Array, dy: Float32Array, shape: Shape, filter: [number, number], strides: number | [number, number], pad: 'same' | 'valid' | number, rounding: 'ceil' | undefined): Promise<Float32Array> {
  await useBackend(backend);
  const before = tf.memory().numTensors;
  const input = tf.tensor4d(x, shape);
  const dyT = tf.tidy(() => {
    const y = tf.maxPool(input, filter, strides, pad, rounding);
    return tf.tensor4d(dy.subarray(0, y.size), y.shape);
  });
  // The path gradients take: tf.maxPool's gradient runs the backend's MaxPoolGrad kernel.
  const dx = tf.grad((t: tf.Tensor) => tf.mul(tf.maxPool(t as tf.Tensor4D, filter, strides, pad, rounding), dyT))(input);
  const out = (await dx.data()) as Float32Array;
  tf.dispose([input, dyT, dx]);
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

describe('MaxPoolGrad', () => {
  /** tfjs-backend-wasm's own kernel, as the backend registered it (before selectBackend replaces it). */
  let wasmOwn: tf.KernelConfig;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    await tf.ready();
    wasmOwn = tf.getKernel('MaxPoolGrad', 'wasm')!;
    expect(wasmOwn).toBeDefined();
  });

  it('on wasm replaces the backend’s own, which gives ties to the last maximum and loses windows whose maximum is ≤ 0', async () => {
    await useBackend('wasm');
    const ours = tf.getKernel('MaxPoolGrad', 'wasm')!;
    expect(ours.kernelFunc).not.toBe(wasmOwn.kernelFunc);
    expect(registerGradientKernels('wasm')).toEqual([]);
    const before = tf.memory().numTensors;
    // 4×4, one channel: the top-left 2×2 block ties at 1, the other three windows are all 0.
    const x = tf.tensor4d([1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 4, 4, 1]);
    const run = async () => {
      const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid')))(x);
      const out = Array.from(await dx.data());
      dx.dispose();
      return out;
    };
    // PyTorch: F.max_pool2d(x, 2).sum().backward() → 1 at (0,0), (0,2), (2,0), (2,2).
    expect(await run()).toEqual([1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0]);
    tf.unregisterKernel('MaxPoolGrad', 'wasm');
    tf.registerKernel(wasmOwn);
    try {
      // tfjs-backend-wasm 4.22: the tie goes to (1,1); the three windows of zeros are lost.
      expect(await run()).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    } finally {
      tf.unregisterKernel('MaxPoolGrad', 'wasm');
      tf.registerKernel(ours);
    }
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(['ties', 'zeros', 'negative', 'normal'] as const)('equals the definition (first maximum, padding never wins) on wasm and cpu, %s', async (kind) => {
    for (const [shape, filter, strides, pad, rounding] of CASES) {
      const x = values(shape, 3, kind);
      const dy = values([shape[0], shape[1], shape[2], shape[3]], 4, 'normal');
      const info = tf.backend_util.computePool2DInfo(shape, filter, strides, 1, pad, rounding);
      const expected = firstMaximaGradient(x, dy, shape, info);
      const where = `${kind}: input ${shape}, filter ${filter}, strides ${strides}, pad ${pad}, ${rounding ?? 'floor'}`;
      // Every window's dy arrives somewhere: nothing is lost.
      const sent = dy.subarray(0, info.outHeight * info.outWidth * shape[0] * shape[3]).reduce((a, b) => a + b, 0);
      expect(expected.reduce((a, b) => a + b, 0), where).toBeCloseTo(sent, 3);
      for (const backend of ['wasm', 'cpu'] as const) {
        const got = await gradientOf(backend, x, dy, shape, filter, strides, pad, rounding);
        // Exact up to the order in which a pixel's contributions from several windows are summed.
        const diff = got.reduce((m, v, i) => Math.max(m, Math.abs(v - expected[i])), 0);
        expect(diff, `${backend}, ${where}`).toBeLessThan(1e-6);
      }
    }
  });

  it('takes a NaN as the maximum, as PyTorch does, and a window of −∞ gives its first element', async () => {
    await useBackend('wasm');
    const before = tf.memory().numTensors;
    const x = tf.tensor4d([2, NaN, 3, 1, -Infinity, -Infinity, -Infinity, -Infinity], [1, 2, 4, 1]);
    const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid')))(x);
    expect(Array.from(await dx.data())).toEqual([0, 1, 1, 0, 0, 0, 0, 0]);
    const y = tf.tensor4d([-Infinity, -Infinity, -Infinity, -Infinity], [1, 2, 2, 1]);
    const dy = tf.grad((t: tf.Tensor) => tf.sum(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid')))(y);
    expect(Array.from(await dy.data())).toEqual([1, 0, 0, 0]);
    tf.dispose([x, dx, y, dy]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

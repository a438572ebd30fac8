import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ABS_CAM_EPSILON, CAM_EPSILON, camFromLayers, minMaxNormalize, resizeMaps, resizeThenNormalize } from '../src/methods/cam.js';
import { Random } from '../src/random.js';
import { useBackend } from './helpers.js';

/** A row-major `h × w` map in plain numbers. */
interface Plain {
  h: number;
  w: number;
  v: number[];
}

const relu = (m: Plain): Plain => ({ ...m, v: m.v.map((x) => Math.max(0, x)) });

function normalize(m: Plain, epsilon: number): Plain {
  const min = Math.min(...m.v);
  const shifted = m.v.map((x) => x - min);
  const max = Math.max(...shifted);
  return { ...m, v: shifted.map((x) => x / (max + epsilon)) };
}

/** Bilinear with half-pixel centres and clamped edges, as PyTorch's align_corners=False. */
function resize(m: Plain, h: number, w: number): Plain {
  const source = (o: number, n: number, size: number) => {
    const s = Math.max(0, (o + 0.5) * (n / size) - 0.5);
    const i0 = Math.min(Math.floor(s), n - 1);
    return { i0, i1: Math.min(i0 + 1, n - 1), t: s - i0 };
  };
  const v: number[] = [];
  for (let y = 0; y < h; y++) {
    const sy = source(y, m.h, h);
    for (let x = 0; x < w; x++) {
      const sx = source(x, m.w, w);
      const at = (r: number, c: number) => m.v[r * m.w + c];
      const top = at(sy.i0, sx.i0) * (1 - sx.t) + at(sy.i0, sx.i1) * sx.t;
      const bottom = at(sy.i1, sx.i0) * (1 - sx.t) + at(sy.i1, sx.i1) * sx.t;
      v.push(top * (1 - sy.t) + bottom * sy.t);
    }
  }
  return { h, w, v };
}

function mean(maps: Plain[]): Plain {
  return { ...maps[0], v: maps[0].v.map((_, i) => maps.reduce((s, m) => s + m.v[i], 0) / maps.length) };
}

function seededMap(h: number, w: number, seed: number): Plain {
  const r = new Random(seed);
  return { h, w, v: Array.from({ length: h * w }, () => r.normal()) };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

describe('CAM post-processing', () => {
  beforeAll(() => useBackend('cpu'));

  it('resizes like PyTorch’s bilinear interpolation with align_corners=False', async () => {
    const m = { h: 2, w: 3, v: [0, 1, 4, 9, 16, 25] };
    const before = tf.memory().numTensors;
    const input = tf.tensor4d(m.v, [1, 2, 3, 1]);
    const out = resizeMaps(input, [5, 7]);
    expect(out.shape).toEqual([1, 5, 7, 1]);
    expect(maxDiff(await out.data(), resize(m, 5, 7).v)).toBeLessThan(1e-5);
    // Exact values at a 2× upsampling: the corners keep the input, the rest are ¼/¾ blends.
    const small = tf.tensor4d([0, 4, 8, 12], [1, 2, 2, 1]);
    const up = resizeMaps(small, [4, 4]);
    expect(Array.from(await up.data())).toEqual([0, 1, 3, 4, 2, 3, 5, 6, 6, 7, 9, 10, 8, 9, 11, 12]);
    tf.dispose([input, out, small, up]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('normalises each map of a batch on its own', async () => {
    const before = tf.memory().numTensors;
    const maps = tf.tensor4d([1, 3, 5, 7, -2, -2, -2, -2], [2, 2, 2, 1]);
    const out = minMaxNormalize(maps, 1e-7);
    const data = await out.data();
    expect(maxDiff(data.slice(0, 4), [0, 1 / 3, 2 / 3, 1])).toBeLessThan(1e-6);
    // A constant map becomes zeros, not NaN.
    expect(Array.from(data.slice(4))).toEqual([0, 0, 0, 0]);
    tf.dispose([maps, out]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('camFromLayers: per layer ReLU → min-max (1e-7) → bilinear resize; then the mean, min-maxed again', async () => {
    expect(CAM_EPSILON).toBe(1e-7);
    const a = seededMap(3, 4, 1);
    const b = seededMap(5, 5, 2);
    const size = [9, 11] as const;
    const perLayer = [a, b].map((m) => relu(resize(normalize(relu(m), CAM_EPSILON), size[0], size[1])));
    const expected = normalize(relu(mean(perLayer)), CAM_EPSILON);

    const before = tf.memory().numTensors;
    const raws = [tf.tensor2d(a.v, [3, 4]), tf.tensor4d(b.v, [1, 5, 5, 1])];
    const cam = camFromLayers(raws, size);
    expect(cam.shape).toEqual([9, 11]);
    expect(maxDiff(await cam.data(), expected.v)).toBeLessThan(1e-5);

    // One layer: the second normalisation only rescales the first.
    const one = camFromLayers([raws[0]], size);
    const single = normalize(resize(normalize(relu(a), CAM_EPSILON), size[0], size[1]), CAM_EPSILON);
    expect(maxDiff(await one.data(), single.v)).toBeLessThan(1e-5);
    const oneData = await one.data();
    expect(Math.min(...oneData)).toBeCloseTo(0, 6);
    expect(Math.max(...oneData)).toBeCloseTo(1, 5);

    // A map that is negative everywhere has nothing left after the ReLU: zeros, not NaN.
    const negative = tf.fill([2, 2], -1);
    const none = camFromLayers([negative], [4, 4]);
    expect(Array.from(await none.data())).toEqual(new Array(16).fill(0));
    tf.dispose([...raws, cam, one, negative, none]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('resizeThenNormalize: Abs-CAM’s order, resize first, then one min-max (1e-8 by default)', async () => {
    expect(ABS_CAM_EPSILON).toBe(1e-8);
    const m = seededMap(4, 3, 3);
    const before = tf.memory().numTensors;
    const raw = tf.tensor2d(m.v, [4, 3]);
    const out = resizeThenNormalize(raw, [8, 6]);
    expect(out.shape).toEqual([8, 6]);
    // No ReLU: negative values are kept, and shifted up by the minimum.
    expect(maxDiff(await out.data(), normalize(resize(m, 8, 6), ABS_CAM_EPSILON).v)).toBeLessThan(1e-5);
    const batched = tf.tensor4d(m.v, [1, 4, 3, 1]);
    const eps = resizeThenNormalize(batched, [8, 6], 10);
    expect(maxDiff(await eps.data(), normalize(resize(m, 8, 6), 10).v)).toBeLessThan(1e-6);
    // Normalising before resizing is not the same, in general (the edge clamp changes the extremes).
    const otherOrder = resize(normalize(m, ABS_CAM_EPSILON), 8, 6).v;
    expect(maxDiff(await out.data(), otherOrder)).toBeGreaterThan(0);
    tf.dispose([raw, out, batched, eps]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

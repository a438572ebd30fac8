import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { XaiError, explainWith, prepareMethod, type ProgressEvent, type SaliencyMap } from '@xai/core';
import { TEST_BACKENDS, expectNoLeak, expectRejectsWithoutLeak, maxAbs, maxAbsDiff, uniformArray, useBackend } from '@xai/testing';
import {
  INTEGRATION_RULES, gaussianBlur, guidedBackprop, inputXGradient, integratedGradients, minimumSteps, occlusion, saliency, smoothGrad,
  withBaseline,
} from '../src/index.js';
import { linearModel, reluModel } from './helpers/gradient-classifier.js';

// A non-square image, so that a mix-up of height and width shows.
const H = 6;
const W = 5;
const C = 3;
const K = 4;
const N = H * W * C;
const CLASS = 2;

function imageOf(values: Float32Array): tf.Tensor4D {
  return tf.tensor4d(values, [1, H, W, C]);
}

/** Column `c` of row-major `[N, K]` weights. */
function column(weights: Float32Array, c: number): Float64Array {
  return Float64Array.from({ length: N }, (_, i) => weights[i * K + c]);
}

/** The H×W map of an NHWC attribution: channel sum of absolute values. */
function channelAbsSum(attribution: ArrayLike<number>): Float64Array {
  return Float64Array.from({ length: H * W }, (_, p) => {
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.abs(attribution[p * C + c]);
    return s;
  });
}

function expectMap(map: SaliencyMap, expected: ArrayLike<number>, tolerance: number): void {
  expect(map.attribution?.channels).toBe(C);
  const attribution = map.attribution!.data;
  expect(maxAbsDiff(attribution, expected)).toBeLessThanOrEqual(tolerance * Math.max(1, maxAbs(expected)));
  expect(maxAbsDiff(map.data, channelAbsSum(attribution))).toBeLessThanOrEqual(1e-6);
  expect([map.height, map.width]).toEqual([H, W]);
}

/**
 * Occlusion of a linear model, by plain loops over every window position Captum makes:
 * each element gets the mean, over the windows containing it, of `Σ_{i ∈ window} (x_i − b_i) W_ic`.
 */
function occlusionReference(x: ArrayLike<number>, b: ArrayLike<number>, w: Float64Array, window: number, stride: number): Float64Array {
  const positions = (n: number) => {
    const out: number[] = [];
    for (let s = 0; ; s += stride) {
      out.push(s);
      if (s + window >= n) break;
    }
    return out;
  };
  const sum = new Float64Array(H * W);
  const count = new Float64Array(H * W);
  for (const top of positions(H))
    for (const left of positions(W)) {
      const inside = (y: number, xx: number) => y >= top && y < top + window && xx >= left && xx < left + window;
      let drop = 0;
      for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) if (inside(y, xx)) for (let c = 0; c < C; c++) drop += (x[(y * W + xx) * C + c] - b[(y * W + xx) * C + c]) * w[(y * W + xx) * C + c];
      for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) if (inside(y, xx)) { sum[y * W + xx] += drop; count[y * W + xx]++; }
    }
  const out = new Float64Array(N);
  for (let p = 0; p < H * W; p++) for (let c = 0; c < C; c++) out[p * C + c] = sum[p] / count[p];
  return out;
}

describe.each(TEST_BACKENDS)('on a linear model (%s)', (backend) => {
  beforeAll(() => useBackend(backend));
  const { model, weights, bias } = linearModel(H, W, C, K);
  const x = uniformArray(N, 5);
  const wc = column(weights, CLASS);
  const logit = (v: ArrayLike<number>) => Array.from(v).reduce((s, vi, i) => s + vi * wc[i], bias[CLASS]);

  it('saliency is |W_c|', async () => {
    const image = imageOf(x);
    const [map] = await expectNoLeak(() => explainWith(saliency, model, image, { targets: CLASS }));
    image.dispose();
    expectMap(map, wc.map(Math.abs), 1e-6);
    expect(map).toMatchObject({ method: 'saliency', classIndex: CLASS, className: 'class-2' });
  });

  it('input × gradient is x ⊙ W_c', async () => {
    const image = imageOf(x);
    const [map] = await expectNoLeak(() => explainWith(inputXGradient, model, image, { targets: CLASS }));
    image.dispose();
    expectMap(map, wc.map((w, i) => w * x[i]), 1e-6);
  });

  it('guided backprop is W_c (no ReLU to guide)', async () => {
    const image = imageOf(x);
    const [map] = await expectNoLeak(() => explainWith(guidedBackprop, model, image, { targets: CLASS }));
    image.dispose();
    expectMap(map, wc, 1e-6);
    expect(model.guidedCalls.at(-1)).toBe(true);
  });

  it.each(INTEGRATION_RULES)('integrated gradients (%s) is x ⊙ W_c · Σw for every step count, complete', async (rule) => {
    for (const steps of [1, 2, 3, 7, 32, 100]) {
      if (steps < minimumSteps(rule)) continue;
      const image = imageOf(x);
      const [map] = await expectNoLeak(() => explainWith(integratedGradients, model, image, { targets: CLASS, params: { steps, rule }, batchSize: 8 }));
      image.dispose();
      // Captum's trapezoid weights sum to (n − 1)/n; every other rule's to 1.
      const scale = rule === 'riemann-trapezoid' ? (steps - 1) / steps : 1;
      expectMap(map, wc.map((w, i) => w * x[i] * scale), 1e-5);
      const sum = map.attribution!.data.reduce((s, v) => s + v, 0);
      const gap = logit(x) - logit(new Float32Array(N));
      expect(Math.abs(sum - scale * gap)).toBeLessThan(1e-4);
      expect(Math.abs((map.params.convergenceDelta as number) - (scale - 1) * gap)).toBeLessThan(1e-4);
      expect(map.params).toMatchObject({ steps, rule, baseline: 'zeros' });
    }
  });

  it('integrated gradients from the blur baseline is (x − blur(x)) ⊙ W_c, complete', async () => {
    const blurred = gaussianBlur(x, H, W, C, 1.5);
    const image = imageOf(x);
    const [map] = await expectNoLeak(() => explainWith(integratedGradients, model, image, { targets: CLASS, params: { baseline: 'blur', blurSigma: 1.5 } }));
    image.dispose();
    expectMap(map, wc.map((w, i) => w * (x[i] - blurred[i])), 1e-5);
    expect(Math.abs(map.params.convergenceDelta as number)).toBeLessThan(1e-4);
  });

  it.each([
    [3, 2],
    [2, 2],
    [4, 1],
    [5, 3],
    [1, 1],
  ])('occlusion (window %i, stride %i) is the window-averaged x ⊙ W_c contribution', async (window, stride) => {
    const image = imageOf(x);
    const before = model.predictCalls;
    const [map] = await expectNoLeak(() => explainWith(occlusion, model, image, { targets: CLASS, params: { window, stride }, batchSize: 4 }));
    image.dispose();
    expectMap(map, occlusionReference(x, new Float32Array(N), wc, window, stride), 1e-5);
    const windows = Math.ceil((H - window) / stride + 1) * Math.ceil((W - window) / stride + 1);
    expect(map.params.windows).toBe(windows);
    expect(model.predictCalls - before).toBe(1 + Math.ceil(windows / 4));
  });

  it('occlusion with the blur baseline puts the blurred image in the window', async () => {
    const image = imageOf(x);
    const [map] = await expectNoLeak(() => explainWith(occlusion, model, image, { targets: CLASS, params: { window: 3, stride: 2, baseline: 'blur', blurSigma: 2 } }));
    image.dispose();
    expectMap(map, occlusionReference(x, gaussianBlur(x, H, W, C, 2), wc, 3, 2), 1e-5);
  });

  describe('from a given baseline b', () => {
    const b = uniformArray(N, 11);
    const given = { values: b, height: H, width: W, channels: C, label: 'b.npy sha256:0123456789abcdef' };

    it('integrated gradients is (x − b) ⊙ W_c, complete, and records the label', async () => {
      const image = imageOf(x);
      const [map] = await expectNoLeak(() => explainWith(withBaseline(integratedGradients, given), model, image, { targets: CLASS, params: { steps: 3 } }));
      image.dispose();
      expectMap(map, wc.map((w, i) => w * (x[i] - b[i])), 1e-5);
      expect(Math.abs(map.params.convergenceDelta as number)).toBeLessThan(1e-4);
      expect(map.params).toMatchObject({ baseline: given.label, steps: 3 });
      expect('blurSigma' in map.params).toBe(false);
    });

    it('occlusion puts b in the window', async () => {
      const image = imageOf(x);
      const [map] = await expectNoLeak(() => explainWith(withBaseline(occlusion, given), model, image, { targets: CLASS, params: { window: 3, stride: 2 } }));
      image.dispose();
      expectMap(map, occlusionReference(x, b, wc, 3, 2), 1e-5);
    });

    it('smoothgrad over integrated gradients with no noise is integrated gradients from b', async () => {
      const image = imageOf(x);
      const [map] = await expectNoLeak(() =>
        explainWith(withBaseline(smoothGrad, given), model, image, { targets: CLASS, params: { base: 'integrated-gradients', noise: 0, steps: 3 } }),
      );
      image.dispose();
      expectMap(map, wc.map((w, i) => w * (x[i] - b[i])), 1e-5);
    });

    it('is refused before any work when its size is not the model\'s, and by a method without a baseline', () => {
      const small = withBaseline(integratedGradients, { ...given, values: new Float32Array(4 * 4 * C), height: 4, width: 4 });
      expect(() => prepareMethod(small, model, { targets: CLASS })).toThrow(
        /integrated-gradients: the baseline b\.npy sha256:0123456789abcdef is 4×4×3 \(H×W×C\); the model takes 6×5×3/,
      );
      expect(() => withBaseline(occlusion, { ...given, values: new Float32Array(3) })).toThrow(/needs 90 values, got 3/);
      expect(() => withBaseline(saliency, given)).toThrow(XaiError);
      expect(() => withBaseline(saliency, given)).toThrow(/saliency takes no baseline; the methods that do: integrated-gradients, occlusion, smoothgrad/);
    });
  });
});

describe('Guided Backprop on a ReLU network', () => {
  beforeAll(() => useBackend('cpu'));
  const features = N;
  const { model, V, U, hidden } = reluModel(H, W, C, K);
  const x = uniformArray(N, 6);
  const h = Array.from({ length: hidden }, (_, j) => {
    let s = 0;
    for (let i = 0; i < features; i++) s += x[i] * V[i * hidden + j];
    return s;
  });
  /** `V · (g ⊙ [h > 0])`, the input gradient for hidden gradient g. */
  const backward = (g: (j: number) => number) =>
    Float64Array.from({ length: features }, (_, i) => {
      let s = 0;
      for (let j = 0; j < hidden; j++) if (h[j] > 0) s += V[i * hidden + j] * g(j);
      return s;
    });

  it('is V · ([h > 0] ⊙ ReLU(U_c)), where the plain gradient is V · ([h > 0] ⊙ U_c)', async () => {
    expect(h.some((v) => v > 0) && h.some((v) => v < 0)).toBe(true);
    const uc = (j: number) => U[j * K + CLASS];
    expect(Array.from({ length: hidden }, (_, j) => uc(j)).some((u) => u < 0)).toBe(true);
    const image = imageOf(x);
    const [guided] = await expectNoLeak(() => explainWith(guidedBackprop, model, image, { targets: CLASS }));
    const [plain] = await expectNoLeak(() => explainWith(saliency, model, image, { targets: CLASS }));
    image.dispose();
    const expectedGuided = backward((j) => Math.max(0, uc(j)));
    const expectedPlain = backward(uc);
    expect(maxAbsDiff(guided.attribution!.data, expectedGuided)).toBeLessThan(1e-5);
    expect(maxAbsDiff(plain.attribution!.data, expectedPlain.map(Math.abs))).toBeLessThan(1e-5);
    expect(maxAbsDiff(expectedGuided, expectedPlain)).toBeGreaterThan(0.1);
  });
});

describe('targets, batches, progress and cancellation', () => {
  beforeAll(() => useBackend('wasm'));
  const { model } = reluModel(H, W, C, K);
  const x = uniformArray(N, 7);

  it.each([saliency, inputXGradient, guidedBackprop, integratedGradients, occlusion])('$id gives one map per target, each as alone, at any batch size', async (method) => {
    const image = imageOf(x);
    const params = method === occlusion ? { window: 2, stride: 2 } : {};
    const together = await expectNoLeak(() => explainWith(method, model, image, { targets: [3, 'class-0', 1], params, batchSize: 2 }));
    expect(together.map((m) => [m.classIndex, m.className, m.method])).toEqual([
      [3, 'class-3', method.id],
      [0, 'class-0', method.id],
      [1, 'class-1', method.id],
    ]);
    for (const map of together) {
      const [alone] = await expectNoLeak(() => explainWith(method, model, image, { targets: map.classIndex, params, batchSize: 5 }));
      expect(maxAbsDiff(map.attribution!.data, alone.attribution!.data)).toBeLessThan(1e-6);
      expect(maxAbsDiff(map.data, alone.data)).toBeLessThan(1e-6);
    }
    image.dispose();
  });

  it('the default target is the top class', async () => {
    const image = imageOf(x);
    const logits = await model.predict(image);
    const values = Array.from(await logits.data());
    logits.dispose();
    const top = values.indexOf(Math.max(...values));
    const [map] = await explainWith(saliency, model, image);
    image.dispose();
    expect(map.classIndex).toBe(top);
    expect(map.params.targetChosenBy).toBe('top');
  });

  it('integrated gradients runs batchSize path points per gradient call, with progress', async () => {
    const image = imageOf(x);
    const events: ProgressEvent[] = [];
    const calls = model.gradientCalls;
    await explainWith(integratedGradients, model, image, { targets: [0, 1], params: { steps: 10 }, batchSize: 4, onProgress: (e) => events.push(e) });
    image.dispose();
    expect(model.gradientCalls - calls).toBe(6);
    expect(events.map((e) => e.done)).toEqual([4, 8, 10, 14, 18, 20]);
    expect(events.every((e) => e.stage === 'integrated-gradients' && e.total === 20)).toBe(true);
  });

  it('occlusion scores every window once for all targets, batchSize at a time, with progress', async () => {
    const image = imageOf(x);
    const events: ProgressEvent[] = [];
    const before = { calls: model.predictCalls, images: model.imagesScored };
    await explainWith(occlusion, model, image, { targets: 'all', params: { window: 2, stride: 1 }, batchSize: 7, onProgress: (e) => events.push(e) });
    image.dispose();
    const windows = 5 * 4;
    expect(model.imagesScored - before.images).toBe(1 + windows);
    expect(model.predictCalls - before.calls).toBe(1 + 3);
    expect(events).toEqual([7, 14, 20].map((done) => ({ stage: 'occlusion', done, total: windows })));
  });

  it.each([integratedGradients, occlusion, saliency])('$id stops on an aborted signal, leaking nothing', async (method) => {
    const image = imageOf(x);
    const controller = new AbortController();
    const error = await expectRejectsWithoutLeak(() =>
      explainWith(method, model, image, {
        targets: [0, 1],
        params: method === occlusion ? { window: 1, stride: 1 } : {},
        batchSize: 1,
        onProgress: () => controller.abort(),
        signal: controller.signal,
      }),
    );
    image.dispose();
    expect(error.name).toBe('AbortError');
  });
});

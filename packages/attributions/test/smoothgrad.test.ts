import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random, explainWith, type ProgressEvent } from '@xai/core';
import { TEST_BACKENDS, expectNoLeak, maxAbsDiff, uniformArray, useBackend } from '@xai/testing';
import { SMOOTHGRAD_BASES, guidedBackprop, inputXGradient, integratedGradients, saliency, smoothGrad } from '../src/index.js';
import { linearModel, reluModel } from './helpers/gradient-classifier.js';

const H = 6;
const W = 4;
const C = 3;
const K = 3;
const N = H * W * C;
const CLASS = 1;
const BASES = { saliency, 'input-x-gradient': inputXGradient, 'integrated-gradients': integratedGradients, 'guided-backprop': guidedBackprop };
const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe.each(TEST_BACKENDS)('SmoothGrad on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  const { model } = reluModel(H, W, C, K);
  const x = uniformArray(N, 9);
  const image = () => tf.tensor4d(x, [1, H, W, C]);
  const run = async (params: Record<string, unknown>, batchSize = 4) => {
    const input = image();
    try {
      const [map] = await expectNoLeak(() => explainWith(smoothGrad, model, input, { targets: CLASS, params: { samples: 6, steps: 4, ...params }, batchSize }));
      return map;
    } finally {
      input.dispose();
    }
  };

  it.each(SMOOTHGRAD_BASES)('over %s: the same seed gives the same bytes, another seed other ones', async (base) => {
    const a = await run({ base, seed: 3 });
    const b = await run({ base, seed: 3 });
    const other = await run({ base, seed: 4 });
    expect(bytes(b.attribution!.data).equals(bytes(a.attribution!.data))).toBe(true);
    expect(bytes(b.data).equals(bytes(a.data))).toBe(true);
    expect(maxAbsDiff(other.attribution!.data, a.attribution!.data)).toBeGreaterThan(1e-3);
    expect(a).toMatchObject({ method: 'smoothgrad', classIndex: CLASS, params: { base, seed: 3, samples: 6 } });
  });

  it.each(SMOOTHGRAD_BASES)('over %s: noise 0 equals the base method exactly', async (base) => {
    const smooth = await run({ base, noise: 0, samples: 50 });
    const input = image();
    const [plain] = await expectNoLeak(() => explainWith(BASES[base], model, input, { targets: CLASS, params: base === 'integrated-gradients' ? { steps: 4 } : {}, batchSize: 4 }));
    input.dispose();
    expect(bytes(smooth.attribution!.data).equals(bytes(plain.attribution!.data))).toBe(true);
    expect(bytes(smooth.data).equals(bytes(plain.data))).toBe(true);
    expect(smooth.params.sigma).toBe(0);
  });

  it('over saliency: the noise is drawn per copy, batchSize copies per gradient call, with progress', async () => {
    const events: ProgressEvent[] = [];
    const calls = model.gradientCalls;
    const input = image();
    const maps = await explainWith(smoothGrad, model, input, { targets: [0, 2], params: { samples: 5 }, batchSize: 2, onProgress: (e) => events.push(e) });
    input.dispose();
    expect(model.gradientCalls - calls).toBe(6);
    expect(events.map((e) => e.done)).toEqual([2, 4, 5, 7, 9, 10]);
    expect(events.every((e) => e.stage === 'smoothgrad' && e.total === 10)).toBe(true);
    // The batch size does not change the copies.
    const [again] = await (async () => {
      const i = image();
      try {
        return await explainWith(smoothGrad, model, i, { targets: 2, params: { samples: 5 }, batchSize: 3 });
      } finally {
        i.dispose();
      }
    })();
    expect(maxAbsDiff(again.attribution!.data, maps[1].attribution!.data)).toBeLessThan(1e-6);
  });
});

describe('SmoothGrad on a linear model, in closed form', () => {
  beforeAll(() => useBackend('cpu'));
  const { model, weights } = linearModel(H, W, C, K);
  const x = uniformArray(N, 10);
  const wc = Float64Array.from({ length: N }, (_, i) => weights[i * K + CLASS]);
  const range = Math.max(...x) - Math.min(...x);

  it('over saliency is |W_c| whatever the noise (the gradient is constant)', async () => {
    const image = tf.tensor4d(x, [1, H, W, C]);
    const [map] = await expectNoLeak(() => explainWith(smoothGrad, model, image, { targets: CLASS, params: { samples: 7, noise: 0.5 } }));
    image.dispose();
    expect(maxAbsDiff(map.attribution!.data, wc.map(Math.abs))).toBeLessThan(1e-6);
  });

  it('over input × gradient is mean(x + ε) ⊙ W_c with ε ~ N(0, (noise · range)²) from Random(seed), NHWC, copy after copy', async () => {
    const samples = 9;
    const noise = 0.2;
    const seed = 17;
    const image = tf.tensor4d(x, [1, H, W, C]);
    const [map] = await expectNoLeak(() => explainWith(smoothGrad, model, image, { targets: CLASS, params: { samples, noise, seed, base: 'input-x-gradient' }, batchSize: 4 }));
    image.dispose();
    const sigma = noise * range;
    expect(map.params.sigma).toBeCloseTo(sigma, 6);
    const random = new Random(seed);
    const meanCopy = new Float64Array(N);
    for (let s = 0; s < samples; s++) for (let i = 0; i < N; i++) meanCopy[i] += Math.fround(x[i] + sigma * random.normal()) / samples;
    expect(maxAbsDiff(map.attribution!.data, meanCopy.map((v, i) => v * wc[i]))).toBeLessThan(1e-5);
  });

  it('over integrated gradients is mean(x + ε) ⊙ W_c from zeros (complete on every copy)', async () => {
    const samples = 4;
    const seed = 2;
    const image = tf.tensor4d(x, [1, H, W, C]);
    const events: ProgressEvent[] = [];
    const [map] = await expectNoLeak(() =>
      explainWith(smoothGrad, model, image, { targets: CLASS, params: { samples, seed, base: 'integrated-gradients', steps: 3 }, batchSize: 2, onProgress: (e) => events.push(e) }),
    );
    image.dispose();
    expect(events).toEqual([2, 3, 5, 6, 8, 9, 11, 12].map((done) => ({ stage: 'smoothgrad', done, total: 12 })));
    const sigma = 0.15 * range;
    const random = new Random(seed);
    const meanCopy = new Float64Array(N);
    for (let s = 0; s < samples; s++) for (let i = 0; i < N; i++) meanCopy[i] += Math.fround(x[i] + sigma * random.normal()) / samples;
    expect(maxAbsDiff(map.attribution!.data, meanCopy.map((v, i) => v * wc[i]))).toBeLessThan(1e-5);
  });
});

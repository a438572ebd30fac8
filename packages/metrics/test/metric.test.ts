import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saliencyMap } from '@xai/core';
import { expectNoLeak, expectRejectsWithoutLeak, linearClassifier, uniformArray, useBackend } from '@xai/testing';
import {
  averageDropAndIncrease,
  boxMask,
  complexity,
  createMetric,
  deletion,
  insertion,
  METRIC_NAMES,
  road,
  sparseness,
} from '../src/index.js';

const H = 8;
const W = 8;

describe('the common metric interface', () => {
  const weights = uniformArray(H * W * 3 * 2, 11, -1, 1);
  const model = linearClassifier({ height: H, width: W, channels: 3 }, weights);
  let images: tf.Tensor4D;
  const maps = [0, 1].map((k) =>
    saliencyMap({ data: uniformArray(H * W, 20 + k, 0, 1), height: H, width: W, classIndex: 0, method: 'test', params: {} }),
  );

  beforeAll(async () => {
    await useBackend('cpu');
    images = tf.tensor4d(uniformArray(2 * H * W * 3, 3, -1, 1), [2, H, W, 3]);
  });
  afterAll(() => images.dispose());

  it('scores a batch of images with their maps the same as the functions do, one score per map', async () => {
    const [first, second] = [0, 1].map((i) => tf.slice(images, [i, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D);
    try {
      for (const name of ['insertion', 'deletion'] as const) {
        const scores = await expectNoLeak(() => createMetric(name, { step: 4 }).evaluate(model, images, maps));
        const run = name === 'insertion' ? insertion : deletion;
        expect(scores.map((s) => s.value)).toEqual([(await run(model, first, maps[0], { step: 4 })).auc, (await run(model, second, maps[1], { step: 4 })).auc]);
        expect(scores[0].curves![name]).toHaveLength(17);
      }
      const roadScores = await expectNoLeak(() => createMetric('road', { percentiles: [20, 80], noise: 0.05, seed: 3 }).evaluate(model, images, maps));
      const direct = await road(model, second, maps[1], { percentiles: [20, 80], noise: 0.05, seed: 3 });
      expect(roadScores[1]).toEqual({ value: direct.combined, classIndex: direct.classIndex, curves: { morf: direct.morf, lerf: direct.lerf }, details: { percentiles: [20, 80] } });
      const drop = await expectNoLeak(() => createMetric('average-drop').evaluate(model, images, maps));
      const increase = await expectNoLeak(() => createMetric('increase-in-confidence').evaluate(model, images, maps));
      const summary = await averageDropAndIncrease(model, [{ image: first, map: maps[0] }, { image: second, map: maps[1] }]);
      expect((drop[0].value + drop[1].value) / 2).toBeCloseTo(summary.averageDrop, 10);
      expect((increase[0].value + increase[1].value) / 2).toBeCloseTo(summary.increaseInConfidence, 10);
    } finally {
      first.dispose();
      second.dispose();
    }
    const gini = await createMetric('sparseness').evaluate(model, images, maps);
    expect(gini.map((s) => s.value)).toEqual(maps.map((m) => sparseness(m)));
    const entropy = await createMetric('complexity').evaluate(model, images, maps);
    expect(entropy.map((s) => s.value)).toEqual(maps.map((m) => complexity(m)));
  });

  it('plays the pointing game with the ground truth given per map, and refuses to without it', async () => {
    const peaked = saliencyMap({ data: Float32Array.from({ length: H * W }, (_, i) => (i === 2 * W + 5 ? 1 : 0)), height: H, width: W, classIndex: 0, method: 'test', params: {} });
    const metric = createMetric('pointing-game');
    const one = tf.slice(images, [0, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
    try {
      const [hit] = await expectNoLeak(() => metric.evaluate(model, one, [peaked], { masks: [boxMask(H, W, { x: 4, y: 1, width: 2, height: 2 })] }));
      expect(hit.value).toBe(1);
      expect(hit.details).toMatchObject({ hit: true, peak: { x: 5, y: 2 }, energy: 1 });
      const [miss] = await metric.evaluate(model, one, [peaked], { masks: [boxMask(H, W, { x: 0, y: 5, width: 2, height: 2 })] });
      expect(miss.value).toBe(0);
      await expect(metric.evaluate(model, one, [peaked])).rejects.toThrow(/pointing-game needs the object's ground truth/);
    } finally {
      one.dispose();
    }
    expect(metric.needsGroundTruth).toBe(true);
  });

  it('says which direction is better and records its settings as JSON', () => {
    const better = Object.fromEntries(METRIC_NAMES.map((n) => [n, createMetric(n).better]));
    expect(better).toEqual({
      insertion: 'higher',
      deletion: 'lower',
      road: 'higher',
      sparseness: 'higher',
      complexity: 'lower',
      'mu-fidelity': 'higher',
      'average-drop': 'lower',
      'increase-in-confidence': 'higher',
      'pointing-game': 'higher',
    });
    expect(createMetric('road').settings).toEqual({ percentiles: [10, 20, 30, 40, 50, 60, 70, 80, 90], noise: 0.01, seed: 0, tolerance: 1e-6 });
    expect(createMetric('mu-fidelity', { grid: 4 }).settings).toEqual({ grid: 4, subset: 0.2, samples: 200, seed: 0, baseline: 0, score: 'logit' });
    expect(createMetric('insertion').settings).toEqual({ step: 'input width', substrate: 'blur(klen=11, sigma=5)' });
    expect(JSON.parse(JSON.stringify(createMetric('deletion', { step: 3 }).settings))).toEqual({ step: 3, substrate: 'zeros' });
  });

  it('refuses an unknown name (listing the accepted ones), bad settings, and a map count that differs from the images', async () => {
    expect(() => createMetric('roc' as never)).toThrow(/Unknown metric "roc"; accepted: insertion, deletion, road, sparseness, complexity, mu-fidelity, average-drop, increase-in-confidence, pointing-game/);
    expect(() => createMetric('road', { percentiles: [5, 100] })).toThrow(/from 1 to 99/);
    expect(() => createMetric('insertion', { step: 0 })).toThrow(/step must be a whole number/);
    const error = await expectRejectsWithoutLeak(() => createMetric('sparseness').evaluate(model, images, [maps[0]]));
    expect(error.message).toMatch(/2 images but 1 maps/);
  });

  it('ROAD noise is seeded: the same seed gives the same curves, another seed others', async () => {
    const one = tf.slice(images, [0, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
    try {
      const options = { percentiles: [30, 60], noise: 0.2 };
      const a = await expectNoLeak(() => road(model, one, maps[0], { ...options, seed: 1, batchSize: 2 }));
      const b = await expectNoLeak(() => road(model, one, maps[0], { ...options, seed: 1, batchSize: 5 }));
      const c = await expectNoLeak(() => road(model, one, maps[0], { ...options, seed: 2 }));
      expect(b.morf).toEqual(a.morf);
      expect(b.lerf).toEqual(a.lerf);
      expect(c.morf).not.toEqual(a.morf);
    } finally {
      one.dispose();
    }
  });
});

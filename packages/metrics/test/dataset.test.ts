import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { XaiError, saliencyMap, type ProgressEvent } from '@xai/core';
import { TEST_BACKENDS, linearClassifier, uniformArray, useBackend, type FunctionClassifier } from '@xai/testing';
import { deletion, evaluateCurves, insertion, trapezoidAuc, type DatasetItem } from '../src/index.js';

const H = 4;
const W = 4;
const C = 3;

describe.each(TEST_BACKENDS)('evaluateCurves on %s', (backend) => {
  let model: FunctionClassifier;
  let items: DatasetItem[];

  beforeAll(async () => {
    await useBackend(backend);
    model = linearClassifier({ height: H, width: W, channels: C }, uniformArray(H * W * C * 2, 5), { bias: [0, 0.5] });
    items = [1, 2, 3].map((seed) => ({
      id: `image-${seed}`,
      image: tf.tensor4d(uniformArray(H * W * C, seed * 13), [1, H, W, C]),
      saliency: saliencyMap({ data: uniformArray(H * W, seed), height: H, width: W, classIndex: 0, method: 'test', params: {} }),
    }));
    items[2].classIndex = 0;
  });
  afterAll(() => {
    model.dispose();
    items.forEach((item) => item.image.dispose());
  });
  let tensorsBefore = 0;
  beforeEach(() => {
    tensorsBefore = tf.memory().numTensors;
  });
  afterEach(() => {
    expect(tf.memory().numTensors, 'tensors left behind by the test').toBe(tensorsBefore);
  });

  it('gives per-image curves equal to single runs, their mean curve and its AUC, as JSON', async () => {
    const before = tf.memory().numTensors;
    const events: ProgressEvent[] = [];
    const result = await evaluateCurves(model, items, { step: 3, batchSize: 2, onProgress: (e) => events.push(e) });
    expect(tf.memory().numTensors).toBe(before);
    for (const [metric, run] of [['insertion', insertion], ['deletion', deletion]] as const) {
      const summary = result[metric]!;
      expect(summary.count).toBe(3);
      expect(summary.protocol).toEqual({
        step: 3,
        steps: 6,
        inputSize: [H, W],
        substrate: metric === 'insertion' ? 'blur(klen=11, sigma=5)' : 'zeros',
        score: 'softmax',
      });
      for (const [i, item] of items.entries()) {
        const single = await run(model, item.image, item.saliency, { step: 3, classIndex: item.classIndex });
        expect(summary.perImage[i].id).toBe(item.id);
        expect(summary.perImage[i].classIndex).toBe(single.classIndex);
        expect(summary.perImage[i].scores).toEqual(single.scores);
      }
      expect(summary.perImage[2].classSource).toBe('given');
      summary.meanCurve.forEach((p, k) =>
        expect(p).toBeCloseTo(summary.perImage.reduce((s, c) => s + c.scores[k], 0) / 3, 12),
      );
      expect(summary.aucOfMeanCurve).toBeCloseTo(trapezoidAuc(summary.meanCurve), 12);
      expect(summary.meanAuc).toBeCloseTo(summary.aucOfMeanCurve, 10);
    }
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    expect(events.filter((e) => e.stage === 'images').map((e) => [e.done, e.total])).toEqual([[1, 3], [2, 3], [3, 3]]);
  });

  it('pulls a generator one item at a time, so it may dispose each image after yielding it', async () => {
    const before = tf.memory().numTensors;
    async function* load() {
      for (const seed of [4, 5]) {
        const image = tf.tensor4d(uniformArray(H * W * C, seed), [1, H, W, C]);
        yield { image, saliency: { order: Int32Array.from({ length: H * W }, (_, i) => i) } };
        image.dispose();
      }
    }
    const result = await evaluateCurves(model, load(), { metrics: ['deletion'], step: 8, deletionSubstrate: 'mean' });
    expect(result.insertion).toBeUndefined();
    expect(result.deletion!.count).toBe(2);
    expect(result.deletion!.meanCurve).toHaveLength(3);
    expect(result.deletion!.protocol.substrate).toBe('mean');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects an empty data set, unknown metrics and a bad item with a clear error', async () => {
    await expect(evaluateCurves(model, [])).rejects.toThrow(/data set is empty/);
    await expect(evaluateCurves(model, items, { metrics: ['auc' as never] })).rejects.toThrow(/'insertion' and\/or 'deletion'/);
    await expect(evaluateCurves(model, items, { step: -1 })).rejects.toThrow(XaiError);
    const bad = saliencyMap({ data: new Float32Array(4), height: 2, width: 2, classIndex: 0, method: 'x', params: {} });
    await expect(evaluateCurves(model, [{ image: items[0].image, saliency: bad }])).rejects.toThrow(/2×2 but the model input is 4×4/);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { saliencyMap, type ProgressEvent } from '@xai/core';
import { TEST_BACKENDS, linearClassifier, uniformArray, useBackend, type FunctionClassifier } from '@xai/testing';
import { averageDropAndIncrease, confidenceChange, type ConfidenceItem } from '../src/index.js';

const H = 3;
const W = 4;
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

describe.each(TEST_BACKENDS)('Average Drop and Increase in Confidence on %s', (backend) => {
  // Class 0's logit is the sum of the pixels, class 1's is 0: p0 = sigmoid(Σ x).
  let model: FunctionClassifier;
  let items: ConfidenceItem[];
  const pixels = [uniformArray(H * W, 1).map((v) => v + 0.3), uniformArray(H * W, 2).map((v) => v - 0.3), uniformArray(H * W, 3)];
  const maps = [uniformArray(H * W, 4), uniformArray(H * W, 5), Float32Array.from({ length: H * W }, (_, i) => i)];

  /** Y and O for class 0, in closed form: the map min-max rescaled, multiplied in. */
  function expected(x: Float32Array, m: Float32Array) {
    const min = Math.min(...m);
    const max = Math.max(...m);
    const y = sigmoid(x.reduce((a, b) => a + b, 0));
    const o = sigmoid(x.reduce((a, v, i) => a + v * ((m[i] - min) / (max - min)), 0));
    return { y, o };
  }

  beforeAll(async () => {
    await useBackend(backend);
    const weights = new Float32Array(H * W * 2);
    for (let i = 0; i < H * W; i++) weights[i * 2] = 1;
    model = linearClassifier({ height: H, width: W, channels: 1 }, weights);
    items = pixels.map((x, i) => ({
      image: tf.tensor4d(x, [1, H, W, 1]),
      map: saliencyMap({ data: maps[i], height: H, width: W, classIndex: 0, method: 'test', params: {} }),
      classIndex: 0,
      id: `img${i}`,
    }));
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

  it('matches the Grad-CAM++ definitions per image and over the data set, in any batch size', async () => {
    const before = tf.memory().numTensors;
    const events: ProgressEvent[] = [];
    const summary = await averageDropAndIncrease(model, items, { batchSize: 2, onProgress: (e) => events.push(e) });
    expect(tf.memory().numTensors).toBe(before);
    const truth = pixels.map((x, i) => expected(x, maps[i]));
    summary.perImage.forEach((r, i) => {
      expect(r.intact).toBeCloseTo(truth[i].y, 5);
      expect(r.explained).toBeCloseTo(truth[i].o, 5);
      expect(r.drop).toBeCloseTo(Math.max(0, truth[i].y - truth[i].o) / truth[i].y, 5);
      expect(r.increased).toBe(truth[i].o > truth[i].y);
      expect(r.id).toBe(`img${i}`);
    });
    const drops = truth.map((t) => Math.max(0, t.y - t.o) / t.y);
    expect(summary.averageDrop).toBeCloseTo((100 * drops.reduce((a, b) => a + b, 0)) / 3, 3);
    expect(summary.increaseInConfidence).toBeCloseTo((100 * truth.filter((t) => t.o > t.y).length) / 3, 6);
    expect(truth.some((t) => t.o > t.y) && truth.some((t) => t.o < t.y)).toBe(true);
    expect(events.map((e) => e.done)).toEqual([2, 3]);
    const oneByOne = await averageDropAndIncrease(model, items, { batchSize: 1 });
    expect(oneByOne.averageDrop).toBeCloseTo(summary.averageDrop, 4);
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
  });

  it('confidenceChange scores one image, choosing the top class when none is given', async () => {
    const before = tf.memory().numTensors;
    const one = await confidenceChange(model, items[1].image, items[1].map);
    const { y, o } = expected(pixels[1], maps[1]);
    const top = y >= 0.5 ? 0 : 1;
    expect(one.classIndex).toBe(top);
    expect(one.classSource).toBe('top-class');
    expect(one.intact).toBeCloseTo(top === 0 ? y : 1 - y, 5);
    expect(one.explained).toBeCloseTo(top === 0 ? o : 1 - o, 5);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad input', async () => {
    const small = saliencyMap({ data: new Float32Array(4), height: 2, width: 2, classIndex: 0, method: 'x', params: {} });
    await expect(confidenceChange(model, items[0].image, small)).rejects.toThrow(/saliency map of item 0 is 2×2 but the model input is 3×4/);
    await expect(averageDropAndIncrease(model, [])).rejects.toThrow(/data set is empty/);
    await expect(confidenceChange(model, items[0].image, items[0].map, { classIndex: 2 })).rejects.toThrow(/Class index 2 is out of range/);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { XaiError, saliencyMap, type ProgressEvent, type SaliencyMap } from '@xai/core';
import { TEST_BACKENDS, linearClassifier, uniformArray, useBackend, type FunctionClassifier } from '@xai/testing';
import { deletion, insertion, saliencyOrder, trapezoidAuc, type Substrate } from '../src/index.js';
import { oracleClassifier } from './models.js';

const H = 6;
const W = 5;
const C = 2;

function mapOf(values: Float32Array, height = H, width = W): SaliencyMap {
  return saliencyMap({ data: values, height, width, classIndex: 0, method: 'test', params: {} });
}

describe.each(TEST_BACKENDS)('insertion and deletion on %s', (backend) => {
  // A linear model that records what it sees, so every revealed image can be checked exactly.
  let probe: FunctionClassifier;
  let image: tf.Tensor4D;
  const imageValues = uniformArray(H * W * C, 7);
  const map = mapOf(uniformArray(H * W, 3));

  beforeAll(async () => {
    await useBackend(backend);
    probe = linearClassifier({ height: H, width: W, channels: C }, uniformArray(H * W * C * 3, 11), { bias: [0.1, -0.2, 0.3], record: true });
    image = tf.tensor4d(imageValues, [1, H, W, C]);
  });
  afterAll(() => {
    probe.dispose();
    image.dispose();
  });
  let tensorsBefore = 0;
  beforeEach(() => {
    tensorsBefore = tf.memory().numTensors;
  });
  afterEach(() => {
    expect(tf.memory().numTensors, 'tensors left behind by the test').toBe(tensorsBefore);
  });

  /** The image after the first `count` pixels of `order` were taken from `end` (NHWC values). */
  function expectedImage(start: Float32Array, end: Float32Array, order: Int32Array, count: number): Float32Array {
    const out = Float32Array.from(start);
    for (const p of order.subarray(0, count)) for (let c = 0; c < C; c++) out[p * C + c] = end[p * C + c];
    return out;
  }

  it('deletion: n+1 images from the intact one to the substrate, step pixels at a time, all channels', async () => {
    probe.seen.length = 0;
    const before = tf.memory().numTensors;
    const result = await deletion(probe, image, map, { step: 4, batchSize: 3, substrate: { constant: 0.5 } });
    expect(tf.memory().numTensors).toBe(before);
    const n = Math.ceil((H * W) / 4);
    expect(result.scores).toHaveLength(n + 1);
    const seen = probe.seen.flat();
    expect(seen).toHaveLength(n + 1);
    expect(probe.seen.map((b) => b.length)).toEqual([3, 3, 3]);
    const order = saliencyOrder(map.data);
    const end = new Float32Array(H * W * C).fill(0.5);
    for (let i = 0; i <= n; i++) {
      expect(Array.from(seen[i])).toEqual(Array.from(expectedImage(imageValues, end, order, Math.min(i * 4, H * W))));
    }
    expect(result.auc).toBeCloseTo(trapezoidAuc(result.scores), 12);
  });

  it('insertion: from the substrate to the intact image, the last image bit-identical to the input', async () => {
    probe.seen.length = 0;
    const substrate = (x: tf.Tensor4D) => tf.mul(x, tf.scalar(-2)) as tf.Tensor4D;
    const result = await insertion(probe, image, map, { step: 7, batchSize: 100, substrate });
    const n = Math.ceil((H * W) / 7);
    const seen = probe.seen.flat();
    expect(probe.seen).toHaveLength(1);
    expect(seen).toHaveLength(n + 1);
    expect(Array.from(seen[0])).toEqual(Array.from(imageValues, (v) => Math.fround(v * -2)));
    expect(Array.from(seen[n])).toEqual(Array.from(imageValues));
    expect(result.protocol).toMatchObject({ metric: 'insertion', step: 7, steps: n, substrate: 'function(substrate)', order: 'saliency' });
  });

  it('gives the same curve whatever the batch size', async () => {
    const a = await deletion(probe, image, map, { step: 3, batchSize: 1 });
    const b = await deletion(probe, image, map, { step: 3, batchSize: 64 });
    for (let i = 0; i < a.scores.length; i++) expect(b.scores[i]).toBeCloseTo(a.scores[i], 6);
  });

  it('tracks the top class of the intact image unless a class is given, and records the protocol', async () => {
    const logits = await probe.predict(image);
    const softmax = tf.softmax(logits);
    const probabilities = Array.from(await softmax.data());
    tf.dispose([logits, softmax]);
    const top = probabilities.indexOf(Math.max(...probabilities));
    const del = await deletion(probe, image, map);
    expect(del.classIndex).toBe(top);
    expect(del.scores[0]).toBeCloseTo(probabilities[top], 5);
    const ins = await insertion(probe, image, map);
    expect(ins.scores[ins.scores.length - 1]).toBeCloseTo(probabilities[top], 5);
    expect(del.protocol).toEqual({
      metric: 'deletion',
      step: W,
      steps: H,
      inputSize: [H, W],
      substrate: 'zeros',
      classIndex: top,
      classSource: 'top-class',
      order: 'saliency',
      score: 'softmax',
      map: { method: 'test', classIndex: 0 },
    });
    expect(ins.protocol.substrate).toBe('blur(klen=11, sigma=5)');
    const other = (top + 1) % 3;
    const given = await deletion(probe, image, map, { classIndex: other });
    expect(given.classIndex).toBe(other);
    expect(given.protocol.classSource).toBe('given');
    expect(given.scores[0]).toBeCloseTo(probabilities[other], 5);
  });

  it('uses an explicit pixel order when given one', async () => {
    const order = Int32Array.from({ length: H * W }, (_, i) => H * W - 1 - i);
    probe.seen.length = 0;
    const result = await deletion(probe, image, { order }, { step: H * W });
    expect(result.protocol.order).toBe('explicit');
    expect(result.protocol.map).toBeUndefined();
    expect(result.scores).toHaveLength(2);
    probe.seen.length = 0;
    await deletion(probe, image, { order }, { step: 1, batchSize: 2 });
    expect(Array.from(probe.seen[0][1])).toEqual(Array.from(expectedImage(imageValues, new Float32Array(H * W * C), order, 1)));
  });

  it('fills removed pixels with each substrate', async () => {
    const lastImage = async (substrate: Substrate) => {
      probe.seen.length = 0;
      await deletion(probe, image, map, { step: H * W, substrate });
      return probe.seen.flat()[1];
    };
    expect(Array.from(await lastImage('zeros')).every((v) => v === 0)).toBe(true);
    const perChannel = await lastImage({ constant: [1, -1] });
    expect(Array.from(perChannel.subarray(0, 4))).toEqual([1, -1, 1, -1]);
    const mean = [0, 1].map((c) => imageValues.filter((_, i) => i % C === c).reduce((a, b) => a + b, 0) / (H * W));
    const meanImage = await lastImage('mean');
    expect(meanImage[0]).toBeCloseTo(mean[0], 5);
    expect(meanImage[1]).toBeCloseTo(mean[1], 5);
    const identity = await lastImage({ name: 'identity', make: (x: tf.Tensor4D) => x });
    expect(Array.from(identity)).toEqual(Array.from(imageValues));
    expect(image.isDisposed).toBe(false);
  });

  it('reports progress per batch and stops with AbortError, leaking nothing', async () => {
    const events: ProgressEvent[] = [];
    await deletion(probe, image, map, { step: 2, batchSize: 4, onProgress: (e) => events.push(e) });
    expect(events.map((e) => e.done)).toEqual([4, 8, 12, 16]);
    expect(events.every((e) => e.stage === 'deletion' && e.total === 16)).toBe(true);

    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const onProgress = () => controller.abort();
    await expect(
      insertion(probe, image, map, { step: 2, batchSize: 4, signal: controller.signal, onProgress }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    const aborted = new AbortController();
    aborted.abort();
    await expect(deletion(probe, image, map, { signal: aborted.signal })).rejects.toThrow(/aborted/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad input with what was wrong and what is accepted', async () => {
    const before = tf.memory().numTensors;
    await expect(deletion(probe, image, mapOf(new Float32Array(12), 3, 4))).rejects.toThrow(
      /saliency map is 3×4 but the model input is 6×5/,
    );
    await expect(deletion(probe, image, map, { step: 0 })).rejects.toThrow(/step must be a whole number of pixels ≥ 1, got 0/);
    await expect(insertion(probe, image, map, { step: 2.5 })).rejects.toThrow(XaiError);
    const empty = { data: new Float32Array(0), height: 0, width: 0, classIndex: 0, method: 'x', params: {} };
    await expect(deletion(probe, image, empty)).rejects.toThrow(/saliency map is empty \(0×0\)/);
    await expect(deletion(probe, image, mapOf(new Float32Array(H * W).fill(NaN)))).rejects.toThrow(/all NaN/);
    await expect(deletion(probe, image, map, { classIndex: 3 })).rejects.toThrow(/Class index 3 is out of range; the model has 3 classes \(0 … 2\)/);
    const wrongImage = tf.zeros([1, W, H, C]) as tf.Tensor4D;
    await expect(deletion(probe, wrongImage, map)).rejects.toThrow(/Deletion explains one image of shape \[1, 6, 5, 2\] \(preprocessed, NHWC\) for this model; got \[1, 5, 6, 2\]/);
    wrongImage.dispose();
    await expect(deletion(probe, image, map, { substrate: () => tf.zeros([1, 2, 2, 2]) as tf.Tensor4D })).rejects.toThrow(
      /returned shape \[1, 2, 2, 2\]; it must return the image's shape \[1, 6, 5, 2\]/,
    );
    await expect(deletion(probe, image, map, { substrate: 'noise' as never })).rejects.toThrow(/Unknown substrate "noise"; accepted:/);
    await expect(deletion(probe, image, map, { substrate: { constant: [1, 2, 3] } })).rejects.toThrow(/one per channel \(2\)/);
    await expect(deletion(probe, image, map, { batchSize: 0 })).rejects.toThrow(/batchSize/);
    expect(tf.memory().numTensors).toBe(before);
  });

  describe('on an oracle model that only looks at the top-left quarter', () => {
    const size = 8;
    const decisive = (y: number, x: number) => y < size / 2 && x < size / 2;
    let oracle: ReturnType<typeof oracleClassifier>;
    let ones: tf.Tensor4D;
    const decisiveFirst = mapOf(Float32Array.from({ length: size * size }, (_, i) => (decisive(Math.floor(i / size), i % size) ? 2 : 1) + i / 1000), size, size);
    const reverse = mapOf(decisiveFirst.data.map((v) => -v), size, size);

    beforeAll(() => {
      oracle = oracleClassifier(size, size, decisive);
      ones = tf.ones([1, size, size, 1]);
    });
    afterAll(() => {
      oracle.dispose();
      ones.dispose();
    });

    it('a map ranking the decisive pixels first has a lower deletion AUC and a higher insertion AUC than its reverse', async () => {
      const before = tf.memory().numTensors;
      const good = await deletion(oracle, ones, decisiveFirst, { step: 4 });
      const bad = await deletion(oracle, ones, reverse, { step: 4 });
      expect(good.classIndex).toBe(0);
      expect(good.auc).toBeLessThan(bad.auc - 0.2);
      // Removing the 48 irrelevant pixels first leaves the probability untouched for 12 of 16 steps.
      expect(bad.scores.slice(0, 13).every((p) => Math.abs(p - bad.scores[0]) < 1e-6)).toBe(true);
      const goodIns = await insertion(oracle, ones, decisiveFirst, { step: 4, substrate: 'zeros' });
      const badIns = await insertion(oracle, ones, reverse, { step: 4, substrate: 'zeros' });
      expect(goodIns.auc).toBeGreaterThan(badIns.auc + 0.2);
      // Logit gain·(revealed decisive share) vs 0: the curve is known in closed form.
      const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
      goodIns.scores.forEach((p, i) => expect(p).toBeCloseTo(sigmoid((8 * Math.min(4 * i, 16)) / 16), 5));
      expect(tf.memory().numTensors).toBe(before);
    });
  });
});

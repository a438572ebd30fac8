import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { XaiError, type ProgressEvent } from '@xai/core';
import {
  TEST_BACKENDS,
  expectNoLeak,
  expectRejectsWithoutLeak,
  functionClassifier,
  linearClassifier,
  relativeError,
  uniformArray,
  useBackend,
} from '@xai/testing';
import { binaryMasks, gaussianMasks, masksFromNpy, masksToNpy, rise, type MaskSource } from '../src/index.js';

const size = { height: 16, width: 16, channels: 3, numClasses: 3 };
const features = size.height * size.width * size.channels;
const pixels = size.height * size.width;

/** RISE computed directly from SPEC.md in float64, from the masks and the model's weights. */
function directRise(
  image: Float32Array,
  weights: Float32Array,
  masks: Float32Array,
  n: number,
  normalizingMean: number,
  scores: 'prob' | 'logit',
): Float64Array[] {
  const k = size.numClasses;
  const maps = Array.from({ length: k }, () => new Float64Array(pixels));
  for (let i = 0; i < n; i++) {
    const logits = new Float64Array(k);
    for (let f = 0; f < features; f++) {
      const value = image[f] * masks[i * pixels + Math.floor(f / size.channels)];
      for (let c = 0; c < k; c++) logits[c] += value * weights[f * k + c];
    }
    let weightsOut = Array.from(logits);
    if (scores === 'prob') {
      const top = Math.max(...weightsOut);
      const exps = weightsOut.map((v) => Math.exp(v - top));
      const total = exps.reduce((a, b) => a + b, 0);
      weightsOut = exps.map((v) => v / total);
    }
    for (let c = 0; c < k; c++) {
      for (let p = 0; p < pixels; p++) maps[c][p] += (weightsOut[c] * masks[i * pixels + p]) / (n * normalizingMean);
    }
  }
  return maps;
}

describe.each(TEST_BACKENDS)('rise on %s', (backend) => {
  let before = 0;
  let image: tf.Tensor4D;
  const imageValues = uniformArray(features, 1);
  const weights = uniformArray(features * size.numClasses, 2);

  beforeEach(async () => {
    await useBackend(backend);
    image = tf.tensor4d(imageValues, [1, size.height, size.width, size.channels]);
    before = tf.memory().numTensors;
  });
  afterEach(() => {
    const after = tf.memory().numTensors;
    image.dispose();
    expect(after).toBe(before);
  });

  it.each([
    ['binary', 'prob'],
    ['binary', 'logit'],
    ['gaussian', 'logit'],
    ['gaussian', 'prob'],
  ] as const)('matches SPEC.md computed directly (%s masks, %s scores, all classes)', async (kind, scores) => {
    const model = linearClassifier(size, weights);
    const options = { n: 45, s: 4, seed: 7, height: size.height, width: size.width };
    const source = kind === 'binary' ? binaryMasks({ ...options, p1: 0.4 }) : gaussianMasks(options);
    const masks = masksToNpy(source).data as Float32Array;
    const stream = source.open();
    stream.next(options.n);
    const expected = directRise(imageValues, weights, masks, options.n, stream.normalizingMean(), scores);

    const maps = await rise(model, image, { masks: source, scores, classes: 'all', batchSize: 8 });
    expect(maps.map((m) => m.classIndex)).toEqual([0, 1, 2]);
    maps.forEach((map, c) => {
      expect(map.height).toBe(size.height);
      expect(map.method).toBe(kind === 'binary' ? 'rise' : 'rise-gaussian');
      expect(map.className).toBe(`class-${c}`);
      expect(relativeError(map.data, expected[c])).toBeLessThan(1e-5);
    });
    expect(model.imagesScored).toBe(options.n);
  });

  it('generates masks from n, s, p1 and seed, and records them in the maps', async () => {
    const model = linearClassifier(size, weights);
    const [map] = await rise(model, image, { n: 20, s: 4, p1: 0.3, seed: 2, classes: 1 });
    const source = binaryMasks({ n: 20, s: 4, p1: 0.3, seed: 2, height: 16, width: 16 });
    const [same] = await rise(model, image, { masks: source, classes: 1 });
    expect(Array.from(map.data)).toEqual(Array.from(same.data));
    expect(map.params).toMatchObject({ n: 20, s: 4, p1: 0.3, seed: 2, masks: 'binary', scores: 'prob' });
  });

  it('gives byte-identical maps for the same seed twice in a row', async () => {
    const model = linearClassifier(size, weights);
    const options = { n: 30, s: 4, seed: 4, masks: 'gaussian' as const, classes: 'all' as const, batchSize: 7 };
    const first = await rise(model, image, options);
    const second = await rise(model, image, options);
    first.forEach((map, c) => expect(Buffer.from(second[c].data.buffer).equals(Buffer.from(map.data.buffer))).toBe(true));
  });

  it('selects the top class by default, the top k, a class or a list', async () => {
    const model = linearClassifier(size, weights);
    const logits = await model.predict(image);
    const values = Array.from(await logits.data());
    logits.dispose();
    const order = [0, 1, 2].sort((a, b) => values[b] - values[a]);
    const common = { n: 8, s: 4, seed: 0 };
    expect((await rise(model, image, common)).map((m) => m.classIndex)).toEqual([order[0]]);
    expect((await rise(model, image, { ...common, classes: { top: 2 } })).map((m) => m.classIndex)).toEqual(order.slice(0, 2));
    expect((await rise(model, image, { ...common, classes: 2 })).map((m) => m.classIndex)).toEqual([2]);
    expect((await rise(model, image, { ...common, classes: [2, 0] })).map((m) => m.classIndex)).toEqual([2, 0]);
  });

  it('finds the region an oracle model looks at: every pixel inside scores above every pixel outside', async () => {
    // Class 0's logit is the mean of the (all-ones) image over a 3×3 square, less its expected 0.5:
    // centring leaves the expected map's shape alone and removes most of the Monte Carlo noise.
    const region = { top: 6, left: 7, size: 3 };
    const inside = (y: number, x: number) =>
      y >= region.top && y < region.top + region.size && x >= region.left && x < region.left + region.size;
    const model = functionClassifier({ ...size, numClasses: 2 }, (batch) => {
      const patch = tf.slice(batch, [0, region.top, region.left, 0], [-1, region.size, region.size, -1]);
      const score = tf.sub(tf.mean(patch, [1, 2, 3]), 0.5);
      return tf.stack([score, tf.zerosLike(score)], 1) as tf.Tensor2D;
    });
    const ones = tf.ones([1, size.height, size.width, size.channels]);
    const [map] = await rise(model, ones, { n: 4000, s: 8, p1: 0.5, seed: 1, classes: 0, scores: 'logit', batchSize: 500 });
    ones.dispose();
    let lowestInside = Infinity;
    let highestOutside = -Infinity;
    for (let y = 0; y < size.height; y++) {
      for (let x = 0; x < size.width; x++) {
        const v = map.data[y * size.width + x];
        if (inside(y, x)) lowestInside = Math.min(lowestInside, v);
        else highestOutside = Math.max(highestOutside, v);
      }
    }
    expect(lowestInside).toBeGreaterThan(highestOutside);
  });

  it('reports progress per batch and stops with an AbortError when aborted', async () => {
    const model = linearClassifier(size, weights);
    const events: ProgressEvent[] = [];
    await rise(model, image, { n: 10, s: 4, batchSize: 4, onProgress: (e) => events.push(e) });
    expect(events).toEqual([
      { stage: 'rise', done: 4, total: 10 },
      { stage: 'rise', done: 8, total: 10 },
      { stage: 'rise', done: 10, total: 10 },
    ]);

    const controller = new AbortController();
    const aborted = rise(model, image, {
      n: 40,
      s: 4,
      batchSize: 4,
      signal: controller.signal,
      onProgress: (e) => e.done === 8 && controller.abort(),
    });
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    // Two batches are on the engine at once: the one already running when the abort came (masks
    // 8–11) is finished and discarded, and no later one starts.
    expect(model.imagesScored).toBe(1 + 10 + 1 + 12);
  });

  it('names the batch when the model returns NaN or Infinity', async () => {
    let seen = 0;
    const model = functionClassifier(size, (batch) => {
      const fill = seen++ === 3 ? Number.NaN : 1; // call 0 is the top-class pass, then batches 0, 1, 2…
      return tf.fill([batch.shape[0], size.numClasses], fill) as tf.Tensor2D;
    });
    await expect(rise(model, image, { n: 20, s: 4, batchSize: 5 })).rejects.toThrow(
      /returned NaN among its scores for batch 2 \(masks 10–14\)/,
    );
    const infinite = functionClassifier(size, (batch) => tf.fill([batch.shape[0], 3], Infinity) as tf.Tensor2D);
    await expect(rise(infinite, image, { n: 5, s: 4, classes: 0 })).rejects.toThrow(/returned Infinity .* batch 0/);
  });

  it('rejects bad input with a message that says what is accepted, leaking nothing', async () => {
    const model = linearClassifier(size, weights);
    const small = masksFromNpy({ dtype: 'float32', shape: [2, 1, 8, 8], data: new Float32Array(128) });
    const wrong = tf.zeros([1, 8, 8, 3]);
    const integers = tf.zeros([1, 16, 16, 3], 'int32');
    const cases: [() => Promise<unknown>, RegExp][] = [
      [() => rise(model, image, { n: 0 }), /n must be a whole number ≥ 1, got 0/],
      [() => rise(model, image, { p1: 0 }), /p1 must be a number in \(0, 1\]/],
      [() => rise(model, image, { s: 17 }), /s must be a whole number from 2 to the image's smaller side \(16 for 16×16\), got 17/],
      [() => rise(model, image, { s: 1 }), /got 1/],
      [() => rise(model, image, { masks: small }), /masks are 8×8 but the model's input is 16×16/],
      [() => rise(model, image, { masks: small as MaskSource, n: 5 }), /n describe generated masks/],
      [() => rise(model, image, { masks: 'gaussian', p1: 0.5 }), /p1 applies to binary masks only/],
      [() => rise(model, image, { masks: 'square' as 'binary' }), /unknown kind "square"; accepted: 'binary', 'gaussian'/],
      [() => rise(model, image, { scores: 'raw' as 'prob' }), /scores: unknown kind "raw"; accepted: 'prob', 'logit'/],
      [() => rise(model, image, { classes: 3 }), /Class index 3 is out of range; the model has 3 classes \(0 … 2\)/],
      [() => rise(model, image, { classes: { top: 4 } }), /top must be a whole number from 1 to 3/],
      [() => rise(model, image, { classes: [] }), /list of classes is empty/],
      [() => rise(model, image, { batchSize: 0 }), /batchSize must be a whole number ≥ 1/],
      [() => rise(model, wrong, {}), /RISE explains one image of shape \[1, 16, 16, 3\] \(preprocessed, NHWC\) for this model; got \[1, 8, 8, 3\]/],
      [() => rise(model, integers, {}), /RISE needs a float32 image \(the preprocessed model input\); got int32/],
      [() => rise(model, Float32Array.from(imageValues) as never, {}), /RISE explains one image given as a tensor \[1, 16, 16, 3\]/],
    ];
    for (const [run, message] of cases) {
      const error = await expectRejectsWithoutLeak(run);
      expect(error).toBeInstanceOf(XaiError);
      expect(error.message).toMatch(message);
    }
    tf.dispose([wrong, integers]);
  });

  it('accepts an image without the batch axis, [H, W, C], and gives the same maps', async () => {
    const model = linearClassifier(size, weights);
    const options = { n: 12, s: 4, seed: 3, classes: 'all' as const };
    const batched = await expectNoLeak(() => rise(model, image, options));
    const squeezed = tf.squeeze(image, [0]);
    const unbatched = await expectNoLeak(() => rise(model, squeezed, options));
    squeezed.dispose();
    unbatched.forEach((map, c) => expect(Array.from(map.data)).toEqual(Array.from(batched[c].data)));
  });

  it('refuses bad options for an image without the batch axis before reshaping it, leaking nothing', async () => {
    const model = linearClassifier(size, weights);
    const squeezed = tf.squeeze(image, [0]);
    for (const options of [{ n: 0 }, { s: 1 }, { batchSize: 0 }, { classes: 7 }]) {
      const error = await expectRejectsWithoutLeak(() => rise(model, squeezed, options));
      expect(error).toBeInstanceOf(XaiError);
    }
    expect(model.predictCalls).toBe(0);
    squeezed.dispose();
  });
});

import { beforeEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { XaiError, explainWith } from '@xai/core';
import {
  TEST_BACKENDS,
  expectNoLeak,
  expectRejectsWithoutLeak,
  functionClassifier,
  linearClassifier,
  normalArray,
  uniformArray,
  useBackend,
} from '@xai/testing';
import { NoiseEstimate, binaryMasks, gaussianMasks, masksFromNpy, masksToNpy, rise, riseBinary, type MaskSource } from '../src/index.js';

const size = { height: 16, width: 16, channels: 3, numClasses: 3 };
const features = size.height * size.width * size.channels;
const pixels = size.height * size.width;
const bytes = (data: Float32Array) => Buffer.from(data.buffer, data.byteOffset, data.byteLength);
const allMasks = (source: MaskSource) => masksToNpy(source, { batchSize: 7 }).data as Float32Array;

describe('mask order', () => {
  const options = { s: 4, p1: 0.5, seed: 5, ...size };

  it('per-mask: the first masks of a larger set are the masks of a smaller one', () => {
    const small = allMasks(binaryMasks({ ...options, n: 30, order: 'per-mask' }));
    const large = allMasks(binaryMasks({ ...options, n: 50, order: 'per-mask' }));
    expect(bytes(large.subarray(0, small.length)).equals(bytes(small))).toBe(true);
    const gaussianSmall = allMasks(gaussianMasks({ ...options, n: 30, order: 'per-mask' }));
    const gaussianLarge = allMasks(gaussianMasks({ ...options, n: 50, order: 'per-mask' }));
    expect(bytes(gaussianLarge.subarray(0, gaussianSmall.length)).equals(bytes(gaussianSmall))).toBe(true);
  });

  it("reference: every mask depends on N (its offsets are drawn after all N grids), so it is not a prefix", () => {
    const small = allMasks(binaryMasks({ ...options, n: 30 }));
    const large = allMasks(binaryMasks({ ...options, n: 50 }));
    expect(bytes(large.subarray(0, small.length)).equals(bytes(small))).toBe(false);
    expect(binaryMasks({ ...options, n: 30 }).params.maskOrder).toBe('reference');
  });

  it('refuses an unknown order', () => {
    expect(() => binaryMasks({ ...options, n: 3, order: 'sideways' as never })).toThrow(/accepted: reference, per-mask/);
  });

  it("Gaussian masks' normalising mean can be read for the first masks drawn", () => {
    const source = gaussianMasks({ ...options, n: 40, order: 'per-mask' });
    const stream = source.open();
    stream.next(40);
    const prefix = gaussianMasks({ ...options, n: 24, order: 'per-mask' }).open();
    prefix.next(24);
    expect(stream.normalizingMean(24)).toBe(prefix.normalizingMean());
    expect(() => stream.normalizingMean(41)).toThrow(XaiError);
  });
});

describe('NoiseEstimate', () => {
  const signal = Float32Array.from({ length: pixels }, (_, p) => Math.sin(p / 9) + (p % 16) / 8);
  const signalVariance = (() => {
    const m = signal.reduce((a, b) => a + b, 0) / pixels;
    return signal.reduce((a, b) => a + (b - m) ** 2, 0) / pixels;
  })();

  /** Feeds `z_i` (as masks with score 1) in two batches, the second projected on the first's pattern. */
  function estimate(masks: number, z: (i: number, p: number) => number): number {
    const estimate = new NoiseEstimate(1, pixels);
    const sums = new Float32Array(pixels);
    let relative = Infinity;
    for (const [start, end] of [[0, masks / 2], [masks / 2, masks]]) {
      const count = end - start;
      const squares = new Float32Array(pixels);
      let levels = 0;
      let levelSquares = 0;
      const directions = estimate.directions();
      const projections = directions && new Float32Array(count);
      for (let i = start; i < end; i++) {
        let level = 0;
        for (let p = 0; p < pixels; p++) {
          const value = z(i, p);
          sums[p] += value;
          squares[p] += value * value;
          level += value / pixels;
          if (projections && directions) projections[i - start] += value * directions[p];
        }
        levels += level;
        levelSquares += level * level;
      }
      estimate.add({ squares, levels: Float32Array.of(levels), levelSquares: Float32Array.of(levelSquares), weights: new Float32Array(count).fill(1), projections });
      relative = estimate.relativeNoise(sums, end);
    }
    return relative;
  }

  it('is the noise variance over M divided by the spatial variance of the map', () => {
    const noise = normalArray(400 * pixels, 2, 0, 0.5);
    const expected = 0.5 ** 2 / 400 / signalVariance;
    const found = estimate(400, (i, p) => signal[p] + noise[i * pixels + p]);
    expect(found / expected).toBeGreaterThan(0.9);
    expect(found / expected).toBeLessThan(1.1);
  });

  it('leaves out noise every pixel shares (it only shifts the map) and noise along the pattern (it only rescales it)', () => {
    const noise = normalArray(400 * pixels, 2, 0, 0.5);
    const common = normalArray(400, 3, 0, 3);
    const scale = normalArray(400, 4, 0, 0.5);
    const plain = estimate(400, (i, p) => signal[p] + noise[i * pixels + p]);
    const shifted = estimate(400, (i, p) => signal[p] + common[i] + noise[i * pixels + p]);
    const rescaled = estimate(400, (i, p) => (1 + scale[i]) * signal[p] + noise[i * pixels + p]);
    expect(Math.abs(shifted - plain) / plain).toBeLessThan(0.1);
    // Counted in full, the rescaling would add 0.5² · var(signal) to the pixels' 0.5²: about 1.7 times as much.
    expect(Math.abs(rescaled - plain) / plain).toBeLessThan(0.15);
    expect(estimate(400, (i, p) => (1 + scale[i]) * signal[p])).toBe(0);
  });

  it('is Infinity for a map with no spatial structure, and for fewer than 2 masks', () => {
    expect(estimate(4, (i) => 2 ** i)).toBe(Infinity);
    expect(new NoiseEstimate(1, 2).relativeNoise(new Float32Array(2), 1)).toBe(Infinity);
  });
});

describe.each(TEST_BACKENDS)('rise until stable on %s', (backend) => {
  let image: tf.Tensor4D;
  const weights = uniformArray(features * size.numClasses, 2, -3, 3);

  beforeEach(async () => {
    await useBackend(backend);
    image?.dispose();
    image = tf.tensor4d(uniformArray(features, 1, 0, 1), [1, size.height, size.width, size.channels]);
  });

  // Gaussian masks probe the model more weakly (cells vary ±0.25 around 0.5): their maps settle later.
  it.each([['binary', 0.05, 4000], ['gaussian', 0.5, 8000]] as const)(
    '%s masks: stops at the first batch whose error is below ε = %s, and equals a plain run of that many masks byte for byte',
    async (masks, epsilon, ceiling) => {
      const model = linearClassifier(size, weights);
      const common = { masks, n: ceiling, s: 4, seed: 3, batchSize: 50, classes: 'all' as const };
      const [stable] = await expectNoLeak(() => rise(model, image, { ...common, untilStable: epsilon }));
      const used = stable.params.masksUsed as number;
      expect(used).toBeGreaterThanOrEqual(100);
      expect(used).toBeLessThan(ceiling);
      expect(used % 50).toBe(0);
      expect(stable.params).toMatchObject({ maskOrder: 'per-mask', untilStable: epsilon, n: ceiling });
      expect(stable.params.relativeError as number).toBeLessThan(epsilon);

      const [plain] = await expectNoLeak(() => rise(model, image, { ...common, n: used, maskOrder: 'per-mask' }));
      expect(plain.params.masksUsed).toBe(used);
      expect(plain.params.normalizingMean).toBe(stable.params.normalizingMean);
      expect(bytes(plain.data).equals(bytes(stable.data))).toBe(true);

      // One batch fewer as the ceiling: the rule never fired, so the error there was not yet below ε.
      const [shorter] = await rise(model, image, { ...common, n: used - 50, untilStable: epsilon });
      expect(shorter.params.masksUsed).toBe(used - 50);
      expect(shorter.params.relativeError as number).toBeGreaterThanOrEqual(epsilon);
    },
  );

  it('runs to the ceiling on a model whose map has no structure to settle', async () => {
    const model = functionClassifier(size, (batch) => tf.tile(tf.tensor2d([[1, 0, 0]]), [batch.shape[0], 1]) as tf.Tensor2D);
    const [map] = await expectNoLeak(() => rise(model, image, { n: 300, s: 4, batchSize: 100, untilStable: 0.5 }));
    expect(map.params.masksUsed).toBe(300);
  });

  it('is the same through the descriptor (--until-stable), which records masksUsed', async () => {
    const model = linearClassifier(size, weights);
    const [viaDescriptor] = await expectNoLeak(() =>
      explainWith(riseBinary, model, image, { params: { n: 2000, s: 4, untilStable: 0.05 }, batchSize: 50, targets: 0 }),
    );
    const [direct] = await rise(model, image, { n: 2000, s: 4, untilStable: 0.05, batchSize: 50, classes: [0] });
    expect(viaDescriptor.params.masksUsed).toBe(direct.params.masksUsed);
    expect(bytes(viaDescriptor.data).equals(bytes(direct.data))).toBe(true);
  });

  it('refuses settings it cannot honour, before any image is scored', async () => {
    const model = linearClassifier(size, weights);
    const given = masksFromNpy(masksToNpy(binaryMasks({ n: 4, s: 4, p1: 0.5, seed: 0, ...size })));
    const cases: [() => Promise<unknown>, RegExp][] = [
      [() => rise(model, image, { n: 100, untilStable: 0 }), /untilStable: .*\(0, 1\], got 0/],
      [() => rise(model, image, { n: 100, untilStable: 2 }), /\(0, 1\], got 2/],
      [() => rise(model, image, { n: 100, untilStable: 0.1, maskOrder: 'reference' }), /needs maskOrder 'per-mask'/],
      [() => rise(model, image, { masks: given, untilStable: 0.1 }), /needs drawn masks/],
      [
        () => explainWith(riseBinary, model, image, { params: { untilStable: 0.1, maskOrder: 'reference' } }),
        /until-stable needs mask order per-mask/,
      ],
    ];
    for (const [run, message] of cases) {
      const error = await expectRejectsWithoutLeak(run);
      expect(error).toBeInstanceOf(XaiError);
      expect(error.message).toMatch(message);
    }
    expect(model.imagesScored).toBe(0);
  });
});

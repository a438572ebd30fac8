import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LayersClassifier, explainWith, type WhiteBoxClassifier } from '@xai/core';
import { SpatialLinearClassifier, buildTinyChelseaLayersModel, expectNoLeak, maxAbsDiff, uniformArray, useBackend } from '@xai/testing';
import { correctSign, eigenCam, firstComponentProjection } from '../src/index.js';
import { eigenReference, postProcessReference } from './helpers/reference.js';
import { tinyChelseaImage } from './helpers/tiny-chelsea.js';

beforeAll(() => useBackend('wasm'));

/** One input channel, so the features are rank one: A_k(i, j) = u(i, j) · v_k with u = avgPool(x). */
const V = Float32Array.from([0.8, -0.3, 1.2, 0.5, -0.9]);

function rankOne(pooled: number[]): { model: SpatialLinearClassifier; image: tf.Tensor4D; u: number[] } {
  const model = new SpatialLinearClassifier({ channels: 1, featureChannels: V.length, mixing: V });
  const { size } = model;
  const h = size / 2;
  // Constant 2×2 blocks, so avgPool gives `pooled` back exactly.
  const values = Float32Array.from({ length: size * size }, (_, p) => pooled[Math.floor(p / size / 2) * h + Math.floor((p % size) / 2)]);
  const u = model.featuresReference(values).filter((_, i) => i % V.length === 0).map((a) => a / V[0]);
  return { model, image: tf.tensor4d(values, [1, size, size, 1]), u: Array.from(u) };
}

/** The post-processed map of `s · (u − mean u) · |v|`. */
function expectedMap(u: number[], sign: 1 | -1, h: number, size: number): Float64Array {
  const mean = u.reduce((a, b) => a + b, 0) / u.length;
  const norm = Math.hypot(...V);
  return postProcessReference([{ map: u.map((x) => sign * (x - mean) * norm), h, w: h }], size, size);
}

describe('Eigen-CAM on rank-one activations', () => {
  // Centred, this u has one large positive value (+9.4) and no negative one beyond −1.6: the
  // sign rule keeps the spike positive, whichever sign the eigenvector came out with.
  const spike = [0, 1, 0, 0, 1, 11, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0.5];

  it('equals the post-processed centred spatial factor (u − mean u), spike positive', async () => {
    const { model, image, u } = rankOne(spike);
    expect(Math.max(...u.map((x) => Math.abs(x - 1.03125)))).toBeCloseTo(11 - 1.03125, 5);
    const [map] = await expectNoLeak(() => explainWith(eigenCam, model, image, { targets: 0, layer: 'features' }));
    image.dispose();
    const expected = expectedMap(u, 1, model.size / 2, model.size);
    expect(maxAbsDiff(map.data, expected)).toBeLessThanOrEqual(1e-5);
    // The other sign would give a different map: the sign rule decided it.
    expect(maxAbsDiff(map.data, expectedMap(u, -1, model.size / 2, model.size))).toBeGreaterThan(0.5);
    expect(map.params.explainedVariance).toBeCloseTo(1, 6);
    expect(map.method).toBe('eigen-cam');
  });

  it('flips the sign when the largest magnitude is negative (the image negated gives the same map)', async () => {
    const negated = spike.map((x) => -x);
    const { model, image, u } = rankOne(negated);
    const [map] = await expectNoLeak(() => explainWith(eigenCam, model, image, { targets: 0, layer: 'features' }));
    image.dispose();
    // Centred −u has its spike at −9.4, so the projection is flipped: the map is that of +(u − mean).
    expect(maxAbsDiff(map.data, expectedMap(u, -1, model.size / 2, model.size))).toBeLessThanOrEqual(1e-5);
    const original = rankOne(spike);
    const [same] = await expectNoLeak(() => explainWith(eigenCam, original.model, original.image, { targets: 0, layer: 'features' }));
    original.image.dispose();
    expect(maxAbsDiff(map.data, same.data)).toBeLessThanOrEqual(1e-6);
  });

  it('does not depend on the class and makes one pass per layer for all targets', async () => {
    const { model, image } = rankOne(spike);
    const maps = await expectNoLeak(() => explainWith(eigenCam, model, image, { targets: 'all', layer: 'features' }));
    image.dispose();
    expect(maps.map((m) => m.classIndex)).toEqual([0, 1, 2]);
    expect(model.gradientCalls).toBe(1);
    for (const m of maps) expect(m.data).toEqual(maps[0].data);
  });
});

describe('correctSign', () => {
  it('keeps a projection whose largest magnitude is positive and flips one whose largest is negative', () => {
    const kept = Float64Array.from([3, -1, -1, -1]);
    expect(correctSign(kept)).toBe(false);
    expect(Array.from(kept)).toEqual([3, -1, -1, -1]);
    const flipped = Float64Array.from([-3, 1, 1, 1]);
    expect(correctSign(flipped)).toBe(true);
    expect(Array.from(flipped)).toEqual([3, -1, -1, -1]);
    const tie = Float64Array.from([2, -2, 0]);
    expect(correctSign(tie)).toBe(false);
  });
});

describe('firstComponentProjection', () => {
  it.each([
    { n: 40, k: 7, name: 'more positions than channels (channel Gram matrix)' },
    { n: 6, k: 30, name: 'more channels than positions (position Gram matrix)' },
  ])('matches a Jacobi eigendecomposition, $name', ({ n, k }) => {
    const values = uniformArray(n * k, 17 + n, 0, 2);
    const { projection, explained } = firstComponentProjection(values, n, k);
    correctSign(projection);
    const expected = eigenReference(values, k);
    const scale = Math.max(...expected.map(Math.abs));
    expect(maxAbsDiff(projection, expected) / scale).toBeLessThanOrEqual(1e-9);
    expect(explained).toBeGreaterThan(0);
    expect(explained).toBeLessThan(1);
  });

  it('is deterministic, and gives zeros for constant columns', () => {
    const values = uniformArray(64 * 12, 3);
    expect(firstComponentProjection(values, 64, 12).projection).toEqual(firstComponentProjection(values, 64, 12).projection);
    const constant = new Float32Array(5 * 3).fill(2);
    const { projection, explained } = firstComponentProjection(constant, 5, 3);
    expect(Array.from(projection)).toEqual([0, 0, 0, 0, 0]);
    expect(explained).toBe(0);
  });

  it('treats NaN as 0', () => {
    const values = Float32Array.from([1, 2, NaN, 4, 5, 6]);
    const zeroed = Float32Array.from([1, 2, 0, 4, 5, 6]);
    expect(firstComponentProjection(values, 3, 2).projection).toEqual(firstComponentProjection(zeroed, 3, 2).projection);
  });
});

describe('Eigen-CAM on tiny-chelsea (no golden: SVD signs differ between LAPACK builds)', () => {
  let model: WhiteBoxClassifier;
  let image: tf.Tensor4D;
  beforeAll(async () => {
    await useBackend('wasm');
    model = new LayersClassifier(buildTinyChelseaLayersModel());
    image = tinyChelseaImage();
  });
  afterAll(() => {
    image.dispose();
    model.dispose();
  });

  it.each(['layer4', 'layer3'])('matches the Jacobi reference at %s, the same bytes every run', async (layer) => {
    const pass = await model.activationsAndGradient(image, model.resolveLayer(layer), 1);
    const [, h, w, k] = pass.activations.shape;
    const activations = await pass.activations.data();
    tf.dispose([pass.activations, pass.gradient, pass.logits]);
    const expected = postProcessReference([{ map: eigenReference(activations, k), h, w }], 64, 64);
    const [first] = await expectNoLeak(() => explainWith(eigenCam, model, image, { targets: 1, layer }));
    const [second] = await expectNoLeak(() => explainWith(eigenCam, model, image, { targets: 1, layer }));
    expect(maxAbsDiff(first.data, expected)).toBeLessThanOrEqual(1e-5);
    expect(second.data).toEqual(first.data);
    expect(first.params.explainedVariance).toBeGreaterThan(0);
    expect(first.params.explainedVariance).toBeLessThanOrEqual(1);
  });
});

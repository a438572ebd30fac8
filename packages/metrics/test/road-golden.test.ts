import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saliencyMap, type Classifier } from '@xai/core';
import { loadOnnxModel } from '@xai/onnx';
import { TEST_BACKENDS, expectNoLeak, fixturePath, goldenCase, maxAbsDiff, nchwToNhwc, readFixtureFloat32, useBackend } from '@xai/testing';
import { readFileSync } from 'node:fs';
import { createMetric, road, roadImpute } from '../src/index.js';

const golden = goldenCase('tiny-chelsea');
const [H, W] = golden.input_size;
const baselines = JSON.parse(readFileSync(fixturePath('tiny-chelsea', 'baselines', 'baselines.json'), 'utf8')) as {
  class_index: number;
  road: { map: string; percentiles: number[]; imputer_noise: number };
};
const fixture = (name: string) => readFixtureFloat32('tiny-chelsea', 'baselines', name);

describe.each(TEST_BACKENDS)('ROAD against pytorch-grad-cam on tiny-chelsea (ONNX, %s)', (backend) => {
  let model: Classifier;
  let image: tf.Tensor4D;
  let pixels: Float32Array;
  const camData = fixture(baselines.road.map);
  const map = saliencyMap({ data: camData.data, height: H, width: W, classIndex: baselines.class_index, method: 'grad-cam', params: {} });

  beforeAll(async () => {
    await useBackend(backend);
    model = await loadOnnxModel(fixturePath('tiny-chelsea', 'model.onnx'), { engine: 'tfjs' });
    const input = readFixtureFloat32('tiny-chelsea', 'input.npy');
    pixels = nchwToNhwc(input.data, input.shape).data;
    image = tf.tensor4d(pixels, [1, H, W, 3]);
  });
  afterAll(() => {
    image.dispose();
    model.dispose();
  });

  it('reproduces road_morf.npy and road_lerf.npy with noise 0', async () => {
    expect(camData.shape).toEqual([H, W]);
    const result = await expectNoLeak(() => road(model, image, map, { noise: baselines.road.imputer_noise, batchSize: 8 }));
    expect(result.percentiles).toEqual(baselines.road.percentiles);
    expect(result.classIndex).toBe(baselines.class_index);
    const morf = fixture('road_morf.npy').data;
    const lerf = fixture('road_lerf.npy').data;
    expect(morf).toHaveLength(9);
    console.log(`ROAD ${backend}: max |morf − ref| ${maxAbsDiff(result.morf, morf).toExponential(2)}, max |lerf − ref| ${maxAbsDiff(result.lerf, lerf).toExponential(2)}`);
    // The bound is 1e-4; the solver gets within 2e-6, which is held here.
    expect(maxAbsDiff(result.morf, morf)).toBeLessThan(1e-5);
    expect(maxAbsDiff(result.lerf, lerf)).toBeLessThan(1e-5);
    const mean = (v: ArrayLike<number>) => Array.from(v).reduce((a, b) => a + b, 0) / v.length;
    expect(Math.abs(result.combined - (mean(lerf) - mean(morf)) / 2)).toBeLessThan(1e-4);
  });

  it('reproduces the imputed inputs at p = 50 (road_morf_imputed_p50.npy, road_lerf_imputed_p50.npy)', () => {
    for (const order of ['morf', 'lerf'] as const) {
      const expected = fixture(`road_${order}_imputed_p50.npy`);
      expect(expected.shape).toEqual([1, 3, H, W]);
      const imputed = roadImpute(pixels, { height: H, width: W, channels: 3 }, camData.data, 50, order, { noise: 0 });
      const error = maxAbsDiff(imputed, nchwToNhwc(expected.data, expected.shape).data);
      console.log(`ROAD imputed p50 ${order}: max abs error ${error.toExponential(2)}`);
      expect(error).toBeLessThan(1e-5);
    }
  });

  it('gives the same numbers through the common metric interface', async () => {
    const metric = createMetric('road', { noise: 0 });
    const [score] = await expectNoLeak(() => metric.evaluate(model, image, [map]));
    expect(maxAbsDiff(score.curves!.morf, fixture('road_morf.npy').data)).toBeLessThan(1e-4);
    expect(metric.better).toBe('higher');
  });
});

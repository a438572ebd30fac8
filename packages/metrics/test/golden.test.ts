import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LayersClassifier, saliencyMap, type Classifier } from '@xai/core';
import { loadOnnxModel } from '@xai/onnx';
import {
  TEST_BACKENDS,
  buildTinyChelseaLayersModel,
  fixturePath,
  goldenCase,
  maxAbsDiff,
  nchwToNhwc,
  readFixtureFloat32,
  readFixtureNpy,
  useBackend,
} from '@xai/testing';
import { blurImages, deletion, evaluateCurves, insertion } from '../src/index.js';

const golden = goldenCase('tiny-chelsea');
const [H, W] = golden.input_size;

const MODELS = {
  onnx: () => loadOnnxModel(fixturePath('tiny-chelsea', 'model.onnx'), { engine: 'tfjs' }),
  layers: async () => new LayersClassifier(buildTinyChelseaLayersModel()),
};
const CASES = TEST_BACKENDS.flatMap((backend) => (['onnx', 'layers'] as const).map((kind) => [backend, kind] as const));

describe.each(CASES)('golden tiny-chelsea on %s through the %s model', (backend, kind) => {
  let model: Classifier;
  let image: tf.Tensor4D;
  const order = readFixtureNpy('tiny-chelsea', 'salient_order.npy');

  beforeAll(async () => {
    await useBackend(backend);
    model = await MODELS[kind]();
    const input = readFixtureFloat32('tiny-chelsea', 'input.npy');
    expect(input.shape).toEqual([1, 3, H, W]);
    const nhwc = nchwToNhwc(input.data, input.shape);
    image = tf.tensor4d(nhwc.data, [1, H, W, 3]);
  });
  afterAll(() => {
    image.dispose();
    model.dispose();
  });

  it('reproduces blurred_input.npy', () => {
    const expected = readFixtureFloat32('tiny-chelsea', 'blurred_input.npy');
    const before = tf.memory().numTensors;
    const blurred = blurImages(image);
    expect(maxAbsDiff(blurred.dataSync(), nchwToNhwc(expected.data, expected.shape).data)).toBeLessThan(1e-5);
    blurred.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reproduces insertion_scores.npy, deletion_scores.npy and both AUCs with salient_order.npy', async () => {
    expect(order.shape).toEqual([1, H * W]);
    const before = tf.memory().numTensors;
    const step = golden.metric.step;
    const ins = await insertion(model, image, { order: order.data as BigInt64Array }, { step, batchSize: 16 });
    const del = await deletion(model, image, { order: order.data as BigInt64Array }, { step, batchSize: 16 });
    expect(tf.memory().numTensors).toBe(before);

    expect(ins.scores).toHaveLength((H * W) / step + 1);
    expect(maxAbsDiff(ins.scores, readFixtureFloat32('tiny-chelsea', 'insertion_scores.npy').data)).toBeLessThan(1e-4);
    expect(maxAbsDiff(del.scores, readFixtureFloat32('tiny-chelsea', 'deletion_scores.npy').data)).toBeLessThan(1e-4);
    expect(Math.abs(ins.auc - golden.insertion_auc)).toBeLessThan(1e-4);
    expect(Math.abs(del.auc - golden.deletion_auc)).toBeLessThan(1e-4);
    expect(ins.classIndex).toBe(golden.top_class);
    expect(del.classIndex).toBe(golden.top_class);
    expect(ins.protocol.substrate).toBe(golden.metric.insertion_substrate);
    expect(del.protocol.substrate).toBe(golden.metric.deletion_substrate);
  });

  it('ranks rise_orig.npy itself into curves within tolerance of the golden ones (ties barely matter)', async () => {
    const rise = readFixtureFloat32('tiny-chelsea', 'rise_orig.npy').data;
    const top = golden.top_class;
    const map = saliencyMap({
      data: rise.slice(top * H * W, (top + 1) * H * W),
      height: H,
      width: W,
      classIndex: top,
      method: 'rise',
      params: {},
    });
    const before = tf.memory().numTensors;
    const result = await evaluateCurves(model, [{ image, saliency: map }], { step: golden.metric.step });
    expect(tf.memory().numTensors).toBe(before);
    expect(Math.abs(result.insertion!.aucOfMeanCurve - golden.insertion_auc)).toBeLessThan(1e-4);
    expect(Math.abs(result.deletion!.aucOfMeanCurve - golden.deletion_auc)).toBeLessThan(1e-4);
  });
});

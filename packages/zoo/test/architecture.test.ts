import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { LayersClassifier, XaiError, defaultFeatureLayer } from '@xai/core';
import { buildDemoArchitecture, generateDataset, imagesToBatch } from '../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('buildDemoArchitecture', () => {
  const model = buildDemoArchitecture({ seed: 3 });
  afterAll(() => model.dispose());

  it('is a residual network with named stages, the last at 1/8 of the input, and logits out', () => {
    const shapeOf = (name: string) => model.getLayer(name).outputShape;
    expect(shapeOf('stage1')).toEqual([null, 24, 24, 24]);
    expect(shapeOf('stage2')).toEqual([null, 12, 12, 48]);
    expect(shapeOf('stage3')).toEqual([null, 12, 12, 64]);
    expect(model.outputs[0].shape).toEqual([null, 4]);
    const classes = model.layers.map((l) => l.getClassName());
    expect(classes.filter((c) => c === 'Add')).toHaveLength(3);
    expect(classes.filter((c) => c === 'BatchNormalization').length).toBeGreaterThanOrEqual(7);
    const head = model.getLayer('logits').getConfig();
    expect(head.activation).toBe('linear');
    expect(model.countParams() * 4).toBeLessThan(1_000_000);
  });

  it('gives the same weights for the same seed', async () => {
    const other = buildDemoArchitecture({ seed: 3 });
    const a = model.getWeights()[0];
    const b = other.getWeights()[0];
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    other.dispose();
  });

  it('is a white-box classifier whose default Abs-CAM layer is stage3, without leaking tensors', async () => {
    const classifier = new LayersClassifier(model, { preprocessing: 'unit' });
    expect(defaultFeatureLayer(classifier)).toBe('stage3');
    const before = tf.memory().numTensors;
    const batch = imagesToBatch(generateDataset({ seed: 1, count: 2 }).map((s) => s.image));
    const logits = await classifier.predict(batch);
    expect(logits.shape).toEqual([2, 4]);
    const one = tf.slice(batch, [0, 0, 0, 0], [1, -1, -1, -1]);
    const { activations, gradient, logits: single } = await classifier.activationsAndGradient(one, classifier.resolveLayer('stage3'), 1);
    expect(activations.shape).toEqual([1, 12, 12, 64]);
    expect(gradient.shape).toEqual([1, 12, 12, 64]);
    tf.dispose([batch, logits, one, activations, gradient, single]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses sizes that are not multiples of 8', () => {
    expect(() => buildDemoArchitecture({ size: 100 })).toThrow(XaiError);
  });
});

describe('imagesToBatch', () => {
  it('scales pixels to [0, 1] in NHWC order and refuses mixed sizes', async () => {
    const samples = generateDataset({ seed: 2, count: 2 });
    const batch = imagesToBatch(samples.map((s) => s.image));
    expect(batch.shape).toEqual([2, 96, 96, 3]);
    const values = await batch.data();
    expect(values[96 * 96 * 3 + 5]).toBeCloseTo(samples[1].image.data[5] / 255, 6);
    batch.dispose();
    const small = { data: new Uint8Array(32 * 32 * 3), width: 32, height: 32, channels: 3 as const };
    expect(() => imagesToBatch([samples[0].image, small])).toThrow(/every image in a batch must be RGB/);
    expect(() => imagesToBatch([])).toThrow(XaiError);
  });
});

import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { defaultFeatureLayer } from '@xai/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxModel, type OnnxClassifier } from '../src/node/index.js';
import { BACKENDS, GOLDEN, nchwToNhwc, readNpy, relativeError, toNchw, useBackend } from './helpers.js';

const TOL = 1e-4;
const TOP_CLASS = 1; // case.json top_class

describe.each(BACKENDS)('tiny-chelsea golden on %s', (backend) => {
  let model: OnnxClassifier;
  let x: tf.Tensor4D;
  beforeAll(async () => {
    await useBackend(backend);
    model = await loadOnnxModel(join(GOLDEN, 'model.onnx'), { engine: 'tfjs', preprocessing: 'imagenet' });
    x = nchwToNhwc(readNpy(join(GOLDEN, 'input.npy')));
  });
  afterAll(() => {
    x.dispose();
    model.dispose();
  });

  it('describes the model', () => {
    expect(model.input).toEqual({ height: 64, width: 64, channels: 3, layout: 'NCHW' });
    expect(model.numClasses).toBe(4);
    expect(model.engine).toBe(`tfjs:${backend}`);
    expect(defaultFeatureLayer(model)).toBe('layer4');
  });

  it('logits match', async () => {
    const logits = await model.predict(x);
    expect(logits.shape).toEqual([1, 4]);
    expect(relativeError(await logits.data(), readNpy(join(GOLDEN, 'logits.npy')).data)).toBeLessThan(TOL);
    logits.dispose();
  });

  it.each(['layer4', 'layer3'])('activations and gradients at %s match', async (layer) => {
    const before = tf.memory().numTensors;
    const g = await model.activationsAndGradient(x, model.resolveLayer(layer), TOP_CLASS);
    const refA = readNpy(join(GOLDEN, `activations_${layer}.npy`));
    const refG = readNpy(join(GOLDEN, `gradients_${layer}.npy`));
    const [, c, h, w] = refA.shape;
    expect(g.activations.shape).toEqual([1, h, w, c]);
    expect(g.gradient.shape).toEqual([1, h, w, c]);
    expect(relativeError(await toNchw(g.activations), refA.data)).toBeLessThan(TOL);
    expect(relativeError(await toNchw(g.gradient), refG.data)).toBeLessThan(TOL);
    expect(relativeError(await g.logits.data(), readNpy(join(GOLDEN, 'logits.npy')).data)).toBeLessThan(TOL);
    tf.dispose([g.activations, g.gradient, g.logits]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('predict leaks no tensors and handles batches', async () => {
    const batch = tf.concat([x, tf.mul(x, 0.5), x]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const logits = await model.predict(batch);
    expect(logits.shape).toEqual([3, 4]);
    const data = await logits.data();
    const ref = readNpy(join(GOLDEN, 'logits.npy')).data;
    expect(relativeError(data.slice(8, 12), ref)).toBeLessThan(TOL);
    logits.dispose();
    expect(tf.memory().numTensors).toBe(before);
    batch.dispose();
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { defaultFeatureLayer } from '@xai/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxModel } from '../src/node/index.js';
import { FIXTURES, relativeError, seeded, useBackend, whiteBox } from './helpers.js';

interface Entry { name: string; file: string; opset: number; input_size: [number, number]; num_classes: number }
const manifest = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as Entry[];

/** A seeded batch of 2 images, NHWC. */
function batch(h: number, w: number, seed: number): tf.Tensor4D {
  const rand = seeded(seed);
  const data = Float32Array.from({ length: 2 * h * w * 3 }, () => rand() * 4 - 2);
  return tf.tensor4d(data, [2, h, w, 3]);
}

describe('torchvision families: tfjs graph vs onnxruntime', () => {
  beforeAll(() => useBackend('wasm'));
  afterAll(() => undefined);

  it('covers every family in DESIGN.md with opsets 11–17', () => {
    const names = manifest.map((e) => e.name);
    for (const family of ['resnet', 'vgg', 'mobilenet-v2', 'mobilenet-v3', 'efficientnet', 'squeezenet', 'shufflenet', 'densenet']) {
      expect(names).toContain(family);
    }
    expect(new Set(manifest.map((e) => e.opset))).toEqual(new Set([11, 12, 13, 14, 15, 16, 17]));
  });

  it.each(manifest.map((e) => [e.name, e] as const))('%s: logits agree to 1e-4 relative, gradients work', async (_name, entry) => {
    const path = join(FIXTURES, entry.file);
    const start = tf.memory().numTensors;
    const tfjsModel = await loadOnnxModel(path, { engine: 'tfjs' });
    const ortModel = await whiteBox(loadOnnxModel(path, { engine: 'onnxruntime' }));
    expect(ortModel.engine).toBe('onnxruntime-node');
    const [h, w] = entry.input_size;
    const x = batch(h, w, entry.opset);
    tf.dispose([await tfjsModel.predict(x), await ortModel.predict(x)]); // first run makes cached constants
    const before = tf.memory().numTensors;
    const a = await tfjsModel.predict(x);
    const b = await ortModel.predict(x);
    expect(a.shape).toEqual([2, entry.num_classes]);
    expect(relativeError(await a.data(), await b.data())).toBeLessThan(1e-4);
    tf.dispose([a, b]);
    expect(tf.memory().numTensors).toBe(before);

    const layer = defaultFeatureLayer(tfjsModel);
    const info = tfjsModel.layers().find((l) => l.name === layer);
    expect(info?.camTarget).toBe(true);
    const one = tf.slice(x, [0, 0, 0, 0], [1, h, w, 3]) as tf.Tensor4D;
    const g = await ortModel.activationsAndGradient(one, ortModel.resolveLayer(layer), 3);
    const [c, lh, lw] = info!.shape;
    expect(g.activations.shape).toEqual([1, lh, lw, c]);
    expect(g.gradient.shape).toEqual([1, lh, lw, c]);
    const grad = await g.gradient.data();
    expect(grad.some((v) => v !== 0)).toBe(true);
    expect(grad.every(Number.isFinite)).toBe(true);
    // The same gradient on the cpu backend (wasm's convolution gradients are registered by @xai/core).
    await useBackend('cpu');
    const cpuModel = await loadOnnxModel(path, { engine: 'tfjs' });
    const oneCpu = tf.tensor4d(await one.data(), [1, h, w, 3]);
    const gc = await cpuModel.activationsAndGradient(oneCpu, cpuModel.resolveLayer(layer), 3);
    expect(relativeError(await g.activations.data(), await gc.activations.data())).toBeLessThan(1e-4);
    expect(relativeError(grad, await gc.gradient.data())).toBeLessThan(1e-3);
    tf.dispose([gc.activations, gc.gradient, gc.logits, oneCpu]);
    cpuModel.dispose();
    await useBackend('wasm');
    tf.dispose([g.activations, g.gradient, g.logits, one, x]);
    tfjsModel.dispose();
    ortModel.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});

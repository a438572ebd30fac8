import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphClassifier, LayersClassifier, explainWith, type MethodDescriptor } from '@xai/core';
import { TEST_BACKENDS, expectNoLeak, maxAbs, maxAbsDiff, twinNetwork, uniformArray, useBackend } from '@xai/testing';
import { ATTRIBUTION_METHODS } from '../src/index.js';

/**
 * "Every method works on LayersModels, GraphModels and ONNX models", for the pixel attributions:
 * one small network written twice, as a hand-made TF graph (what tfjs-converter stores) and as a
 * tfjs-layers functional model with the same weights (@xai/testing's twinNetwork, the network
 * of @xai/cam's graph-model.test.ts), so every attribution through the one must equal that
 * through the other, Guided Backprop's ReLU (a graph `Relu` node, a Keras `ReLU` layer) included.
 * (The ONNX path is covered by golden.test.ts.)
 *
 *   x [8, 8, 3] → conv1 3×3 stride 2 'same' → ReLU → conv2 3×3 'same' → add with the ReLU (the
 *     skip) → mean over H, W → matmul → logits [3]
 */

const TWIN = twinNetwork();
const { size: SIZE, channels: CHANNELS, filters: K, classes: CLASSES } = TWIN;
const TARGETS = [0, 2];

/** Small parameters where the defaults do not fit an 8×8 image or would be slow. */
const PARAMS: Record<string, Record<string, unknown>> = {
  'integrated-gradients': { steps: 16 },
  smoothgrad: { samples: 4, noise: 0.1, seed: 7, base: 'saliency' },
  occlusion: { window: 4, stride: 2 },
};

const METHODS: [string, MethodDescriptor][] = ATTRIBUTION_METHODS.map((m) => [m.id, m]);
const TOLERANCE = 1e-5;

it('covers the six attributions', () => {
  expect(METHODS.map(([id]) => id)).toEqual(['saliency', 'input-x-gradient', 'integrated-gradients', 'guided-backprop', 'smoothgrad', 'occlusion']);
});

describe.each(TEST_BACKENDS)('the same network as a GraphModel and a LayersModel, %s', (backend) => {
  let graph: GraphClassifier;
  let layers: LayersClassifier;
  let image: tf.Tensor4D;
  beforeAll(async () => {
    await useBackend(backend);
    graph = await TWIN.graphClassifier();
    layers = TWIN.layersClassifier();
    image = tf.tensor4d(uniformArray(SIZE * SIZE * CHANNELS, 41, -1, 1), [1, SIZE, SIZE, CHANNELS]);
  });
  afterAll(() => {
    image?.dispose();
    graph?.dispose();
    layers?.dispose();
  });

  it('has the same logits and input gradients, plain and guided, and guided differs from plain', async () => {
    expect(graph.engine).toBe(`tfjs:${backend}`);
    await expectNoLeak(async () => {
      const [gl, ll] = [await graph.predict(image), await layers.predict(image)];
      expect(maxAbsDiff(await gl.data(), await ll.data())).toBeLessThanOrEqual(1e-5);
      tf.dispose([gl, ll]);
      const batch = tf.tidy(() => tf.concat([image, tf.neg(image)]) as tf.Tensor4D);
      for (const guided of [false, true]) {
        const gg = await graph.inputGradients(batch, TARGETS, { rule: guided ? 'guided' : 'gradient' });
        const lg = await layers.inputGradients(batch, TARGETS, { rule: guided ? 'guided' : 'gradient' });
        const expected = await lg.data();
        expect(gg.shape).toEqual([2, SIZE, SIZE, CHANNELS]);
        expect(maxAbsDiff(await gg.data(), expected), `guided ${guided}`).toBeLessThanOrEqual(TOLERANCE * Math.max(1, maxAbs(expected)));
        tf.dispose([gg, lg]);
      }
      const plain = await layers.inputGradients(image, 0);
      const guided = await layers.inputGradients(image, 0, { rule: 'guided' });
      expect(maxAbsDiff(await plain.data(), await guided.data())).toBeGreaterThan(1e-3);
      tf.dispose([plain, guided, batch]);
    });
  });

  it.each(METHODS)('%s gives the same attributions through both, for two classes', async (id, method) => {
    const options = { targets: TARGETS, batchSize: 4, params: PARAMS[id] ?? {} };
    const fromGraph = await expectNoLeak(() => explainWith(method, graph, image, options));
    const fromLayers = await expectNoLeak(() => explainWith(method, layers, image, options));
    expect(fromGraph.map((m) => [m.classIndex, m.method, m.params.engine])).toEqual(TARGETS.map((c) => [c, method.id, `tfjs:${backend}`]));
    expect(fromLayers.map((m) => [m.classIndex, m.method])).toEqual(TARGETS.map((c) => [c, method.id]));
    fromGraph.forEach((map, t) => {
      const other = fromLayers[t];
      expect([map.height, map.width, map.attribution?.channels]).toEqual([SIZE, SIZE, CHANNELS]);
      const signed = other.attribution!.data;
      const scale = Math.max(1, maxAbs(signed));
      expect(maxAbsDiff(map.attribution!.data, signed), `class ${map.classIndex} attribution`).toBeLessThanOrEqual(TOLERANCE * scale);
      expect(maxAbsDiff(map.data, other.data), `class ${map.classIndex} map`).toBeLessThanOrEqual(TOLERANCE * Math.max(1, maxAbs(other.data)));
      // Not constant: an attribution the same everywhere would agree trivially.
      expect(Math.max(...signed) - Math.min(...signed), `class ${map.classIndex} spread`).toBeGreaterThan(0.1 * maxAbs(signed));
      expect(maxAbs(signed)).toBeGreaterThan(0);
    });
    // The two classes' attributions differ.
    expect(maxAbsDiff(fromLayers[0].attribution!.data, fromLayers[1].attribution!.data)).toBeGreaterThan(1e-3);
  });
});

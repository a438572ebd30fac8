import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  GraphClassifier, LayersClassifier, XaiError, explainWith, prepareMethod, type MethodDescriptor, type SaliencyMap, type WhiteBoxClassifier,
} from '@xai/core';
import { ABS_CAM_METHODS } from '@xai/abs-cam';
import {
  TEST_BACKENDS, expectNoLeak, expectRejectsWithoutLeak, maxAbs, maxAbsDiff, twinNetwork, uniformArray, useBackend,
} from '@xai/testing';
import { CAM_METHODS, ablationCam, gradCam } from '../src/index.js';
import { postProcessReference, weightedReference } from './helpers/reference.js';

/**
 * "Every method works on LayersModels, GraphModels and ONNX models": one small network written
 * twice, as a hand-made TF graph (what tfjs-converter stores) and as a tfjs-layers functional
 * model with the same weights (@xai/testing's twinNetwork), so every method's maps through the
 * one must equal those through the other. (The ONNX path is covered by golden.test.ts.)
 *
 *   x [8, 8, 3] → conv1 3×3 stride 2 'same' → ReLU (block/relu, [4, 4, K]) → conv2 3×3 'same'
 *     → add with the ReLU (block/add, the skip) → mean over H, W → matmul → logits [3]
 */

const TWIN = twinNetwork();
const { size: SIZE, channels: CHANNELS, filters: K, classes: CLASSES } = TWIN;
/** The head's [K, CLASSES] matrix. */
const DENSE = TWIN.dense;
/** The graph node and the Keras layer of the same value. */
const FEATURES = TWIN.features;
const TARGETS = [0, 2];

const METHODS: [string, MethodDescriptor][] = [...CAM_METHODS, ...ABS_CAM_METHODS].map((m) => [m.id, m]);

/**
 * Maps in [0, 1] are compared absolutely; Abs-CAM Final's map is at its raw scale, so its
 * tolerance is relative to the map's largest value (and is the absolute one below 1).
 */
function tolerance(expected: ArrayLike<number>): number {
  return 1e-5 * Math.max(1, maxAbs(expected));
}

/** A model that is white-box but has no `forwardFrom` (every other member delegates), counting calls. */
function withoutForwardFrom(model: WhiteBoxClassifier) {
  const calls = { predict: 0, gradient: 0 };
  const bare: WhiteBoxClassifier = {
    input: model.input,
    numClasses: model.numClasses,
    classNames: model.classNames,
    preprocessing: model.preprocessing,
    engine: model.engine,
    predict: (batch) => {
      calls.predict++;
      return model.predict(batch);
    },
    layers: () => model.layers(),
    resolveLayer: (name) => model.resolveLayer(name),
    activationsAndGradient: (image, layer, classIndex) => {
      calls.gradient++;
      return model.activationsAndGradient(image, layer, classIndex);
    },
    dispose: () => {},
  };
  return { bare, calls };
}

it('covers the ten CAMs and the two Abs-CAM variants', () => {
  expect(METHODS.map(([id]) => id)).toEqual([
    'grad-cam', 'guided-grad-cam', 'grad-cam-pp', 'xgrad-cam', 'hires-cam', 'grad-cam-elementwise', 'layer-cam', 'score-cam', 'ablation-cam', 'eigen-cam',
    'abs-cam-init', 'abs-cam-final',
  ]);
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
    image.dispose();
    graph.dispose();
    layers.dispose();
  });

  it('has the same logits, feature layer, activations and gradients', async () => {
    expect(graph.engine).toBe(`tfjs:${backend}`);
    const g = graph.resolveLayer(FEATURES.graph);
    const l = layers.resolveLayer(FEATURES.layers);
    expect([g.shape, g.spatial, g.kind]).toEqual([[4, 4, K], true, 'AddV2']);
    expect([l.shape, l.spatial, l.kind]).toEqual([[4, 4, K], true, 'Add']);
    await expectNoLeak(async () => {
      const [gl, ll] = [await graph.predict(image), await layers.predict(image)];
      const logits = await ll.data();
      expect(maxAbsDiff(await gl.data(), logits)).toBeLessThanOrEqual(1e-5);
      // The classes' logits differ, so the targets' maps can too.
      expect(new Set(Array.from(logits, (v) => v.toFixed(3))).size).toBe(CLASSES);
      tf.dispose([gl, ll]);
      for (const c of TARGETS) {
        const gp = await graph.activationsAndGradient(image, g, c);
        const lp = await layers.activationsAndGradient(image, l, c);
        const activations = await lp.activations.data();
        expect(maxAbsDiff(await gp.activations.data(), activations)).toBeLessThanOrEqual(1e-5);
        expect(maxAbsDiff(await gp.gradient.data(), await lp.gradient.data())).toBeLessThanOrEqual(1e-6);
        // The skip makes the sum's values of both signs (Ablation-CAM's `min − 1e7` case).
        expect(Math.min(...activations)).toBeLessThan(0);
        tf.dispose([gp.activations, gp.gradient, gp.logits, lp.activations, lp.gradient, lp.logits]);
      }
    });
  });

  it.each(METHODS)('%s gives the same maps through both, for two classes', async (_id, method) => {
    const options = { targets: TARGETS, batchSize: 4 };
    const fromGraph = await expectNoLeak(() => explainWith(method, graph, image, { ...options, layer: FEATURES.graph }));
    const fromLayers = await expectNoLeak(() => explainWith(method, layers, image, { ...options, layer: FEATURES.layers }));
    expect(fromGraph.map((m) => [m.classIndex, m.method, m.params.layer, m.params.engine])).toEqual(
      TARGETS.map((c) => [c, method.id, FEATURES.graph, `tfjs:${backend}`]),
    );
    expect(fromLayers.map((m) => [m.classIndex, m.method, m.params.layer])).toEqual(TARGETS.map((c) => [c, method.id, FEATURES.layers]));
    fromGraph.forEach((map: SaliencyMap, t) => {
      const expected = fromLayers[t].data;
      expect([map.height, map.width]).toEqual([SIZE, SIZE]);
      expect(maxAbsDiff(map.data, expected), `class ${map.classIndex}`).toBeLessThanOrEqual(tolerance(expected));
      // Guided Grad-CAM's signed attribution too.
      expect(map.attribution === undefined).toBe(fromLayers[t].attribution === undefined);
      if (map.attribution) {
        const signed = fromLayers[t].attribution!.data;
        expect(maxAbsDiff(map.attribution.data, signed), `class ${map.classIndex} attribution`).toBeLessThanOrEqual(tolerance(signed));
      }
      // Not constant: a map the same everywhere would agree trivially.
      expect(Math.max(...expected) - Math.min(...expected), `class ${map.classIndex} spread`).toBeGreaterThan(0.1 * maxAbs(expected));
      expect(maxAbs(expected)).toBeGreaterThan(0);
    });
    // Eigen-CAM does not depend on the class; every other method's two maps differ.
    const between = maxAbsDiff(fromLayers[0].data, fromLayers[1].data);
    if (method.id === 'eigen-cam') expect(between).toBe(0);
    else expect(between).toBeGreaterThan(1e-3);
  });

  describe('Ablation-CAM runs the graph on from the layer (forwardFrom)', () => {
    it('through GraphClassifier.forwardFrom, once per batch of channels for both targets, never predict', async () => {
      const forwardFrom = vi.spyOn(graph, 'forwardFrom');
      const predict = vi.spyOn(graph, 'predict');
      try {
        const maps = await expectNoLeak(() => explainWith(ablationCam, graph, image, { targets: TARGETS, layer: FEATURES.graph, batchSize: 4 }));
        expect(forwardFrom).toHaveBeenCalledTimes(2); // 6 channels in batches of 4, shared by the targets
        for (const [, layer, batch] of forwardFrom.mock.calls) {
          expect(layer.output).toBe(FEATURES.graph);
          expect(batch.isDisposed).toBe(true);
        }
        expect(forwardFrom.mock.calls.map(([, , batch]) => batch.shape[0])).toEqual([4, 2]);
        expect(predict).not.toHaveBeenCalled();

        // The head after block/add is linear (mean, then matmul, no bias), so ablating channel k
        // to v lowers y_c by W_kc · (mean(A_k) − v): w_k = W_kc · (mean(A_k) − v) / y_c.
        for (const map of maps) {
          const c = map.classIndex;
          const pass = await graph.activationsAndGradient(image, graph.resolveLayer(FEATURES.graph), c);
          const a = Float32Array.from(await pass.activations.data());
          const y = (await pass.logits.data())[c];
          tf.dispose([pass.activations, pass.gradient, pass.logits]);
          const value = Math.min(...a) - 1e7;
          expect(map.params.ablationValue).toBeCloseTo(value, 0);
          const positions = a.length / K;
          const weights = Array.from({ length: K }, (_, k) => {
            const mean = a.filter((_, i) => i % K === k).reduce((s, v) => s + v, 0) / positions;
            return (DENSE[k * CLASSES + c] * (mean - value)) / y;
          });
          const expected = postProcessReference([{ map: weightedReference(a, weights, K), h: 4, w: 4 }], SIZE, SIZE);
          expect(maxAbsDiff(map.data, expected), `class ${c}`).toBeLessThanOrEqual(1e-4);
        }
      } finally {
        forwardFrom.mockRestore();
        predict.mockRestore();
      }
    });

    // block/conv2 is bypassed by the skip, whose value forwardFrom must take from the image;
    // block/relu is a ReLU output, so channels are ablated to 0.
    it.each([
      { graphLayer: 'block/conv2', layersLayer: 'conv2', zero: false },
      { graphLayer: 'block/relu', layersLayer: 'relu', zero: true },
    ])('gives the LayersModel\'s maps at $graphLayer too', async ({ graphLayer, layersLayer, zero }) => {
      const options = { targets: TARGETS, batchSize: 4 };
      const fromGraph = await expectNoLeak(() => explainWith(ablationCam, graph, image, { ...options, layer: graphLayer }));
      const fromLayers = await expectNoLeak(() => explainWith(ablationCam, layers, image, { ...options, layer: layersLayer }));
      fromGraph.forEach((map, t) => {
        const expected = fromLayers[t].data;
        expect(maxAbsDiff(map.data, expected), `class ${map.classIndex}`).toBeLessThanOrEqual(1e-5);
        expect(Math.max(...expected) - Math.min(...expected)).toBeGreaterThan(0.1);
        if (zero) expect(map.params.ablationValue).toBe(0);
        else expect(map.params.ablationValue).toBeLessThan(-1e6);
        expect(map.params.ablationValue).toBeCloseTo(fromLayers[t].params.ablationValue as number, zero ? 10 : 0);
      });
    });

    it('refuses the graph behind an adapter without forwardFrom in prepareMethod, before any pass', async () => {
      const { bare, calls } = withoutForwardFrom(graph);
      for (const targets of [TARGETS, 'top'] as const) {
        let error: unknown;
        try {
          prepareMethod(ablationCam, bare, { targets, layer: FEATURES.graph });
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(XaiError);
        expect((error as Error).message).toMatch(/Ablation-CAM .* needs a model with forwardFrom/);
        expect((error as Error).message).toContain(`engine tfjs:${backend}`);
      }
      const rejected = await expectRejectsWithoutLeak(() => explainWith(ablationCam, bare, image, { layer: FEATURES.graph }));
      expect(rejected).toBeInstanceOf(XaiError);
      expect(calls).toEqual({ predict: 0, gradient: 0 });
      // Otherwise the adapter works: a method that needs no forwardFrom gives the graph's maps.
      const [map] = await expectNoLeak(() => explainWith(gradCam, bare, image, { targets: 2, layer: FEATURES.graph }));
      const [direct] = await expectNoLeak(() => explainWith(gradCam, graph, image, { targets: 2, layer: FEATURES.graph }));
      expect(map.data).toEqual(direct.data);
      expect(calls).toEqual({ predict: 0, gradient: 1 });
    });
  });
});

import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LayersClassifier, explainWith, type Classifier, type MethodDescriptor } from '@xai/core';
import { loadOnnxModel } from '@xai/onnx/node';
import { TEST_BACKENDS, buildTinyChelseaLayersModel, expectNoLeak, fixturePath, maxAbs, maxAbsDiff, readFixtureFloat32, useBackend } from '@xai/testing';
import { ablationCam, gradCam, gradCamElementwise, gradCamPlusPlus, guidedGradCam, hiResCam, layerCam, scoreCam, xGradCam } from '../src/index.js';
import { tinyChelseaImage } from './helpers/tiny-chelsea.js';

interface Baselines {
  class_index: number;
  layers: string[];
  cams: Record<string, { method: string; layer: string; cls: string; shape: [number, number] }>;
}

const BASELINES = JSON.parse(readFileSync(fixturePath('tiny-chelsea', 'baselines', 'baselines.json'), 'utf8')) as Baselines;
const CLASS = BASELINES.class_index;
const TOLERANCE = 1e-4;

/** Golden file stem → our method. */
const METHODS: Record<string, MethodDescriptor> = {
  gradcam: gradCam,
  gradcam_pp: gradCamPlusPlus,
  xgradcam: xGradCam,
  hirescam: hiResCam,
  gradcam_elementwise: gradCamElementwise,
  layercam: layerCam,
  scorecam: scoreCam,
  ablationcam: ablationCam,
};

const CASES = Object.entries(BASELINES.cams).map(([file, { method, layer, shape }]) => ({ file, stem: method, layer, shape, method: METHODS[method] }));

function golden(file: string): Float32Array {
  return readFixtureFloat32('tiny-chelsea', 'baselines', `${file}.npy`).data;
}

const PATHS = {
  onnx: () => loadOnnxModel(fixturePath('tiny-chelsea', 'model.onnx'), { engine: 'tfjs' }),
  // Gradients from onnxruntime's gradient graph.
  ort: () => loadOnnxModel(fixturePath('tiny-chelsea', 'model.onnx'), { engine: 'onnxruntime' }),
  layers: async () => new LayersClassifier(buildTinyChelseaLayersModel()),
} satisfies Record<string, () => Promise<Classifier>>;

const errors: { backend: string; path: string; file: string; error: number }[] = [];

afterAll(() => {
  const rows = errors.map((e) => `${e.file.padEnd(28)} ${e.backend.padEnd(5)} ${e.path.padEnd(7)} ${e.error.toExponential(2)}`);
  console.log(`max |ours − golden| per map:\n${rows.join('\n')}`);
});

it('has a golden for every CAM in baselines.json and one method for each', () => {
  expect(CASES.length).toBe(16);
  for (const c of CASES) {
    expect(c.method, c.stem).toBeDefined();
    expect(c.shape).toEqual([64, 64]);
  }
  expect(new Set(CASES.map((c) => c.layer))).toEqual(new Set(['layer4', 'layer3']));
});

describe.each(TEST_BACKENDS)('golden tiny-chelsea CAMs on %s', (backend) => {
  describe.each(Object.keys(PATHS) as (keyof typeof PATHS)[])('through the %s model', (path) => {
    let model: Classifier;
    let image: tf.Tensor4D;
    beforeAll(async () => {
      await useBackend(backend);
      model = await PATHS[path]();
      image = tinyChelseaImage();
    });
    afterAll(() => {
      image.dispose();
      model.dispose();
    });

    it.each(CASES)('$file', async ({ file, method, layer }) => {
      const maps = await expectNoLeak(() => explainWith(method, model, image, { targets: CLASS, layer, batchSize: 16 }));
      expect(maps).toHaveLength(1);
      const [map] = maps;
      expect(map).toMatchObject({ method: method.id, classIndex: CLASS, height: 64, width: 64 });
      expect(map.params).toMatchObject({ layer, layerChosenBy: 'caller', targetChosenBy: 'caller' });
      const error = maxAbsDiff(map.data, golden(file));
      errors.push({ backend, path, file, error });
      expect(error).toBeLessThanOrEqual(TOLERANCE);
    });
  });
});

// Score-CAM's masked passes go through `predict`: with engine `auto` that is onnxruntime-node
// when it is installed (gradients, and so the activations, still come from the tfjs graph).
describe('golden Score-CAM with the masked passes through the fast engine (auto)', () => {
  let model: Classifier;
  let image: tf.Tensor4D;
  beforeAll(async () => {
    await useBackend('wasm');
    model = await loadOnnxModel(fixturePath('tiny-chelsea', 'model.onnx'), { engine: 'auto' });
    image = tinyChelseaImage();
  });
  afterAll(() => {
    image.dispose();
    model.dispose();
  });

  it.each(BASELINES.layers)('scorecam_%s', async (layer) => {
    const [map] = await expectNoLeak(() => explainWith(scoreCam, model, image, { targets: CLASS, layer, batchSize: 10 }));
    expect(map.params.engine).toBe(model.engine);
    const error = maxAbsDiff(map.data, golden(`scorecam_${layer}`));
    errors.push({ backend: 'wasm', path: model.engine, file: `scorecam_${layer}`, error });
    expect(error).toBeLessThanOrEqual(TOLERANCE);
  });
});

/**
 * Guided Grad-CAM has no golden of its own: it is the product of two, Captum's Guided Backprop
 * (`guided_backprop.npy`, 1×3×64×64) and pytorch-grad-cam's Grad-CAM at layer4
 * (`gradcam_layer4.npy`, 64×64), broadcast over the channels; within 1e-4 · max |product|.
 */
function guidedGradCamGolden(): Float32Array {
  const guided = readFixtureFloat32('tiny-chelsea', 'baselines', 'guided_backprop.npy');
  expect(guided.shape).toEqual([1, 3, 64, 64]);
  const cam = golden('gradcam_layer4');
  // NCHW → NHWC, times the map.
  const out = new Float32Array(64 * 64 * 3);
  for (let c = 0; c < 3; c++) for (let p = 0; p < 64 * 64; p++) out[p * 3 + c] = guided.data[c * 64 * 64 + p] * cam[p];
  return out;
}

describe.each(TEST_BACKENDS)('golden tiny-chelsea Guided Grad-CAM on %s', (backend) => {
  it.each(Object.keys(PATHS) as (keyof typeof PATHS)[])('through the %s model: guided_backprop × gradcam_layer4', async (path) => {
    await useBackend(backend);
    const model = await PATHS[path]();
    const image = tinyChelseaImage();
    try {
      const maps = await expectNoLeak(() => explainWith(guidedGradCam, model, image, { targets: CLASS, layer: 'layer4', batchSize: 16 }));
      expect(maps).toHaveLength(1);
      const [map] = maps;
      expect(map).toMatchObject({ method: 'guided-grad-cam', classIndex: CLASS, height: 64, width: 64 });
      expect(map.params).toMatchObject({ layer: 'layer4', layerChosenBy: 'caller', targetChosenBy: 'caller' });
      expect(map.attribution?.channels).toBe(3);
      const expected = guidedGradCamGolden();
      expect(maxAbs(expected)).toBeGreaterThan(0);
      const error = maxAbsDiff(map.attribution!.data, expected) / maxAbs(expected);
      errors.push({ backend, path, file: 'guided_backprop×gradcam_layer4', error });
      expect(error).toBeLessThanOrEqual(TOLERANCE);
      // The map is the channel sum of |attribution|.
      const sums = new Float32Array(64 * 64).map((_, p) => Math.abs(expected[3 * p]) + Math.abs(expected[3 * p + 1]) + Math.abs(expected[3 * p + 2]));
      expect(maxAbsDiff(map.data, sums) / maxAbs(sums)).toBeLessThanOrEqual(TOLERANCE);
    } finally {
      image.dispose();
      model.dispose();
    }
  });
});

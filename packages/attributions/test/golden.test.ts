import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LayersClassifier, explainWith, type Classifier, type MethodDescriptor } from '@xai/core';
import { loadOnnxModel } from '@xai/onnx/node';
import {
  TEST_BACKENDS, buildTinyChelseaLayersModel, expectNoLeak, fixtureImage, fixturePath, maxAbs, maxAbsDiff, nhwcToNchw, readFixtureFloat32, useBackend,
} from '@xai/testing';
import { guidedBackprop, inputXGradient, integratedGradients, occlusion, saliency } from '../src/index.js';

interface Baselines {
  class_index: number;
  attributions: Record<string, { library: string; cls: string; shape: number[]; params: Record<string, unknown> }>;
}

const BASELINES = JSON.parse(readFileSync(fixturePath('tiny-chelsea', 'baselines', 'baselines.json'), 'utf8')) as Baselines;
const CLASS = BASELINES.class_index;
/** SPEC.md: within 1e-4 · max |golden|. */
const TOLERANCE = 1e-4;

/** Golden file → our method and the parameters that reproduce Captum's call (`baselines.json`). */
const CASES: { file: string; method: MethodDescriptor; params: Record<string, unknown> }[] = [
  { file: 'saliency', method: saliency, params: {} },
  { file: 'input_x_gradient', method: inputXGradient, params: {} },
  { file: 'integrated_gradients', method: integratedGradients, params: { steps: 32, rule: 'gausslegendre', baseline: 'zeros' } },
  { file: 'guided_backprop', method: guidedBackprop, params: {} },
  { file: 'occlusion', method: occlusion, params: { window: 8, stride: 4, baseline: 'zeros' } },
];


function golden(file: string): Float32Array {
  const { data, shape } = readFixtureFloat32('tiny-chelsea', 'baselines', `${file}.npy`);
  expect(shape).toEqual([1, 3, 64, 64]);
  return data;
}

const PATHS = {
  onnx: () => loadOnnxModel(fixturePath('tiny-chelsea', 'model.onnx'), { engine: 'tfjs', preprocessing: 'imagenet' }),
  // Gradients from onnxruntime's gradient graph.
  ort: () => loadOnnxModel(fixturePath('tiny-chelsea', 'model.onnx'), { engine: 'onnxruntime', preprocessing: 'imagenet' }),
  layers: async () => new LayersClassifier(buildTinyChelseaLayersModel()),
} satisfies Record<string, () => Promise<Classifier>>;

const errors: { backend: string; path: string; file: string; error: number }[] = [];

afterAll(() => {
  const rows = errors.map((e) => `${e.file.padEnd(22)} ${e.backend.padEnd(5)} ${e.path.padEnd(20)} ${e.error.toExponential(2)}`);
  console.log(`max |ours − golden| / max |golden| per attribution:\n${rows.join('\n')}`);
});

it('has a golden for every attribution in baselines.json, with the parameters we pass', () => {
  expect(Object.keys(BASELINES.attributions).sort()).toEqual(CASES.map((c) => c.file).sort());
  expect(BASELINES.attributions.integrated_gradients.params).toMatchObject({ n_steps: 32, method: 'gausslegendre', baseline: 'zeros' });
  expect(BASELINES.attributions.occlusion.params).toMatchObject({ sliding_window_shapes: [3, 8, 8], strides: [3, 4, 4], baseline: 'zeros' });
  expect(BASELINES.attributions.saliency.params).toMatchObject({ abs: true });
});

function compare(map: { attribution?: { data: Float32Array; channels: number }; data: Float32Array }, file: string): number {
  expect(map.attribution?.channels).toBe(3);
  const ours = nhwcToNchw(map.attribution!.data, 64, 64, 3);
  const reference = golden(file);
  return maxAbsDiff(ours, reference) / maxAbs(reference);
}

describe.each(TEST_BACKENDS)('golden tiny-chelsea attributions on %s', (backend) => {
  describe.each(Object.keys(PATHS) as (keyof typeof PATHS)[])('through the %s model', (path) => {
    let model: Classifier;
    let image: tf.Tensor4D;
    beforeAll(async () => {
      await useBackend(backend);
      model = await PATHS[path]();
      image = fixtureImage('tiny-chelsea');
    });
    afterAll(() => {
      image?.dispose();
      model?.dispose();
    });

    it.each(CASES)('$file', async ({ file, method, params }) => {
      const maps = await expectNoLeak(() => explainWith(method, model, image, { targets: CLASS, params, batchSize: 16 }));
      expect(maps).toHaveLength(1);
      const [map] = maps;
      expect(map).toMatchObject({ method: method.id, classIndex: CLASS, height: 64, width: 64 });
      const error = compare(map, file);
      errors.push({ backend, path, file, error });
      expect(error).toBeLessThanOrEqual(TOLERANCE);
    });
  });
});

// Occlusion's windows go through `predict`: with engine `auto` that is onnxruntime-node when it
// is installed.
describe('golden occlusion with the windows through the fast engine (auto)', () => {
  let model: Classifier;
  let image: tf.Tensor4D;
  beforeAll(async () => {
    await useBackend('wasm');
    model = await loadOnnxModel(fixturePath('tiny-chelsea', 'model.onnx'), { engine: 'auto', preprocessing: 'imagenet' });
    image = fixtureImage('tiny-chelsea');
  });
  afterAll(() => {
    image?.dispose();
    model?.dispose();
  });

  it('occlusion', async () => {
    const [map] = await expectNoLeak(() => explainWith(occlusion, model, image, { targets: CLASS, params: { window: 8, stride: 4 }, batchSize: 16 }));
    expect(map.params.engine).toBe(model.engine);
    const error = compare(map, 'occlusion');
    errors.push({ backend: 'wasm', path: model.engine, file: 'occlusion', error });
    expect(error).toBeLessThanOrEqual(TOLERANCE);
  });
});

import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { OnnxClassifier, loadOnnxModel, type OnnxEngine } from '@xai/onnx';
import { TEST_BACKENDS, expectNoLeak, fixturePath, goldenCase, nchwToNhwc, readFixtureFloat32, relativeError, useBackend } from '@xai/testing';
import { absCamFinal, absCamInit } from '../src/index.js';

const CASE = goldenCase('tiny-chelsea');

function goldenImage(): tf.Tensor4D {
  const input = readFixtureFloat32('tiny-chelsea', 'input.npy');
  const nhwc = nchwToNhwc(input.data, input.shape);
  return tf.tensor4d(nhwc.data, nhwc.shape as [number, number, number, number]);
}

async function loadTinyChelsea(engine: OnnxEngine) {
  const model = await loadOnnxModel(new Uint8Array(readFileSync(fixturePath('tiny-chelsea', 'model.onnx'))), { engine });
  if (!(model instanceof OnnxClassifier)) throw new Error('tiny-chelsea loaded as a black box');
  // The first layers() call runs @xai/onnx's shape pass, which caches one tensor until dispose().
  model.layers();
  return model;
}

// Gradients and Final's masked passes come from the tfjs graph (`tfjs`) or from onnxruntime (`auto`,
// when it is installed: its gradient graph and its forward passes).
describe.each(TEST_BACKENDS)('golden tiny-chelsea through the ONNX model, %s', (backend) => {
  describe.each(['tfjs', 'auto'] as const)('predict engine %s', (engine) => {
    it.each(CASE.abscam_layers)('reproduces abscam_init and abscam_final at %s (a PyTorch module path)', async (layer) => {
      await useBackend(backend);
      const model = await loadTinyChelsea(engine);
      const image = goldenImage();
      const init = await expectNoLeak(() => absCamInit(model, image, { layer }));
      const final = await expectNoLeak(() => absCamFinal(model, image, { layer, batchSize: 20 }));
      image.dispose();
      model.dispose();
      for (const map of [init, final]) {
        expect(map.classIndex).toBe(CASE.top_class);
        expect(map.params).toMatchObject({ layer, engine: model.engine });
      }
      expect(relativeError(init.data, readFixtureFloat32('tiny-chelsea', `abscam_init_${layer}.npy`).data)).toBeLessThanOrEqual(1e-4);
      expect(relativeError(final.data, readFixtureFloat32('tiny-chelsea', `abscam_final_${layer}.npy`).data)).toBeLessThanOrEqual(1e-4);
    });
  });

  it('defaults to the model\'s default layer (layer4) and reports it', async () => {
    await useBackend(backend);
    const model = await loadTinyChelsea('tfjs');
    const image = goldenImage();
    const map = await expectNoLeak(() => absCamInit(model, image));
    image.dispose();
    model.dispose();
    expect(map.params).toMatchObject({ layer: 'layer4', layerChosenBy: 'default' });
    expect(relativeError(map.data, readFixtureFloat32('tiny-chelsea', 'abscam_init_layer4.npy').data)).toBeLessThanOrEqual(1e-4);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { LayersClassifier } from '@xai/core';
import {
  TEST_BACKENDS,
  buildTinyChelseaLayersModel,
  expectNoLeak,
  goldenCase,
  maxAbs,
  maxAbsDiff,
  nchwToNhwc,
  readFixtureFloat32,
  relativeError,
  useBackend,
} from '@xai/testing';
import { absCamFinal, absCamInit } from '../src/index.js';
import { finalReference, initReference } from './helpers/reference.js';

/** The golden input, NHWC. */
function goldenImage(): tf.Tensor4D {
  const input = readFixtureFloat32('tiny-chelsea', 'input.npy');
  const nhwc = nchwToNhwc(input.data, input.shape);
  return tf.tensor4d(nhwc.data, nhwc.shape as [number, number, number, number]);
}

function golden(name: string): Float32Array {
  return readFixtureFloat32('tiny-chelsea', `${name}.npy`).data;
}

const CASE = goldenCase('tiny-chelsea');

// The tiny ResNet built from state_dict.npz as a tfjs functional model (skip connections; the
// stage outputs `layer3`/`layer4` are the final ReLUs inside the last residual block of each
// stage), flat and with the backbone nested as an inner model.
const VARIANTS = [
  { model: 'functional', nested: false, prefix: '' },
  { model: 'nested', nested: true, prefix: 'backbone/' },
] as const;

describe.each(TEST_BACKENDS)('golden tiny-chelsea through a tfjs LayersModel, %s', (backend) => {
  it.each(VARIANTS)('the $model model built from state_dict.npz gives the golden logits', async ({ nested }) => {
    await useBackend(backend);
    const model = buildTinyChelseaLayersModel({ nested });
    const image = goldenImage();
    const before = tf.memory().numTensors;
    const logits = model.predict(image) as tf.Tensor;
    const values = await logits.data();
    logits.dispose();
    expect(tf.memory().numTensors).toBe(before);
    image.dispose();
    model.dispose();
    expect(relativeError(values, golden('logits'))).toBeLessThanOrEqual(1e-4);
  });

  describe.each(VARIANTS)('$model model', ({ nested, prefix }) => {
    it.each(CASE.abscam_layers)('reproduces abscam_init and abscam_final at %s', async (layer) => {
      await useBackend(backend);
      const model = new LayersClassifier(buildTinyChelseaLayersModel({ nested }));
      const image = goldenImage();
      const init = await expectNoLeak(() => absCamInit(model, image, { layer: prefix + layer }));
      const final = await expectNoLeak(() => absCamFinal(model, image, { layer: prefix + layer, batchSize: 12 }));
      image.dispose();
      model.dispose();
      for (const map of [init, final]) {
        expect(map.classIndex).toBe(CASE.top_class);
        expect([map.height, map.width]).toEqual(CASE.input_size);
        expect(map.params.layer).toBe(prefix + layer);
      }
      expect(relativeError(init.data, golden(`abscam_init_${layer}`))).toBeLessThanOrEqual(1e-4);
      expect(relativeError(final.data, golden(`abscam_final_${layer}`))).toBeLessThanOrEqual(1e-4);
    });
  });

  it('uses the last feature map before pooling when no layer is named, and reports it', async () => {
    await useBackend(backend);
    const model = new LayersClassifier(buildTinyChelseaLayersModel());
    const image = goldenImage();
    const map = await expectNoLeak(() => absCamInit(model, image));
    image.dispose();
    model.dispose();
    expect(map.params).toMatchObject({ layer: 'layer4', layerShape: [2, 2, 64], layerChosenBy: 'default' });
    expect(relativeError(map.data, golden('abscam_init_layer4'))).toBeLessThanOrEqual(1e-4);
  });

  it('works at a layer inside a residual block (the pre-ReLU sum of layer4.1), gradients checked in closed form', async () => {
    await useBackend(backend);
    const tfModel = buildTinyChelseaLayersModel();
    const model = new LayersClassifier(tfModel);
    const image = goldenImage();
    const c = CASE.top_class;
    // Reference: after `layer4.1.add` come ReLU, global average pooling and fc, so
    // ∂y_c/∂S(i, j, k) = fc.weight[c, k] / (h·w) where S > 0, else 0.
    const pass = await model.activationsAndGradient(image, model.resolveLayer('layer4.1.add'), c);
    const activations = Float64Array.from(await pass.activations.data());
    tf.dispose([pass.activations, pass.gradient, pass.logits]);
    const [h, w, k] = [2, 2, 64];
    const fcWeight = tfModel.getLayer('fc').getWeights()[0].dataSync(); // [64, 4]
    const gradient = activations.map((s, i) => (s > 0 ? fcWeight[(i % k) * 4 + c] / (h * w) : 0));
    const imageValues = await image.data();
    const forward = (x: Float64Array) => {
      const logits = tf.tidy(() => tfModel.predict(tf.tensor4d(Float32Array.from(x), [1, 64, 64, 3])) as tf.Tensor);
      const values = Array.from(logits.dataSync());
      logits.dispose();
      return values;
    };
    const size = { H: 64, W: 64, C: 3 };
    const init = await expectNoLeak(() => absCamInit(model, image, { layer: 'layer4.1.add' }));
    const final = await expectNoLeak(() => absCamFinal(model, image, { layer: 'layer4.1.add' }));
    const expectedInit = initReference(activations, gradient, { h, w, k }, size);
    const expectedFinal = finalReference(activations, gradient, { h, w, k }, size, imageValues, c, forward);
    image.dispose();
    model.dispose();
    expect(maxAbsDiff(init.data, expectedInit)).toBeLessThanOrEqual(1e-4);
    expect(maxAbsDiff(final.data, expectedFinal)).toBeLessThanOrEqual(1e-4 * maxAbs(expectedFinal));
  });
});

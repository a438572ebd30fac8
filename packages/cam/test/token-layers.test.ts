import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainWith, npyToFloat32, parseNpy, type Classifier } from '@xai/core';
import { loadOnnxModel } from '@xai/onnx/node';
import { TEST_BACKENDS, expectNoLeak, fixturePath, maxAbs, maxAbsDiff, nchwToNhwc, readFixtureFloat32, useBackend } from '@xai/testing';
import { CAM_METHODS, gradCam } from '../src/index.js';

/** SPEC.md "Token-based models": Grad-CAM at a ViT token layer, as pytorch-grad-cam's ViT recipe. */
const TOKENS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'onnx', 'fixtures', 'tokens');
const TOLERANCE = 1e-4;
const errors: string[] = [];
afterAll(() => console.log(`Grad-CAM at ViT token layers, max |ours − PyTorch| / max |PyTorch|:\n${errors.join('\n')}`));

interface VitDevCase {
  input_size: [number, number];
  gradcam: Record<string, { class_index: number; grid: number; input_index: number }>;
}
const VIT_DEV = JSON.parse(readFileSync(fixturePath('vit-dev', 'case.json'), 'utf8')) as VitDevCase;
const VIT = (JSON.parse(readFileSync(join(TOKENS, 'manifest.json'), 'utf8')) as { name: string; gradcam?: { layer: string; class_index: number } }[])
  .find((e) => e.name === 'vit-opset17')!.gradcam!;

function image(data: Float32Array, shape: number[], index: number): tf.Tensor4D {
  const [, c, h, w] = shape;
  const one = data.subarray(index * c * h * w, (index + 1) * c * h * w);
  const nhwc = nchwToNhwc(one, [1, c, h, w]);
  return tf.tensor4d(nhwc.data, nhwc.shape as [number, number, number, number]);
}

function readNpy(path: string): { data: Float32Array; shape: number[] } {
  const a = parseNpy(new Uint8Array(readFileSync(path)), path);
  return { data: npyToFloat32(a), shape: a.shape };
}

// Gradients from the tfjs graph, and from onnxruntime's gradient graph.
const ENGINES = ['tfjs', 'onnxruntime'] as const;

describe.each(TEST_BACKENDS.flatMap((b) => ENGINES.map((e) => [b, e] as const)))('ViT token layers on %s, engine %s', (backend, engine) => {
  beforeAll(() => useBackend(backend));

  describe('golden vit-dev', () => {
    let model: Classifier;
    let x: tf.Tensor4D;
    const [[layer, spec]] = Object.entries(VIT_DEV.gradcam);
    beforeAll(async () => {
      model = await loadOnnxModel(fixturePath('vit-dev', 'model.onnx'), { engine });
      const input = readFixtureFloat32('vit-dev', 'input.npy');
      x = image(input.data, input.shape, spec.input_index);
    });
    afterAll(() => {
      x.dispose();
      model.dispose();
    });

    it('logits as PyTorch’s', async () => {
      const reference = readFixtureFloat32('vit-dev', 'logits.npy');
      const logits = await expectNoLeak(async () => {
        const y = await model.predict(x);
        const data = await y.data();
        y.dispose();
        return data;
      });
      const row = reference.data.subarray(spec.input_index * logits.length, (spec.input_index + 1) * logits.length);
      expect(maxAbsDiff(logits, row)).toBeLessThanOrEqual(TOLERANCE * maxAbs(row));
    });

    it(`Grad-CAM at ${layer}, class ${spec.class_index}, a ${spec.grid}×${spec.grid} grid`, async () => {
      const handle = (model as Required<Classifier>).resolveLayer(layer);
      expect(handle.shape).toEqual([spec.grid, spec.grid, 32]);
      const [map] = await expectNoLeak(() => explainWith(gradCam, model, x, { layer, targets: spec.class_index }));
      const reference = readFixtureFloat32('vit-dev', `gradcam_${layer}.npy`);
      expect([map.height, map.width]).toEqual(reference.shape);
      // This golden's head is torchvision's zero initialisation: every gradient, and the map, is 0.
      expect(maxAbsDiff(map.data, reference.data)).toBeLessThanOrEqual(TOLERANCE * maxAbs(reference.data));
      expect(map.data.every(Number.isFinite)).toBe(true);
    });
  });

  describe('vit-opset17 (random head): Grad-CAM computed in PyTorch', () => {
    let model: Classifier;
    let x: tf.Tensor4D;
    beforeAll(async () => {
      model = await loadOnnxModel(join(TOKENS, 'vit-opset17.onnx'), { engine });
      const input = readNpy(join(TOKENS, 'vit-opset17.input.npy'));
      x = image(input.data, input.shape, 0);
    });
    afterAll(() => {
      x.dispose();
      model.dispose();
    });

    it(`Grad-CAM at ${VIT.layer} equals the reference within 1e-4 · max`, async () => {
      const reference = readNpy(join(TOKENS, `vit-opset17.gradcam_${VIT.layer}.npy`));
      const [map] = await expectNoLeak(() => explainWith(gradCam, model, x, { layer: VIT.layer, targets: VIT.class_index }));
      expect(maxAbs(reference.data)).toBeGreaterThan(0.5);
      errors.push(`vit-opset17 ${backend.padEnd(5)} ${engine.padEnd(11)} ${(maxAbsDiff(map.data, reference.data) / maxAbs(reference.data)).toExponential(2)}`);
      expect(maxAbsDiff(map.data, reference.data)).toBeLessThanOrEqual(TOLERANCE * maxAbs(reference.data));
    });

    it('the default layer is the last block’s ln_1, as pytorch-grad-cam’s ViT recipe', async () => {
      const [map] = await expectNoLeak(() => explainWith(gradCam, model, x, { targets: VIT.class_index }));
      expect(map.params).toMatchObject({ layer: VIT.layer, layerChosenBy: 'default', layerShape: [4, 4, 32] });
    });

    it.each(CAM_METHODS.map((m) => [m.id, m] as const))('%s runs at the token layer', async (_id, method) => {
      const maps = await expectNoLeak(() => explainWith(method, model, x, { layer: VIT.layer, targets: VIT.class_index, batchSize: 8 }));
      expect(maps).toHaveLength(1);
      expect(maps[0].data.every(Number.isFinite)).toBe(true);
      expect(maps[0].data.some((v) => v !== 0)).toBe(true);
    });
  });
});

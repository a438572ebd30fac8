import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { npyToFloat32 } from '@xai/core';
import { readNpyFile } from '@xai/core/node';
import { fixturePath, maxAbs, maxAbsDiff, readFixtureFloat32, useBackend } from '@xai/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { scratchDir, xai } from './run-cli.js';

const model = fixturePath('tiny-chelsea', 'model.onnx');
// The golden input was made by torchvision: Resize((64, 64)) with Pillow's bilinear, ToTensor, ImageNet Normalize.
const photo = fixturePath('tiny-chelsea', 'image.png');

const maxErrorOverMax = (a: Float32Array, ref: Float32Array) => maxAbsDiff(a, ref) / maxAbs(ref);

async function logitsOf(...args: string[]): Promise<Float32Array> {
  const out = join(scratchDir(), 'logits.npy');
  const run = await xai('predict', photo, '--model', model, ...args, '--save-logits', out, '--quiet');
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return npyToFloat32(await readNpyFile(out));
}

describe('preprocessing the way the model was evaluated', () => {
  beforeAll(() => useBackend('wasm'));

  it("--resize pil-bilinear gives PyTorch's logits for the image file within 1e-4·max (6e-7 measured, held to 1e-5)", async () => {
    const before = tf.memory().numTensors;
    const reference = readFixtureFloat32('tiny-chelsea', 'logits.npy').data;
    const error = maxErrorOverMax(await logitsOf('--preprocessing', 'imagenet', '--resize', 'pil-bilinear'), reference);
    expect(error).toBeLessThan(1e-5);
    // Without Pillow's antialiasing the input differs, and so do the logits (the complaint).
    expect(maxErrorOverMax(await logitsOf('--preprocessing', 'imagenet'), reference)).toBeGreaterThan(1e-2);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('explain.json records what was applied, step by step', async () => {
    const before = tf.memory().numTensors;
    const out = scratchDir();
    const run = await xai('explain', photo, '--model', model, '--preprocessing', 'torchvision', '--method', 'grad-cam', '--out', out, '--quiet', '--format', 'json');
    expect(run.code).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'image', 'explain.json'), 'utf8'));
    expect(report.preprocessing).toMatchObject({ resize: 'pil-bilinear', resizeShorter: 256, centerCrop: 224, mean: [0.485, 0.456, 0.406] });
    expect(report.preprocessing.steps.slice(0, 3)).toEqual([
      'resize 451×300 → 384×256 (shorter side, pil-bilinear)',
      'centre crop 384×256 → 224×224 at (80, 16)',
      'resize 224×224 → 64×64 (model size, pil-bilinear)',
    ]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("compare's report says the preprocessing and has the reading guide; the run key holds the geometry", async () => {
    const before = tf.memory().numTensors;
    const out = scratchDir();
    const run = await xai('compare', photo, '--model', model, '--preprocessing', 'torchvision', '--methods', 'grad-cam', '--step', '512', '--out', out, '--quiet');
    expect(run.code).toBe(0);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('preprocessing: shorter side 256, centre crop 224, resize pil-bilinear, mean [0.485, 0.456, 0.406]');
    expect(html).toContain('How to read this report');
    expect(html).toMatch(/<dt[^>]*>Grad-CAM<\/dt><dd[^>]*>layer activations weighted by the mean gradient/);
    expect(html).toMatch(/<dt[^>]*>deletion AUC<\/dt><dd[^>]*>.*Lower is better/);
    expect(html).not.toContain('pointing game');
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.key.preprocessing).toMatchObject({ resize: 'pil-bilinear', resizeShorter: 256, centerCrop: 224 });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the size options overlay the preset, and bad values are usage errors naming what is accepted', async () => {
    const before = tf.memory().numTensors;
    const torchvision = await logitsOf('--preprocessing', 'torchvision');
    const same = await logitsOf('--preprocessing', 'imagenet', '--resize', 'pil-bilinear', '--resize-shorter', '256', '--center-crop', '224');
    expect([...same]).toEqual([...torchvision]);
    const bad = await xai('predict', photo, '--model', model, '--resize', 'lanczos');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--resize must be one of bilinear, pil-bilinear, pil-bicubic, pil-nearest, got "lanczos"/);
    const crop = await xai('predict', photo, '--model', model, '--center-crop', '0');
    expect(crop.code).toBe(2);
    expect(crop.stderr).toMatch(/--center-crop must be a whole number from 1 to 16384, got "0"/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

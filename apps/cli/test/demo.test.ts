import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readNpyFile } from '@xai/core/node';
import { useBackend } from '@xai/testing';
import { DEMO_SAMPLES } from '@xai/zoo';
import { demoSampleFiles } from '@xai/zoo/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../src/registry.js';
import { scratchDir, xai } from './run-cli.js';

const star = demoSampleFiles('star-1');

describe('xai on the bundled demo model (no --model)', () => {
  beforeAll(() => useBackend('wasm'));

  it('layers names the demo model’s stages and its default feature-map layer', async () => {
    const run = await xai('layers', '--json');
    expect(run.code).toBe(0);
    const { defaultLayer, layers } = JSON.parse(run.stdout);
    expect(defaultLayer).toBe('stage3');
    expect(layers.map((l: { name: string }) => l.name)).toEqual(expect.arrayContaining(['stage1', 'stage2', 'stage3', 'logits']));
  });

  it('predict gives every sample its true class', async () => {
    const images = DEMO_SAMPLES.map((s) => demoSampleFiles(s.name).image);
    const run = await xai('predict', ...images, '--json', '--top', '1');
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout) as { top: { className: string }[] }[];
    expect(rows.map((r) => r.top[0].className)).toEqual(DEMO_SAMPLES.map((s) => s.className));
  });

  it('explain --method all writes a figure and a map per method, and the maps peak on the object', async () => {
    const out = scratchDir();
    const before = tf.memory().numTensors;
    // Small RISE, Integrated Gradients and SmoothGrad runs keep this fast; the golden tests check their full settings.
    const run = await xai('explain', star.image, '--method', 'all', '--n', '500', '--steps', '8', '--samples', '4', '--out', out, '--quiet');
    expect(run.code).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    const report = JSON.parse(readFileSync(join(out, 'star-1', 'explain.json'), 'utf8'));
    expect(report.prediction[0].className).toBe('star');
    const truth = JSON.parse(readFileSync(star.groundTruth, 'utf8')) as { bbox: { x: number; y: number; width: number; height: number } };
    expect(Object.keys(report.methods)).toEqual(registry.ids());
    for (const id of registry.ids()) expect(existsSync(join(out, 'star-1', `${id}.png`)), id).toBe(true);
    // Pixel attributions also write the signed attribution, in the demo model's own (NHWC) layout:
    // one per class (Occlusion scores every class with the same passes, so it writes them all).
    for (const id of ['saliency', 'integrated-gradients', 'smoothgrad', 'occlusion']) {
      const attribution = await readNpyFile(join(out, 'star-1', `${id}.attribution.npy`));
      expect(attribution.shape, id).toEqual([report.methods[id].classes.length, report.model.input.height, report.model.input.width, report.model.input.channels]);
      expect(report.methods[id].attribution, id).toMatchObject({ layout: 'NHWC', shape: attribution.shape });
    }
    // RISE with Gaussian masks is too noisy at N = 500 for its peak to be a fair test.
    for (const method of registry.ids().filter((id) => id !== 'rise-gaussian')) {
      const array = await readNpyFile(join(out, 'star-1', `${method}.npy`));
      const [height, width] = array.shape.slice(-2);
      const values = (array.data as Float32Array).subarray(array.shape.length === 3 ? 3 * height * width : 0);
      const peak = values.subarray(0, height * width).reduce((best, v, i, a) => (v > a[best] ? i : best), 0);
      const [y, x] = [Math.floor(peak / width), peak % width];
      const { bbox } = truth;
      expect(x >= bbox.x - 6 && x <= bbox.x + bbox.width + 6 && y >= bbox.y - 6 && y <= bbox.y + bbox.height + 6, method).toBe(true);
    }
  });

  it('evaluate --method abs-cam-init scores the map: insertion beats deletion', async () => {
    const run = await xai('evaluate', star.image, '--method', 'abs-cam-init', '--json', '--no-figures');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.insertion.auc).toBeGreaterThan(result.deletion.auc);
  });
});

import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readNpyFile, writeNpyFile } from '@xai/core/node';
import { npyToFloat32 } from '@xai/core';
import { fixturePath, goldenCase, maxAbsDiff, readFixtureFloat32, relativeError, useBackend } from '@xai/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { scratchDir, xai } from './run-cli.js';

const golden = (file: string) => fixturePath('tiny-chelsea', file);
const model = golden('model.onnx');
const tensor = golden('input.npy');
const spec = goldenCase();

async function npy(path: string): Promise<Float32Array> {
  return npyToFloat32(await readNpyFile(path));
}

describe('xai on the golden tiny-chelsea ONNX model', () => {
  beforeAll(() => useBackend('wasm'));

  it('explain --method rise with the golden masks and logit scores writes rise_orig.npy', async () => {
    const out = scratchDir();
    const before = tf.memory().numTensors;
    const run = await xai('explain', '--model', model, '--tensor', tensor, '--masks', golden('masks_orig.npy'), '--p1', String(spec.rise.p1),
      '--scores', 'logit', '--method', 'rise', '--out', out, '--quiet');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    const expected = readFixtureFloat32('tiny-chelsea', 'rise_orig.npy');
    const written = await readNpyFile(join(out, 'input', 'rise.npy'));
    expect(written.shape).toEqual([4, 64, 64]);
    expect(relativeError(npyToFloat32(written), expected.data)).toBeLessThan(1e-4);
  });

  it('explain --method rise with softmax scores writes rise_orig_softmax.npy', async () => {
    const out = scratchDir();
    await xai('explain', '--model', model, '--tensor', tensor, '--masks', golden('masks_orig.npy'), '--p1', String(spec.rise.p1), '--out', out, '--quiet', '--format', 'npy');
    const expected = readFixtureFloat32('tiny-chelsea', 'rise_orig_softmax.npy');
    expect(relativeError(await npy(join(out, 'input', 'rise.npy')), expected.data)).toBeLessThan(1e-4);
  });

  it('explain --method rise-gaussian with the golden masks writes rise_gauss.npy', async () => {
    const out = scratchDir();
    const run = await xai('explain', '--model', model, '--tensor', tensor, '--masks', golden('masks_gauss.npy'), '--scores', 'logit',
      '--method', 'rise-gaussian', '--out', out, '--quiet', '--format', 'npy');
    expect(run.code).toBe(0);
    const expected = readFixtureFloat32('tiny-chelsea', 'rise_gauss.npy');
    expect(relativeError(await npy(join(out, 'input', 'rise-gaussian.npy')), expected.data)).toBeLessThan(1e-4);
  });

  for (const layer of ['layer4', 'layer3']) {
    it(`explain --method abs-cam-init,abs-cam-final --layer ${layer} writes the golden Abs-CAM maps`, async () => {
      const out = scratchDir();
      const run = await xai('explain', '--model', model, '--tensor', tensor, '--method', 'abs-cam-init,abs-cam-final', '--layer', layer,
        '--out', out, '--quiet');
      expect(run.code).toBe(0);
      const init = readFixtureFloat32('tiny-chelsea', `abscam_init_${layer}.npy`);
      const final = readFixtureFloat32('tiny-chelsea', `abscam_final_${layer}.npy`);
      expect(relativeError(await npy(join(out, 'input', 'abs-cam-init.npy')), init.data)).toBeLessThan(1e-4);
      expect(relativeError(await npy(join(out, 'input', 'abs-cam-final.npy')), final.data)).toBeLessThan(1e-4);
    });
  }

  for (const layer of ['layer4', 'layer3']) {
    it(`explain runs the CAM family at --layer ${layer}: pytorch-grad-cam's maps`, async () => {
      const out = scratchDir();
      const files: Record<string, string> = {
        'grad-cam': 'gradcam', 'grad-cam-pp': 'gradcam_pp', 'xgrad-cam': 'xgradcam', 'hires-cam': 'hirescam',
        'grad-cam-elementwise': 'gradcam_elementwise', 'layer-cam': 'layercam', 'score-cam': 'scorecam', 'ablation-cam': 'ablationcam',
      };
      const before = tf.memory().numTensors;
      const run = await xai('explain', '--model', model, '--tensor', tensor, '--method', Object.keys(files).join(','), '--layer', layer,
        '--class', '1', '--out', out, '--quiet', '--format', 'npy,json');
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(tf.memory().numTensors).toBe(before);
      for (const [id, file] of Object.entries(files)) {
        const expected = readFixtureFloat32('tiny-chelsea', 'baselines', `${file}_${layer}.npy`);
        const written = await readNpyFile(join(out, 'input', `${id}.npy`));
        expect(written.shape, id).toEqual([64, 64]);
        expect(maxAbsDiff(npyToFloat32(written), expected.data), id).toBeLessThan(1e-4);
      }
    });
  }

  it('evaluate --order salient_order.npy --json gives the golden curves and AUCs', async () => {
    const out = scratchDir();
    const run = await xai('evaluate', '--model', model, '--tensor', tensor, '--order', golden('salient_order.npy'),
      '--step', String(spec.metric.step), '--json', '--out', out);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.class).toBe(spec.top_class);
    const ins = readFixtureFloat32('tiny-chelsea', 'insertion_scores.npy').data;
    const del = readFixtureFloat32('tiny-chelsea', 'deletion_scores.npy').data;
    expect(result.insertion.scores).toHaveLength(ins.length);
    result.insertion.scores.forEach((v: number, i: number) => expect(Math.abs(v - ins[i])).toBeLessThan(1e-4));
    result.deletion.scores.forEach((v: number, i: number) => expect(Math.abs(v - del[i])).toBeLessThan(1e-4));
    expect(Math.abs(result.insertion.auc - spec.insertion_auc)).toBeLessThan(1e-4);
    expect(Math.abs(result.deletion.auc - spec.deletion_auc)).toBeLessThan(1e-4);
  });

  it('evaluate --saliency with --order breaks the map\'s ties by the order: the golden curves again', async () => {
    const out = scratchDir();
    // A coarse copy of the map (two decimals) ties many pixels; the reference order decides among them.
    const map = readFixtureFloat32('tiny-chelsea', 'rise_orig.npy');
    const pixels = 64 * 64;
    const coarse = map.data.slice(spec.top_class * pixels, (spec.top_class + 1) * pixels).map((v) => Math.round(v * 100) / 100);
    await writeNpyFile(join(out, 'coarse.npy'), { dtype: 'float32', shape: [64, 64], data: coarse });
    const common = ['--model', model, '--tensor', tensor, '--step', String(spec.metric.step), '--json', '--no-figures', '--saliency', join(out, 'coarse.npy')];
    const alone = JSON.parse((await xai('evaluate', ...common)).stdout);
    const run = await xai('evaluate', ...common, '--order', golden('salient_order.npy'));
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    const ins = readFixtureFloat32('tiny-chelsea', 'insertion_scores.npy').data;
    // Rounding keeps the order of distinct values, so the tie-broken ranking is the reference's.
    result.insertion.scores.forEach((v: number, i: number) => expect(Math.abs(v - ins[i])).toBeLessThan(1e-4));
    expect(Math.abs(result.deletion.auc - spec.deletion_auc)).toBeLessThan(1e-4);
    // Without the order, ties go to the lower pixel index and the curve differs.
    expect(Math.max(...alone.insertion.scores.map((v: number, i: number) => Math.abs(v - ins[i])))).toBeGreaterThan(1e-3);
  });

  it('predict --tensor --save-logits writes the golden logits', async () => {
    const out = scratchDir();
    const run = await xai('predict', '--model', model, '--tensor', tensor, '--save-logits', join(out, 'logits.npy'), '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)[0].top[0].classIndex).toBe(spec.top_class);
    const expected = readFixtureFloat32('tiny-chelsea', 'logits.npy');
    expect(relativeError(await npy(join(out, 'logits.npy')), expected.data)).toBeLessThan(1e-4);
  });

  it('layers lists the module paths with shapes and the default feature-map layer', async () => {
    const run = await xai('layers', '--model', model);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/layer4\s+64×2×2\s+.*yes \(default\)/);
    expect(run.stdout).toMatch(/layer3\s+32×4×4/);
  });
});

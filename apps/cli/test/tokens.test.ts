import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { readNpyFile } from '@xai/core/node';
import { fixturePath, useBackend } from '@xai/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { scratchDir, xai } from './run-cli.js';

const TOKENS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'packages', 'onnx', 'fixtures', 'tokens');
const vit = ['--model', join(TOKENS, 'vit-opset17.onnx'), '--preprocessing', 'imagenet'];
/** Uses Celu, which onnxruntime runs and the tfjs graph does not implement. */
const blackBox = ['--model', join(TOKENS, 'celu-cnn.onnx')];
const photo = fixturePath('tiny-chelsea', 'image.png');

describe('xai on a ViT and on a model only onnxruntime can run', () => {
  beforeAll(() => useBackend('wasm'));

  it('layers lists token layers with their grid and marks them as targets', async () => {
    const before = tf.memory().numTensors;
    const run = await xai('layers', ...vit);
    expect(run.code).toBe(0);
    const line = (name: string) => run.stdout.split('\n').find((l) => l.startsWith(`${name} `)) ?? '';
    expect(line('encoder.layers.encoder_layer_1.ln_1')).toMatch(/17×32\s+LayerNormalization\s+yes \(default\), 4×4 grid of tokens, class token dropped$/);
    expect(line('encoder.layers.encoder_layer_0')).toMatch(/yes, 4×4 grid of tokens, class token dropped$/);
    expect(line('encoder.ln')).toMatch(/no target: only its class token reaches the output$/);
    const json = JSON.parse((await xai('layers', ...vit, '--json')).stdout);
    expect(json.defaultLayer).toBe('encoder.layers.encoder_layer_1.ln_1');
    expect(json.layers.find((l: { name: string }) => l.name === 'encoder.layers.encoder_layer_1.ln_1').tokenGrid).toEqual({ grid: [4, 4], classToken: true, from: 'tokens' });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('RISE, Abs-CAM (init and final) and Insertion/Deletion run on the ViT', async () => {
    const out = scratchDir();
    const before = tf.memory().numTensors;
    const run = await xai('explain', ...vit, photo, '--method', 'rise,abs-cam-init,abs-cam-final', '--n', '32', '--out', out, '--quiet');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'image', 'explain.json'), 'utf8'));
    expect(report.methods['abs-cam-final'].params).toMatchObject({ layer: 'encoder.layers.encoder_layer_1.ln_1', layerChosenBy: 'default', layerShape: [4, 4, 32] });
    for (const id of ['abs-cam-init', 'abs-cam-final']) expect((await readNpyFile(join(out, 'image', `${id}.npy`))).shape).toEqual([32, 32]);
    expect((await readNpyFile(join(out, 'image', 'rise.npy'))).shape).toEqual([10, 32, 32]);

    const evaluated = await xai('evaluate', ...vit, photo, '--method', 'abs-cam-init', '--json', '--no-figures');
    expect(evaluated.code).toBe(0);
    const result = JSON.parse(evaluated.stdout) as Record<string, { auc: number; scores: number[] }>;
    for (const metric of ['insertion', 'deletion']) {
      // 32 px wide, a row per step: 32 steps and the start.
      expect(result[metric].scores).toHaveLength(33);
      expect(result[metric].auc).toBeGreaterThanOrEqual(0);
      expect(result[metric].auc).toBeLessThanOrEqual(1);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a black-box model: layers says why it has none, white-box methods are refused, black-box ones run', async () => {
    const before = tf.memory().numTensors;
    const layers = await xai('layers', ...blackBox);
    expect(layers.code).toBe(1);
    expect(layers.stderr).toMatch(/no layers to list: the tfjs graph does not implement the operator Celu.*black-box\): rise, rise-gaussian, occlusion/);

    const refused = await xai('explain', ...blackBox, photo, '--method', 'grad-cam', '--out', scratchDir(), '--quiet');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/Grad-CAM needs a model that gives layer activations and gradients.*operator Celu.*Methods that work on it \(black-box\): rise, rise-gaussian, occlusion/);

    const out = scratchDir();
    const rise = await xai('explain', ...blackBox, photo, '--method', 'rise,occlusion', '--n', '32', '--out', out, '--quiet');
    expect(rise.code).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'image', 'explain.json'), 'utf8'));
    expect(report.methods.rise.params.engine).toBe('onnxruntime-node');
    const evaluated = await xai('evaluate', ...blackBox, photo, '--method', 'rise', '--n', '32', '--json', '--no-figures');
    expect(evaluated.code).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
  });
});

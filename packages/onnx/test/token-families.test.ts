import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxModel } from '../src/node/index.js';
import { BACKENDS, TOKENS, nchwToNhwc, readNpy, relativeError, tokenManifest, useBackend } from './helpers.js';

const manifest = tokenManifest();
const families = manifest.filter((e) => e.name !== 'celu-cnn');

const errors: string[] = [];
afterAll(() => console.log(`max |ours − PyTorch| / max |PyTorch| per family:\n${errors.join('\n')}`));

it('has ViT at opsets 14 and 17, Swin and ConvNeXt, each under 2 MB', () => {
  expect(families.map((e) => e.name).sort()).toEqual(['convnext', 'swin', 'vit-opset14', 'vit-opset17']);
  for (const e of manifest) expect(e.bytes).toBeLessThan(2 * 1024 * 1024);
  // The decomposed LayerNorm at opset 14, the fused operator at 17.
  expect(families.find((e) => e.name === 'vit-opset14')!.ops).toEqual(expect.arrayContaining(['ReduceMean', 'Pow', 'Sqrt']));
  expect(families.find((e) => e.name === 'vit-opset17')!.ops).toContain('LayerNormalization');
  expect(families.find((e) => e.name === 'swin')!.ops).toEqual(expect.arrayContaining(['ScatterND', 'Range', 'Mod', 'Not', 'Pad', 'Where', 'Expand']));
});

describe.each(BACKENDS)('transformers and ConvNeXt on %s: tfjs graph = PyTorch = onnxruntime', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each(families.map((e) => [e.name, e] as const))('%s', async (name, entry) => {
    const path = join(TOKENS, entry.file);
    const start = tf.memory().numTensors;
    const tfjsModel = await loadOnnxModel(path, { engine: 'tfjs' });
    const ortModel = await loadOnnxModel(path, { engine: 'onnxruntime' });
    expect(tfjsModel.engine).toBe(`tfjs:${backend}`);
    expect(ortModel.engine).toBe('onnxruntime-node');
    const x = nchwToNhwc(readNpy(join(TOKENS, `${name}.input.npy`)));
    const reference = readNpy(join(TOKENS, `${name}.logits.npy`));
    tf.dispose(await tfjsModel.predict(x)); // the first run makes the cached constants
    const before = tf.memory().numTensors;
    const ours = await tfjsModel.predict(x);
    const theirs = await ortModel.predict(x);
    expect(ours.shape).toEqual(reference.shape);
    const data = await ours.data();
    const error = relativeError(data, reference.data);
    errors.push(`${name.padEnd(12)} ${backend.padEnd(5)} tfjs ${error.toExponential(2)}  onnxruntime ${relativeError(await theirs.data(), reference.data).toExponential(2)}`);
    expect(error).toBeLessThan(1e-4);
    expect(relativeError(await theirs.data(), reference.data)).toBeLessThan(1e-4);
    expect(relativeError(data, await theirs.data())).toBeLessThan(1e-4);
    tf.dispose([ours, theirs]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(x);
    tfjsModel.dispose();
    ortModel.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});

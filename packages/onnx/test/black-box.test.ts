import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { explainWith, isWhiteBox, type MethodDescriptor } from '@xai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { OnnxBlackBoxClassifier } from '../src/black-box.js';
import { loadOnnxModel } from '../src/node/index.js';
import { SUPPORTED_OPS } from '../src/ops/registry.js';
import { TOKENS, nchwToNhwc, readNpy, relativeError, useBackend } from './helpers.js';

/** celu-cnn uses Celu, which onnxruntime runs and the tfjs graph does not implement. */
const MODEL = join(TOKENS, 'celu-cnn.onnx');

/** Two stand-in methods: the refusal depends only on `box`, not on which method it is. */
const whiteMethod = { id: 'white-one', label: 'White One', box: 'white', layers: 'one', params: [] } as unknown as MethodDescriptor;
const blackMethod = {
  id: 'black-one', label: 'Black One', box: 'black', layers: 'none', params: [],
  run: async () => [],
} as unknown as MethodDescriptor;

describe('black-box fallback: a model the tfjs graph cannot run', () => {
  beforeAll(() => useBackend('wasm'));

  it('the fixture really uses an operator the graph lacks', () => {
    const ops = (JSON.parse(readFileSync(join(TOKENS, 'manifest.json'), 'utf8')) as { name: string; ops: string[] }[]).find((e) => e.name === 'celu-cnn')!.ops;
    expect(ops.filter((op) => !SUPPORTED_OPS.includes(op))).toEqual(['Celu']);
  });

  it('loads on onnxruntime and predicts as PyTorch', async () => {
    const start = tf.memory().numTensors;
    const model = await loadOnnxModel(MODEL, { classNames: ['a', 'b', 'c', 'd'] });
    if (!(model instanceof OnnxBlackBoxClassifier)) throw new Error('expected the black-box classifier');
    expect(isWhiteBox(model)).toBe(false);
    expect(model.engine).toBe('onnxruntime-node');
    expect(model.numClasses).toBe(4);
    expect(model.input).toEqual({ height: 16, width: 16, channels: 3, layout: 'NCHW' });
    expect(model.whiteBoxUnavailable).toMatch(/does not implement the operator Celu/);
    const x = nchwToNhwc(readNpy(join(TOKENS, 'celu-cnn.input.npy')));
    const logits = await model.predict(x);
    expect(logits.shape).toEqual([2, 4]);
    expect(relativeError(await logits.data(), readNpy(join(TOKENS, 'celu-cnn.logits.npy')).data)).toBeLessThan(1e-5);
    tf.dispose([x, logits]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('a white-box method is refused naming the missing operator and the methods that work', async () => {
    const model = await loadOnnxModel(MODEL);
    const image = tf.zeros([1, 16, 16, 3]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    await expect(explainWith(whiteMethod, model, image, { offered: [whiteMethod, blackMethod] })).rejects.toThrow(
      /White One needs a model that gives layer activations and gradients.*does not implement the operator Celu.*Methods that work on it \(black-box\): black-one\.$/,
    );
    await expect(explainWith(blackMethod, model, image)).resolves.toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
    image.dispose();
    model.dispose();
  });

  it('engine "tfjs" cannot fall back, and says so', async () => {
    await expect(loadOnnxModel(MODEL, { engine: 'tfjs' })).rejects.toThrow(/does not implement: Celu \(node "\/act\/Celu"\).*engine "tfjs" was asked for/);
  });

  it('the logits output is found by name or position', async () => {
    const byName = await loadOnnxModel(MODEL, { output: 'logits' });
    const byPosition = await loadOnnxModel(MODEL, { output: 0 });
    expect([byName.outputName, byPosition.outputName]).toEqual(['logits', 'logits']);
    byName.dispose();
    byPosition.dispose();
    await expect(loadOnnxModel(MODEL, { output: 'scores' })).rejects.toThrow(/no output is named "scores"; outputs: logits/);
    await expect(loadOnnxModel(MODEL, { output: 3 })).rejects.toThrow(/output 3 does not exist; the model has 1 output/);
  });
});

// An onnxruntime module handed to the loader (`options.ort`), as bundled apps (the playground) do.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxBlackBoxClassifier } from '../src/black-box.js';
import { loadOnnxModel as loadBrowser, type OnnxRuntime } from '../src/index.js';
import { ortFlavour } from '../src/ort.js';
import { GOLDEN, TOKENS, nchwToNhwc, readNpy, relativeError, useBackend, whiteBox } from './helpers.js';

const bytes = (path: string) => new Uint8Array(readFileSync(path));

describe('an onnxruntime module passed as options.ort', () => {
  beforeAll(async () => {
    await useBackend('wasm');
    ortWeb.env.wasm.numThreads = 1;
  });
  afterAll(() => {
    ortWeb.env.wasm.numThreads = 0;
  });

  it('runs predict on it (onnxruntime-web in Node): the golden logits, gradients from the tfjs graph', async () => {
    const model = await whiteBox(loadBrowser(bytes(join(GOLDEN, 'model.onnx')), { ort: ortWeb }));
    expect(model.engine).toBe('onnxruntime-web');
    const x = nchwToNhwc(readNpy(join(GOLDEN, 'input.npy')));
    const before = tf.memory().numTensors;
    const logits = await model.predict(x);
    expect(relativeError(await logits.data(), readNpy(join(GOLDEN, 'logits.npy')).data)).toBeLessThan(1e-4);
    const g = await model.activationsAndGradient(x, model.resolveLayer('layer4'), 1);
    const nchw = tf.transpose(g.gradient, [0, 3, 1, 2]);
    expect(relativeError(await nchw.data(), readNpy(join(GOLDEN, 'gradients_layer4.npy')).data)).toBeLessThan(1e-4);
    tf.dispose([logits, g.activations, g.gradient, g.logits, nchw]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });

  it('a model the tfjs graph cannot run loads black-box on the module given', async () => {
    const start = tf.memory().numTensors;
    const model = await loadBrowser(bytes(join(TOKENS, 'celu-cnn.onnx')), { ort: ortWeb });
    if (!(model instanceof OnnxBlackBoxClassifier)) throw new Error('expected the black-box classifier');
    expect(model.engine).toBe('onnxruntime-web');
    const x = nchwToNhwc(readNpy(join(TOKENS, 'celu-cnn.input.npy')));
    const logits = await model.predict(x);
    expect(relativeError(await logits.data(), readNpy(join(TOKENS, 'celu-cnn.logits.npy')).data)).toBeLessThan(1e-5);
    tf.dispose([x, logits]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('engine "tfjs" leaves the module unused', async () => {
    const model = await loadBrowser(bytes(join(GOLDEN, 'model.onnx')), { ort: ortWeb, engine: 'tfjs' });
    expect(model.engine).toBe('tfjs:wasm');
    model.dispose();
  });

  it('something that is not an onnxruntime module is refused, saying what to pass', async () => {
    const start = tf.memory().numTensors;
    await expect(loadBrowser(bytes(join(GOLDEN, 'model.onnx')), { ort: {} as OnnxRuntime })).rejects.toThrow(
      /options\.ort is not an onnxruntime module \(it has no InferenceSession\.create or Tensor\); pass what `import \* as ort from "onnxruntime-web"` gives/,
    );
    expect(tf.memory().numTensors).toBe(start);
  });

  it('names the flavour from the module’s own versions', () => {
    expect(ortFlavour(ortWeb)).toBe('onnxruntime-web');
    expect(ortFlavour(ortNode)).toBe('onnxruntime-node');
  });
});

import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { UnknownLayerError } from '@xai/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxModel, type OnnxClassifier } from '../src/node/index.js';
import { BACKENDS, GOLDEN, nchwToNhwc, readNpy, relativeError, useBackend, whiteBox } from './helpers.js';

const TOL = 1e-4;
const TOP_CLASS = 1;
const LOGITS = () => readNpy(join(GOLDEN, 'logits.npy')).data;

function rowOf(values: ArrayLike<number>, r: number, width: number): number[] {
  return Array.from(values).slice(r * width, (r + 1) * width);
}

describe.each(BACKENDS)('forwardFrom on tiny-chelsea (%s)', (backend) => {
  let model: OnnxClassifier;
  let x: tf.Tensor4D;
  beforeAll(async () => {
    await useBackend(backend);
    model = await loadOnnxModel(join(GOLDEN, 'model.onnx'), { engine: 'tfjs', preprocessing: 'imagenet' });
    x = nchwToNhwc(readNpy(join(GOLDEN, 'input.npy')));
  });
  afterAll(() => {
    x.dispose();
    model.dispose();
  });

  it.each(['layer4', 'layer3'])('the golden activations at %s, batched, give the golden logits in every row', async (layer) => {
    const handle = model.resolveLayer(layer);
    const golden = nchwToNhwc(readNpy(join(GOLDEN, `activations_${layer}.npy`)));
    expect(golden.shape.slice(1)).toEqual(handle.shape);
    const before = tf.memory().numTensors;
    const batch = tf.tile(golden, [3, 1, 1, 1]) as tf.Tensor4D;
    const logits = await model.forwardFrom(x, handle, batch);
    expect(logits.shape).toEqual([3, 4]);
    const data = await logits.data();
    for (let r = 0; r < 3; r++) expect(relativeError(rowOf(data, r, 4), LOGITS())).toBeLessThan(TOL);
    expect(batch.isDisposed).toBe(false);
    tf.dispose([batch, logits]);
    expect(tf.memory().numTensors).toBe(before);
    golden.dispose();
  });

  it.each(['layer4', 'layer3'])('at %s (nothing bypasses it) the network before the layer does not run: the image is not used', async (layer) => {
    const handle = model.resolveLayer(layer);
    const golden = nchwToNhwc(readNpy(join(GOLDEN, `activations_${layer}.npy`)));
    const noise = tf.randomNormal(x.shape, 0, 1, 'float32', 5) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const logits = await model.forwardFrom(noise, handle, golden);
    expect(relativeError(await logits.data(), LOGITS())).toBeLessThan(TOL);
    logits.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([golden, noise]);
  });

  it.each(['layer4', 'layer3'])('activations from activationsAndGradient at %s reproduce the logits', async (layer) => {
    const before = tf.memory().numTensors;
    const handle = model.resolveLayer(layer);
    const g = await model.activationsAndGradient(x, handle, TOP_CLASS);
    const batch = tf.concat([g.activations, g.activations]) as tf.Tensor4D;
    const logits = await model.forwardFrom(x, handle, batch);
    const data = await logits.data();
    for (let r = 0; r < 2; r++) expect(relativeError(rowOf(data, r, 4), LOGITS())).toBeLessThan(TOL);
    tf.dispose([g.activations, g.gradient, g.logits, batch, logits]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('zeroing a channel at layer4 (a linear head follows: pool, flatten, fc) takes away its gradient-weighted sum', async () => {
    const before = tf.memory().numTensors;
    const handle = model.resolveLayer('layer4');
    const [h, w, k] = handle.shape;
    // The head is linear in layer4, so d logit_j / dA is the same at every input and
    // logit_j(A with channel c zeroed) = logit_j(A) − Σ_hw A[h, w, c] · d logit_j / dA[h, w, c].
    const grads: Float32Array[] = [];
    let activations: Float32Array | undefined;
    for (let j = 0; j < 4; j++) {
      const g = await model.activationsAndGradient(x, handle, j);
      grads.push((await g.gradient.data()) as Float32Array);
      activations ??= (await g.activations.data()) as Float32Array;
      tf.dispose([g.activations, g.gradient, g.logits]);
    }
    const channels = [5, 17, 63];
    const mask = channels.flatMap((c) => Array.from({ length: k }, (_, i) => (i === c ? 0 : 1)));
    const zeroed = tf.tidy(() => tf.mul(tf.tensor4d(activations!, [1, h, w, k]), tf.tensor4d(mask, [channels.length, 1, 1, k]))) as tf.Tensor4D;
    const logits = await model.forwardFrom(x, handle, zeroed);
    const data = await logits.data();
    const intact = LOGITS();
    channels.forEach((c, r) => {
      const expected = Array.from({ length: 4 }, (_, j) => {
        let taken = 0;
        for (let p = 0; p < h * w; p++) taken += activations![p * k + c] * grads[j][p * k + c];
        return intact[j] - taken;
      });
      expect(relativeError(rowOf(data, r, 4), expected)).toBeLessThan(TOL);
    });
    // The channels matter: zeroing them moves the logits well beyond the tolerance.
    expect(Math.max(...channels.map((_, r) => relativeError(rowOf(data, r, 4), intact)))).toBeGreaterThan(100 * TOL);
    tf.dispose([zeroed, logits]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('resolves a misspelt layer to an UnknownLayerError naming it, and a raw tensor name to its module', async () => {
    const error = (() => {
      try {
        model.resolveLayer('layr4');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UnknownLayerError);
    expect((error as UnknownLayerError).closest[0]).toBe('layer4');
    expect((error as Error).message).toMatch(/^Unknown layer "layr4"\. Closest: layer4\b.*The default layer is layer4\. The model has \d+ layers/);

    const raw = '/layer3/layer3.1/relu_1/Relu_output_0';
    const byTensor = model.resolveLayer(raw);
    const byModule = model.resolveLayer('layer3');
    expect(byTensor).toEqual({ ...byModule, name: raw });
    const before = tf.memory().numTensors;
    const golden = nchwToNhwc(readNpy(join(GOLDEN, 'activations_layer3.npy')));
    const logits = await model.forwardFrom(x, byTensor, golden);
    expect(relativeError(await logits.data(), LOGITS())).toBeLessThan(TOL);
    tf.dispose([golden, logits]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('forwardFrom on the onnxruntime engine', () => {
  it('runs through the tfjs graph and reproduces the logits', async () => {
    await useBackend('wasm');
    const model = await whiteBox(loadOnnxModel(join(GOLDEN, 'model.onnx')));
    expect(model.engine).toBe('onnxruntime-node');
    const x = nchwToNhwc(readNpy(join(GOLDEN, 'input.npy')));
    const golden = nchwToNhwc(readNpy(join(GOLDEN, 'activations_layer4.npy')));
    const before = tf.memory().numTensors;
    const logits = await model.forwardFrom(x, model.resolveLayer('layer4'), golden);
    expect(relativeError(await logits.data(), LOGITS())).toBeLessThan(TOL);
    logits.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, golden]);
    model.dispose();
  });
});

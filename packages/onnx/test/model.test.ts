import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { UnknownLayerError, XaiError, defaultFeatureLayer, isWhiteBox } from '@xai/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxModel as loadBrowser } from '../src/index.js';
import { loadOnnxModel, modulePaths, type OnnxClassifier } from '../src/node/index.js';
import { FIXTURES, GOLDEN, nchwToNhwc, readNpy, relativeError, useBackend, whiteBox } from './helpers.js';

const MODEL = join(GOLDEN, 'model.onnx');

describe('module paths', () => {
  it('derives PyTorch module paths from node-name scopes', () => {
    expect(modulePaths('/layer4/layer4.1/relu_1/Relu')).toEqual(['layer4', 'layer4.1', 'layer4.1.relu_1']);
    expect(modulePaths('/layer2/layer2.0/downsample/downsample.0/Conv')).toEqual([
      'layer2', 'layer2.0', 'layer2.0.downsample', 'layer2.0.downsample.0',
    ]);
    expect(modulePaths('/features/features.18/features.18.0/Conv')).toEqual(['features', 'features.18', 'features.18.0']);
    expect(modulePaths('/Flatten')).toEqual([]);
    expect(modulePaths('Conv_12')).toEqual([]);
  });
});

describe('OnnxClassifier on tiny-chelsea', () => {
  let model: OnnxClassifier;
  let x: tf.Tensor4D;
  beforeAll(async () => {
    await useBackend('wasm');
    model = await loadOnnxModel(MODEL, { engine: 'tfjs', classNames: ['a', 'b', 'c', 'd'] });
    x = nchwToNhwc(readNpy(join(GOLDEN, 'input.npy')));
  });
  afterAll(() => {
    model.dispose();
    x.dispose();
  });

  it('is a white-box Classifier', () => {
    expect(isWhiteBox(model)).toBe(true);
    expect(model.classNames).toEqual(['a', 'b', 'c', 'd']);
  });

  it('lists module paths with NCHW shapes and CAM flags', () => {
    const layers = model.layers();
    const byName = new Map(layers.map((l) => [l.name, l]));
    expect(byName.get('layer4')).toEqual({
      name: 'layer4', shape: [64, 2, 2], kind: 'Relu', camTarget: true, output: '/layer4/layer4.1/relu_1/Relu_output_0',
    });
    // A module and its last submodule are aliases of one value.
    expect(byName.get('layer4.1')?.output).toBe(byName.get('layer4')?.output);
    expect(byName.get('layer4.1.relu_1')?.output).toBe(byName.get('layer4')?.output);
    expect(byName.get('layer4.1')?.shape).toEqual([64, 2, 2]);
    expect(byName.get('layer3')?.shape).toEqual([32, 4, 4]);
    expect(byName.get('layer2.0.downsample.0')?.kind).toBe('Conv');
    expect(byName.get('fc')).toEqual({ name: 'fc', shape: [4], kind: 'Gemm', camTarget: false, output: 'logits' });
    // Execution order, outer modules before inner ones with the same output.
    const names = layers.map((l) => l.name);
    expect(names.indexOf('conv1')).toBeLessThan(names.indexOf('layer1'));
    expect(names.indexOf('layer4')).toBeLessThan(names.indexOf('layer4.1.relu_1'));
    expect(names.indexOf('layer4.1')).toBeLessThan(names.indexOf('fc'));
  });

  it('accepts raw tensor names and module paths alike', async () => {
    const moduleHandle = model.resolveLayer('layer4');
    const tensorHandle = model.resolveLayer('/layer4/layer4.1/relu_1/Relu_output_0');
    expect(moduleHandle).toEqual({ name: 'layer4', output: '/layer4/layer4.1/relu_1/Relu_output_0', shape: [2, 2, 64], spatial: true, kind: 'Relu' });
    expect(tensorHandle).toEqual({ ...moduleHandle, name: '/layer4/layer4.1/relu_1/Relu_output_0' });
    const byModule = await model.activationsAndGradient(x, moduleHandle, 1);
    const byTensor = await model.activationsAndGradient(x, tensorHandle, 1);
    expect(relativeError(await byTensor.gradient.data(), await byModule.gradient.data())).toBe(0);
    tf.dispose([byModule.activations, byModule.gradient, byModule.logits, byTensor.activations, byTensor.gradient, byTensor.logits]);
  });

  it('gives 2-D layers as [1, 1, 1, K]', async () => {
    const fc = model.resolveLayer('fc');
    expect(fc).toEqual({ name: 'fc', output: 'logits', shape: [4], spatial: false, kind: 'Gemm' });
    const g = await model.activationsAndGradient(x, fc, 2);
    expect(g.activations.shape).toEqual([1, 1, 1, 4]);
    expect(Array.from(await g.gradient.data())).toEqual([0, 0, 1, 0]);
    tf.dispose([g.activations, g.gradient, g.logits]);
  });

  it('rejects unknown layers naming the closest ones, the default and the layer count', () => {
    const count = model.layers().length;
    const error = (() => {
      try {
        model.resolveLayer('layer5');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UnknownLayerError);
    expect(error).toBeInstanceOf(XaiError);
    expect((error as Error).message).toBe(
      `Unknown layer "layer5". Closest: layer1, layer2, layer3. The default layer is layer4. The model has ${count} layers; ` +
        "`xai layers` (or the model's layers()) lists them.",
    );
  });

  it('rejects bad inputs and class indices', async () => {
    await expect(model.predict(tf.zeros([1, 3, 64, 64]) as tf.Tensor4D)).rejects.toThrow(/NHWC input \[B, 64, 64, 3\]/);
    const layer4 = model.resolveLayer('layer4');
    await expect(model.activationsAndGradient(x, layer4, 4)).rejects.toThrow(/out of range/);
    await expect(model.activationsAndGradient(tf.concat([x, x]) as tf.Tensor4D, layer4, 1)).rejects.toThrow(/one image/);
  });

  it('reports the engine and operator counts', () => {
    expect(model.engine).toBe('tfjs:wasm');
    expect(model.opCounts()).toEqual({ Conv: 20, Relu: 17, MaxPool: 1, Add: 8, GlobalAveragePool: 1, Flatten: 1, Gemm: 1 });
  });

  it('numTensors: load, predict, gradients and dispose leave nothing behind', async () => {
    const start = tf.memory().numTensors;
    const m = await loadOnnxModel(MODEL, { engine: 'tfjs' });
    const l = await m.predict(x);
    const g = await m.activationsAndGradient(x, m.resolveLayer('layer3'), 1);
    m.layers();
    tf.dispose([l, g.activations, g.gradient, g.logits]);
    m.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('onnxruntime path', () => {
  beforeAll(() => useBackend('wasm'));

  it('logits match the golden ones, gradients still come from tfjs', async () => {
    const model = await whiteBox(loadOnnxModel(MODEL));
    expect(model.engine).toBe('onnxruntime-node');
    const x = nchwToNhwc(readNpy(join(GOLDEN, 'input.npy')));
    const before = tf.memory().numTensors;
    const logits = await model.predict(x);
    expect(relativeError(await logits.data(), readNpy(join(GOLDEN, 'logits.npy')).data)).toBeLessThan(1e-4);
    logits.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const g = await model.activationsAndGradient(x, model.resolveLayer('layer4'), 1);
    const ref = readNpy(join(GOLDEN, 'gradients_layer4.npy'));
    const nchw = tf.transpose(g.gradient, [0, 3, 1, 2]);
    expect(relativeError(await nchw.data(), ref.data)).toBeLessThan(1e-4);
    tf.dispose([g.activations, g.gradient, g.logits, nchw, x]);
    model.dispose();
  });

  it('the browser entry loads bytes, and tfjs and onnxruntime agree on a batch', async () => {
    const bytes = new Uint8Array(readFileSync(MODEL));
    const fast = await loadBrowser(bytes, { engine: 'onnxruntime' });
    const slow = await loadBrowser(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), { engine: 'tfjs' });
    const batch = tf.randomNormal([5, 64, 64, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
    const [a, b] = [await fast.predict(batch), await slow.predict(batch)];
    expect(relativeError(await a.data(), await b.data())).toBeLessThan(1e-4);
    tf.dispose([a, b, batch]);
    fast.dispose();
    slow.dispose();
  });
});

describe('load-time folding', () => {
  it('folds ShuffleNet’s Shape → Gather → Concat → Reshape chains', async () => {
    await useBackend('wasm');
    const model = await loadOnnxModel(join(FIXTURES, 'shufflenet.onnx'), { engine: 'tfjs' });
    const ops = model.opCounts();
    expect(ops.Shape).toBeUndefined();
    expect(ops.Gather).toBeUndefined();
    expect(ops.Reshape).toBeGreaterThan(0);
    expect(defaultFeatureLayer(model)).toBe('conv5');
    // Folded reshapes keep the batch dynamic.
    const batch = tf.randomNormal([3, 64, 64, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const logits = await model.predict(batch);
    expect(logits.shape).toEqual([3, 10]);
    tf.dispose([logits, batch]);
    model.dispose();
  });
});

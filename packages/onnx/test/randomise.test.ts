import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { shuffledWeights } from '@xai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxModel } from '../src/node/index.js';
import { OnnxClassifier } from '../src/index.js';
import { tensorFromProto } from '../src/host.js';
import { onnx } from '../src/proto.js';
import { randomisedModelBytes, weightedNodes } from '../src/randomise.js';
import { GOLDEN, nchwToNhwc, readNpy, relativeError, useBackend } from './helpers.js';

const MODEL = join(GOLDEN, 'model.onnx');

function initializers(bytes: Uint8Array): Map<string, Float32Array> {
  const model = onnx.ModelProto.decode(bytes);
  return new Map((model.graph!.initializer ?? []).map((t) => [t.name!, tensorFromProto(t).data as Float32Array]));
}

const sameBytes = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

async function logits(model: { predict(x: tf.Tensor4D): Promise<tf.Tensor2D> }, x: tf.Tensor4D): Promise<Float32Array> {
  const out = await model.predict(x);
  const data = (await out.data()) as Float32Array;
  out.dispose();
  return data;
}

describe('re-initialising an ONNX model\'s layers', () => {
  beforeAll(() => useBackend('wasm'));

  it('names weighted nodes by module path, and shuffles exactly the chosen layers\' initializers', () => {
    const bytes = new Uint8Array(readFileSync(MODEL));
    const nodes = weightedNodes(onnx.ModelProto.decode(bytes));
    expect(nodes.map((n) => n.name).slice(0, 3)).toEqual(['conv1', 'layer1.0.conv1', 'layer1.0.conv2']);
    expect(nodes.at(-1)!.name).toBe('fc');
    expect(nodes).toHaveLength(21); // 20 convolutions (batch norms folded by the export) and fc
    const original = initializers(bytes);
    const copy = initializers(randomisedModelBytes(bytes, ['fc', 'layer4.1.conv2'], 3));
    const changed = new Map<string, [string, number]>();
    for (const layer of ['fc', 'layer4.1.conv2']) {
      nodes.find((n) => n.name === layer)!.initializers.forEach((t, i) => changed.set(t.name!, [layer, i]));
    }
    expect(changed.size).toBe(4); // weight and bias of each
    for (const [name, values] of original) {
      const key = changed.get(name);
      const expected = key ? shuffledWeights(values, 3, key[0], key[1]) : values;
      expect(sameBytes(copy.get(name)!, expected), name).toBe(true);
    }
    expect(Buffer.from(readFileSync(MODEL)).equals(Buffer.from(bytes))).toBe(true);
    expect(() => randomisedModelBytes(bytes, ['layer9'], 3)).toThrow(/Cannot re-initialise "layer9": not a layer with weights; the layers with weights are conv1, layer1.0.conv1/);
  });

  it('a randomised copy runs on the tfjs graph and in onnxruntime alike; the original predicts the same bytes', async () => {
    const x = nchwToNhwc(readNpy(join(GOLDEN, 'input.npy')));
    const model = await loadOnnxModel(MODEL, { engine: 'tfjs', preprocessing: 'imagenet' });
    expect(model.parameterLayers().at(-1)).toBe('fc');
    const before = await logits(model, x);
    const tensors = tf.memory().numTensors;
    const copy = await model.randomisedCopy(['fc', 'layer4.1.conv2', 'layer4.1.conv1'], { seed: 1 });
    expect(copy.preprocessing).toEqual(model.preprocessing);
    const viaTfjs = await logits(copy, x);
    copy.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(relativeError(viaTfjs, before)).toBeGreaterThan(0.1);
    expect(await logits(model, x)).toEqual(before);
    model.dispose();

    const ort = await loadOnnxModel(MODEL, { engine: 'onnxruntime', preprocessing: 'imagenet' });
    if (!(ort instanceof OnnxClassifier)) throw new Error('tiny-chelsea loaded as a black box');
    const ortCopy = await ort.randomisedCopy(['fc', 'layer4.1.conv2', 'layer4.1.conv1'], { seed: 1 });
    expect(ortCopy.engine).toMatch(/^onnxruntime/);
    expect(relativeError(await logits(ortCopy, x), viaTfjs)).toBeLessThan(1e-4);
    ortCopy.dispose();
    ort.dispose();
    x.dispose();
  });
});

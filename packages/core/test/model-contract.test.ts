// The classifier contract every adapter checks at load: the output is [batch, classes].
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { XaiError } from '../src/errors.js';
import { CLASSIFIER_OUTPUT, classifierOutputClasses, formatDims, inFixedBatches } from '../src/models/contract.js';
import { LayersClassifier } from '../src/models/layers-classifier.js';
import { classifierFromArtifacts } from '../src/models/load.js';
import { maxRelativeDiff, useBackend } from './helpers.js';
import { seedWeights } from './models.js';

const where = { model: '"m.onnx"', output: 'out' };

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(XaiError);
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('classifierOutputClasses', () => {
  it('takes [batch, K] and [batch, K] with extra axes of size 1, and gives K', () => {
    expect(classifierOutputClasses(['batch', 1000], where)).toBe(1000);
    expect(classifierOutputClasses([null, 10], where)).toBe(10);
    expect(classifierOutputClasses([1, 5], { ...where, batch: 1 })).toBe(5);
    expect(classifierOutputClasses(['N', 5, 1, 1], where)).toBe(5);
    expect(classifierOutputClasses([-1, 1, 1, 7], where)).toBe(7);
    expect(classifierOutputClasses([4, 1], { ...where, batch: 4 })).toBe(1);
  });

  it('leaves K open when an axis is dynamic (the adapter measures it)', () => {
    expect(classifierOutputClasses(['batch', 'classes'], where)).toBeUndefined();
    expect(classifierOutputClasses(['batch', 4, 'h', 'w'], where)).toBeUndefined();
    expect(classifierOutputClasses([null, null], where)).toBeUndefined();
  });

  it('refuses anything else, naming the model, the output, the shape and what is accepted', () => {
    expect(refusal(() => classifierOutputClasses(['batch', 4, 32, 32], where))).toBe(
      `"m.onnx": the output "out" has shape [batch, 4, 32, 32]; ${CLASSIFIER_OUTPUT}. ` +
        "This looks like a per-pixel or per-box output (segmentation, detection), not an image classifier's",
    );
    expect(CLASSIFIER_OUTPUT).toBe("a classifier's output must be [batch, classes], or [batch, classes, 1, 1] (axes of size 1 after the batch are dropped)");
    expect(refusal(() => classifierOutputClasses(['batch'], where))).toBe(
      `"m.onnx": the output "out" has shape [batch]; ${CLASSIFIER_OUTPUT}. This is one value per image, not one logit per class`,
    );
    expect(refusal(() => classifierOutputClasses([5], { ...where, batch: 1 }))).toMatch(/has shape \[5\]; .* It has no batch axis \(the batch is 1\)$/);
    expect(refusal(() => classifierOutputClasses([], where))).toMatch(/has shape \[\]; .*This is a scalar$/);
    expect(refusal(() => classifierOutputClasses([5, 1], { ...where, batch: 1 }))).toMatch(/has shape \[5, 1\]; .*Its first axis should be the batch, 1 here$/);
    expect(refusal(() => classifierOutputClasses(['batch', 0], where))).toMatch(/axis of size 0/);
    expect(refusal(() => classifierOutputClasses([null, 100, 85], where))).toMatch(/^"m.onnx": the output "out" has shape \[\?, 100, 85\]; .*per-box/);
  });

  it('formats dims with names, sizes and ? for unknown axes', () => {
    expect(formatDims(['batch', 3, undefined, null, -1])).toBe('[batch, 3, ?, ?, ?]');
  });
});

describe('inFixedBatches', () => {
  beforeAll(() => useBackend('cpu'));

  it('runs batches of exactly the size, pads the last with zeros and drops the padded rows', () => {
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [5, 2]);
    const seen: number[][] = [];
    const before = tf.memory().numTensors;
    const out = inFixedBatches(x, 2, (batch) => {
      seen.push(batch.shape);
      return tf.mul(tf.sum(batch, 1, true), 10) as tf.Tensor2D;
    });
    expect(seen).toEqual([[2, 2], [2, 2], [2, 2]]);
    expect(out.shape).toEqual([5, 1]);
    expect(Array.from(out.dataSync())).toEqual([30, 70, 110, 150, 190]);
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
    // A batch of the size runs once, as it is; a smaller one is padded; an empty one gives no rows.
    const three = inFixedBatches(x, 5, (b) => tf.sum(b, 1, true) as tf.Tensor2D);
    expect(three.shape).toEqual([5, 1]);
    const padded = inFixedBatches(x, 8, (b) => {
      expect(b.shape[0]).toBe(8);
      return tf.sum(b, 1, true) as tf.Tensor2D;
    });
    expect(Array.from(padded.dataSync())).toEqual([3, 7, 11, 15, 19]);
    const empty = inFixedBatches(tf.zeros([0, 2]), 2, (b) => tf.sum(b, 1, true) as tf.Tensor2D);
    expect(empty.shape).toEqual([0, 1]);
    tf.dispose([x, three, padded, empty]);
  });
});

/** input → conv ("features") → a head that is not [batch, classes], or is with axes of size 1. */
function convModel(head: 'per-pixel' | 'conv-head'): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 3], name: 'image' });
  const features = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'features' }).apply(input) as tfl.SymbolicTensor;
  if (head === 'per-pixel') {
    const masks = tfl.layers.conv2d({ filters: 2, kernelSize: 1, name: 'masks' }).apply(features) as tfl.SymbolicTensor;
    return tfl.model({ inputs: input, outputs: masks, name: 'segmenter' });
  }
  // A 1×1-convolution head, pooled to [batch, 1, 1, 3] and never flattened (NHWC: the classes last).
  const scores = tfl.layers.conv2d({ filters: 3, kernelSize: 1, name: 'classifier' }).apply(features) as tfl.SymbolicTensor;
  const pooled = tfl.layers.averagePooling2d({ poolSize: 8, name: 'pool' }).apply(scores) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: pooled, name: 'conv_head' });
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`LayersClassifier: the output contract (${backend})`, () => {
    beforeAll(() => useBackend(backend));

    it('refuses a per-pixel output with the shape and what is accepted', () => {
      const model = convModel('per-pixel');
      const message = refusal(() => new LayersClassifier(model, { source: 'seg/model.json' }));
      expect(message).toMatch(/^"seg\/model.json": the output "masks" has shape \[\?, 8, 8, 2\]; a classifier's output must be \[batch, classes\], or \[batch, classes, 1, 1\]/);
      expect(message).toMatch(/per-pixel or per-box output/);
      expect(refusal(() => new LayersClassifier(model))).toMatch(/^the model: the output "masks/);
      model.dispose();
    });

    it('names the model.json it was loaded from', async () => {
      const model = convModel('per-pixel');
      let artifacts: tf.io.ModelArtifacts | undefined;
      await model.save(tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }));
      model.dispose();
      const before = tf.memory().numTensors;
      await expect(classifierFromArtifacts(artifacts!, {}, 'models/seg/model.json')).rejects.toThrow(
        /^"models\/seg\/model.json": the output "masks" has shape \[\?, 8, 8, 2\]; a classifier's output must be/,
      );
      // The refused model's weights are freed.
      expect(tf.memory().numTensors).toBe(before);
    });

    it('reads a [batch, 1, 1, K] head as [batch, K]: predict, gradients and forwardFrom', async () => {
      const model = convModel('conv-head');
      await seedWeights(model, 5);
      const classifier = new LayersClassifier(model);
      expect(classifier.numClasses).toBe(3);
      const batch = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 6) as tf.Tensor4D;
      const image = tf.slice(batch, [2, 0, 0, 0], [1, 8, 8, 3]) as tf.Tensor4D;
      const before = tf.memory().numTensors;
      const logits = await classifier.predict(batch);
      expect(logits.shape).toEqual([4, 3]);
      const raw = tf.tidy(() => model.predict(batch) as tf.Tensor);
      expect(raw.shape).toEqual([4, 1, 1, 3]);
      expect(maxRelativeDiff(await logits.data(), await raw.data())).toBe(0);
      const layer = classifier.resolveLayer('features');
      const g = await classifier.activationsAndGradient(image, layer, 1);
      expect(g.logits.shape).toEqual([1, 3]);
      expect(maxRelativeDiff(await g.logits.data(), (await logits.data()).slice(6, 9))).toBeLessThan(1e-5);
      const twice = tf.tile(g.activations, [2, 1, 1, 1]) as tf.Tensor4D;
      const again = await classifier.forwardFrom(image, layer, twice);
      expect(again.shape).toEqual([2, 3]);
      expect(maxRelativeDiff(await again.data(), [...(await g.logits.data()), ...(await g.logits.data())])).toBeLessThan(1e-5);
      tf.dispose([logits, raw, g.activations, g.gradient, g.logits, twice, again]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([batch, image]);
      classifier.dispose();
    });
  });
}

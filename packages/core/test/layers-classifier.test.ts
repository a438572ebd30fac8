import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { LayersClassifier } from '../src/models/layers-classifier.js';
import { maxRelativeDiff, useBackend } from './helpers.js';
import { nestedModel, residualModel, seedWeights } from './models.js';

function weightsOf(model: tfl.LayersModel, name: string): tf.Tensor[] {
  const layer = model.layers.find((l) => l.name === name) ?? (model.layers.find((l) => l.name === 'features') as tfl.LayersModel).getLayer(name);
  return layer.getWeights();
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`LayersClassifier on ${backend}`, () => {
    beforeAll(() => useBackend(backend));

    it('lists layers with shapes and picks the last feature map before pooling', async () => {
      const model = residualModel();
      const classifier = new LayersClassifier(model, { preprocessing: 'imagenet', classNames: ['a', 'b', 'c'] });
      expect(classifier.input).toEqual({ height: 8, width: 8, channels: 3, layout: 'NHWC' });
      expect(classifier.numClasses).toBe(3);
      expect(classifier.preprocessing.mean).toEqual([0.485, 0.456, 0.406]);
      const names = classifier.layers().map((l) => `${l.name}:${l.shape.join('x')}:${l.camTarget}`);
      expect(names).toEqual(['image:8x8x3:false', 'stem:8x8x4:true', 'block_in:8x8x4:true', 'inner_conv:8x8x4:true',
        'block_out:8x8x4:true', 'gap:4:false', 'logits:3:false']);
      expect(classifier.defaultCamLayer()).toBe('block_out');
      classifier.dispose();
    });

    it('gives the gradient at a layer inside a residual block, skip path included', async () => {
      const model = residualModel();
      await seedWeights(model, 3);
      const classifier = new LayersClassifier(model);
      const image = tf.randomNormal([1, 8, 8, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
      const before = tf.memory().numTensors;
      const { activations, gradient, logits } = await classifier.activationsAndGradient(image, 'block_in', 1);

      // The same network written by hand from block_in onwards: logits = dense(GAP(A + conv(A))).
      const [k, b] = weightsOf(model, 'inner_conv');
      const [dw, db] = weightsOf(model, 'logits');
      const tail = (a: tf.Tensor) => {
        const sum = tf.add(a, tf.add(tf.conv2d(a as tf.Tensor4D, k as tf.Tensor4D, 1, 'same'), b));
        return tf.add(tf.matMul(tf.mean(sum, [1, 2]), dw), db);
      };
      const expectedGrad = tf.grad((a) => tf.squeeze(tf.slice(tail(a), [0, 1], [1, 1])))(activations);
      const expectedLogits = model.predict(image) as tf.Tensor;
      expect(maxRelativeDiff(await gradient.data(), await expectedGrad.data())).toBeLessThan(1e-5);
      expect(maxRelativeDiff(await logits.data(), await expectedLogits.data())).toBeLessThan(1e-5);
      const tailLogits = tf.tidy(() => tail(activations));
      expect(maxRelativeDiff(await logits.data(), await tailLogits.data())).toBeLessThan(1e-5);
      tf.dispose([activations, gradient, logits, expectedGrad, expectedLogits, tailLogits]);
      expect(tf.memory().numTensors).toBe(before);
      image.dispose();
      classifier.dispose();
    });

    it('gives the gradient at a layer of a nested model', async () => {
      const model = nestedModel();
      await seedWeights(model, 9);
      const classifier = new LayersClassifier(model);
      expect(classifier.layers().map((l) => l.name)).toContain('features/conv_a');
      expect(classifier.defaultCamLayer()).toBe('features');
      const image = tf.randomNormal([1, 8, 8, 3], 0, 1, 'float32', 6) as tf.Tensor4D;
      const before = tf.memory().numTensors;
      const { activations, gradient, logits } = await classifier.activationsAndGradient(image, 'features/conv_a', 0);
      expect(activations.shape).toEqual([1, 8, 8, 4]);
      const [kb, bb] = weightsOf(model, 'conv_b');
      const [dw, db] = weightsOf(model, 'logits');
      const tail = (a: tf.Tensor) => {
        const f = tf.relu(tf.add(tf.conv2d(a as tf.Tensor4D, kb as tf.Tensor4D, 2, 'same'), bb));
        return tf.squeeze(tf.slice(tf.add(tf.matMul(tf.mean(f, [1, 2]), dw), db), [0, 0], [1, 1]));
      };
      const expected = tf.grad(tail)(activations);
      expect(maxRelativeDiff(await gradient.data(), await expected.data())).toBeLessThan(1e-5);
      tf.dispose([activations, gradient, logits, expected]);
      expect(tf.memory().numTensors).toBe(before);
      image.dispose();
      classifier.dispose();
    });

    it('predicts in batches without leaking', async () => {
      const classifier = new LayersClassifier(residualModel());
      const batch = tf.zeros([5, 8, 8, 3]) as tf.Tensor4D;
      const before = tf.memory().numTensors;
      const logits = await classifier.predict(batch);
      expect(logits.shape).toEqual([5, 3]);
      logits.dispose();
      expect(tf.memory().numTensors).toBe(before);
      batch.dispose();
      classifier.dispose();
    });

    it('names the layers that would work when given an unknown or non-4-D layer', async () => {
      const classifier = new LayersClassifier(residualModel());
      const image = tf.zeros([1, 8, 8, 3]) as tf.Tensor4D;
      await expect(classifier.activationsAndGradient(image, 'layer4', 0)).rejects.toThrow(
        'Unknown layer "layer4". Layers with a 4-D output: stem [8×8×4], block_in [8×8×4], inner_conv [8×8×4], block_out [8×8×4]',
      );
      await expect(classifier.activationsAndGradient(image, 'gap', 0)).rejects.toThrow(/Layer "gap" has output shape \[4\], not a 4-D feature map/);
      image.dispose();
      classifier.dispose();
    });
  });
}

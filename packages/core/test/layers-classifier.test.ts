import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { LayersClassifier } from '../src/models/layers-classifier.js';
import { defaultFeatureLayer, requireFeatureMap, UnknownLayerError } from '../src/models/layer-search.js';
import { maxRelativeDiff, row, useBackend, withChannelsZeroed, zeroedLinearHead } from './helpers.js';
import { concatModel, nestedModel, residualModel, seedWeights } from './models.js';

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
      expect(classifier.layers().every((l) => l.output === l.name)).toBe(true);
      expect(defaultFeatureLayer(classifier)).toBe('block_out');
      classifier.dispose();
    });

    it('gives the gradient at a layer inside a residual block, skip path included', async () => {
      const model = residualModel();
      await seedWeights(model, 3);
      const classifier = new LayersClassifier(model);
      const image = tf.randomNormal([1, 8, 8, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
      const before = tf.memory().numTensors;
      const { activations, gradient, logits } = await classifier.activationsAndGradient(image, classifier.resolveLayer('block_in'), 1);

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
      expect(defaultFeatureLayer(classifier)).toBe('features');
      const image = tf.randomNormal([1, 8, 8, 3], 0, 1, 'float32', 6) as tf.Tensor4D;
      const before = tf.memory().numTensors;
      const { activations, gradient, logits } = await classifier.activationsAndGradient(image, classifier.resolveLayer('features/conv_a'), 0);
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

      // At the nested model itself: its output, and a gradient of W[:, 0] / (h·w) at every position.
      const whole = await classifier.activationsAndGradient(image, classifier.resolveLayer('features'), 0);
      const inner = (model.layers.find((l) => l.name === 'features') as tfl.LayersModel).predict(image) as tf.Tensor;
      expect(whole.activations.shape).toEqual([1, 4, 4, 5]);
      expect(maxRelativeDiff(await whole.activations.data(), await inner.data())).toBeLessThan(1e-5);
      const column = tf.tidy(() => tf.tile(tf.reshape(tf.div(tf.slice(dw, [0, 0], [5, 1]), 16), [1, 1, 1, 5]), [1, 4, 4, 1]));
      expect(maxRelativeDiff(await whole.gradient.data(), await column.data())).toBeLessThan(1e-5);
      tf.dispose([whole.activations, whole.gradient, whole.logits, inner, column]);
      expect(tf.memory().numTensors).toBe(before);
      image.dispose();
      classifier.dispose();
    });

    it('runs the network from a layer that a skip connection bypasses, batched', async () => {
      const model = residualModel();
      await seedWeights(model, 11);
      const classifier = new LayersClassifier(model);
      const image = tf.randomNormal([1, 8, 8, 3], 0, 1, 'float32', 12) as tf.Tensor4D;
      const [dw] = weightsOf(model, 'logits') as [tf.Tensor2D];
      const [k, b] = weightsOf(model, 'inner_conv');
      const before = tf.memory().numTensors;
      const predicted = await classifier.predict(image);
      const intact = await predicted.data();

      // inner_conv: the skip carries block_in around it, and the head after it is linear:
      // logits = dense(GAP(block_in + A)), so zeroing channel c takes away mean(A_c) · W[c, :].
      const inner = classifier.resolveLayer('inner_conv');
      const g = await classifier.activationsAndGradient(image, inner, 0);
      const tiled = tf.tile(g.activations, [3, 1, 1, 1]) as tf.Tensor4D;
      const same = await classifier.forwardFrom(image, inner, tiled);
      expect(same.shape).toEqual([3, 3]);
      const sameData = await same.data();
      for (let r = 0; r < 3; r++) expect(maxRelativeDiff(row(sameData, r, 3), intact)).toBeLessThan(1e-5);
      const zeroed = withChannelsZeroed(g.activations, [[], [0], [3]]);
      const changedLogits = await classifier.forwardFrom(image, inner, zeroed);
      const changed = await changedLogits.data();
      // The caller owns the activations: running the network does not dispose them.
      expect(zeroed.isDisposed).toBe(false);
      expect(tiled.isDisposed).toBe(false);
      expect(maxRelativeDiff(row(changed, 0, 3), intact)).toBeLessThan(1e-5);
      expect(maxRelativeDiff(row(changed, 1, 3), zeroedLinearHead(intact, g.activations, dw, 0))).toBeLessThan(1e-5);
      expect(maxRelativeDiff(row(changed, 2, 3), zeroedLinearHead(intact, g.activations, dw, 3))).toBeLessThan(1e-5);
      expect(maxRelativeDiff(row(changed, 1, 3), intact)).toBeGreaterThan(1e-3);

      // block_in feeds both the skip and inner_conv, so the replacement reaches both:
      // logits = dense(GAP(A + conv(A) + b)), written by hand.
      const blockIn = classifier.resolveLayer('block_in');
      const h = await classifier.activationsAndGradient(image, blockIn, 0);
      const zeroedIn = withChannelsZeroed(h.activations, [[], [1], [0, 2]]);
      const fromIn = await classifier.forwardFrom(image, blockIn, zeroedIn);
      const byHand = tf.tidy(() =>
        tf.add(tf.matMul(tf.mean(tf.add(zeroedIn, tf.add(tf.conv2d(zeroedIn, k as tf.Tensor4D, 1, 'same'), b)), [1, 2]), dw), weightsOf(model, 'logits')[1]),
      );
      const fromInData = await fromIn.data();
      expect(maxRelativeDiff(row(fromInData, 0, 3), intact)).toBeLessThan(1e-5);
      expect(maxRelativeDiff(fromInData, await byHand.data())).toBeLessThan(1e-5);

      tf.dispose([predicted, g.activations, g.gradient, g.logits, tiled, same, zeroed, changedLogits]);
      tf.dispose([h.activations, h.gradient, h.logits, zeroedIn, fromIn, byHand]);
      expect(tf.memory().numTensors).toBe(before);
      image.dispose();
      classifier.dispose();
    });

    it('runs the network from a layer of a nested model, and from the nested model itself', async () => {
      const model = nestedModel();
      await seedWeights(model, 13);
      const classifier = new LayersClassifier(model);
      const image = tf.randomNormal([1, 8, 8, 3], 0, 1, 'float32', 14) as tf.Tensor4D;
      const [kb, bb] = weightsOf(model, 'conv_b');
      const [dw, db] = weightsOf(model, 'logits') as [tf.Tensor2D, tf.Tensor1D];
      const before = tf.memory().numTensors;
      const predicted = await classifier.predict(image);
      const intact = await predicted.data();

      // features/conv_a: the rest is relu(conv_b(A)) → GAP → dense, written by hand.
      const convA = classifier.resolveLayer('features/conv_a');
      const a = await classifier.activationsAndGradient(image, convA, 0);
      const tiled = tf.tile(a.activations, [2, 1, 1, 1]) as tf.Tensor4D;
      const same = await classifier.forwardFrom(image, convA, tiled);
      const sameData = await same.data();
      expect(same.shape).toEqual([2, 2]);
      for (let r = 0; r < 2; r++) expect(maxRelativeDiff(row(sameData, r, 2), intact)).toBeLessThan(1e-5);
      const zeroed = withChannelsZeroed(a.activations, [[2], [0, 1]]);
      const fromA = await classifier.forwardFrom(image, convA, zeroed);
      const byHand = tf.tidy(() => {
        const f = tf.relu(tf.add(tf.conv2d(zeroed, kb as tf.Tensor4D, 2, 'same'), bb));
        return tf.add(tf.matMul(tf.mean(f, [1, 2]), dw), db);
      });
      expect(maxRelativeDiff(await fromA.data(), await byHand.data())).toBeLessThan(1e-5);

      // features (the nested model's output): the head after it is GAP → dense, linear.
      const features = classifier.resolveLayer('features');
      expect(features).toMatchObject({ output: 'features', shape: [4, 4, 5], spatial: true });
      const f = await classifier.activationsAndGradient(image, features, 0);
      const fz = withChannelsZeroed(f.activations, [[], [4]]);
      const fromF = await classifier.forwardFrom(image, features, fz);
      const fromFData = await fromF.data();
      expect(maxRelativeDiff(row(fromFData, 0, 2), intact)).toBeLessThan(1e-5);
      expect(maxRelativeDiff(row(fromFData, 1, 2), zeroedLinearHead(intact, f.activations, dw, 4))).toBeLessThan(1e-5);

      tf.dispose([predicted, a.activations, a.gradient, a.logits, tiled, same, zeroed, fromA, byHand]);
      tf.dispose([f.activations, f.gradient, f.logits, fz, fromF]);
      expect(tf.memory().numTensors).toBe(before);
      image.dispose();
      classifier.dispose();
    });

    it('runs the network from a layer whose skip is concatenated (no batch broadcast), batched', async () => {
      const model = concatModel();
      await seedWeights(model, 15);
      const classifier = new LayersClassifier(model);
      const image = tf.randomNormal([1, 6, 6, 3], 0, 1, 'float32', 16) as tf.Tensor4D;
      const [dw] = weightsOf(model, 'logits') as [tf.Tensor2D];
      const before = tf.memory().numTensors;
      const predicted = await classifier.predict(image);
      const intact = await predicted.data();
      // logits = [mean(a), mean(B)] · W + bias: linear in B, whose channels are rows 2… of W.
      const b = classifier.resolveLayer('b');
      const g = await classifier.activationsAndGradient(image, b, 0);
      const zeroed = withChannelsZeroed(g.activations, [[], [1], [], [0, 2]]);
      const logits = await classifier.forwardFrom(image, b, zeroed);
      expect(logits.shape).toEqual([4, 3]);
      const data = await logits.data();
      const wB = tf.slice(dw, [2, 0], [3, 3]) as tf.Tensor2D;
      expect(maxRelativeDiff(row(data, 0, 3), intact)).toBeLessThan(1e-5);
      expect(maxRelativeDiff(row(data, 2, 3), intact)).toBeLessThan(1e-5);
      expect(maxRelativeDiff(row(data, 1, 3), zeroedLinearHead(intact, g.activations, wB, 1))).toBeLessThan(1e-5);
      const both = zeroedLinearHead(zeroedLinearHead(intact, g.activations, wB, 0), g.activations, wB, 2);
      expect(maxRelativeDiff(row(data, 3, 3), both)).toBeLessThan(1e-5);
      tf.dispose([predicted, g.activations, g.gradient, g.logits, zeroed, logits, wB]);
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

    it('names the close match, the default and the layer count for an unknown layer, and the feature maps for a non-4-D one', () => {
      const classifier = new LayersClassifier(residualModel());
      const error = (() => {
        try {
          classifier.resolveLayer('block_ot');
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(UnknownLayerError);
      expect((error as UnknownLayerError).message).toBe(
        'Unknown layer "block_ot". Closest: block_out, block_in. The default layer is block_out. ' +
          "The model has 7 layers; `xai layers` (or the model's layers()) lists them.",
      );
      expect((error as UnknownLayerError).closest).toEqual(['block_out', 'block_in']);
      const gap = classifier.resolveLayer('gap');
      expect(gap).toEqual({ name: 'gap', output: 'gap', shape: [4], spatial: false, kind: 'GlobalAveragePooling2D' });
      expect(() => requireFeatureMap(gap, classifier.layers(), 'Grad-CAM')).toThrow(
        'Layer "gap" has output shape [4], not a feature map [height, width, channels]; Grad-CAM weights the channels of a 4-D layer output. ' +
          'Feature-map layers: stem, block_in, inner_conv, block_out',
      );
      classifier.dispose();
    });
  });
}

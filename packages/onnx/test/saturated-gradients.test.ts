// Input gradients on pictures with saturated and flat regions (issue 25): flat areas make the stem's
// max-pool windows tie with a positive maximum, and the gradient must go to the first maximal
// element of each window (PyTorch's rule). References: plain torch autograd, which is what Captum
// computes (packages/testing/scripts/make_saturated_fixtures.py; case.json records how many
// windows tie and how far sending ties to the last maximum would move the gradient).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxModel } from '../src/node/index.js';
import { BACKENDS, GOLDEN, nchwToNhwc, readNpy, relativeError, toNchw, useBackend, whiteBox } from './helpers.js';
import type { OnnxClassifier } from '../src/classifier.js';

const TOL = 1e-4;
const CASES = ['astronaut', 'rocket', 'flat-card'] as const;

interface SaturatedCase {
  input_size: [number, number];
  top_class: number;
  maxpool: { tied_windows_positive_max: number; ties_to_last_max_gradient_error: number };
}

const caseDir = (name: string) => join(GOLDEN, '..', name);
const readCase = (name: string) => JSON.parse(readFileSync(join(caseDir(name), 'case.json'), 'utf8')) as SaturatedCase;

// The tfjs graph on each backend, and onnxruntime's gradient graph (MaxPool's own indices).
const PATHS = [...BACKENDS.map((b) => [b, 'tfjs'] as const), ['cpu', 'onnxruntime'] as const];

describe.each(PATHS)('input gradients of pictures with flat regions on %s, engine %s', (backend, engine) => {
  describe.each(CASES)('%s', (name) => {
    const info = readCase(name);
    const [height, width] = info.input_size;
    let model: OnnxClassifier;
    let x: tf.Tensor4D;
    beforeAll(async () => {
      await useBackend(backend);
      model = await whiteBox(loadOnnxModel(join(caseDir(name), 'model.onnx'), { engine }));
      x = nchwToNhwc(readNpy(join(caseDir(name), 'input.npy')));
      // A first gradient may cache constants on the graph: made here, not inside a measured test.
      tf.dispose(await model.inputGradients(x, info.top_class));
    });
    afterAll(() => {
      x?.dispose();
      model?.dispose();
    });

    it('is a case where ties matter: windows tie with a positive maximum, and sending them to the last maximum is wrong', () => {
      expect(info.maxpool.tied_windows_positive_max).toBeGreaterThan(0);
      expect(info.maxpool.ties_to_last_max_gradient_error).toBeGreaterThan(0.1);
    });

    it('∂y_c/∂x (signed) and |∂y_c/∂x| are the references', async () => {
      const signed = readNpy(join(caseDir(name), 'baselines', 'gradient.npy'));
      const saliency = readNpy(join(caseDir(name), 'baselines', 'saliency.npy'));
      expect(signed.shape).toEqual([1, 3, height, width]);
      const before = tf.memory().numTensors;
      const g = await model.inputGradients(x, info.top_class);
      expect(g.shape).toEqual([1, height, width, 3]);
      const abs = tf.abs(g);
      const error = relativeError(await toNchw(g), signed.data);
      const absError = relativeError(await toNchw(abs), saliency.data);
      console.log(`${name} on ${backend}, ${engine}: gradient max error ${error.toExponential(2)} × max|ref|`);
      tf.dispose([g, abs]);
      expect(tf.memory().numTensors).toBe(before);
      expect(error).toBeLessThan(TOL);
      expect(absError).toBeLessThan(TOL);
    });

    it('the guided gradient is the Guided Backprop reference', async () => {
      const reference = readNpy(join(caseDir(name), 'baselines', 'guided_backprop.npy'));
      const before = tf.memory().numTensors;
      const g = await model.inputGradients(x, info.top_class, { rule: 'guided' });
      const error = relativeError(await toNchw(g), reference.data);
      console.log(`${name} on ${backend}, ${engine}: guided backprop max error ${error.toExponential(2)} × max|ref|`);
      g.dispose();
      expect(tf.memory().numTensors).toBe(before);
      expect(error).toBeLessThan(TOL);
    });

    it('a batch of the picture, its mirror image and the picture again gives rows 0 and 2 equal to the reference', async () => {
      const signed = readNpy(join(caseDir(name), 'baselines', 'gradient.npy'));
      const batch = tf.tidy(() => tf.concat([x, tf.reverse(x, 2), x]) as tf.Tensor4D);
      const before = tf.memory().numTensors;
      const g = await model.inputGradients(batch, info.top_class);
      for (const row of [0, 2]) {
        const one = tf.slice(g, [row, 0, 0, 0], [1, height, width, 3]) as tf.Tensor4D;
        expect(relativeError(await toNchw(one), signed.data), `row ${row}`).toBeLessThan(TOL);
        one.dispose();
      }
      g.dispose();
      expect(tf.memory().numTensors).toBe(before);
      batch.dispose();
    });
  });
});

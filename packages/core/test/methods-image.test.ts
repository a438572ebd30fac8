import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Classifier } from '../src/classifier.js';
import { XaiError } from '../src/errors.js';
import { checkImage } from '../src/methods/image.js';
import { useBackend } from './helpers.js';

const model = { input: { height: 4, width: 5, channels: 3, layout: 'NCHW' } } as Classifier;

describe('checkImage', () => {
  beforeAll(() => useBackend('cpu'));

  it('passes one NHWC image through, and gives a batch axis to [H, W, C]', async () => {
    const image = tf.ones([1, 4, 5, 3]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    expect(checkImage(model, image, 'RISE')).toBe(image);
    const hwc = tf.ones([4, 5, 3]);
    const batched = checkImage(model, hwc, 'RISE');
    expect(batched.shape).toEqual([1, 4, 5, 3]);
    expect(Array.from(await batched.data())).toEqual(Array.from(await hwc.data()));
    tf.dispose([hwc, batched]);
    expect(tf.memory().numTensors).toBe(before);
    image.dispose();
  });

  it('refuses what is not one float32 image of the model’s size, saying what it expects', () => {
    const before = tf.memory().numTensors;
    const expected = '[1, 4, 5, 3] (preprocessed, NHWC)';
    const refuse = (image: unknown, message: string) => {
      let error: unknown;
      try {
        checkImage(model, image, 'Grad-CAM');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(XaiError);
      expect((error as Error).message).toBe(message);
    };
    refuse(new Float32Array(60), `Grad-CAM explains one image given as a tensor ${expected}`);
    refuse(undefined, `Grad-CAM explains one image given as a tensor ${expected}`);
    const cases: [tf.Tensor, string][] = [
      [tf.zeros([2, 4, 5, 3]), '[2, 4, 5, 3]'],
      [tf.zeros([1, 3, 4, 5]), '[1, 3, 4, 5]'], // NCHW, as the model stores it: still refused
      [tf.zeros([1, 5, 4, 3]), '[1, 5, 4, 3]'],
      [tf.zeros([1, 4, 5, 1]), '[1, 4, 5, 1]'],
      [tf.zeros([4, 5]), '[4, 5]'],
      [tf.zeros([1, 1, 4, 5, 3]), '[1, 1, 4, 5, 3]'],
    ];
    for (const [image, shape] of cases) refuse(image, `Grad-CAM explains one image of shape ${expected} for this model; got ${shape}`);
    const ints = tf.zeros([1, 4, 5, 3], 'int32');
    refuse(ints, 'Grad-CAM needs a float32 image (the preprocessed model input); got int32');
    tf.dispose([...cases.map(([t]) => t), ints]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

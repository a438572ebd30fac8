import * as tf from '@tensorflow/tfjs-core';
import { nchwToNhwc, readFixtureFloat32 } from '@xai/testing';

/** The golden tiny-chelsea input, NHWC `[1, 64, 64, 3]`. */
export function tinyChelseaImage(): tf.Tensor4D {
  const input = readFixtureFloat32('tiny-chelsea', 'input.npy');
  const nhwc = nchwToNhwc(input.data, input.shape);
  return tf.tensor4d(nhwc.data, nhwc.shape as [number, number, number, number]);
}

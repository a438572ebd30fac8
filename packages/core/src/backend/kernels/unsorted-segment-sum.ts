import * as tf from '@tensorflow/tfjs-core';
import { kernelFromOps } from './from-ops.js';

/** out[s] = Σ of x's rows whose segment id is s, as a one-hot matrix product. */
export function unsortedSegmentSum(backendName: string): tf.KernelConfig {
  return kernelFromOps('UnsortedSegmentSum', backendName, ({ x, segmentIds }, attrs) => {
    const numSegments = attrs.numSegments as number;
    const ids = tf.cast(tf.reshape(segmentIds, [-1]), 'int32') as tf.Tensor1D;
    const rows = tf.cast(tf.reshape(x, [ids.shape[0], -1]), 'float32');
    const sums = tf.matMul(tf.cast(tf.oneHot(ids, numSegments), 'float32'), rows, true, false);
    const restShape = x.shape.slice(segmentIds.shape.length);
    return tf.cast(tf.reshape(sums, [numSegments, ...restShape]), x.dtype);
  });
}

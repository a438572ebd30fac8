import * as tf from '@tensorflow/tfjs-core';
import { convGeometry, padInput, tapPatch } from './conv-geometry.js';
import { kernelFromOps } from './from-ops.js';

/** dW[r, c, :, :] = Σ over batch and output positions of xᵀ(tap r, c) · dy — one matmul per filter tap. */
export function conv2dBackpropFilter(backendName: string): tf.KernelConfig {
  return kernelFromOps('Conv2DBackpropFilter', backendName, ({ x, dy }, attrs) => {
    const channelsFirst = attrs.dataFormat === 'NCHW';
    const xs = (channelsFirst ? tf.transpose(x, [0, 2, 3, 1]) : x) as tf.Tensor4D;
    const dys = (channelsFirst ? tf.transpose(dy, [0, 2, 3, 1]) : dy) as tf.Tensor4D;
    const filterShape = attrs.filterShape as [number, number, number, number];
    const g = convGeometry(xs.shape, filterShape, attrs, false);
    const [, , inChannels, outChannels] = filterShape;
    const padded = padInput(xs, g);
    const dyRows = tf.reshape(dys, [-1, outChannels]);
    const taps: tf.Tensor[] = [];
    for (let r = 0; r < g.filterHeight; r++) {
      for (let c = 0; c < g.filterWidth; c++) {
        const patch = tf.reshape(tapPatch(padded, g, r, c), [-1, inChannels]);
        taps.push(tf.matMul(patch, dyRows, true, false));
      }
    }
    return tf.reshape(tf.stack(taps), filterShape);
  });
}

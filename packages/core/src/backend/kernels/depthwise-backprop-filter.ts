import * as tf from '@tensorflow/tfjs-core';
import { convGeometry, padInput, tapPatch } from './conv-geometry.js';
import { kernelFromOps } from './from-ops.js';

/** dW[r, c, ch, m] = Σ over batch and output positions of x(tap r, c)[ch] · dy[ch·M + m]. */
export function depthwiseBackpropFilter(backendName: string): tf.KernelConfig {
  return kernelFromOps('DepthwiseConv2dNativeBackpropFilter', backendName, ({ x, dy }, attrs) => {
    const filterShape = attrs.filterShape as [number, number, number, number];
    const g = convGeometry(x.shape as [number, number, number, number], filterShape, attrs, true);
    const [, , channels, multiplier] = filterShape;
    const padded = padInput(x as tf.Tensor4D, g);
    const dyGroups = tf.reshape(dy, [-1, channels, multiplier]);
    const taps: tf.Tensor[] = [];
    for (let r = 0; r < g.filterHeight; r++) {
      for (let c = 0; c < g.filterWidth; c++) {
        const patch = tf.reshape(tapPatch(padded, g, r, c), [-1, channels, 1]);
        taps.push(tf.sum(tf.mul(patch, dyGroups), 0));
      }
    }
    return tf.reshape(tf.stack(taps), filterShape);
  });
}

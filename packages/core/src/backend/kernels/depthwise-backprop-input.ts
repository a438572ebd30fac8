import * as tf from '@tensorflow/tfjs-core';
import { convGeometry, spreadToStride } from './conv-geometry.js';
import { kernelFromOps } from './from-ops.js';

/**
 * dx: each filter tap (r, c) sends `Σ_m dy[ch·M + m] · W[r, c, ch, m]` back to the input pixels it
 * read. The contributions are spread to stride spacing, shifted to the tap's offset in the padded
 * input, summed, and the padding cropped away.
 */
export function depthwiseBackpropInput(backendName: string): tf.KernelConfig {
  return kernelFromOps('DepthwiseConv2dNativeBackpropInput', backendName, ({ dy, filter }, attrs) => {
    const inputShape = attrs.inputShape as [number, number, number, number];
    const filterShape = filter.shape as [number, number, number, number];
    const g = convGeometry(inputShape, filterShape, attrs, true);
    const [batch, height, width, channels] = inputShape;
    const multiplier = filterShape[3];
    const paddedHeight = height + g.padTop + g.padBottom;
    const paddedWidth = width + g.padLeft + g.padRight;
    const dyGroups = tf.reshape(dy, [batch, g.outHeight, g.outWidth, channels, multiplier]);
    let total: tf.Tensor4D | undefined;
    for (let r = 0; r < g.filterHeight; r++) {
      for (let c = 0; c < g.filterWidth; c++) {
        const weights = tf.reshape(tf.slice(filter, [r, c, 0, 0], [1, 1, channels, multiplier]), [channels, multiplier]);
        const contribution = tf.sum(tf.mul(dyGroups, weights), 4) as tf.Tensor4D;
        const spread = spreadToStride(contribution, g.strideHeight, g.strideWidth);
        const top = r * g.dilationHeight;
        const left = c * g.dilationWidth;
        const shifted = tf.pad(spread, [
          [0, 0],
          [top, Math.max(0, paddedHeight - top - spread.shape[1])],
          [left, Math.max(0, paddedWidth - left - spread.shape[2])],
          [0, 0],
        ]);
        const placed = tf.slice(shifted, [0, 0, 0, 0], [batch, paddedHeight, paddedWidth, channels]);
        total = total ? tf.add(total, placed) : placed;
      }
    }
    return tf.slice(total!, [0, g.padTop, g.padLeft, 0], [batch, height, width, channels]);
  });
}

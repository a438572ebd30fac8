import * as tf from '@tensorflow/tfjs-core';
import { convGeometry } from './conv-geometry.js';
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

/** Puts `stride − 1` zeros between neighbouring values along height and width. */
function spreadToStride(x: tf.Tensor4D, strideHeight: number, strideWidth: number): tf.Tensor4D {
  if (strideHeight === 1 && strideWidth === 1) return x;
  const [b, h, w, ch] = x.shape;
  const gaps = tf.pad(tf.reshape(x, [b, h, 1, w, 1, ch]), [
    [0, 0],
    [0, 0],
    [0, strideHeight - 1],
    [0, 0],
    [0, strideWidth - 1],
    [0, 0],
  ]);
  const spread = tf.reshape(gaps, [b, h * strideHeight, w * strideWidth, ch]);
  return tf.slice(spread, [0, 0, 0, 0], [b, (h - 1) * strideHeight + 1, (w - 1) * strideWidth + 1, ch]) as tf.Tensor4D;
}

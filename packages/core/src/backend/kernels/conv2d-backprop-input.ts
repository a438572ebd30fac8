import * as tf from '@tensorflow/tfjs-core';
import { convGeometry, spreadToStride } from './conv-geometry.js';
import { kernelFromOps } from './from-ops.js';

/**
 * dx as a forward convolution, so that the backend's fast convolution does the work: dy spread to
 * stride spacing, padded by the filter's reach minus the forward padding, correlated at stride 1
 * with the filter turned by 180° and its channel axes swapped.
 */
export function conv2dBackpropInput(backendName: string): tf.KernelConfig {
  return kernelFromOps('Conv2DBackpropInput', backendName, ({ dy, filter }, attrs) => {
    const channelsFirst = attrs.dataFormat === 'NCHW';
    const given = attrs.inputShape as [number, number, number, number];
    const inputShape = (channelsFirst ? [given[0], given[2], given[3], given[1]] : given) as [number, number, number, number];
    const dys = (channelsFirst ? tf.transpose(dy, [0, 2, 3, 1]) : dy) as tf.Tensor4D;
    const filterShape = filter.shape as [number, number, number, number];
    const g = convGeometry(inputShape, filterShape, attrs, false);
    const [, height, width] = inputShape;
    const spread = spreadToStride(dys, g.strideHeight, g.strideWidth);
    const top = g.filterHeight - 1 - g.padTop;
    const left = g.filterWidth - 1 - g.padLeft;
    const padded = padOrCrop(spread, [top, height + g.filterHeight - 1 - spread.shape[1] - top], [left, width + g.filterWidth - 1 - spread.shape[2] - left]);
    const turned = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    const dx = tf.conv2d(padded, turned, 1, 'valid');
    return channelsFirst ? tf.transpose(dx, [0, 3, 1, 2]) : dx;
  });
}

/** Pads (positive amounts) or crops (negative) the height and width of `x`. */
function padOrCrop(x: tf.Tensor4D, [top, bottom]: [number, number], [left, right]: [number, number]): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const cropTop = Math.max(0, -top);
  const cropLeft = Math.max(0, -left);
  const kept = tf.slice(x, [0, cropTop, cropLeft, 0], [b, h - cropTop - Math.max(0, -bottom), w - cropLeft - Math.max(0, -right), c]);
  return tf.pad(kept, [
    [0, 0],
    [Math.max(0, top), Math.max(0, bottom)],
    [Math.max(0, left), Math.max(0, right)],
    [0, 0],
  ]) as tf.Tensor4D;
}

import * as tf from '@tensorflow/tfjs-core';

export interface ConvGeometry {
  batch: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
}

export function convGeometry(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: Record<string, unknown>,
  depthwise: boolean,
): ConvGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    attrs.strides as number | [number, number],
    (attrs.dilations as number | [number, number] | undefined) ?? 1,
    attrs.pad as 'valid' | 'same' | number,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    depthwise,
    'channelsLast',
  );
  return {
    batch: info.batchSize,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
    padBottom: info.padInfo.bottom,
    padRight: info.padInfo.right,
  };
}

/**
 * The input pixels that filter tap (r, c) meets at every output position: `[B, outH, outW, C]`,
 * taken from the padded input.
 */
export function tapPatch(padded: tf.Tensor4D, g: ConvGeometry, r: number, c: number): tf.Tensor4D {
  const top = r * g.dilationHeight;
  const left = c * g.dilationWidth;
  return tf.stridedSlice(
    padded,
    [0, top, left, 0],
    [g.batch, top + (g.outHeight - 1) * g.strideHeight + 1, left + (g.outWidth - 1) * g.strideWidth + 1, padded.shape[3]],
    [1, g.strideHeight, g.strideWidth, 1],
  ) as tf.Tensor4D;
}

export function padInput(x: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  return tf.pad(x, [
    [0, 0],
    [g.padTop, g.padBottom],
    [g.padLeft, g.padRight],
    [0, 0],
  ]);
}

/** Puts `stride − 1` zeros between neighbouring values along height and width. */
export function spreadToStride(x: tf.Tensor4D, strideHeight: number, strideWidth: number): tf.Tensor4D {
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

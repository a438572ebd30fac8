import * as tf from '@tensorflow/tfjs-core';
import { ABS_CAM_EPSILON, minMaxNormalize, resizeMaps, resizeThenNormalize } from '@xai/core';

/**
 * The pure arithmetic of Abs-CAM (SPEC.md), on NHWC tensors: activations `A` and gradients `G`
 * of one image, `[1, h, w, K']`. Callers own the tensors these return.
 */

/** `w_k = mean over (i, j) of |G_k(i, j)|`, shape `[K']`. */
export function channelWeights(gradient: tf.Tensor4D): tf.Tensor1D {
  return tf.tidy(() => tf.reshape(tf.mean(tf.abs(gradient), [0, 1, 2]), [-1]) as tf.Tensor1D);
}

/** Abs-CAM Init at input size `[H, W]`: `norm(up(Σ_k w_k · A_k))`, values in [0, 1], shape `[H, W]`. */
export function initMap(activations: tf.Tensor4D, gradient: tf.Tensor4D, size: readonly [number, number]): tf.Tensor2D {
  return tf.tidy(() => resizeThenNormalize(tf.sum(tf.mul(activations, channelWeights(gradient)), 3, true), size));
}

/**
 * The weighted activation maps `w_k · A_k`, one row of `h·w` values per channel (`[K', h·w]`
 * row-major): channels with equal rows have equal masks, so their masked inputs are scored once.
 */
export async function weightedChannels(activations: tf.Tensor4D, weights: tf.Tensor1D): Promise<Float32Array> {
  const [, h, w, k] = activations.shape;
  const rows = tf.tidy(() => tf.reshape(tf.transpose(tf.mul(activations, weights), [3, 1, 2, 0]), [k, h * w]));
  try {
    return (await rows.data()) as Float32Array;
  } finally {
    rows.dispose();
  }
}

/**
 * Final's masks for the given channels: `M_k = norm(up(w_k · A_k))`, shape `[channels, H, W, 1]`.
 * Computed per batch of channels so memory follows the batch, not K'.
 */
export function channelMasks(
  activations: tf.Tensor4D,
  weights: tf.Tensor1D,
  size: readonly [number, number],
  channels: readonly number[],
): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = activations.shape;
    const indices = tf.tensor1d(channels as number[], 'int32');
    const weighted = tf.mul(tf.gather(activations, indices, 3), tf.gather(weights, indices));
    // [1, h, w, n] → [n, h, w, 1]: one single-channel map per channel.
    const perChannel = tf.reshape(tf.transpose(weighted, [3, 1, 2, 0]), [channels.length, h, w, 1]) as tf.Tensor4D;
    return minMaxNormalize(resizeMaps(perChannel, size), ABS_CAM_EPSILON);
  });
}

/** `Σ_k s_k · M_k` over a batch: scores `[n]`, masks `[n, H, W, 1]` → `[H, W]`. */
export function weightedMaskSum(scores: tf.Tensor1D, masks: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    const [n, height, width] = masks.shape;
    const flat = tf.reshape(masks, [n, height * width]);
    return tf.reshape(tf.matMul(tf.reshape(scores, [1, n]), flat), [height, width]) as tf.Tensor2D;
  });
}

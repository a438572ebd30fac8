import * as tf from '@tensorflow/tfjs-core';

/**
 * The two ways saliency maps are brought to the input size (SPEC.md). Maps are `[B, h, w, 1]`
 * (one map per batch row) or `[h, w]`; results are `[H, W]` unless said otherwise.
 */

/** pytorch-grad-cam's epsilon in `scale_cam_image`. */
export const CAM_EPSILON = 1e-7;
/** The reference Abs-CAM code's epsilon. */
export const ABS_CAM_EPSILON = 1e-8;

/** Each map on its own: `(m − min) / (max(m − min) + epsilon)`. */
export function minMaxNormalize(maps: tf.Tensor4D, epsilon: number): tf.Tensor4D {
  return tf.tidy(() => {
    const shifted = tf.sub(maps, tf.min(maps, [1, 2, 3], true));
    return tf.div(shifted, tf.add(tf.max(shifted, [1, 2, 3], true), epsilon));
  });
}

/** Bilinear, half-pixel centres, clamped edges (PyTorch `align_corners=False`, OpenCV `INTER_LINEAR`). */
export function resizeMaps(maps: tf.Tensor4D, size: readonly [number, number]): tf.Tensor4D {
  return tf.image.resizeBilinear(maps, [size[0], size[1]], false, true);
}

/** Abs-CAM's order: resize to the input, then normalise once. */
export function resizeThenNormalize(map: tf.Tensor, size: readonly [number, number], epsilon = ABS_CAM_EPSILON): tf.Tensor2D {
  return tf.tidy(() => tf.reshape(minMaxNormalize(resizeMaps(asMaps(map), size), epsilon), [...size]) as tf.Tensor2D);
}

/**
 * The CAM family's order (pytorch-grad-cam): per layer `ReLU`, normalise, resize; then the layers'
 * maps averaged (after another ReLU) and normalised once more, which for one layer only rescales.
 */
export function camFromLayers(raws: readonly tf.Tensor[], size: readonly [number, number]): tf.Tensor2D {
  return tf.tidy(() => {
    const perLayer = raws.map((raw) => resizeMaps(minMaxNormalize(tf.relu(asMaps(raw)), CAM_EPSILON), size));
    const mean = tf.mean(tf.relu(tf.concat(perLayer, 0)), 0, true) as tf.Tensor4D;
    return tf.reshape(minMaxNormalize(mean, CAM_EPSILON), [...size]) as tf.Tensor2D;
  });
}

function asMaps(map: tf.Tensor): tf.Tensor4D {
  if (map.rank === 4) return map as tf.Tensor4D;
  const [h, w] = map.shape as [number, number];
  return tf.reshape(map, [1, h, w, 1]) as tf.Tensor4D;
}

import * as tf from '@tensorflow/tfjs-core';

/**
 * tfjs's words when a tensor of batch 1 meets one of batch B where it cannot broadcast:
 * elementwise ops, concatenation, reshape and matMul.
 */
const BATCH_MISMATCH = [
  /could not be broadcast together/,
  /does not match the shape of the rest/,
  /must have the same number of elements/,
  /inner shapes .* must match|batch dimensions .* must match|outer dimensions .* must match/,
];

/** True when `error` is tfjs refusing to combine tensors of different batch sizes. */
export function isBatchMismatch(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return BATCH_MISMATCH.some((pattern) => pattern.test(message));
}

/**
 * The network from a layer on, for `rows` replaced activations: `run(image)` computes the values
 * that bypass the layer once, at batch 1, and what follows the layer broadcasts over the batch.
 * Where a node after the layer cannot (a concatenation with an earlier value, a reshape to a fixed
 * batch), tfjs says so and the image is tiled to the batch; any other error is the caller's.
 */
export function runFromLayer(image: tf.Tensor4D, rows: number, run: (image: tf.Tensor4D) => tf.Tensor2D): tf.Tensor2D {
  let logits: tf.Tensor2D;
  try {
    logits = run(image);
  } catch (error) {
    if (!isBatchMismatch(error)) throw error;
    return tf.tidy(() => run(tf.tile(image, [rows, 1, 1, 1]) as tf.Tensor4D));
  }
  if (logits.shape[0] === rows) return logits;
  logits.dispose();
  return tf.tidy(() => run(tf.tile(image, [rows, 1, 1, 1]) as tf.Tensor4D));
}

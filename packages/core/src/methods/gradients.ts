import type * as tf from '@tensorflow/tfjs-core';
import type { Classifier, InputGradientOptions } from '../classifier.js';
import { XaiError } from '../errors.js';

/**
 * `∂y_c/∂x` for a batch `[B, H, W, C]` and one class per row (or one for all), from a model that
 * has `inputGradients`, checked to have the batch's shape. The caller owns the result (adapters
 * may `tf.keep` it: dispose it explicitly).
 */
export async function checkedInputGradients(
  model: Required<Pick<Classifier, 'inputGradients'>>,
  batch: tf.Tensor4D,
  classes: number | readonly number[],
  options: InputGradientOptions = {},
): Promise<tf.Tensor4D> {
  const gradient = await model.inputGradients(batch, classes, options);
  const same = gradient.shape.length === 4 && gradient.shape.every((d, i) => d === batch.shape[i]);
  if (!same) {
    gradient.dispose();
    throw new XaiError(`inputGradients returned [${gradient.shape.join(', ')}] for a batch [${batch.shape.join(', ')}]`);
  }
  return gradient;
}

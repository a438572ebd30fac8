import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../classifier.js';
import { XaiError } from '../errors.js';

/**
 * Checks that `image` is one preprocessed NHWC picture of the model's input size, float32,
 * `[1, H, W, C]`, or `[H, W, C]` unless `unbatched` is false (then given a batch axis here: a new
 * tensor the caller disposes). `who` names the caller in messages.
 */
export function checkImage(model: Classifier, image: unknown, who: string, { unbatched = true } = {}): tf.Tensor4D {
  const { height, width, channels } = model.input;
  const expected = `[1, ${height}, ${width}, ${channels}] (preprocessed, NHWC)`;
  if (!(image instanceof tf.Tensor)) throw new XaiError(`${who} explains one image given as a tensor ${expected}`);
  const shape = image.rank === 3 && unbatched ? [1, ...image.shape] : image.shape;
  const fits = shape.length === 4 && shape[0] === 1 && shape[1] === height && shape[2] === width && shape[3] === channels;
  if (!fits) throw new XaiError(`${who} explains one image of shape ${expected} for this model; got [${image.shape.join(', ')}]`);
  if (image.dtype !== 'float32') throw new XaiError(`${who} needs a float32 image (the preprocessed model input); got ${image.dtype}`);
  return image.rank === 4 ? (image as tf.Tensor4D) : (tf.reshape(image, shape) as tf.Tensor4D);
}

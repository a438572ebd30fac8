import * as tf from '@tensorflow/tfjs-core';
import { XaiError } from '@xai/core';
import { blurImages, REFERENCE_BLUR, type BlurOptions } from './blur.js';

/** Makes the substrate image from the (preprocessed NHWC `[1, H, W, C]`) image. Must not keep its result. */
export type SubstrateFunction = (image: tf.Tensor4D) => tf.Tensor4D;

/**
 * What removed pixels become (Deletion's end image) or what hidden pixels show (Insertion's start
 * image). All values are in the model's normalised input space.
 * - `'blur'`: the reference blur (11×11, σ=5, zero padding), or `{ blur: { kernelSize, sigma } }`.
 * - `'zeros'`: 0, i.e. the data set's mean colour after normalisation.
 * - `{ constant: v }`: one value, or one value per channel.
 * - `'mean'`: the image's own mean colour, per channel.
 * - a function of the image, or `{ name, make }` to give it a name recorded in the protocol.
 */
export type Substrate =
  | 'blur'
  | 'zeros'
  | 'mean'
  | { blur: BlurOptions }
  | { constant: number | readonly number[] }
  | SubstrateFunction
  | { name: string; make: SubstrateFunction };

/** How a substrate is recorded in a protocol, e.g. `blur(klen=11, sigma=5)`. */
export function describeSubstrate(substrate: Substrate): string {
  if (substrate === 'blur') return describeBlur({});
  if (substrate === 'zeros' || substrate === 'mean') return substrate;
  if (typeof substrate === 'function') return substrate.name ? `function(${substrate.name})` : 'function';
  if (typeof substrate !== 'object' || substrate === null) throw unknownSubstrate(substrate);
  if ('blur' in substrate) return describeBlur(substrate.blur);
  if ('constant' in substrate) {
    const value = substrate.constant;
    return `constant(${typeof value === 'number' ? value : `[${value.join(', ')}]`})`;
  }
  if ('make' in substrate) return substrate.name;
  throw unknownSubstrate(substrate);
}

/** The substrate image for `image`, a new tensor of the same shape that the caller disposes. */
export function makeSubstrate(substrate: Substrate, image: tf.Tensor4D): tf.Tensor4D {
  const made = tf.tidy(() => build(substrate, image));
  if (made.shape.some((d, i) => d !== image.shape[i])) {
    made.dispose();
    throw new XaiError(
      `The substrate ${describeSubstrate(substrate)} returned shape [${made.shape.join(', ')}]; it must return the image's shape [${image.shape.join(', ')}]`,
    );
  }
  return made;
}

function build(substrate: Substrate, image: tf.Tensor4D): tf.Tensor4D {
  if (substrate === 'blur') return blurImages(image);
  if (substrate === 'zeros') return tf.zerosLike(image);
  if (substrate === 'mean') return tf.mul(tf.onesLike(image), tf.mean(image, [1, 2], true)) as tf.Tensor4D;
  if (typeof substrate === 'function') return ownCopy(substrate(image), image);
  if (typeof substrate !== 'object' || substrate === null) throw unknownSubstrate(substrate);
  if ('blur' in substrate) return blurImages(image, substrate.blur);
  if ('constant' in substrate) return constantImage(substrate.constant, image);
  if ('make' in substrate && typeof substrate.make === 'function') return ownCopy(substrate.make(image), image);
  throw unknownSubstrate(substrate);
}

function constantImage(value: number | readonly number[], image: tf.Tensor4D): tf.Tensor4D {
  const channels = image.shape[3];
  const values = typeof value === 'number' ? [value] : [...value];
  if ((values.length !== 1 && values.length !== channels) || !values.every(Number.isFinite)) {
    throw new XaiError(
      `A constant substrate needs one finite number or one per channel (${channels}), got ${JSON.stringify(value)}`,
    );
  }
  return tf.mul(tf.onesLike(image), tf.tensor1d(values)) as tf.Tensor4D;
}

// A function that returns its input must not let us dispose the caller's image.
function ownCopy(result: tf.Tensor4D, image: tf.Tensor4D): tf.Tensor4D {
  if (!(result instanceof tf.Tensor)) {
    throw new XaiError('A substrate function must return a tf.Tensor4D of the image shape');
  }
  return result === image ? tf.clone(image) : result;
}

function describeBlur(options: BlurOptions): string {
  const size = options.kernelSize ?? REFERENCE_BLUR.kernelSize;
  const sigma = options.sigma ?? REFERENCE_BLUR.sigma;
  return `blur(klen=${size}, sigma=${sigma})`;
}

function unknownSubstrate(substrate: unknown): XaiError {
  return new XaiError(
    `Unknown substrate ${JSON.stringify(substrate)}; accepted: 'blur', { blur: { kernelSize, sigma } }, 'zeros', 'mean', { constant: v }, a function (image) => tensor, or { name, make }`,
  );
}

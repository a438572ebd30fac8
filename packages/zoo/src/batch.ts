import * as tf from '@tensorflow/tfjs-core';
import { XaiError, type RawImage } from '@xai/core';

/**
 * RGB images of one size → the demo model's input: NHWC float32 in [0, 1] (the `unit`
 * preprocessing). The caller owns the tensor.
 */
export function imagesToBatch(images: readonly RawImage[]): tf.Tensor4D {
  if (images.length === 0) throw new XaiError('imagesToBatch needs at least one image');
  const { width, height } = images[0];
  const pixels = width * height * 3;
  const data = new Float32Array(images.length * pixels);
  images.forEach((image, k) => {
    if (image.width !== width || image.height !== height || image.channels !== 3) {
      throw new XaiError(
        `Image ${k} is ${image.width}×${image.height}×${image.channels}; every image in a batch must be RGB (3 channels) and ${width}×${height}`,
      );
    }
    for (let p = 0; p < pixels; p++) data[k * pixels + p] = image.data[p] / 255;
  });
  return tf.tensor4d(data, [images.length, height, width, 3]);
}

import * as tf from '@tensorflow/tfjs-core';
import { XaiError } from '@xai/core';

export interface BlurOptions {
  /** Side of the square kernel (odd). Default 11, the reference. */
  kernelSize?: number;
  /** Standard deviation of the Gaussian, in pixels. Default 5, the reference. */
  sigma?: number;
}

export const REFERENCE_BLUR = { kernelSize: 11, sigma: 5 } as const;

/**
 * The reference blur kernel: a unit impulse at the centre of a `size × size` array smoothed by a
 * Gaussian of `sigma` (truncated at 4σ) with half-sample symmetric boundaries, as SciPy's
 * `gaussian_filter` does by default. Because the boundaries reflect, the result is not a plain
 * truncated Gaussian: it sums to 1 and is much flatter. Row-major `size × size`.
 */
export function blurKernel(options: BlurOptions = {}): Float32Array {
  const { size, sigma } = checkBlurOptions(options);
  const line = new Float64Array(size);
  line[(size - 1) / 2] = 1;
  const smoothed = gaussianFilter1d(line, sigma);
  const kernel = new Float32Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) kernel[y * size + x] = smoothed[y] * smoothed[x];
  return kernel;
}

/**
 * Blurs NHWC images channel by channel with the reference kernel, zero padding of half the kernel
 * (so borders darken, as in the reference).
 */
export function blurImages(images: tf.Tensor4D, options: BlurOptions = {}): tf.Tensor4D {
  const { size } = checkBlurOptions(options);
  const channels = images.shape[3];
  return tf.tidy(() => {
    const kernel = tf.tensor2d(blurKernel(options), [size, size]);
    const filter = tf.tile(tf.reshape(kernel, [size, size, 1, 1]), [1, 1, channels, 1]) as tf.Tensor4D;
    const pad = (size - 1) / 2;
    const padded = tf.pad(images, [[0, 0], [pad, pad], [pad, pad], [0, 0]]);
    return tf.depthwiseConv2d(padded, filter, 1, 'valid');
  });
}

/** A 1-D Gaussian filter with SciPy's defaults: radius round(4σ), weights normalised, mode 'reflect'. */
function gaussianFilter1d(signal: Float64Array, sigma: number): Float64Array {
  const radius = Math.floor(4 * sigma + 0.5);
  const weights = Array.from({ length: 2 * radius + 1 }, (_, j) => Math.exp(-0.5 * ((j - radius) / sigma) ** 2));
  const total = weights.reduce((a, b) => a + b, 0);
  const n = signal.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (let j = -radius; j <= radius; j++) acc += (weights[j + radius] / total) * signal[reflectIndex(i + j, n)];
    out[i] = acc;
  }
  return out;
}

/** Half-sample symmetric extension (d c b a | a b c d | d c b a), repeated as far as needed. */
function reflectIndex(index: number, n: number): number {
  const period = 2 * n;
  const m = ((index % period) + period) % period;
  return m < n ? m : period - 1 - m;
}

function checkBlurOptions(options: BlurOptions): { size: number; sigma: number } {
  const size = options.kernelSize ?? REFERENCE_BLUR.kernelSize;
  const sigma = options.sigma ?? REFERENCE_BLUR.sigma;
  if (!Number.isInteger(size) || size < 1 || size % 2 === 0) {
    throw new XaiError(`blur kernelSize must be an odd whole number ≥ 1, got ${size}`);
  }
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new XaiError(`blur sigma must be a positive number, got ${sigma}`);
  return { size, sigma };
}

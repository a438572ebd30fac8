import type { RawImage } from './preprocess.js';

/**
 * Pillow's resampling of 8-bit images (`Image.resize` with box and reducing_gap left at their
 * defaults, which is how torchvision's `Resize` calls it), reproduced to the byte. Pure
 * TypeScript on interleaved pixels, so the same code runs in Node and in the browser.
 *
 * Bilinear and bicubic are separable convolutions: a horizontal pass to 8 bits, then a vertical
 * pass to 8 bits. When shrinking, the filter's support is widened by the scale factor (that is
 * the antialiasing). Weights are doubles normalised to sum 1, then turned into fixed-point
 * integers with 22 fractional bits; each output is the integer sum plus one half, shifted down
 * and clipped to 0–255. Nearest samples the pixel under each output pixel's centre, stepping
 * through the source by accumulating the scale as Pillow's affine scaler does.
 */
export type PilFilter = 'bilinear' | 'bicubic' | 'nearest';

/** Fractional bits of the fixed-point weights: 32 bits less 8 for the pixel and 2 for overshoot. */
const PRECISION_BITS = 22;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

interface Kernel {
  support: number;
  weight(x: number): number;
}

const KERNELS: Record<Exclude<PilFilter, 'nearest'>, Kernel> = {
  bilinear: {
    support: 1,
    weight(x) {
      const d = Math.abs(x);
      return d < 1 ? 1 - d : 0;
    },
  },
  // Keys' cubic convolution with a = −0.5, written in Pillow's evaluation order so the doubles agree.
  bicubic: {
    support: 2,
    weight(x) {
      const a = -0.5;
      const d = Math.abs(x);
      if (d < 1) return ((a + 2) * d - (a + 3)) * d * d + 1;
      if (d < 2) return (((d - 5) * d + 8) * d - 4) * a;
      return 0;
    },
  },
};

/** Per output position: the first input index, how many inputs, and their fixed-point weights. */
interface Taps {
  first: Int32Array;
  count: Int32Array;
  /** `size` weights per output position. */
  weights: Int32Array;
  size: number;
}

function taps(inSize: number, outSize: number, kernel: Kernel): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = kernel.support * filterScale;
  const size = Math.ceil(support) * 2 + 1;
  const inverse = 1 / filterScale;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * size);
  const row = new Float64Array(size);
  for (let out = 0; out < outSize; out++) {
    const center = (out + 0.5) * scale;
    // C's (int) cast truncates toward zero; the clamps follow it.
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    const n = hi - lo;
    let total = 0;
    for (let i = 0; i < n; i++) {
      row[i] = kernel.weight((i + lo - center + 0.5) * inverse);
      total += row[i];
    }
    for (let i = 0; i < n; i++) {
      const w = total !== 0 ? row[i] / total : row[i];
      weights[out * size + i] = Math.trunc(w < 0 ? w * ONE - 0.5 : w * ONE + 0.5);
    }
    first[out] = lo;
    count[out] = n;
  }
  return { first, count, weights, size };
}

/** The fixed-point sum back to a byte: Pillow shifts (floor) and clips to 0–255. */
function toByte(sum: number): number {
  const v = sum >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** One pass along x (`horizontal`) or y, from `src` (w×h) to `dst`. */
function convolve(
  src: Uint8Array,
  srcWidth: number,
  dstWidth: number,
  dstHeight: number,
  channels: number,
  t: Taps,
  horizontal: boolean,
): Uint8Array {
  const dst = new Uint8Array(dstWidth * dstHeight * channels);
  for (let y = 0; y < dstHeight; y++) {
    for (let x = 0; x < dstWidth; x++) {
      const o = horizontal ? x : y;
      const lo = t.first[o];
      const n = t.count[o];
      const wBase = o * t.size;
      for (let c = 0; c < channels; c++) {
        let sum = HALF;
        for (let i = 0; i < n; i++) {
          const sx = horizontal ? lo + i : x;
          const sy = horizontal ? y : lo + i;
          sum += src[(sy * srcWidth + sx) * channels + c] * t.weights[wBase + i];
        }
        dst[(y * dstWidth + x) * channels + c] = toByte(sum);
      }
    }
  }
  return dst;
}

/** Source index of each output position for nearest: Pillow accumulates the step in doubles. */
function nearestIndices(inSize: number, outSize: number): Int32Array {
  const step = inSize / outSize;
  const out = new Int32Array(outSize);
  let at = step * 0.5;
  for (let i = 0; i < outSize; i++) {
    out[i] = Math.min(at < 0 ? 0 : Math.trunc(at), inSize - 1);
    at += step;
  }
  return out;
}

function nearest(image: RawImage, width: number, height: number): Uint8Array {
  const { channels } = image;
  const xs = nearestIndices(image.width, width);
  const ys = nearestIndices(image.height, height);
  const dst = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = (ys[y] * image.width + xs[x]) * channels;
      const d = (y * width + x) * channels;
      for (let c = 0; c < channels; c++) dst[d + c] = image.data[s + c];
    }
  }
  return dst;
}

/**
 * `image` resized to `width`×`height` as Pillow resizes an 8-bit image of the same channels
 * ("L", "RGB"). Every channel is filtered on its own (Pillow premultiplies alpha first; callers
 * drop alpha before resizing).
 */
export function pilResize(image: RawImage, width: number, height: number, filter: PilFilter): RawImage {
  const { channels } = image;
  const src = image.data instanceof Uint8Array ? image.data : new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.length);
  if (width === image.width && height === image.height) return { data: src.slice(), width, height, channels };
  if (filter === 'nearest') return { data: nearest(image, width, height), width, height, channels };
  const kernel = KERNELS[filter];
  let data = src;
  let rowsWidth = image.width;
  let rowsHeight = image.height;
  if (width !== image.width) {
    // Pillow filters only the rows the vertical pass reads; the values are the same either way.
    data = convolve(data, image.width, width, image.height, channels, taps(image.width, width, kernel), true);
    rowsWidth = width;
  }
  if (height !== rowsHeight) {
    data = convolve(data, rowsWidth, width, height, channels, taps(rowsHeight, height, kernel), false);
    rowsHeight = height;
  }
  return { data, width, height, channels };
}

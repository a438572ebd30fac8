import type { Grid, RgbaImage } from './types.js';

/**
 * Bilinear resize of a grid of values with half-pixel centres and clamped edges (PyTorch's
 * `interpolate(mode='bilinear', align_corners=False)`, tfjs `resizeBilinear(…, halfPixelCenters)`).
 */
export function resizeGrid(grid: Grid, height: number, width: number): Float32Array {
  if (grid.height === height && grid.width === width) return new Float32Array(grid.data);
  const ys = axisSamples(grid.height, height);
  const xs = axisSamples(grid.width, width);
  const out = new Float32Array(height * width);
  for (let y = 0; y < height; y++) {
    const row0 = ys.lower[y] * grid.width;
    const row1 = ys.upper[y] * grid.width;
    const fy = ys.fraction[y];
    for (let x = 0; x < width; x++) {
      const x0 = xs.lower[x];
      const x1 = xs.upper[x];
      const fx = xs.fraction[x];
      const top = grid.data[row0 + x0] + (grid.data[row0 + x1] - grid.data[row0 + x0]) * fx;
      const bottom = grid.data[row1 + x0] + (grid.data[row1 + x1] - grid.data[row1 + x0]) * fx;
      out[y * width + x] = top + (bottom - top) * fy;
    }
  }
  return out;
}

interface AxisSamples {
  lower: Int32Array;
  upper: Int32Array;
  fraction: Float64Array;
}

/** For each output index: the two input neighbours of `c = (o + 0.5)·n/m − 0.5` and the weight of the upper one. */
function axisSamples(n: number, m: number): AxisSamples {
  const lower = new Int32Array(m);
  const upper = new Int32Array(m);
  const fraction = new Float64Array(m);
  for (let o = 0; o < m; o++) {
    const c = Math.min(Math.max((o + 0.5) * (n / m) - 0.5, 0), n - 1);
    lower[o] = Math.floor(c);
    upper[o] = Math.min(lower[o] + 1, n - 1);
    fraction[o] = c - lower[o];
  }
  return { lower, upper, fraction };
}

/**
 * Resamples RGBA pixels for display. Enlarging is bilinear; shrinking averages with a triangle
 * filter as wide as the shrink factor, so a large photo does not alias when made a thumbnail.
 */
export function resizeRgba(image: RgbaImage, height: number, width: number): RgbaImage {
  if (image.height === height && image.width === width) {
    return { data: new Uint8ClampedArray(image.data), width, height };
  }
  const horizontal = resampleAxis(new Float32Array(image.data), image.width, image.height, width, 1);
  const vertical = resampleAxis(horizontal, image.height, width, height, width);
  // Uint8ClampedArray rounds half to even and clamps on assignment.
  return { data: new Uint8ClampedArray(vertical), width, height };
}

/**
 * Resamples one axis of interleaved RGBA data. `stride` is the distance, in pixels, between
 * neighbours along the axis (1 along rows, the row width along columns); `lines` is how many
 * lines run along the axis.
 */
function resampleAxis(source: Float32Array, n: number, lines: number, m: number, stride: number): Float32Array {
  const taps = filterTaps(n, m);
  const lineStep = stride === 1 ? n : 1;
  const outLineStep = stride === 1 ? m : 1;
  const out = new Float32Array(lines * m * 4);
  for (let line = 0; line < lines; line++) {
    for (let o = 0; o < m; o++) {
      const outBase = (line * outLineStep + o * stride) * 4;
      const { first, weights } = taps[o];
      let r = 0, g = 0, b = 0, a = 0;
      for (let k = 0; k < weights.length; k++) {
        const w = weights[k];
        const base = (line * lineStep + (first + k) * stride) * 4;
        r += source[base] * w;
        g += source[base + 1] * w;
        b += source[base + 2] * w;
        a += source[base + 3] * w;
      }
      out[outBase] = r;
      out[outBase + 1] = g;
      out[outBase + 2] = b;
      out[outBase + 3] = a;
    }
  }
  return out;
}

/** For each output index: the first input index it reads and the normalised triangle weights. */
function filterTaps(n: number, m: number): Array<{ first: number; weights: Float32Array }> {
  const scale = n / m;
  const support = Math.max(1, scale);
  const taps: Array<{ first: number; weights: Float32Array }> = [];
  for (let o = 0; o < m; o++) {
    const centre = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), n - 1);
    const first = Math.max(0, Math.ceil(centre - support + 1e-9));
    const last = Math.min(n - 1, Math.floor(centre + support - 1e-9));
    const weights = new Float32Array(Math.max(1, last - first + 1));
    let total = 0;
    for (let i = first; i <= last; i++) {
      weights[i - first] = Math.max(0, 1 - Math.abs(i - centre) / support);
      total += weights[i - first];
    }
    for (let k = 0; k < weights.length; k++) weights[k] /= total;
    taps.push({ first, weights });
  }
  return taps;
}

/**
 * Where each output index of one axis samples its input: between `lower[o]` and `upper[o]`, with
 * weight `weight[o]` on `upper[o]`. Half-pixel centres, mirror edges (SPEC.md, RISE step 3):
 * scikit-image's `resize(order=1, mode='reflect', anti_aliasing=False)`.
 */
export interface AxisSampling {
  lower: Int32Array;
  upper: Int32Array;
  weight: Float64Array;
}

export function mirrorLinearSampling(inputLength: number, outputLength: number): AxisSampling {
  const lower = new Int32Array(outputLength);
  const upper = new Int32Array(outputLength);
  const weight = new Float64Array(outputLength);
  const last = inputLength - 1;
  for (let o = 0; o < outputLength; o++) {
    let c = ((o + 0.5) * inputLength) / outputLength - 0.5;
    // Half-pixel coordinates stay within half a sample of the ends, so one reflection is enough.
    if (c < 0) c = -c;
    if (c > last) c = 2 * last - c;
    const i = Math.min(Math.floor(c), last);
    lower[o] = i;
    upper[o] = Math.min(i + 1, last);
    weight[o] = c - i;
  }
  return { lower, upper, weight };
}

/** The part of an upsampled grid that one mask keeps: `height × width` from row `dy`, column `dx`. */
export interface CropWindow {
  dy: number;
  dx: number;
  height: number;
  width: number;
}

/**
 * Bilinearly upsamples a row-major `gridRows × gridCols` grid with the given axis samplings and
 * writes only the cropped window into `out` from `offset`. Computed in float64; returns the sum of
 * the written (float32) values.
 */
export function upsampleCrop(
  grid: ArrayLike<number>,
  gridRows: number,
  gridCols: number,
  rows: AxisSampling,
  cols: AxisSampling,
  window: CropWindow,
  out: Float32Array,
  offset = 0,
): number {
  const { dy, dx, height, width } = window;
  // Interpolate every grid row along the columns once; each output row then mixes two of them.
  const across = new Float64Array(gridRows * width);
  for (let r = 0; r < gridRows; r++) {
    for (let x = 0; x < width; x++) {
      const c = dx + x;
      const t = cols.weight[c];
      const a = grid[r * gridCols + cols.lower[c]];
      const b = grid[r * gridCols + cols.upper[c]];
      across[r * width + x] = a * (1 - t) + b * t;
    }
  }
  let sum = 0;
  for (let y = 0; y < height; y++) {
    const r = dy + y;
    const t = rows.weight[r];
    const top = rows.lower[r] * width;
    const bottom = rows.upper[r] * width;
    const base = offset + y * width;
    for (let x = 0; x < width; x++) {
      const value = across[top + x] * (1 - t) + across[bottom + x] * t;
      out[base + x] = value;
      sum += out[base + x];
    }
  }
  return sum;
}

/** A whole grid resized to `outRows × outCols` (no crop), as scikit-image would. */
export function resizeMirrorBilinear(
  grid: ArrayLike<number>,
  gridRows: number,
  gridCols: number,
  outRows: number,
  outCols: number,
): Float32Array {
  const out = new Float32Array(outRows * outCols);
  upsampleCrop(
    grid,
    gridRows,
    gridCols,
    mirrorLinearSampling(gridRows, outRows),
    mirrorLinearSampling(gridCols, outCols),
    { dy: 0, dx: 0, height: outRows, width: outCols },
    out,
  );
  return out;
}

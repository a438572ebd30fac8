/** Plain-loop float64 versions of the resampling the methods use, to check tensor code against. */

/**
 * Bilinear resize of one row-major `h × w` map to `H × W`. `alignCorners` false: half-pixel
 * centres, `c = (o + 0.5)·n/m − 0.5`, clamped edges (PyTorch `align_corners=False`, OpenCV
 * `INTER_LINEAR`); true: `c = o·(n − 1)/(m − 1)` (PyTorch `UpsamplingBilinear2d`).
 */
export function resizeReference(map: ArrayLike<number>, h: number, w: number, H: number, W: number, alignCorners = false): Float64Array {
  const axis = (o: number, n: number, m: number) => {
    const raw = alignCorners ? (m > 1 ? (o * (n - 1)) / (m - 1) : 0) : (o + 0.5) * (n / m) - 0.5;
    const c = Math.min(Math.max(raw, 0), n - 1);
    const lo = Math.floor(c);
    return { lo, hi: Math.min(lo + 1, n - 1), t: c - lo };
  };
  const out = new Float64Array(H * W);
  for (let y = 0; y < H; y++) {
    const ay = axis(y, h, H);
    for (let x = 0; x < W; x++) {
      const ax = axis(x, w, W);
      const top = map[ay.lo * w + ax.lo] * (1 - ax.t) + map[ay.lo * w + ax.hi] * ax.t;
      const bottom = map[ay.hi * w + ax.lo] * (1 - ax.t) + map[ay.hi * w + ax.hi] * ax.t;
      out[y * W + x] = top * (1 - ay.t) + bottom * ay.t;
    }
  }
  return out;
}

/** The stopping rule never stops before this many masks: fewer give no usable error estimate. */
export const MIN_MASKS_TO_STOP = 100;

/**
 * Running sums from which the noise left in RISE maps is estimated: per watched map, with
 * `z_i = w_i M_i` (the mask weighted by the model's score), `Σ z_i²` per pixel and the sums of
 * the masks' spatial means `Σ w_i m̄_i` and `Σ (w_i m̄_i)²`. `Σ z_i` per pixel is the map itself.
 */
export class NoiseEstimate {
  private readonly squares: Float64Array[];
  private readonly levels: Float64Array;
  private readonly levelSquares: Float64Array;

  constructor(
    private readonly rows: readonly number[],
    private readonly pixels: number,
  ) {
    this.squares = rows.map(() => new Float64Array(pixels));
    this.levels = new Float64Array(rows.length);
    this.levelSquares = new Float64Array(rows.length);
  }

  /** Adds one batch: `Σ w² M²` per class and pixel, `Σ w m̄` and `Σ w² m̄²` per class (every class's row). */
  add(squares: Float32Array, levels: Float32Array, levelSquares: Float32Array): void {
    this.rows.forEach((row, r) => {
      const target = this.squares[r];
      const offset = row * this.pixels;
      for (let p = 0; p < this.pixels; p++) target[p] += squares[offset + p];
      this.levels[r] += levels[row];
      this.levelSquares[r] += levelSquares[row];
    });
  }

  /**
   * The share of the maps' spatial variance that is still noise after `masks` masks, given
   * `Σ w_i M_i` per class and pixel (`sums`). Each pixel is a mean over masks, so its squared
   * standard error is the variance of `z_i` over `masks − 1`; neighbouring pixels share most of
   * it (masks are smooth), and the shared part only shifts the map, so the error of the masks'
   * mean is taken out: what remains is the noise's expected spatial variance. Divided by the
   * map's spatial variance less that noise, it is the squared relative standard error of the
   * map's contrast; the map's Pearson correlation with the map of infinitely many masks is then
   * about 1/√(1 + ε). Several maps are pooled; Infinity while the noise hides them.
   */
  relativeNoise(sums: Float32Array, masks: number): number {
    if (masks < 2) return Infinity;
    let noise = 0;
    let signal = 0;
    this.rows.forEach((row, r) => {
      const squares = this.squares[r];
      let meanOfMap = 0;
      let meanOfSquaredMap = 0;
      let pixelNoise = 0;
      for (let p = 0; p < this.pixels; p++) {
        const mean = sums[row * this.pixels + p] / masks;
        pixelNoise += Math.max(0, squares[p] / masks - mean * mean);
        meanOfMap += mean;
        meanOfSquaredMap += mean * mean;
      }
      pixelNoise /= this.pixels * (masks - 1);
      meanOfMap /= this.pixels;
      const level = this.levels[r] / masks;
      const levelNoise = Math.max(0, this.levelSquares[r] / masks - level * level) / (masks - 1);
      const mapNoise = Math.max(0, pixelNoise - levelNoise);
      noise += mapNoise;
      signal += meanOfSquaredMap / this.pixels - meanOfMap * meanOfMap - mapNoise;
    });
    return signal > 0 ? noise / signal : Infinity;
  }
}

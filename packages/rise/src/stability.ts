/** The stopping rule never stops before this many masks: fewer give no usable error estimate. */
export const MIN_MASKS_TO_STOP = 100;

/** One batch's terms of the noise estimate, one row per watched map. */
export interface NoiseTerms {
  /** `Σ_i w_i² M_i²` per map and pixel, `[maps, pixels]`. */
  squares: Float32Array;
  /** `Σ_i w_i m̄_i` per map (`m̄_i`: the mask's spatial mean). */
  levels: Float32Array;
  /** `Σ_i (w_i m̄_i)²` per map. */
  levelSquares: Float32Array;
  /** The batch's scores `w_i`, `[count, maps]`. */
  weights: Float32Array;
  /** `M_i · d_r` for the maps' directions (`directions()`), `[count, maps]`; absent before there are any. */
  projections?: Float32Array;
}

/**
 * How much noise is left in RISE maps, from running sums over the masks. Every pixel of a map is a
 * mean over masks of `z_i = w_i M_i` (`w_i` the model's score of `x ⊙ M_i`), so its squared
 * standard error is the variance of `z_i` over `masks − 1`. Not all of that noise changes what the
 * map shows: the part every pixel shares (the error of the masks' spatial mean) only shifts the
 * map, and the part along the map's own pattern only rescales it. Both are taken out; the rest,
 * the noise's expected spatial variance across the pattern, divided by the map's spatial variance
 * less its noise, is the map's relative noise ε: its Pearson correlation with the map of
 * infinitely many masks is about 1/√(1 + ε). Several maps are pooled.
 */
export class NoiseEstimate {
  private readonly squares: Float64Array[];
  private readonly levels: Float64Array;
  private readonly levelSquares: Float64Array;
  private readonly along: Float64Array;
  private readonly alongSquares: Float64Array;
  private projected = 0;
  private direction?: Float32Array;

  constructor(
    /** How many maps the estimate follows. */
    private readonly maps: number,
    private readonly pixels: number,
  ) {
    this.squares = Array.from({ length: maps }, () => new Float64Array(pixels));
    this.levels = new Float64Array(maps);
    this.levelSquares = new Float64Array(maps);
    this.along = new Float64Array(maps);
    this.alongSquares = new Float64Array(maps);
  }

  /**
   * The maps' patterns as unit vectors with mean 0, `[pixels, maps]`, from the last
   * `relativeNoise`; the next batch's masks are projected on them. Undefined before the first.
   */
  directions(): Float32Array | undefined {
    return this.direction;
  }

  add(terms: NoiseTerms): void {
    const count = terms.weights.length / this.maps;
    for (let r = 0; r < this.maps; r++) {
      const target = this.squares[r];
      for (let p = 0; p < this.pixels; p++) target[p] += terms.squares[r * this.pixels + p];
      this.levels[r] += terms.levels[r];
      this.levelSquares[r] += terms.levelSquares[r];
      if (!terms.projections) continue;
      for (let i = 0; i < count; i++) {
        const value = terms.weights[i * this.maps + r] * terms.projections[i * this.maps + r];
        this.along[r] += value;
        this.alongSquares[r] += value * value;
      }
    }
    if (terms.projections) this.projected += count;
  }

  /** ε after `masks` masks, given `Σ_i w_i M_i` per map and pixel (`sums`, `[maps, pixels]`); Infinity while the noise hides the maps. */
  relativeNoise(sums: Float32Array, masks: number): number {
    if (masks < 2) return Infinity;
    const variance = (sum: number, squares: number, count: number) => Math.max(0, squares / count - (sum / count) ** 2);
    const direction = new Float32Array(this.pixels * this.maps);
    let noise = 0;
    let signal = 0;
    for (let r = 0; r < this.maps; r++) {
      const squares = this.squares[r];
      let meanOfMap = 0;
      let pixelNoise = 0;
      for (let p = 0; p < this.pixels; p++) {
        const mean = sums[r * this.pixels + p] / masks;
        pixelNoise += variance(sums[r * this.pixels + p], squares[p], masks);
        meanOfMap += mean;
      }
      meanOfMap /= this.pixels;
      let spread = 0;
      for (let p = 0; p < this.pixels; p++) {
        const centred = sums[r * this.pixels + p] / masks - meanOfMap;
        direction[p * this.maps + r] = centred;
        spread += centred * centred;
      }
      const norm = Math.sqrt(spread);
      for (let p = 0; p < this.pixels; p++) direction[p * this.maps + r] /= norm || 1;
      const perPixel = (value: number) => value / (this.pixels * (masks - 1));
      const shared = perPixel(variance(this.levels[r], this.levelSquares[r], masks) * this.pixels);
      const centredNoise = Math.max(0, perPixel(pixelNoise) - shared);
      const alongPattern = this.projected > 1 ? perPixel(variance(this.along[r], this.alongSquares[r], this.projected)) : 0;
      noise += Math.max(0, centredNoise - alongPattern);
      signal += spread / this.pixels - centredNoise;
    }
    this.direction = direction;
    return signal > 0 ? noise / signal : Infinity;
  }
}

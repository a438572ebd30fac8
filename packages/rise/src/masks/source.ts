/** `binary` and `gaussian` are built in; a custom source may name its own kind. */
export type MaskKind = 'binary' | 'gaussian' | (string & {});

/**
 * A set of N masks of `height × width` values, drawn or read in order. The RISE estimator only
 * knows this interface, so further kinds of masks need no change to it.
 */
export interface MaskSource {
  readonly kind: MaskKind;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  /** What produced the masks (n, s, p1, seed, file, …), recorded in every map made from them. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Starts a fresh pass over the masks; every pass yields the same masks. */
  open(): MaskStream;
}

export interface MaskStream {
  /** The next `count` masks, row-major `count × height × width`. */
  next(count: number): Float32Array;
  /**
   * The mean a mask is taken to have: RISE divides `Σ f(x ⊙ M) · M` by N times this. The binary
   * kind's p1, or the measured mean of the first `count` masks drawn (all drawn by default); read
   * it once those masks have been drawn.
   */
  normalizingMean(count?: number): number;
}

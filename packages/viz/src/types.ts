/*
 * `SaliencyMap` and `RawImage` are structurally the same as @xai/core's (a test checks both ways),
 * declared here so that the browser entry's types need neither core nor its tfjs peer.
 */

/** A saliency map as plain data: row-major `height × width` values and what produced them. */
export interface SaliencyMap {
  data: Float32Array;
  height: number;
  width: number;
  classIndex: number;
  className?: string;
  /** e.g. `rise`, `rise-gaussian`, `abs-cam-init`, `abs-cam-final`. */
  method: string;
  params: Record<string, unknown>;
  /**
   * For pixel attributions: the signed attribution, NHWC `[height, width, channels]` row-major;
   * `data` is then the channel sum of its absolute value.
   */
  attribution?: { data: Float32Array; channels: number };
}

/** Decoded pixels, 0–255, interleaved: grey, grey + alpha, RGB or RGBA. */
export interface RawImage {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

/** A score curve from Insertion or Deletion: n + 1 probabilities on an even grid of [0, 1]. */
export interface Curve {
  scores: readonly number[];
  auc: number;
  kind: 'insertion' | 'deletion';
  classIndex: number;
  className?: string;
}

/** Values on a row-major grid: a saliency map, or anything shaped like one. */
export interface Grid {
  data: ArrayLike<number>;
  height: number;
  width: number;
}

/** Interleaved RGBA pixels, 0–255: what canvas `ImageData` holds and what PNG encoders take. */
export interface RgbaImage {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

/** An 8-bit colour, each channel 0–255. */
export type Rgb = [number, number, number];

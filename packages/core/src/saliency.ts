/** A saliency map as plain data, so that viz, metrics, files and apps need no tensors. */
export interface SaliencyMap {
  /** Row-major `height × width` values. */
  data: Float32Array;
  height: number;
  width: number;
  classIndex: number;
  className?: string;
  /** e.g. `rise`, `rise-gaussian`, `abs-cam-init`, `abs-cam-final`. */
  method: string;
  /** The parameters that produced the map, recorded for reproducibility. */
  params: Record<string, unknown>;
  /**
   * For pixel attributions (Saliency, Integrated Gradients, …): the signed attribution per input
   * value, NHWC `[height, width, channels]` row-major; `data` is then the channel sum of its
   * absolute value, the H×W map viz and metrics use.
   */
  attribution?: { data: Float32Array; channels: number };
}

export function saliencyMap(fields: SaliencyMap): SaliencyMap {
  const expected = fields.height * fields.width;
  if (fields.data.length !== expected) {
    throw new Error(
      `A saliency map of ${fields.height}×${fields.width} needs ${expected} values, got ${fields.data.length}`,
    );
  }
  return fields;
}

/** Values rescaled to [0, 1] (min → 0, max → 1), for display. A constant map becomes all zeros. */
export function normalizedMap(map: SaliencyMap): Float32Array {
  let min = Infinity;
  let max = -Infinity;
  for (const v of map.data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const range = max - min;
  const out = new Float32Array(map.data.length);
  if (!(range > 0)) return out;
  for (let i = 0; i < out.length; i++) out[i] = (map.data[i] - min) / range;
  return out;
}

/**
 * A pixel attribution as a saliency map: `attribution` is the signed attribution, NHWC
 * `[height][width][channels]` of the model's input, and `data` its channel sum of absolute values,
 * the H×W map viz and metrics use. `target` is the class explained.
 */
export function attributionMap(
  input: { height: number; width: number; channels: number },
  attribution: Float32Array,
  target: { index: number; name?: string },
  method: string,
  params: Record<string, unknown> = {},
): SaliencyMap {
  const { height, width, channels } = input;
  if (attribution.length !== height * width * channels) {
    throw new Error(`${method}: an attribution of ${height}×${width}×${channels} needs ${height * width * channels} values, got ${attribution.length}`);
  }
  const data = new Float32Array(height * width);
  for (let p = 0; p < data.length; p++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += Math.abs(attribution[p * channels + c]);
    data[p] = sum;
  }
  return saliencyMap({
    data, height, width, classIndex: target.index, className: target.name, method, params, attribution: { data: attribution, channels },
  });
}

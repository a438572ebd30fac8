import { VizError } from './errors.js';

/** The values that map to the two ends of a colour map. */
export type ValueRange = readonly [low: number, high: number];

/** The smallest and largest finite values (NaN and ±Infinity are ignored); `[0, 0]` if none. */
export function valueRange(values: ArrayLike<number>): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min && v > -Infinity) min = v;
    if (v > max && v < Infinity) max = v;
  }
  return min <= max ? [min, max] : [0, 0];
}

/**
 * `[−m, m]` with `m` the largest finite `|v|`: a range centred on 0, so a diverging colour map puts
 * 0 at its middle. `[0, 0]` when every value is 0 (or none is finite).
 */
export function symmetricRange(values: ArrayLike<number>): [number, number] {
  const [low, high] = valueRange(values);
  const m = Math.max(Math.abs(low), Math.abs(high));
  return [-m, m];
}

/**
 * Values rescaled to [0, 1]: by their own min and max, or by a fixed `range` (values outside it
 * are clamped). A constant map becomes all zeros; NaN becomes 0.
 */
export function normalize(values: ArrayLike<number>, range?: ValueRange): Float32Array {
  const [low, high] = range ?? valueRange(values);
  if (range && !(high > low)) {
    throw new VizError(`A colour range needs low < high, got [${low}, ${high}]`);
  }
  const out = new Float32Array(values.length);
  const span = high - low;
  if (!(span > 0)) return out;
  for (let i = 0; i < out.length; i++) {
    const t = (values[i] - low) / span;
    out[i] = t > 0 ? (t < 1 ? t : 1) : 0;
  }
  return out;
}

import { symmetricRange, valueRange, type ValueRange } from '@xai/viz';
import type { SaliencyMap } from '@xai/core';

/** The values a map is drawn between: its own min and max. */
export function mapRange(map: Pick<SaliencyMap, 'data'>): [number, number] {
  return valueRange(map.data);
}

/** One scale for several maps: the smallest minimum and the largest maximum. */
export function sharedRange(maps: readonly Pick<SaliencyMap, 'data'>[]): [number, number] {
  let low = Infinity;
  let high = -Infinity;
  for (const map of maps) {
    const [a, b] = valueRange(map.data);
    low = Math.min(low, a);
    high = Math.max(high, b);
  }
  return low <= high ? [low, high] : [0, 0];
}

/** A range the colour map can use: a flat map (low = high) gets a unit span around its value. */
export function drawableRange(range: ValueRange): [number, number] {
  const [low, high] = range;
  return high > low ? [low, high] : [low - 0.5, low + 0.5];
}

/** A pixel attribution's signed values summed over channels (H×W), or undefined for other maps. */
export function signedAttribution(map: SaliencyMap): { data: Float32Array; height: number; width: number; range: [number, number] } | undefined {
  if (!map.attribution) return undefined;
  const { data, channels } = map.attribution;
  const out = new Float32Array(map.height * map.width);
  for (let p = 0; p < out.length; p++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += data[p * channels + c];
    out[p] = sum;
  }
  return { data: out, height: map.height, width: map.width, range: symmetricRange(out) };
}

/** A number for a colour-bar label: 3 significant digits, exponent for very small or large values. */
export function formatValue(value: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude < 1e-3 || magnitude >= 1e4) return value.toExponential(2);
  return String(Number(value.toPrecision(3)));
}

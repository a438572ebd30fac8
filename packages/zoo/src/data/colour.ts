import type { Random } from '@xai/core';

export type Rgb = [number, number, number];

/** Background colours are drawn this dark (each channel ≤ 0.6 × 255) … */
const BACKGROUND_CEILING = 0.6;
/** … and foreground colours at least this much brighter (ITU-R 601 luma) than the background. */
const MIN_LUMA_MARGIN = 55;

export function randomColour(rng: Random): Rgb {
  return [rng.uniform() * 255, rng.uniform() * 255, rng.uniform() * 255];
}

export function backgroundColour(rng: Random): Rgb {
  return randomColour(rng).map((v) => v * BACKGROUND_CEILING) as Rgb;
}

export function luma(c: readonly number[]): number {
  return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
}

/**
 * A colour (any hue) that is brighter than every colour in `background`. Objects and clutter
 * both come from here, so colour says nothing about which shape is the object or its class.
 * One polarity (light on dark) keeps the figure/ground problem learnable by a small network in
 * a short training run; with either polarity it stayed at chance for thousands of images.
 */
export function foregroundColour(rng: Random, background: readonly Rgb[]): Rgb {
  const floor = Math.max(...background.map(luma)) + MIN_LUMA_MARGIN;
  let best = randomColour(rng);
  for (let attempt = 0; attempt < 100 && luma(best) < floor; attempt++) {
    const candidate = randomColour(rng);
    if (luma(candidate) > luma(best)) best = candidate;
  }
  return best;
}

import type { SaliencyMap } from '@xai/core';
import { evaluateLocalisation } from '@xai/metrics';
import type { ShapeSample } from '../src/index.js';

/** Fresh images for localisation: seed 8 is used by no training run, sample set or other test. */
export const LOCALISATION_SEED = 8;
export const LOCALISATION_COUNT = 200;

/**
 * The pointing game's usual tolerance is 15 pixels at 224×224 (Zhang et al., 2016); scaled to
 * the demo model's 96×96 input that is 6 pixels. The maps are coarse (a 12×12 feature map, or
 * RISE's 12-pixel grid cells), so a peak on the object's edge may sit a pixel or two outside it.
 */
export const POINTING_TOLERANCE = Math.round((15 * 96) / 224);

export function localisation(maps: SaliencyMap[], samples: ShapeSample[], name: string) {
  const items = maps.map((map, k) => ({
    map,
    mask: { data: samples[k].mask, height: samples[k].image.height, width: samples[k].image.width },
  }));
  const strict = evaluateLocalisation(items);
  const standard = evaluateLocalisation(items, { tolerance: POINTING_TOLERANCE });
  console.log(
    `${name}: pointing game ${(100 * standard.pointingAccuracy).toFixed(1)}% (tolerance ${POINTING_TOLERANCE}px), ` +
      `${(100 * strict.pointingAccuracy).toFixed(1)}% (exact); energy-based ${(100 * strict.meanEnergy).toFixed(1)}%`,
  );
  return { strict, standard };
}

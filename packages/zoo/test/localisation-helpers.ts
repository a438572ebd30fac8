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

/**
 * How well a map ranks the object above the background: the probability that a random object
 * pixel has a higher value than a random background pixel (ties count half), the area under the
 * ROC curve of the map as an object detector. 0.5 is a map that knows nothing of the object.
 */
export function objectAuc(map: SaliencyMap, mask: Uint8Array): number {
  const order = Array.from(map.data.keys()).sort((a, b) => map.data[a] - map.data[b]);
  let objectRanks = 0;
  let objectPixels = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && map.data[order[j]] === map.data[order[i]]) j++;
    const rank = (i + 1 + j) / 2; // mean of ranks i+1 … j
    for (let k = i; k < j; k++) {
      if (mask[order[k]]) {
        objectRanks += rank;
        objectPixels++;
      }
    }
    i = j;
  }
  const background = order.length - objectPixels;
  return (objectRanks - (objectPixels * (objectPixels + 1)) / 2) / (objectPixels * background);
}

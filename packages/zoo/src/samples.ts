import { XaiError } from '@xai/core';
import { generateSample, type ShapeSample } from './data/generate.js';
import { SHAPE_CLASSES, type ShapeClass } from './data/shapes.js';

/** The data set seed the shipped sample images were drawn from (never used for training). */
export const SAMPLE_SEED = 3;
const PER_CLASS = 2;

export interface DemoSampleInfo {
  /** e.g. `star-2`: the file stem in `samples/` (`star-2.png`, `star-2.mask.png`, `star-2.json`). */
  name: string;
  label: number;
  className: ShapeClass;
  seed: number;
  index: number;
}

/** The sample images shipped in the package's `samples/` folder: two per class. */
export const DEMO_SAMPLES: readonly DemoSampleInfo[] = Array.from(
  { length: PER_CLASS * SHAPE_CLASSES.length },
  (_, index) => {
    const label = index % SHAPE_CLASSES.length;
    const className = SHAPE_CLASSES[label];
    const name = `${className}-${Math.floor(index / SHAPE_CLASSES.length) + 1}`;
    return { name, label, className, seed: SAMPLE_SEED, index };
  },
);

export function demoSampleInfo(name: string): DemoSampleInfo {
  const found = DEMO_SAMPLES.find((s) => s.name === name);
  if (!found) {
    throw new XaiError(`No demo sample named "${name}"; available: ${DEMO_SAMPLES.map((s) => s.name).join(', ')}`);
  }
  return found;
}

/** A shipped sample with its pixels and ground truth, regenerated (identical to the PNG files). */
export function demoSample(name: string): ShapeSample {
  const info = demoSampleInfo(name);
  return generateSample(info.seed, info.index);
}

/** Where the sample's files are, next to this module's package (`samples/`), as URLs. */
export function demoSampleUrls(name: string, base: string | URL = new URL('../samples/', import.meta.url)) {
  const { name: stem } = demoSampleInfo(name);
  return {
    image: new URL(`${stem}.png`, base).href,
    mask: new URL(`${stem}.mask.png`, base).href,
    groundTruth: new URL(`${stem}.json`, base).href,
  };
}

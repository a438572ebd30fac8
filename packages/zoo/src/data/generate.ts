import { Random, XaiError, type RawImage } from '@xai/core';
import { clamp, drawBackground, type BackgroundKind } from './background.js';
import { drawClutter } from './clutter.js';
import { foregroundColour, type Rgb } from './colour.js';
import { coverage, paint } from './raster.js';
import { checkUint32, sampleSeed } from './seed.js';
import { SHAPE_CLASSES, shapeRegion, type Placement, type ShapeClass } from './shapes.js';

/** Side length of generated images (and of the demo model's input) unless another is asked for. */
export const DEFAULT_IMAGE_SIZE = 96;

/** Pixels `[x, x + width) × [y, y + height)`: the smallest box holding every mask pixel. */
export interface BoundingBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ShapeSample {
  /** RGB, size×size. */
  image: RawImage;
  label: number;
  className: ShapeClass;
  /** 1 where the object covers at least half of the pixel, else 0; row-major, size×size. */
  mask: Uint8Array;
  bbox: BoundingBox;
  /** How the object was drawn. */
  object: Placement & { colour: Rgb };
  background: BackgroundKind;
  seed: number;
  index: number;
}

export interface SampleOptions {
  /** Image side in pixels, 32–1024 (default 96). Shapes and textures scale with it. */
  size?: number;
}

/**
 * Sample `index` of the shapes data set `seed`. Labels cycle through the classes
 * (`index % 4`), so any run of consecutive indices is balanced. The same seed and index give
 * the same bytes on every platform.
 */
export function generateSample(seed: number, index: number, options: SampleOptions = {}): ShapeSample {
  checkUint32(seed, 'The data set seed');
  checkUint32(index, 'The sample index');
  const size = checkSize(options.size ?? DEFAULT_IMAGE_SIZE);
  const rng = new Random(sampleSeed(seed, index));
  const label = index % SHAPE_CLASSES.length;
  const className = SHAPE_CLASSES[label];

  const background = drawBackground(rng, size);
  const rgb = background.rgb;
  drawClutter(rng, rgb, size, background.colours);

  const scale = size / 96;
  const radius = (14 + rng.uniform() * 12) * scale;
  const margin = radius + 2 * scale;
  const placement: Placement = {
    cx: margin + rng.uniform() * (size - 2 * margin),
    cy: margin + rng.uniform() * (size - 2 * margin),
    radius,
    rotation: rng.uniform() * 2 * Math.PI,
  };
  const colour = foregroundColour(rng, background.colours);
  const alpha = coverage(shapeRegion(className, placement), size);
  paint(rgb, alpha, colour);

  const noise = rng.uniform() * 12;
  const data = new Uint8Array(rgb.length);
  for (let k = 0; k < rgb.length; k++) data[k] = Math.round(clamp(rgb[k] + (rng.uniform() * 2 - 1) * noise, 0, 255));

  const mask = new Uint8Array(size * size);
  for (let p = 0; p < mask.length; p++) mask[p] = alpha[p] >= 0.5 ? 1 : 0;

  return {
    image: { data, width: size, height: size, channels: 3 },
    label,
    className,
    mask,
    bbox: maskBox(mask, size),
    object: { ...placement, colour },
    background: background.kind,
    seed,
    index,
  };
}

export interface DatasetOptions extends SampleOptions {
  seed: number;
  count: number;
  /** Index of the first sample (default 0); sample i is the same whatever `start` and `count`. */
  start?: number;
}

export function generateDataset(options: DatasetOptions): ShapeSample[] {
  const { seed, count, start = 0 } = options;
  if (!Number.isInteger(count) || count < 0) {
    throw new XaiError(`count must be a non-negative integer, got ${count}`);
  }
  checkUint32(start, 'start');
  checkUint32(start + Math.max(count - 1, 0), 'The last sample index (start + count − 1)');
  return Array.from({ length: count }, (_, k) => generateSample(seed, start + k, options));
}

function checkSize(size: number): number {
  if (!Number.isInteger(size) || size < 32 || size > 1024) {
    throw new XaiError(`The image size must be an integer from 32 to 1024 pixels, got ${size}`);
  }
  return size;
}

function maskBox(mask: Uint8Array, size: number): BoundingBox {
  let x0 = size;
  let y0 = size;
  let x1 = -1;
  let y1 = -1;
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      if (!mask[i * size + j]) continue;
      if (j < x0) x0 = j;
      if (j > x1) x1 = j;
      if (i < y0) y0 = i;
      if (i > y1) y1 = i;
    }
  }
  return x1 < 0 ? { x: 0, y: 0, width: 0, height: 0 } : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

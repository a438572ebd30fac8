import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { XaiError } from '@xai/core';
import { decodeImage, readBytes } from '@xai/core/node';
import { boxMask, type ObjectMask } from '@xai/metrics';

/**
 * Ground truth beside an image `NAME.png`: an object mask `NAME.mask.png` (non-zero inside the
 * object) and/or `NAME.json` with a `bbox` `{ x, y, width, height }` in image pixels and a
 * `className` (the format of `@xai/zoo`'s samples). These files are never inputs themselves.
 */
export interface GroundTruthFiles {
  /** The mask file, when there is one (preferred over the box). */
  mask?: string;
  /** The JSON file, when it holds a `bbox` or a `className`. */
  json?: string;
  bbox?: Box;
  className?: string;
  /** The size of the image the box is given in (`width`, `height` of the JSON), when stated. */
  size?: { width: number; height: number };
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** What an item records about its ground truth. */
export interface GroundTruthRecord {
  /** What the localisation scores were computed against. */
  source: 'mask' | 'bbox';
  /** The file names (beside the image). */
  files: string[];
  className?: string;
}

const MASK_EXTENSIONS = ['.png', '.webp', '.tif', '.tiff', '.jpg', '.jpeg', '.gif', '.avif'];

/** True for `NAME.mask.EXT`: a ground-truth mask, never an input. */
export function isMaskFile(name: string): boolean {
  return /\.mask\.[^.]+$/i.test(basename(name));
}

/** The ground truth beside an image, or undefined when there is none. */
export async function findGroundTruth(imagePath: string): Promise<GroundTruthFiles | undefined> {
  const dir = dirname(imagePath);
  const stem = basename(imagePath, extname(imagePath));
  const found: GroundTruthFiles = {};
  for (const ext of MASK_EXTENSIONS) {
    const candidate = join(dir, `${stem}.mask${ext}`);
    if (existsSync(candidate)) {
      found.mask = candidate;
      break;
    }
  }
  const jsonPath = join(dir, `${stem}.json`);
  if (existsSync(jsonPath)) {
    try {
      const value = JSON.parse(await readFile(jsonPath, 'utf8')) as Record<string, unknown>;
      const bbox = isBox(value?.bbox) ? value.bbox : undefined;
      const className = typeof value?.className === 'string' ? value.className : undefined;
      if (bbox || className) {
        found.json = jsonPath;
        if (bbox) found.bbox = { x: bbox.x, y: bbox.y, width: bbox.width, height: bbox.height };
        if (className) found.className = className;
        if (typeof value.width === 'number' && typeof value.height === 'number') found.size = { width: value.width, height: value.height };
      }
    } catch {
      // A JSON file beside the image that is not ground truth: not ours to read.
    }
  }
  return found.mask || found.json ? found : undefined;
}

/** sha256 of the ground-truth files (mask, then JSON), for the item's key. */
export async function groundTruthDigest(truth: GroundTruthFiles | undefined): Promise<string | null> {
  if (!truth) return null;
  const hash = createHash('sha256');
  for (const file of [truth.mask, truth.json]) {
    if (!file) continue;
    hash.update(`${basename(file)}\n`);
    hash.update(await readFile(file));
  }
  return hash.digest('hex');
}

/** Whether the ground truth can place the object (a mask or a box); a class name alone cannot. */
export function locates(truth: GroundTruthFiles | undefined): truth is GroundTruthFiles & ({ mask: string } | { bbox: Box }) {
  return Boolean(truth?.mask || truth?.bbox);
}

export function groundTruthRecord(truth: GroundTruthFiles): GroundTruthRecord {
  return {
    source: truth.mask ? 'mask' : 'bbox',
    files: [truth.mask, truth.json].filter((f): f is string => Boolean(f)).map((f) => basename(f)),
    ...(truth.className ? { className: truth.className } : {}),
  };
}

/**
 * The object mask at the saliency map's size (`height × width`, the model's input): the mask file
 * resized by nearest neighbour at pixel centres, or the box scaled from the image's size.
 * `image` is the size of the image file the ground truth belongs to.
 */
export async function objectMask(
  truth: GroundTruthFiles,
  image: { width: number; height: number },
  height: number,
  width: number,
): Promise<ObjectMask> {
  if (truth.mask) {
    const decoded = await decodeImage(await readBytes(truth.mask, 'Mask'), truth.mask);
    if (decoded.width !== image.width || decoded.height !== image.height) {
      throw new XaiError(`The mask ${truth.mask} is ${decoded.width}×${decoded.height} but its image is ${image.width}×${image.height}; a mask must match its image`);
    }
    const data = new Uint8Array(height * width);
    for (let y = 0; y < height; y++) {
      const sy = Math.min(decoded.height - 1, Math.floor(((y + 0.5) * decoded.height) / height));
      for (let x = 0; x < width; x++) {
        const sx = Math.min(decoded.width - 1, Math.floor(((x + 0.5) * decoded.width) / width));
        data[y * width + x] = decoded.data[(sy * decoded.width + sx) * decoded.channels] > 127 ? 1 : 0;
      }
    }
    return { data, height, width };
  }
  if (!truth.bbox) throw new XaiError(`${truth.json} holds no bbox and there is no mask beside the image`);
  const size = truth.size ?? image;
  const sx = width / size.width;
  const sy = height / size.height;
  const { x, y, width: w, height: h } = truth.bbox;
  return boxMask(height, width, { x: x * sx, y: y * sy, width: w * sx, height: h * sy });
}

function isBox(value: unknown): value is Box {
  const box = value as Box;
  return (
    typeof value === 'object' && value !== null &&
    [box.x, box.y, box.width, box.height].every((v) => typeof v === 'number' && Number.isFinite(v)) &&
    box.width > 0 && box.height > 0
  );
}

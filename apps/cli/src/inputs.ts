import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import { modelPixels, npyToFloat32, preprocess, XaiError, type Classifier, type RawImage } from '@xai/core';
import { decodeImage, readBytes, readNpyFile } from '@xai/core/node';
import { UsageError } from './command.js';
import { isMaskFile } from './ground-truth.js';

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif'];

/** One thing to explain: an image file or one image of a tensor file. */
export interface InputItem {
  /** Output folder name. */
  stem: string;
  /** The file it came from. */
  path: string;
  /** Index within a tensor file's batch. */
  index?: number;
}

export interface LoadedInput {
  item: InputItem;
  /** Preprocessed NHWC `[1, H, W, C]`; the caller disposes it. */
  tensor: tf.Tensor4D;
  /** The pixels at model size, for figures. */
  pixels?: RawImage;
  /** The image file's own size, before resizing to the model. */
  size?: { width: number; height: number };
}

/**
 * Expands folders into their image files (sorted) and keeps files as given. Ground-truth masks
 * (`NAME.mask.png` beside `NAME.png`) are never inputs: a folder's `*.mask.*` files are skipped,
 * and so is a listed one whose image sits beside it.
 */
export async function listImages(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (info?.isDirectory()) {
      const names = (await readdir(path)).filter((n) => IMAGE_EXTENSIONS.includes(extname(n).toLowerCase()) && !isMaskFile(n)).sort();
      out.push(...names.map((n) => join(path, n)));
    } else if (!(isMaskFile(path) && (await hasImageBeside(path)))) out.push(path);
  }
  return out;
}

/**
 * `listImages` for a data-set run, where every problem is found before work starts: a path that
 * does not exist, or nothing to read at all, is a usage error (exit 2) saying what is accepted.
 */
export async function listImagesStrictly(paths: string[], command: string): Promise<string[]> {
  for (const path of paths) {
    if (!(await stat(path).catch(() => undefined))) throw new UsageError(`${path} does not exist; give image files or folders of them`, command);
  }
  const images = await listImages(paths);
  if (images.length === 0) {
    const what = paths.length === 1 ? `${paths[0]} holds` : `${paths.join(', ')} hold`;
    throw new UsageError(`${what} no images; accepted extensions: ${IMAGE_EXTENSIONS.join(', ')} (ground-truth *.mask.* files are not inputs)`, command);
  }
  return images;
}

async function hasImageBeside(maskPath: string): Promise<boolean> {
  const stem = basename(maskPath).replace(/\.mask\.[^.]+$/i, '');
  const names = await readdir(dirname(maskPath)).catch(() => [] as string[]);
  return names.some((n) => !isMaskFile(n) && IMAGE_EXTENSIONS.includes(extname(n).toLowerCase()) && basename(n, extname(n)) === stem);
}

export function imageItems(paths: string[]): InputItem[] {
  const seen = new Map<string, number>();
  return paths.map((path) => {
    const stem = basename(path, extname(path));
    const count = seen.get(stem) ?? 0;
    seen.set(stem, count + 1);
    return { stem: count ? `${stem}-${count + 1}` : stem, path };
  });
}

export interface LoadOptions {
  /** Where notes about an input go (an animated image read as its first frame). */
  onNote: (message: string) => void;
}

export async function loadImageInput(item: InputItem, model: Classifier, options: LoadOptions): Promise<LoadedInput> {
  const bytes = await readBytes(item.path, 'Image');
  const pages = await sharp(bytes).metadata().then((m) => m.pages ?? 1, () => 1);
  const image = await decodeImage(bytes, item.path);
  if (pages > 1) options.onNote(`xai: ${item.path} is animated (${pages} frames); using its first frame`);
  const tensor = preprocess(image, model.input, model.preprocessing);
  const pixels = await modelPixels(image, model.input, model.preprocessing);
  return { item, tensor, pixels, size: { width: image.width, height: image.height } };
}

/** One input's axes in the model's own layout: `[C, H, W]` for NCHW, `[H, W, C]` for NHWC. */
export function modelInputAxes(model: Classifier): number[] {
  const { height, width, channels, layout } = model.input;
  return layout === 'NCHW' ? [channels, height, width] : [height, width, channels];
}

/** A batch in the model's own layout as the NHWC batch methods take. */
export function channelsLast(raw: tf.Tensor4D, model: Classifier): tf.Tensor4D {
  return model.input.layout === 'NCHW' ? tf.transpose(raw, [0, 2, 3, 1]) : raw;
}

/** A `.npy` of preprocessed inputs in the model's own layout, one item per batch entry. */
export async function tensorItems(path: string, model: Classifier): Promise<{ items: InputItem[]; batch: tf.Tensor4D }> {
  const array = await readNpyFile(path);
  const { layout } = model.input;
  const expected = modelInputAxes(model);
  const shape = array.shape.length === 3 ? [1, ...array.shape] : array.shape;
  if (shape.length !== 4 || shape.slice(1).some((d, i) => d !== expected[i])) {
    throw new XaiError(
      `${path} has shape (${array.shape.join(', ')}); the model takes (N, ${expected.join(', ')}) in ${layout} layout`,
    );
  }
  const raw = tf.tensor4d(npyToFloat32(array), shape as [number, number, number, number]);
  const batch = channelsLast(raw, model);
  if (batch !== raw) raw.dispose();
  const stem = basename(path, extname(path));
  const items = Array.from({ length: shape[0] }, (_, index) => ({ stem: shape[0] > 1 ? `${stem}-${index}` : stem, path, index }));
  return { items, batch };
}

import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { npyToFloat32, preprocess, XaiError, type Classifier, type RawImage } from '@xai/core';
import { readImage, readNpyFile } from '@xai/core/node';

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
}

/** Expands folders into their image files (sorted) and keeps files as given. */
export async function listImages(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (info?.isDirectory()) {
      const names = (await readdir(path)).filter((n) => IMAGE_EXTENSIONS.includes(extname(n).toLowerCase())).sort();
      out.push(...names.map((n) => join(path, n)));
    } else out.push(path);
  }
  return out;
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

export async function loadImageInput(item: InputItem, model: Classifier): Promise<LoadedInput> {
  const image = await readImage(item.path);
  const tensor = preprocess(image, model.input, model.preprocessing);
  const pixels = await modelSizePixels(image, model);
  return { item, tensor, pixels };
}

/** A `.npy` of preprocessed inputs in the model's own layout, one item per batch entry. */
export async function tensorItems(path: string, model: Classifier): Promise<{ items: InputItem[]; batch: tf.Tensor4D }> {
  const array = await readNpyFile(path);
  const { height, width, channels, layout } = model.input;
  const expected = layout === 'NCHW' ? [channels, height, width] : [height, width, channels];
  const shape = array.shape.length === 3 ? [1, ...array.shape] : array.shape;
  if (shape.length !== 4 || shape.slice(1).some((d, i) => d !== expected[i])) {
    throw new XaiError(
      `${path} has shape (${array.shape.join(', ')}); the model takes (N, ${expected.join(', ')}) in ${layout} layout`,
    );
  }
  const raw = tf.tensor4d(npyToFloat32(array), shape as [number, number, number, number]);
  const batch = layout === 'NCHW' ? tf.transpose(raw, [0, 2, 3, 1]) : raw;
  if (batch !== raw) raw.dispose();
  const stem = basename(path, extname(path));
  const items = Array.from({ length: shape[0] }, (_, index) => ({ stem: shape[0] > 1 ? `${stem}-${index}` : stem, path, index }));
  return { items, batch };
}

async function modelSizePixels(image: RawImage, model: Classifier): Promise<RawImage> {
  const { height, width } = model.input;
  if (image.height === height && image.width === width) return image;
  const resized = tf.tidy(() =>
    tf.cast(
      tf.clipByValue(
        tf.round(tf.image.resizeBilinear(tf.tensor3d(Float32Array.from(image.data), [image.height, image.width, image.channels]), [height, width], false, true)),
        0,
        255,
      ),
      'int32',
    ),
  );
  const data = Uint8Array.from(await resized.data());
  resized.dispose();
  return { data, width, height, channels: image.channels };
}

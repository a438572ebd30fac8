import { XaiError } from '../errors.js';
import type { RawImage } from '../preprocess.js';
import { readBytes } from './files.js';

/** Images larger than this many pixels are refused (decompression bombs). */
export const DEFAULT_PIXEL_LIMIT = 100_000_000;

const ACCEPTED = 'JPEG, PNG, WebP, GIF, TIFF, AVIF';

/** Decodes an image file (first frame) to RGB(A) pixels with sharp. */
export async function readImage(path: string, options: { pixelLimit?: number } = {}): Promise<RawImage> {
  const bytes = await readBytes(path, 'Image');
  return decodeImage(bytes, path, options);
}

export async function decodeImage(bytes: Uint8Array, name: string, options: { pixelLimit?: number } = {}): Promise<RawImage> {
  const sharp = await loadSharp();
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: options.pixelLimit ?? DEFAULT_PIXEL_LIMIT, pages: 1 })
      .rotate()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
      channels: info.channels as RawImage['channels'],
    };
  } catch (error) {
    const message = (error as Error).message;
    const why = /pixel limit/i.test(message) ? 'it has more pixels than the limit' : `it is not a readable image (${message})`;
    throw new XaiError(`Cannot decode ${name}: ${why}; accepted formats: ${ACCEPTED}`, { cause: error });
  }
}

type Sharp = (typeof import('sharp'))['default'];

async function loadSharp(): Promise<Sharp> {
  try {
    return (await import('sharp')).default;
  } catch (error) {
    throw new XaiError('Reading image files in Node needs the "sharp" package: npm install sharp', { cause: error });
  }
}

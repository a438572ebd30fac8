import type { RawImage } from '../types.js';

export interface ReadImageOptions {
  /** Images with more pixels than this are refused (decompression bombs); default 100 million. */
  pixelLimit?: number;
}

/*
 * Decoding is @xai/core's (sharp: JPEG, PNG, WebP, GIF and TIFF first frame, AVIF; EXIF rotation;
 * errors that name the file and the accepted formats). It is loaded on first use, so the rest of
 * this entry (writing PNG, SVG and HTML) never loads core or its tfjs peer.
 */

/** Decodes an image file to pixels (first frame), refusing more than `pixelLimit` pixels. */
export async function readImage(path: string, options: ReadImageOptions = {}): Promise<RawImage> {
  const core = await import('@xai/core/node');
  return core.readImage(path, options);
}

/** Decodes image bytes; `name` (a file name or URL) is what error messages call them. */
export async function decodeImage(bytes: Uint8Array, name: string, options: ReadImageOptions = {}): Promise<RawImage> {
  const core = await import('@xai/core/node');
  return core.decodeImage(bytes, name, options);
}

import { checkImage } from '../validate.js';
import type { RgbaImage } from '../types.js';
import { loadSharp } from './sharp.js';

/** RGBA pixels as a PNG file, encoded by sharp (libpng, better compressed than `encodePng`). */
export async function encodePngNode(image: RgbaImage): Promise<Uint8Array> {
  checkImage({ ...image, channels: 4 }, 'RGBA image');
  const sharp = await loadSharp();
  const input = { width: image.width, height: image.height, channels: 4 as const };
  const png = await sharp(image.data, { raw: input }).png({ compressionLevel: 9 }).toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

export interface RasterOptions {
  /** Output pixels per SVG pixel (default 1). */
  scale?: number;
}

/** An SVG string rendered to PNG by sharp (librsvg; text in the system fonts, e.g. DejaVu Sans). */
export async function svgToPng(svg: string, options: RasterOptions = {}): Promise<Uint8Array> {
  const sharp = await loadSharp();
  const density = 72 * (options.scale ?? 1);
  const png = await sharp(new TextEncoder().encode(svg), { density }).png({ compressionLevel: 9 }).toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

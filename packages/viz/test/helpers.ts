import sharp from 'sharp';
import type { RawImage, RgbaImage } from '../src/index.js';

/** A W×H image filled with one colour. */
export function solidImage(width: number, height: number, colour: readonly number[]): RawImage {
  const channels = colour.length as RawImage['channels'];
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = colour[i % channels];
  return { data, width, height, channels };
}

/** A horizontal ramp: value = x / (width − 1). */
export function rampMap(height: number, width: number): { data: Float32Array; height: number; width: number } {
  const data = new Float32Array(height * width);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = x / (width - 1);
  return { data, height, width };
}

/** Decodes PNG bytes with sharp (an independent decoder) to RGBA. */
export async function decodeWithSharp(bytes: Uint8Array): Promise<RgbaImage & { channelsInFile: number }> {
  const { data, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const meta = await sharp(bytes).metadata();
  return { data: new Uint8ClampedArray(data), width: info.width, height: info.height, channelsInFile: meta.channels ?? 0 };
}

/** All `data:` URIs in a string. */
export function dataUris(markup: string): string[] {
  return markup.match(/data:image\/png;base64,[A-Za-z0-9+/=]+/g) ?? [];
}

export function pngFromDataUri(uri: string): Uint8Array {
  return new Uint8Array(Buffer.from(uri.slice(uri.indexOf(',') + 1), 'base64'));
}

import { checkImage } from '../validate.js';
import type { RgbaImage } from '../types.js';
import { crc32 } from './checksums.js';
import { zlibCompress, zlibStored } from './zlib.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const COLOUR_TYPE_RGB = 2;
const COLOUR_TYPE_RGBA = 6;

/**
 * RGBA pixels as a PNG file, compressed with the platform's `CompressionStream` where there is
 * one. Fully opaque images are written as RGB. Pure TypeScript: works in browsers and Node.
 */
export async function encodePng(image: RgbaImage): Promise<Uint8Array> {
  const { rows, colourType } = scanlines(image, true);
  return assemble(image, colourType, await zlibCompress(rows));
}

/** The same, synchronously and without compression (stored deflate blocks): larger files. */
export function encodePngSync(image: RgbaImage): Uint8Array {
  const { rows, colourType } = scanlines(image, false);
  return assemble(image, colourType, zlibStored(rows));
}

function assemble(image: RgbaImage, colourType: number, idat: Uint8Array): Uint8Array {
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, image.width);
  view.setUint32(4, image.height);
  header[8] = 8; // bits per sample
  header[9] = colourType;
  // compression 0, filter method 0, no interlace: already zero.
  const chunks = [chunk('IHDR', header), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(SIGNATURE.length + chunks.reduce((n, c) => n + c.length, 0));
  out.set(SIGNATURE);
  let at = SIGNATURE.length;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * The filtered scanlines. With `filter`, each row takes whichever of None/Sub/Up/Paeth gives the
 * smallest sum of absolute (signed) bytes, the usual heuristic that helps deflate most.
 */
function scanlines(image: RgbaImage, filter: boolean): { rows: Uint8Array; colourType: number } {
  checkImage({ ...image, channels: 4 }, 'RGBA image');
  const { width, height, data } = image;
  let opaque = true;
  for (let i = 3; i < data.length && opaque; i += 4) opaque = data[i] === 255;
  const bpp = opaque ? 3 : 4;
  const stride = width * bpp;
  const raw = new Uint8Array(height * stride);
  for (let p = 0, r = 0; p < data.length; p += 4, r += bpp) {
    raw[r] = data[p];
    raw[r + 1] = data[p + 1];
    raw[r + 2] = data[p + 2];
    if (!opaque) raw[r + 3] = data[p + 3];
  }
  const rows = new Uint8Array(height * (stride + 1));
  const candidates = filter ? [0, 1, 2, 4] : [0];
  const trial = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const line = raw.subarray(y * stride, (y + 1) * stride);
    const above = y > 0 ? raw.subarray((y - 1) * stride, y * stride) : undefined;
    let best = Infinity;
    for (const type of candidates) {
      applyFilter(type, line, above, bpp, trial);
      let cost = 0;
      for (let i = 0; i < stride; i++) cost += trial[i] < 128 ? trial[i] : 256 - trial[i];
      if (cost < best) {
        best = cost;
        rows[y * (stride + 1)] = type;
        rows.set(trial, y * (stride + 1) + 1);
      }
    }
  }
  return { rows, colourType: opaque ? COLOUR_TYPE_RGB : COLOUR_TYPE_RGBA };
}

function applyFilter(type: number, line: Uint8Array, above: Uint8Array | undefined, bpp: number, out: Uint8Array): void {
  for (let i = 0; i < line.length; i++) {
    const left = i >= bpp ? line[i - bpp] : 0;
    const up = above ? above[i] : 0;
    const upLeft = above && i >= bpp ? above[i - bpp] : 0;
    const predictor = type === 0 ? 0 : type === 1 ? left : type === 2 ? up : paeth(left, up, upLeft);
    out[i] = (line[i] - predictor) & 0xff;
  }
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

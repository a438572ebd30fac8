import { describe, expect, it } from 'vitest';
import { dataUri, drawRgba, encodePng, encodePngSync } from '../src/index.js';
import { adler32, crc32 } from '../src/png/checksums.js';
import { decodeWithSharp } from './helpers.js';

function noise(width: number, height: number, opaque: boolean) {
  const data = new Uint8ClampedArray(width * height * 4);
  let seed = 12345;
  for (let i = 0; i < data.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    data[i] = opaque && i % 4 === 3 ? 255 : seed >>> 24;
  }
  return { data, width, height };
}

describe('checksums', () => {
  it('compute the standard check values', () => {
    const ascii = (s: string) => new TextEncoder().encode(s);
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
    expect(adler32(ascii('Wikipedia'))).toBe(0x11e60398);
    expect(adler32(new Uint8Array(100_000).fill(255))).toBe(adler32Slow(new Uint8Array(100_000).fill(255)));
  });
});

function adler32Slow(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const v of bytes) {
    a = (a + v) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

describe('encodePng', () => {
  for (const [name, encode] of [['compressed', encodePng], ['stored', async (i: Parameters<typeof encodePngSync>[0]) => encodePngSync(i)]] as const) {
    it(`(${name}) round-trips RGBA pixels through sharp's decoder`, async () => {
      const image = noise(37, 29, false);
      const decoded = await decodeWithSharp(await encode(image));
      expect([decoded.width, decoded.height, decoded.channelsInFile]).toEqual([37, 29, 4]);
      expect(Buffer.from(decoded.data).equals(Buffer.from(image.data))).toBe(true);
    });

    it(`(${name}) writes opaque images as RGB, losslessly`, async () => {
      const image = noise(50, 20, true);
      const decoded = await decodeWithSharp(await encode(image));
      expect(decoded.channelsInFile).toBe(3);
      expect(Buffer.from(decoded.data).equals(Buffer.from(image.data))).toBe(true);
    });
  }

  it('splits large images over several stored blocks (> 65535 bytes)', async () => {
    const image = noise(300, 100, false); // 120 kB of scanlines: two stored blocks
    const png = encodePngSync(image);
    expect(png.length).toBeGreaterThan(120_000);
    const decoded = await decodeWithSharp(png);
    expect(Buffer.from(decoded.data).equals(Buffer.from(image.data))).toBe(true);
  });

  it('compresses smooth pictures well', async () => {
    const width = 256;
    const height = 256;
    const data = new Uint8ClampedArray(width * height * 4);
    for (let i = 0; i < width * height; i++) data.set([i % 256, (i >> 8) % 256, 128, 255], 4 * i);
    const png = await encodePng({ data, width, height });
    expect(png.length).toBeLessThan(width * height * 3 * 0.05);
  });

  it('refuses pixels that do not fit the size', async () => {
    await expect(encodePng({ data: new Uint8ClampedArray(7), width: 2, height: 1 })).rejects.toThrow(
      'Expected 8 bytes for a 1×2×4 RGBA image, got 7',
    );
  });
});

describe('dataUri', () => {
  it('encodes bytes as base64, like Buffer does', () => {
    const bytes = new Uint8Array(100_000).map((_, i) => (i * 7) % 256);
    expect(dataUri(bytes, 'image/png')).toBe(`data:image/png;base64,${Buffer.from(bytes).toString('base64')}`);
  });
});

describe('drawRgba', () => {
  it('copies the pixels into the context at the given place', () => {
    const calls: unknown[] = [];
    const context = {
      createImageData: (width: number, height: number) => ({ data: new Uint8ClampedArray(width * height * 4), width, height }),
      putImageData: (pixels: { data: Uint8ClampedArray }, x: number, y: number) => calls.push([Array.from(pixels.data), x, y]),
    };
    drawRgba(context, { data: new Uint8ClampedArray([1, 2, 3, 4]), width: 1, height: 1 }, 5, 6);
    expect(calls).toEqual([[[1, 2, 3, 4], 5, 6]]);
  });
});

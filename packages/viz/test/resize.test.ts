import { describe, expect, it } from 'vitest';
import { resizeRgba, toRgba } from '../src/index.js';
import { solidImage } from './helpers.js';

describe('resizeRgba', () => {
  it('keeps a uniform image uniform at any size', () => {
    const image = toRgba(solidImage(37, 23, [12, 130, 250, 200]));
    for (const [h, w] of [[5, 9], [23, 37], [60, 101]]) {
      const out = resizeRgba(image, h, w);
      expect([out.width, out.height]).toEqual([w, h]);
      for (let i = 0; i < out.data.length; i += 4) {
        expect(Array.from(out.data.subarray(i, i + 4))).toEqual([12, 130, 250, 200]);
      }
    }
  });

  it('averages a fine checkerboard to mid grey when shrinking (no aliasing)', () => {
    const size = 64;
    const data = new Uint8ClampedArray(size * size * 4);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const v = (x + y) % 2 === 0 ? 255 : 0;
        data.set([v, v, v, 255], (y * size + x) * 4);
      }
    }
    const out = resizeRgba({ data, width: size, height: size }, 8, 8);
    for (let i = 0; i < out.data.length; i += 4) expect(Math.abs(out.data[i] - 127.5)).toBeLessThan(12);
  });

  it('interpolates between neighbours when enlarging', () => {
    const image = { data: new Uint8ClampedArray([0, 0, 0, 255, 200, 200, 200, 255]), width: 2, height: 1 };
    const out = resizeRgba(image, 1, 4);
    expect([0, 1, 2, 3].map((i) => out.data[4 * i])).toEqual([0, 50, 150, 200]);
  });
});

import { describe, expect, it } from 'vitest';
import { colormap, overlay, resizeGrid, toRgba, VizError } from '../src/index.js';
import { rampMap, solidImage } from './helpers.js';

describe('overlay', () => {
  it('blends out = (1 − α)·image + α·colour(map), rounded', () => {
    const image = solidImage(3, 1, [100, 50, 200]);
    const map = { data: new Float32Array([0, 0.5, 1]), height: 1, width: 3 };
    const jet = colormap('jet');
    for (const alpha of [0.25, 0.5, 0.8]) {
      const out = overlay(image, map, { alpha });
      [0, 0.5, 1].forEach((t, i) => {
        const colour = jet(t);
        const expected = [100, 50, 200].map((v, c) => Math.round((1 - alpha) * v + alpha * colour[c]));
        expect(Array.from(out.data.subarray(4 * i, 4 * i + 4))).toEqual([...expected, 255]);
      });
    }
  });

  it('uses α = 0.5 and jet by default; α = 0 keeps the image and α = 1 shows only the map', () => {
    const image = solidImage(2, 1, [10, 20, 30]);
    const map = { data: new Float32Array([0, 1]), height: 1, width: 2 };
    expect(Array.from(overlay(image, map).data)).toEqual([5, 10, 79, 255, 69, 10, 15, 255]);
    expect(Array.from(overlay(image, map, { alpha: 0 }).data)).toEqual(Array.from(toRgba(image).data));
    expect(Array.from(overlay(image, map, { alpha: 1, colormap: 'grey' }).data)).toEqual([0, 0, 0, 255, 255, 255, 255, 255]);
  });

  it('normalises by a fixed range when given', () => {
    const image = solidImage(2, 1, [0, 0, 0]);
    const map = { data: new Float32Array([0.2, 0.4]), height: 1, width: 2 };
    const out = overlay(image, map, { alpha: 1, colormap: 'grey', range: [0, 1] });
    expect(Array.from(out.data)).toEqual([51, 51, 51, 255, 102, 102, 102, 255]);
  });

  it('resizes the map to the image bilinearly (half-pixel centres) when sizes differ', () => {
    const image = solidImage(4, 1, [0, 0, 0]);
    const map = { data: new Float32Array([0, 1]), height: 1, width: 2 };
    const out = overlay(image, map, { alpha: 1, colormap: 'grey' });
    // Samples at c = (o + 0.5)/2 − 0.5 → 0 (clamped), 0.25, 0.75, 1 (clamped).
    expect([0, 1, 2, 3].map((i) => out.data[4 * i])).toEqual([0, 64, 191, 255]);
    expect([out.width, out.height]).toEqual([4, 1]);
  });

  it('accepts grey, grey+alpha and RGBA images and keeps their alpha', () => {
    // A one-value map is constant, so a fixed range is needed for it to mean "high".
    const map = { data: new Float32Array([1]), height: 1, width: 1 };
    expect(Array.from(overlay(solidImage(1, 1, [100]), map, { alpha: 0.5, colormap: 'grey', range: [0, 1] }).data)).toEqual([178, 178, 178, 255]);
    expect(Array.from(overlay(solidImage(1, 1, [100, 7]), map, { alpha: 0.5, colormap: 'grey', range: [0, 1] }).data)).toEqual([178, 178, 178, 7]);
    expect(Array.from(overlay(solidImage(1, 1, [0, 100, 200, 9]), map, { alpha: 0.5, colormap: 'grey', range: [0, 1] }).data)).toEqual([128, 178, 228, 9]);
  });

  it('refuses a bad alpha, a bad colour map and mismatched sizes', () => {
    const image = solidImage(2, 2, [0, 0, 0]);
    const map = rampMap(2, 2);
    expect(() => overlay(image, map, { alpha: 1.5 })).toThrow('alpha must be between 0 and 1, got 1.5');
    expect(() => overlay(image, map, { colormap: 'rainbow' })).toThrow(/accepted: jet/);
    expect(() => overlay({ ...image, data: new Uint8Array(5) }, map)).toThrow(VizError);
    expect(() => overlay(image, { ...map, width: 3 })).toThrow('Expected 6 values for a 2×3 saliency map, got 4');
  });
});

describe('resizeGrid', () => {
  it('matches half-pixel bilinear sampling in both directions', () => {
    const grid = { data: new Float32Array([0, 4, 8, 12]), height: 2, width: 2 };
    const out = resizeGrid(grid, 4, 4);
    expect(Array.from(out.subarray(0, 4))).toEqual([0, 1, 3, 4]);
    expect(Array.from(out.subarray(4, 8))).toEqual([2, 3, 5, 6]);
    expect(Array.from(out.subarray(12, 16))).toEqual([8, 9, 11, 12]);
  });

  it('averages pairs when halving', () => {
    const grid = { data: new Float32Array([0, 2, 4, 6]), height: 1, width: 4 };
    expect(Array.from(resizeGrid(grid, 1, 2))).toEqual([1, 5]);
  });
});

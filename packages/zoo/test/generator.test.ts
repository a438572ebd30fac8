import { describe, expect, it } from 'vitest';
import { XaiError } from '@xai/core';
import { generateDataset, generateSample, SHAPE_CLASSES, type ShapeSample } from '../src/index.js';

function bytesEqual(a: ShapeSample, b: ShapeSample): boolean {
  return Buffer.from(a.image.data).equals(Buffer.from(b.image.data)) && Buffer.from(a.mask).equals(Buffer.from(b.mask));
}

/** Area of each class's shape for a given circumradius, matching the proportions drawn. */
function expectedArea(className: string, r: number): number {
  switch (className) {
    case 'circle':
      return Math.PI * (0.85 * r) ** 2;
    case 'square':
      return 2 * (0.95 * r) ** 2;
    case 'triangle':
      return ((3 * Math.sqrt(3)) / 4) * (1.1 * r) ** 2;
    default: {
      // five kites, each two triangles between the centre, an outer and an inner vertex
      const outer = 1.1 * r;
      const inner = 0.5 * r;
      return 10 * 0.5 * outer * inner * Math.sin(Math.PI / 5);
    }
  }
}

describe('generateSample', () => {
  it('gives the same bytes for the same seed and index, whatever was generated before', () => {
    const first = generateSample(11, 37);
    generateDataset({ seed: 11, count: 5 });
    const again = generateSample(11, 37);
    expect(bytesEqual(first, again)).toBe(true);
    expect(again.bbox).toEqual(first.bbox);
    const fromDataset = generateDataset({ seed: 11, start: 35, count: 4 });
    expect(bytesEqual(fromDataset[2], first)).toBe(true);
  });

  it('differs between seeds and between indices', () => {
    const base = generateSample(11, 37);
    expect(bytesEqual(base, generateSample(12, 37))).toBe(false);
    expect(bytesEqual(base, generateSample(11, 41))).toBe(false);
  });

  it('returns RGB images of the asked size with a matching mask', () => {
    for (const size of [96, 128]) {
      const sample = generateSample(4, 2, { size });
      expect(sample.image).toMatchObject({ width: size, height: size, channels: 3 });
      expect(sample.image.data.length).toBe(size * size * 3);
      expect(sample.mask.length).toBe(size * size);
      expect(sample.mask.every((v) => v === 0 || v === 1)).toBe(true);
    }
  });

  it('balances classes: labels cycle through the classes and name the class', () => {
    const samples = generateDataset({ seed: 5, start: 13, count: 200 });
    const counts = SHAPE_CLASSES.map((_, label) => samples.filter((s) => s.label === label).length);
    expect(counts).toEqual(SHAPE_CLASSES.map(() => 200 / SHAPE_CLASSES.length));
    for (const s of samples) expect(s.className).toBe(SHAPE_CLASSES[s.label]);
  });

  it('draws a mask whose box, area, centre and colour match the object', () => {
    const samples = generateDataset({ seed: 9, count: 80 });
    for (const s of samples) {
      const size = s.image.width;
      let area = 0;
      let sumX = 0;
      let sumY = 0;
      let x0 = size;
      let y0 = size;
      let x1 = -1;
      let y1 = -1;
      for (let i = 0; i < size; i++) {
        for (let j = 0; j < size; j++) {
          if (!s.mask[i * size + j]) continue;
          area++;
          sumX += j + 0.5;
          sumY += i + 0.5;
          x0 = Math.min(x0, j);
          x1 = Math.max(x1, j);
          y0 = Math.min(y0, i);
          y1 = Math.max(y1, i);
        }
      }
      expect(s.bbox).toEqual({ x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 });
      const { cx, cy, radius, colour } = s.object;
      expect(Math.abs(area / expectedArea(s.className, radius) - 1)).toBeLessThan(0.06);
      // Every class is symmetric about its centre of rotation, so the mask's centroid is there.
      expect(Math.hypot(sumX / area - cx, sumY / area - cy)).toBeLessThan(1);
      expect(s.bbox.x + s.bbox.width <= size && s.bbox.y + s.bbox.height <= size).toBe(true);
      // Pixels well inside the mask carry the object's colour, up to the added noise (≤ 12).
      const inside = centralPixel(s);
      for (let c = 0; c < 3; c++) {
        expect(Math.abs(s.image.data[inside * 3 + c] - Math.round(Math.min(255, Math.max(0, colour[c]))))).toBeLessThanOrEqual(13);
      }
    }
  });

  it('draws objects of every class in the same colours, so colour says nothing about the class', () => {
    const samples = generateDataset({ seed: 21, count: 800 });
    const meanColour = SHAPE_CLASSES.map((_, label) => {
      const own = samples.filter((s) => s.label === label);
      return [0, 1, 2].map((c) => own.reduce((sum, s) => sum + s.object.colour[c], 0) / own.length);
    });
    for (const colour of meanColour) {
      for (let c = 0; c < 3; c++) expect(Math.abs(colour[c] - meanColour[0][c])).toBeLessThan(20);
    }
  });

  it('refuses bad seeds, indices, sizes and counts with XaiError', () => {
    expect(() => generateSample(-1, 0)).toThrow(XaiError);
    expect(() => generateSample(1.5, 0)).toThrow(/seed must be an integer/);
    expect(() => generateSample(0, -3)).toThrow(/index must be an integer/);
    expect(() => generateSample(0, 0, { size: 20 })).toThrow(/32 to 1024/);
    expect(() => generateDataset({ seed: 0, count: -1 })).toThrow(/count must be a non-negative integer/);
    expect(() => generateDataset({ seed: 0, start: 0xffffffff, count: 2 })).toThrow(XaiError);
  });
});

/** The mask pixel farthest (in chessboard steps) from any non-mask pixel. */
function centralPixel(s: ShapeSample): number {
  const size = s.image.width;
  let best = -1;
  let bestDepth = -1;
  for (let p = 0; p < s.mask.length; p++) {
    if (!s.mask[p]) continue;
    const i = Math.floor(p / size);
    const j = p % size;
    let depth = 0;
    while (depth < size) {
      const d = depth + 1;
      let all = true;
      for (let a = -d; a <= d && all; a++) {
        for (let b = -d; b <= d && all; b++) {
          const y = i + a;
          const x = j + b;
          if (y < 0 || x < 0 || y >= size || x >= size || !s.mask[y * size + x]) all = false;
        }
      }
      if (!all) break;
      depth = d;
    }
    if (depth > bestDepth) {
      bestDepth = depth;
      best = p;
    }
  }
  return best;
}

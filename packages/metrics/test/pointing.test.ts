import { describe, expect, it } from 'vitest';
import { XaiError, saliencyMap } from '@xai/core';
import { boxMask, energyPointingGame, evaluateLocalisation, pointingGame } from '../src/index.js';

const map = (values: number[], height: number, width: number) =>
  saliencyMap({ data: Float32Array.from(values), height, width, classIndex: 0, method: 'hand', params: {} });

// 4×5 map; its maximum (9) is at x=3, y=1.
const peaked = map([0, 1, 2, 1, 0, 1, 2, 3, 9, 1, 0, 1, 2, 1, 0, -5, -5, 0, 0, 0], 4, 5);

describe('boxMask', () => {
  it('marks the box, clipped to the image', () => {
    expect(Array.from(boxMask(3, 4, { x: 1, y: 1, width: 2, height: 5 }).data)).toEqual([0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0]);
    expect(Array.from(boxMask(2, 2, { x: 5, y: 0, width: 2, height: 2 }).data)).toEqual([0, 0, 0, 0]);
  });
});

describe('pointingGame', () => {
  it('hits when the maximum lies in the object, misses otherwise', () => {
    const result = pointingGame(peaked, boxMask(4, 5, { x: 3, y: 0, width: 2, height: 2 }));
    expect(result).toEqual({ hit: true, peak: { x: 3, y: 1 }, tolerance: 0 });
    expect(pointingGame(peaked, boxMask(4, 5, { x: 0, y: 0, width: 3, height: 4 })).hit).toBe(false);
  });

  it('counts a peak within the tolerance (Euclidean pixels) as a hit', () => {
    const left = boxMask(4, 5, { x: 0, y: 0, width: 2, height: 4 }); // x ≤ 1: distance 2 from the peak
    expect(pointingGame(peaked, left, { tolerance: 1.9 }).hit).toBe(false);
    expect(pointingGame(peaked, left, { tolerance: 2 }).hit).toBe(true);
    const corner = boxMask(4, 5, { x: 0, y: 3, width: 1, height: 1 }); // (0,3): distance √13 ≈ 3.61
    expect(pointingGame(peaked, corner, { tolerance: 3.6 }).hit).toBe(false);
    expect(pointingGame(peaked, corner, { tolerance: 3.61 }).hit).toBe(true);
  });

  it('takes the first maximum in row-major order on ties and ignores NaN', () => {
    const tied = map([NaN, 1, 5, 5, 0, 5], 2, 3);
    expect(pointingGame(tied, { data: [0, 0, 1, 0, 0, 0], height: 2, width: 3 })).toMatchObject({ hit: true, peak: { x: 2, y: 0 } });
  });

  it('rejects a mask of another size, a bad mask and a bad tolerance', () => {
    expect(() => pointingGame(peaked, boxMask(5, 4, { x: 0, y: 0, width: 1, height: 1 }))).toThrow(
      /saliency map is 4×5 but the object mask is 5×4/,
    );
    expect(() => pointingGame(peaked, { data: [1, 0], height: 4, width: 5 })).toThrow(/holds 2 values; it needs 20/);
    expect(() => pointingGame(peaked, boxMask(4, 5, { x: 0, y: 0, width: 1, height: 1 }), { tolerance: -1 })).toThrow(XaiError);
    expect(() => pointingGame(map([NaN, NaN], 1, 2), { data: [1, 1], height: 1, width: 2 })).toThrow(/all NaN/);
  });
});

describe('energyPointingGame', () => {
  it('is the share of positive saliency inside the object', () => {
    const m = map([4, -3, 1, 3, 2, -1], 2, 3);
    // positive total 10; inside (first column and x=1 of row 1): 4 + 3 + 2 = 9
    expect(energyPointingGame(m, { data: [true, true, false, true, true, false], height: 2, width: 3 })).toBeCloseTo(0.9, 12);
    expect(energyPointingGame(m, { data: [0, 0, 0, 0, 0, 0], height: 2, width: 3 })).toBe(0);
    expect(energyPointingGame(map([-1, 0], 1, 2), { data: [1, 1], height: 1, width: 2 })).toBe(0);
  });
});

describe('evaluateLocalisation', () => {
  it('gives the hit rate and mean energy over a data set, as JSON', () => {
    const inside = boxMask(4, 5, { x: 3, y: 1, width: 1, height: 1 });
    const outside = boxMask(4, 5, { x: 0, y: 0, width: 1, height: 1 });
    const result = evaluateLocalisation([
      { id: 'a', map: peaked, mask: inside },
      { id: 'b', map: peaked, mask: outside },
    ]);
    expect(result.count).toBe(2);
    expect(result.pointingAccuracy).toBe(0.5);
    const positive = 1 + 2 + 1 + 1 + 2 + 3 + 9 + 1 + 1 + 2 + 1;
    expect(result.meanEnergy).toBeCloseTo((9 / positive + 0) / 2, 12);
    expect(result.perImage.map((r) => r.id)).toEqual(['a', 'b']);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    expect(() => evaluateLocalisation([])).toThrow(/data set is empty/);
  });
});

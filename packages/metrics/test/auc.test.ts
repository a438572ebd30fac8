import { describe, expect, it } from 'vitest';
import { XaiError } from '@xai/core';
import { meanCurve, trapezoidAuc } from '../src/index.js';

describe('trapezoidAuc', () => {
  it('gives the constant for a constant curve, whatever the number of steps', () => {
    for (const n of [1, 2, 7, 224]) {
      expect(trapezoidAuc(new Array(n + 1).fill(0.37))).toBeCloseTo(0.37, 12);
    }
  });

  it('gives 1/2 for a straight line from 0 to 1 and the exact trapezoid sum otherwise', () => {
    expect(trapezoidAuc([0, 0.25, 0.5, 0.75, 1])).toBeCloseTo(0.5, 12);
    // (0.2/2 + 0.9 + 0.4 + 0.6/2) / 3
    expect(trapezoidAuc([0.2, 0.9, 0.4, 0.6])).toBeCloseTo((0.1 + 0.9 + 0.4 + 0.3) / 3, 12);
  });

  it('rejects a curve of fewer than 2 points', () => {
    expect(() => trapezoidAuc([0.5])).toThrow(XaiError);
    expect(() => trapezoidAuc([])).toThrow(/at least 2 points, got 0/);
  });
});

describe('meanCurve', () => {
  it('averages point by point', () => {
    expect(meanCurve([[0, 1, 2], [2, 3, 4]])).toEqual([1, 2, 3]);
  });

  it('rejects curves of different lengths and an empty list', () => {
    expect(() => meanCurve([[0, 1], [0, 1, 2]])).toThrow(/equal length; got 2 and 3 points/);
    expect(() => meanCurve([])).toThrow(XaiError);
  });
});

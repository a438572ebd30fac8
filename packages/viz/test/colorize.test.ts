import { describe, expect, it } from 'vitest';
import { colorize, colormap, normalize, valueRange, VizError } from '../src/index.js';

describe('normalize', () => {
  it('rescales min–max to [0, 1]', () => {
    expect(Array.from(normalize([2, 4, 6, 3]))).toEqual([0, 0.5, 1, 0.25]);
  });

  it('uses a fixed range when given, clamping values outside it', () => {
    expect(Array.from(normalize([-1, 0, 0.5, 1, 2], [0, 1]))).toEqual([0, 0, 0.5, 1, 1]);
  });

  it('turns a constant map into zeros and ignores non-finite values for the range', () => {
    expect(Array.from(normalize([3, 3, 3]))).toEqual([0, 0, 0]);
    expect(valueRange([1, Number.NaN, Infinity, 5, -Infinity])).toEqual([1, 5]);
    expect(Array.from(normalize([1, Number.NaN, 5]))).toEqual([0, 0, 1]);
  });

  it('refuses an empty or inverted fixed range', () => {
    expect(() => normalize([1, 2], [1, 1])).toThrow(VizError);
    expect(() => normalize([1, 2], [2, 1])).toThrow('A colour range needs low < high, got [2, 1]');
  });
});

describe('colorize', () => {
  it('paints each value with the colour map after min–max normalising, opaque', () => {
    const out = colorize({ data: new Float32Array([10, 20, 30, 15]), height: 2, width: 2 }, { colormap: 'viridis' });
    const viridis = colormap('viridis');
    expect([out.width, out.height]).toEqual([2, 2]);
    const expected = [0, 0.5, 1, 0.25].flatMap((t) => [...viridis(t), 255]);
    expect(Array.from(out.data)).toEqual(expected);
  });

  it('uses jet by default and honours a fixed range', () => {
    const out = colorize({ data: new Float32Array([0.5, 0.5]), height: 1, width: 2 }, { range: [0, 1] });
    expect(Array.from(out.data.subarray(0, 4))).toEqual([123, 255, 123, 255]);
  });

  it('checks the map size', () => {
    expect(() => colorize({ data: new Float32Array(5), height: 2, width: 2 })).toThrow('Expected 4 values for a 2×2 saliency map, got 5');
  });
});

import { describe, expect, it } from 'vitest';
import { sinCos } from '../src/data/exact-math.js';

describe('sinCos', () => {
  it('agrees with Math.sin and Math.cos to 1e-14 over several turns, negative angles included', () => {
    for (let k = -2000; k <= 2000; k++) {
      const x = k * 0.0123456;
      const [s, c] = sinCos(x);
      expect(Math.abs(s - Math.sin(x))).toBeLessThan(1e-14);
      expect(Math.abs(c - Math.cos(x))).toBeLessThan(1e-14);
    }
  });
});
